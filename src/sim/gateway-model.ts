// The simulated gateway's model functions that docs/collector-tier.md compares with a real collector
// tier (test/collector/calibration.json and the tier tests): decision-tick work and latency, and the
// traces a ring change splits. The fleet and its replica pools compute with these and nothing else.
import type { FleetSettings } from './fleet-settings.ts';

/** Utilization above which contention stops growing in the decision-tick model (keeps latency finite). */
export const CONTENTION_UTILIZATION_CAP = 0.95;

/** Share of the agents' traceID ring that moves to other gateways when N gateways become N′. */
export function movedRingShare(before: number, after: number): number {
  const larger = Math.max(before, after);
  return larger > 0 ? Math.abs(after - before) / larger : 0;
}

/**
 * Traces a ring change from `before` to `after` gateways splits across two gateways: those whose spans
 * are still arriving (traces/s × trace duration, Little's law) whose route moved. A trace whose spans
 * have all arrived is held and decided whole on its old gateway, however long decision_wait is.
 */
export function ringChangeSplitTraces(tracesPerSecond: number, traceDurationSeconds: number, before: number, after: number): number {
  return tracesPerSecond * traceDurationSeconds * movedRingShare(before, after);
}

/**
 * CPU one decision tick takes on one replica (ms), before contention: the tick decides the traces that
 * arrived in one tick period, at a cost per trace measured on a CPU doing
 * `decisionTickMeasuredSpansPerCpuSecond`; a replica with μ spans/s per CPU-second is a CPU that much
 * slower or faster, so the cost scales by measured ÷ μ.
 */
export function decisionTickWorkMs(settings: FleetSettings, tracesPerSecondPerReplica: number, tracesHeldPerReplica: number): number {
  const cpuSpeed = settings.decisionTickMeasuredSpansPerCpuSecond / settings.capacitySpansPerSecond;
  return settings.decisionTickCostMultiplier * cpuSpeed * (settings.decisionTickMsPerTracePerSecond * tracesPerSecondPerReplica + settings.decisionTickMsPerHeldTrace * tracesHeldPerReplica);
}

/**
 * A decision tick's duration: its work stretched by CPU contention, 1 / (1 − utilization) (the M/M/1
 * stretch; the tick's goroutine waits for CPU behind the receivers' work, or behind a cgroup quota's
 * throttling), capped so a saturated replica's ticks stay finite.
 */
export function decisionTickLatencyMs(workMs: number, utilization: number): number {
  return workMs / (1 - Math.min(Math.max(utilization, 0), CONTENTION_UTILIZATION_CAP));
}
