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
  /** Every burst start and end, ascending: between two of them the same bursts apply. */
  private readonly boundaries: Float64Array;
  /** Multipliers of the bursts covering [boundaries[i], boundaries[i + 1]), in the bursts' order (the product is rounded in that order). */
  private readonly multipliers: (readonly number[])[];
  private cursor = 0;

  constructor(
    private readonly base: LoadCurve,
    bursts: readonly { readonly startMs: number; readonly endMs: number; readonly multiplier: number }[],
  ) {
    this.startMs = base.startMs;
    this.endMs = base.endMs;
    this.peakSpansPerSecond = base.peakSpansPerSecond;
    this.boundaries = Float64Array.from(new Set(bursts.flatMap((burst) => [burst.startMs, burst.endMs]))).sort();
    const byStart = bursts.map((burst, index) => ({ burst, index })).sort((a, b) => a.burst.startMs - b.burst.startMs);
    const active: { burst: (typeof bursts)[number]; index: number }[] = [];
    let next = 0;
    this.multipliers = Array.from(this.boundaries, (boundary) => {
      while (next < byStart.length && byStart[next]!.burst.startMs <= boundary) active.push(byStart[next++]!);
      for (let i = active.length - 1; i >= 0; i--) if (!(boundary < active[i]!.burst.endMs)) active.splice(i, 1);
      return active.toSorted((a, b) => a.index - b.index).map((entry) => entry.burst.multiplier);
    });
  }

  spansPerSecondAt(timeMs: number): number {
    let rate = this.base.spansPerSecondAt(timeMs);
    const { boundaries } = this;
    if (boundaries.length === 0 || timeMs < boundaries[0]!) return rate;
    // Reads come in time order, so the segment is the last one's or one of the next few.
    let i = this.cursor;
    while (i + 1 < boundaries.length && boundaries[i + 1]! <= timeMs) i++;
    while (i > 0 && boundaries[i]! > timeMs) i--;
    this.cursor = i;
    for (const multiplier of this.multipliers[i]!) rate *= multiplier;
    return rate;
  }
}
