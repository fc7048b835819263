// A trace evicted from the tail-sampling buffer before its decision_wait is sampled on partial data
// (or lost). More replicas help only by spreading traces; the real fix is a larger num_traces, so the
// alert carries the size to set (reference/otelcol-metrics.md: traces/s × decision_wait × 1.2 / replicas).
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { missingSignal, NO_DECISION, signalValue } from './rule-inputs.ts';
import { describeScalerAction } from './scaler-action.ts';

/** Head-room the sizing rule adds over the measured rate. */
export const NUM_TRACES_HEADROOM = 1.2;
/** Suggestions are rounded up to this, so the number reads like a setting, not a measurement. */
const NUM_TRACES_ROUNDING = 1000;

export interface NumTracesSizing {
  /** Incoming traces/s: traces held ÷ decision_wait plus traces evicted early (Little's law upper bound). */
  readonly tracesPerSecond: number;
  readonly numTracesPerReplica: number;
}

/**
 * Sizes num_traces per replica from what the gateways hold and drop. Traces held ÷ decision_wait is
 * the rate of traces that stayed the full wait; evicted traces left early, so adding their rate gives
 * an upper bound of the incoming rate, which is the safe side for a buffer.
 */
export function suggestNumTraces(input: {
  readonly tracesOnMemory: number;
  readonly droppedTooEarlyTracesPerSecond: number;
  readonly decisionWaitSeconds: number;
  readonly replicas: number;
}): NumTracesSizing {
  const tracesPerSecond = input.tracesOnMemory / input.decisionWaitSeconds + input.droppedTooEarlyTracesPerSecond;
  const raw = (tracesPerSecond * input.decisionWaitSeconds * NUM_TRACES_HEADROOM) / Math.max(1, input.replicas);
  return { tracesPerSecond, numTracesPerReplica: Math.ceil(raw / NUM_TRACES_ROUNDING) * NUM_TRACES_ROUNDING };
}

/** Any early eviction samples a trace on partial data. */
const DEFAULT_DROPPED_TRACES_PER_SECOND = 0;

/** Fires while traces are dropped too early faster than the threshold (default 0 traces/s). */
export const tracesDroppedTooEarlyRule: AlertRule = {
  name: 'tracesDroppedTooEarly',
  title: 'Traces dropped too early: num_traces undersized',
  severity: 'warning',
  defaultForSeconds: 300,
  threshold: { meaning: 'traces dropped too early per second, summed over gateways', defaultValue: DEFAULT_DROPPED_TRACES_PER_SECOND, above: 0, orEqual: true },
  evaluate(input, { threshold }) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const dropped = signalValue(decision, 'droppedTooEarlyTracesPerSecond');
    if (dropped === undefined) return missingSignal('droppedTooEarlyTracesPerSecond');
    const limit = threshold ?? DEFAULT_DROPPED_TRACES_PER_SECOND;
    if (dropped <= limit) return { status: 'clear' };
    const { decisionWaitSeconds, numTraces } = input.settings;
    const replicas = decision.current;
    const held = signalValue(decision, 'tracesOnMemory');
    const evidence: EvidenceItem[] = [{ label: 'Traces dropped too early', value: dropped, unit: 'traces/s', threshold: { comparison: '>', value: limit } }];
    let sizing: NumTracesSizing | undefined;
    if (held !== undefined) {
      evidence.push({ label: 'Traces on memory (all gateways)', value: held, unit: 'traces' });
      evidence.push({ label: 'Buffer fill', value: held / (numTraces * Math.max(1, replicas)), unit: 'ratio' });
      sizing = suggestNumTraces({ tracesOnMemory: held, droppedTooEarlyTracesPerSecond: dropped, decisionWaitSeconds, replicas });
      evidence.push({ label: 'Incoming traces (estimate)', value: sizing.tracesPerSecond, unit: 'traces/s' });
    }
    evidence.push({ label: 'num_traces per replica (numTraces)', value: numTraces, unit: 'traces' });
    if (sizing) evidence.push({ label: 'Suggested num_traces per replica', value: sizing.numTracesPerReplica, unit: 'traces' });
    const sizeAdvice = sizing
      ? `Raise \`num_traces\` in the tail_sampling processor to ${sizing.numTracesPerReplica.toLocaleString('en-US')} (≈ ${Math.round(sizing.tracesPerSecond).toLocaleString('en-US')} traces/s × ${decisionWaitSeconds}s decision_wait × ${NUM_TRACES_HEADROOM} ÷ ${replicas} replicas), and set the \`numTraces\` metadata to match.`
      : 'Raise `num_traces` in the tail_sampling processor (traces on memory was missing, so no size could be computed) and set the `numTraces` metadata to match.';
    return {
      status: 'active',
      summary: `Tail sampling evicts traces before their ${decisionWaitSeconds}s decision_wait: those traces are decided on partial spans or lost. The buffer (num_traces) is too small for the incoming trace rate.`,
      evidence,
      scalerAction: describeScalerAction(decision, input.advisory),
      checks: [
        sizeAdvice,
        'Memory: every held span costs ~1 KB plus 2–3× overhead; raise the memory limit with num_traces.',
        'If the suggested size is not above the configured one, the `numTraces` metadata may not match the collector config.',
      ],
    };
  },
};
