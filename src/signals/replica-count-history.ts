// How many gateways the Deployment asked for, how many reported, and how many the agents' rings held,
// step by step: the evidence pod startup (policy/startup-estimate.ts) and the agents' re-resolve
// (policy/reresolve-estimate.ts) are learned from. Prometheus answers it with range queries
// (kube-state-metrics' spec replicas, the gateways' own uptime series, the agents' loadbalancing
// exporter); the simulated fleet from its recorded gauges.
import type { TargetSettings } from '../config/target-metadata.ts';
import { checkedMatchers, checkedSelector, gaugeNamePattern, quoted, selectorOf, UPTIME_NAME_PATTERN } from './promql-catalogue.ts';
import type { RangeWindow, TargetRef } from './signal-snapshot.ts';

/** One step: replicas asked for and gateways reporting; undefined where there was no data. */
export interface ReplicaCountSample {
  readonly atMs: number;
  readonly desiredReplicas: number | undefined;
  readonly reportingReplicas: number | undefined;
  /**
   * The most gateways any agent's loadbalancing ring held (otelcol_loadbalancer_num_backends): after a
   * scale-in, the agent that re-resolved last. Undefined without agentSelector or where the agents had no data.
   */
  readonly largestRing?: number | undefined;
  /** The fewest gateways any agent's ring held: after a scale-out, the agent that re-resolved last. */
  readonly smallestRing?: number | undefined;
}

/** The replica history of a target's gateways; without `deploymentName` there is nothing to read. */
export interface ReplicaCountHistory {
  readReplicaCounts(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly ReplicaCountSample[]>;
}

/** A day of scale-outs and scale-ins; a delay shorter than the step cannot be told apart, so the step is one scrape. */
export const REPLICA_HISTORY_LOOKBACK_SECONDS = 86_400;
export const REPLICA_HISTORY_STEP_SECONDS = 15;

/**
 * The range queries, each one series (no `by`): the Deployment's spec replicas, the gateways reporting
 * (0 when none do) and, for a trigger that names the agents, the largest and the smallest of their rings.
 */
export function buildReplicaCountQueries(
  target: TargetRef,
  settings: Pick<TargetSettings, 'gatewaySelector' | 'rateWindowSeconds' | 'deploymentName' | 'agentSelector'>,
): { readonly desiredReplicas: string; readonly reportingReplicas: string; readonly rings: { readonly largest: string; readonly smallest: string } | undefined } | undefined {
  if (settings.deploymentName === undefined) return undefined;
  const selector = checkedSelector(settings);
  return {
    desiredReplicas: `max(kube_deployment_spec_replicas{namespace=${quoted(target.namespace)}, deployment=${quoted(settings.deploymentName)}})`,
    // 0, not no data, where no gateway reports: a Deployment scaled to zero (KEDA's 0 ↔ 1) has data at
    // those steps, so its rise from zero is an observation; where Prometheus has no data at all, the
    // spec replicas are missing too and the step is still a gap.
    reportingReplicas: `count(count by (instance) (${selectorOf(UPTIME_NAME_PATTERN, selector)})) or vector(0)`,
    // An agent runs one loadbalancing exporter per pipeline, all resolving the same gateways.
    rings: settings.agentSelector === undefined ? undefined : ringQueries(selectorOf(gaugeNamePattern('otelcol_loadbalancer_num_backends'), checkedMatchers('agentSelector', settings.agentSelector))),
  };
}

function ringQueries(ringSizes: string): { readonly largest: string; readonly smallest: string } {
  return { largest: `max(${ringSizes})`, smallest: `min(${ringSizes})` };
}
