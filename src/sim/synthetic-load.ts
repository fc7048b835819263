// The built-in workload: a weekday/weekend week and a working-hours day (night trough at 15 % of the
// peak, morning ramp 07–10 h UTC, evening decline 18–22 h), with ±4 % seeded noise. A pure function
// of time, so the demo can run it forever and the benchmark can sample it as a trace.
import { hashUnit } from './seeded-random.ts';
import type { LoadCurve } from './load-curve.ts';
import type { Trace } from './trace-csv.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const NOISE_BUCKET_MS = 5 * 60_000;
/** Load share by UTC weekday, Sunday first. */
const WEEKDAY_FACTOR = [0.45, 1, 1, 1, 1, 0.95, 0.55] as const;
const NIGHT_SHARE = 0.15;
const NOISE_AMPLITUDE = 0.04;
/** Upper bound of the shape (weekday peak with the largest noise), used to scale it to a peak load. */
export const SYNTHETIC_SHAPE_PEAK = 1 + NOISE_AMPLITUDE;

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function dayShape(hour: number): number {
  const working = logistic((hour - 8.5) / 0.8) * (1 - logistic((hour - 20) / 1.2));
  return NIGHT_SHARE + (1 - NIGHT_SHARE) * working;
}

/** Relative load at `timeMs` (0..SYNTHETIC_SHAPE_PEAK); noise is interpolated between 5-minute buckets. */
export function syntheticLoadShape(timeMs: number, seed: number): number {
  const date = new Date(timeMs);
  const hour = (timeMs - Math.floor(timeMs / DAY_MS) * DAY_MS) / HOUR_MS;
  const bucket = Math.floor(timeMs / NOISE_BUCKET_MS);
  const fraction = (timeMs - bucket * NOISE_BUCKET_MS) / NOISE_BUCKET_MS;
  const noise = hashUnit(seed, bucket) * (1 - fraction) + hashUnit(seed, bucket + 1) * fraction;
  return WEEKDAY_FACTOR[date.getUTCDay()]! * dayShape(hour) * (1 + NOISE_AMPLITUDE * (2 * noise - 1));
}

/** The benchmark's default trace: `days` of the synthetic shape sampled every 5 minutes from a Monday. */
export function syntheticTrace(options: { readonly startMs: number; readonly days: number; readonly seed: number }): Trace {
  const steps = Math.round((options.days * DAY_MS) / NOISE_BUCKET_MS);
  const timestampsMs = new Float64Array(steps);
  const values = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    timestampsMs[i] = options.startMs + i * NOISE_BUCKET_MS;
    values[i] = syntheticLoadShape(timestampsMs[i]!, options.seed);
  }
  return { name: `synthetic diurnal + weekly (${options.days} days, seed ${options.seed})`, timestampsMs, values };
}

/** The synthetic shape as an endless load, scaled so its upper bound is `peakSpansPerSecond` (the demo's load). */
export class SyntheticLoadCurve implements LoadCurve {
  readonly endMs = Number.POSITIVE_INFINITY;

  constructor(
    readonly startMs: number,
    readonly peakSpansPerSecond: number,
    private readonly seed: number,
  ) {}

  spansPerSecondAt(timeMs: number): number {
    return (syntheticLoadShape(timeMs, this.seed) / SYNTHETIC_SHAPE_PEAK) * this.peakSpansPerSecond;
  }
}
