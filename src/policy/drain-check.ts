// Whether a removed gateway lives long enough to keep what it holds. On scale-in the pod leaves the
// headless Service; agents still send it spans until their DNS resolver re-resolves (up to its
// interval), so a gateway stopped sooner refuses spans of traces it holds. Once stopped, the
// tail-sampling processor decides the traces still within decision_wait on what has arrived (its
// default since v0.141.0), or drops them (drop_pending_traces_on_shutdown: true, and every release
// before v0.141.0): then the drain must also outlast decision_wait, or every scale-in, by any
// autoscaler, breaks them. Pure: reads the target's settings only.
import { DNS_RESOLVER_INTERVAL_SECONDS, type TargetSettings } from '../config/target-metadata.ts';
import { formatSeconds } from './format.ts';

/**
 * Allowance past the least drain: the spans the agents sent just before they re-resolved, and, where
 * pending traces are dropped, the last decided traces going through the batch processor and the
 * exporter queue: the batch processor's default timeout (200 ms) many times over and a healthy
 * exporter's send, so a drain that just covers the least is not cut short.
 */
export const DRAIN_FLUSH_SECONDS = 5;

type DrainSettings = Pick<TargetSettings, 'decisionWaitSeconds' | 'scaleInDrainSeconds' | 'dropPendingTracesOnShutdown'>;

export interface DrainCheck {
  /** The drain the trigger states (`scaleInDrain`); undefined when not set. */
  readonly drainSeconds: number | undefined;
  readonly decisionWaitSeconds: number;
  /** Whether the gateways drop, rather than decide, the traces they still hold when stopped. */
  readonly dropsPendingTraces: boolean;
  /** The least drain that breaks no trace: the DNS interval, plus decision_wait where pending traces are dropped. */
  readonly neededSeconds: number;
  /** The preStop sleep to set: neededSeconds + DRAIN_FLUSH_SECONDS. */
  readonly preStopSeconds: number;
  /** The stated drain is shorter than neededSeconds. */
  readonly tooShort: boolean;
}

function neededDrainSeconds(settings: Pick<DrainSettings, 'decisionWaitSeconds' | 'dropPendingTracesOnShutdown'>): number {
  return (settings.dropPendingTracesOnShutdown ? settings.decisionWaitSeconds : 0) + DNS_RESOLVER_INTERVAL_SECONDS;
}

/** The preStop sleep gateways with these settings need (the example Deployment ships this value). */
export function preStopSecondsFor(settings: Pick<DrainSettings, 'decisionWaitSeconds' | 'dropPendingTracesOnShutdown'>): number {
  return neededDrainSeconds(settings) + DRAIN_FLUSH_SECONDS;
}

export function checkDrain(settings: DrainSettings): DrainCheck {
  const neededSeconds = neededDrainSeconds(settings);
  const drainSeconds = settings.scaleInDrainSeconds;
  return {
    drainSeconds,
    decisionWaitSeconds: settings.decisionWaitSeconds,
    dropsPendingTraces: settings.dropPendingTracesOnShutdown,
    neededSeconds,
    preStopSeconds: preStopSecondsFor(settings),
    tooShort: drainSeconds !== undefined && drainSeconds < neededSeconds,
  };
}

/** The sentence a decision carries when the drain is too short (or unknown on a scale-in step). */
export function describeDrain(check: DrainCheck): string {
  const dns = `the agents' DNS interval ${formatSeconds(DNS_RESOLVER_INTERVAL_SECONDS)}`;
  const needs = check.dropsPendingTraces ? `decision_wait ${formatSeconds(check.decisionWaitSeconds)} + ${dns}, since they drop the traces they hold when stopped (dropPendingTracesOnShutdown)` : dns;
  const breaks = check.dropsPendingTraces ? 'every scale-in breaks the traces the removed gateways still hold' : "every scale-in breaks the traces whose spans the agents still send to the removed gateways";
  const fix = `set the gateways' preStop sleep to ${formatSeconds(check.preStopSeconds)} (terminationGracePeriodSeconds above it) and scaleInDrain to match`;
  if (check.drainSeconds === undefined) return `scale-in drain unknown (scaleInDrain not set): a removed gateway needs at least ${needs}; ${fix}`;
  return `scale-in drain ${formatSeconds(check.drainSeconds)} is shorter than ${needs}: ${breaks}; ${fix}`;
}
