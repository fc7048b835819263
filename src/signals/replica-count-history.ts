// How many gateways the Deployment asked for and how many reported, step by step: the evidence pod
// startup is learned from (policy/startup-estimate.ts). Prometheus answers it with two range queries
// (kube-state-metrics' spec replicas and the gateways' own uptime series); the simulated fleet from
// its recorded gauges.
import type { TargetSettings } from '../config/target-metadata.ts';
import { checkedSelector, quoted, selectorOf, UPTIME_NAME_PATTERN } from './promql-catalogue.ts';
import type { RangeWindow, TargetRef } from './signal-snapshot.ts';

/** One step: replicas asked for and gateways reporting; undefined where there was no data. */
export interface ReplicaCountSample {
  readonly atMs: number;
  readonly desiredReplicas: number | undefined;
  readonly reportingReplicas: number | undefined;
}

/** The replica history of a target's gateways; without `deploymentName` there is nothing to read. */
export interface ReplicaCountHistory {
  readReplicaCounts(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly ReplicaCountSample[]>;
}

/** A day of scale-outs; a start shorter than the step cannot be told apart, so the step is one scrape. */
export const STARTUP_LOOKBACK_SECONDS = 86_400;
export const STARTUP_STEP_SECONDS = 15;

/** The two range queries, each one series (no `by`): the Deployment's spec replicas and the gateways reporting (0 when none do). */
export function buildReplicaCountQueries(
  target: TargetRef,
  settings: Pick<TargetSettings, 'gatewaySelector' | 'rateWindowSeconds' | 'deploymentName'>,
): { readonly desiredReplicas: string; readonly reportingReplicas: string } | undefined {
  if (settings.deploymentName === undefined) return undefined;
  const selector = checkedSelector(settings);
  return {
    desiredReplicas: `max(kube_deployment_spec_replicas{namespace=${quoted(target.namespace)}, deployment=${quoted(settings.deploymentName)}})`,
    // 0, not no data, where no gateway reports: a Deployment scaled to zero (KEDA's 0 ↔ 1) has data at
    // those steps, so its rise from zero is an observation; where Prometheus has no data at all, the
    // spec replicas are missing too and the step is still a gap.
    reportingReplicas: `count(count by (instance) (${selectorOf(UPTIME_NAME_PATTERN, selector)})) or vector(0)`,
  };
}
