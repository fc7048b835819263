// λ(t) in spans/s for the simulated fleet: a trace replayed with linear interpolation between
// points, gaps held at the last value seen (a leading gap takes the first value), and the whole
// trace scaled so its peak needs `peakReplicas` replicas of nominal capacity at 70 % utilization.
import type { Trace } from './trace-csv.ts';
import { tracePeak } from './trace-csv.ts';

/** Offered load as a function of time; what the fleet and the oracle read. */
export interface LoadCurve {
  readonly startMs: number;
  /** End of the load (exclusive); Infinity for an endless load such as the demo's. */
  readonly endMs: number;
  /** The scaled trace's peak, before bursts: backend capacity is sized on it. */
  readonly peakSpansPerSecond: number;
  spansPerSecondAt(timeMs: number): number;
}

/**
 * The capacity and utilization a trace's peak is sized against: the simulated tier's nominal defaults, fixed, so that
 * changing the fleet's true capacity changes the fleet and not the load it is offered.
 */
export const NOMINAL_CAPACITY_SPANS_PER_SECOND = 20_000;
export const NOMINAL_UTILIZATION = 0.7;

/** Spans/s the trace's peak is scaled to: peakReplicas × 20,000 × 0.7. */
export function peakLoadSpansPerSecond(peakReplicas: number): number {
  return peakReplicas * NOMINAL_CAPACITY_SPANS_PER_SECOND * NOMINAL_UTILIZATION;
}

/** Replays a trace scaled to `peakSpansPerSecond`; reads are fastest in time order. */
export class TraceLoadCurve implements LoadCurve {
  readonly startMs: number;
  readonly endMs: number;
  readonly peakSpansPerSecond: number;
  private readonly times: Float64Array;
  private readonly raw: Float64Array;
  /** Values with gaps carried forward, already scaled. */
  private readonly filled: Float64Array;
  private cursor = 0;

  constructor(trace: Trace, peakSpansPerSecond: number) {
    const scale = peakSpansPerSecond / tracePeak(trace);
    this.peakSpansPerSecond = peakSpansPerSecond;
    this.times = trace.timestampsMs;
    this.raw = new Float64Array(trace.values.length);
    this.filled = new Float64Array(trace.values.length);
    let first = Number.NaN;
    for (const value of trace.values) {
      if (!Number.isNaN(value)) {
        first = value;
        break;
      }
    }
    let last = first * scale;
    for (let i = 0; i < trace.values.length; i++) {
      const value = trace.values[i]! * scale;
      this.raw[i] = value;
      if (!Number.isNaN(value)) last = value;
      this.filled[i] = last;
    }
    this.startMs = this.times[0]!;
    // The last point stands for one trace step, like every other point.
    const n = this.times.length;
    this.endMs = this.times[n - 1]! + (this.times[n - 1]! - this.times[n - 2]!);
  }

  spansPerSecondAt(timeMs: number): number {
    const times = this.times;
    const n = times.length;
    let i = this.cursor;
    while (i + 1 < n && times[i + 1]! <= timeMs) i++;
    while (i > 0 && times[i]! > timeMs) i--;
    this.cursor = i;
    const here = this.raw[i]!;
    if (i + 1 >= n || timeMs <= times[i]!) return this.filled[i]!;
    const next = this.raw[i + 1]!;
    if (Number.isNaN(here) || Number.isNaN(next)) return this.filled[i]!;
    const fraction = (timeMs - times[i]!) / (times[i + 1]! - times[i]!);
    return here + (next - here) * fraction;
  }
}

/** Multiplies a load by factors over time windows (bursts); outside them the load is unchanged. */
export class BurstLoadCurve implements LoadCurve {
  readonly startMs: number;
  readonly endMs: number;
  readonly peakSpansPerSecond: number;

  constructor(
    private readonly base: LoadCurve,
    private readonly bursts: readonly { readonly startMs: number; readonly endMs: number; readonly multiplier: number }[],
  ) {
    this.startMs = base.startMs;
    this.endMs = base.endMs;
    this.peakSpansPerSecond = base.peakSpansPerSecond;
  }

  spansPerSecondAt(timeMs: number): number {
    let rate = this.base.spansPerSecondAt(timeMs);
    for (const burst of this.bursts) if (timeMs >= burst.startMs && timeMs < burst.endMs) rate *= burst.multiplier;
    return rate;
  }
}
