// Whether a removed gateway lives long enough to decide what it holds. On scale-in the pod leaves the
// headless Service; agents still send it spans until their DNS resolver re-resolves (up to its
// interval), and every trace it then holds is decided only decision_wait after the trace began. A drain
// (the preStop sleep) shorter than decision_wait + the DNS interval kills the pod with traces undecided:
// every scale-in, by any autoscaler, breaks them. Pure: reads the target's settings only.
import { DNS_RESOLVER_INTERVAL_SECONDS, type TargetSettings } from '../config/target-metadata.ts';
import { formatSeconds } from './format.ts';

/**
 * After the last trace is decided its sampled spans still go through the batch processor and the
 * exporter queue: a 5 s allowance, the batch processor's default timeout (200 ms) many times over and a
 * healthy exporter's send, so a drain that just covers decision_wait + DNS is not cut at the flush.
 */
export const DRAIN_FLUSH_SECONDS = 5;

export interface DrainCheck {
  /** The drain the trigger states (`scaleInDrain`); undefined when not set. */
  readonly drainSeconds: number | undefined;
  readonly decisionWaitSeconds: number;
  /** decision_wait + the DNS interval: the least drain that breaks no trace. */
  readonly neededSeconds: number;
  /** The preStop sleep to set: neededSeconds + DRAIN_FLUSH_SECONDS. */
  readonly preStopSeconds: number;
  /** The stated drain is shorter than neededSeconds. */
  readonly tooShort: boolean;
}

/** The preStop sleep a gateway with this decision_wait needs (the example Deployment ships this value). */
export function preStopSecondsFor(decisionWaitSeconds: number): number {
  return decisionWaitSeconds + DNS_RESOLVER_INTERVAL_SECONDS + DRAIN_FLUSH_SECONDS;
}

export function checkDrain(settings: Pick<TargetSettings, 'decisionWaitSeconds' | 'scaleInDrainSeconds'>): DrainCheck {
  const neededSeconds = settings.decisionWaitSeconds + DNS_RESOLVER_INTERVAL_SECONDS;
  const drainSeconds = settings.scaleInDrainSeconds;
  return { drainSeconds, decisionWaitSeconds: settings.decisionWaitSeconds, neededSeconds, preStopSeconds: preStopSecondsFor(settings.decisionWaitSeconds), tooShort: drainSeconds !== undefined && drainSeconds < neededSeconds };
}

/** The sentence a decision carries when the drain is too short (or unknown on a scale-in step). */
export function describeDrain(check: DrainCheck): string {
  const needs = `decision_wait ${formatSeconds(check.decisionWaitSeconds)} + the agents' DNS interval ${formatSeconds(DNS_RESOLVER_INTERVAL_SECONDS)}`;
  const fix = `set the gateways' preStop sleep to ${formatSeconds(check.preStopSeconds)} (terminationGracePeriodSeconds above it) and scaleInDrain to match`;
  if (check.drainSeconds === undefined) return `scale-in drain unknown (scaleInDrain not set): a removed gateway needs at least ${needs}; ${fix}`;
  return `scale-in drain ${formatSeconds(check.drainSeconds)} is shorter than ${needs}: every scale-in breaks the traces the removed gateways still hold; ${fix}`;
}
