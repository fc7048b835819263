// A regular series: one value per step, NaN where a step had no data. Every model and metric in
// forecasting/ reads this shape, so gaps are represented one way (never as 0).

/** Values on a fixed step; NaN (or undefined/null on input) = no data for that step. */
export interface RegularSeries {
  /** Time of values[0], ms since epoch; omitted for index-only series such as M4's. */
  readonly startMs?: number;
  readonly stepSeconds: number;
  readonly values: Float64Array;
}

/** One timestamped observation, as a range query or a trace file yields it. */
export interface TimedSample {
  readonly timestampMs: number;
  readonly value: number;
}

/** Copies loosely typed values into a Float64Array with NaN for every missing or non-finite entry. */
export function toValues(values: ArrayLike<number | undefined | null>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    out[i] = typeof value === 'number' && Number.isFinite(value) ? value : Number.NaN;
  }
  return out;
}

/** Number of steps that carry a value. */
export function countObserved(values: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) count++;
  return count;
}

/** Values that are present, in order (for the statistics functions, which reject NaN). */
export function observed(values: ArrayLike<number>, from = 0, to = values.length): number[] {
  const out: number[] = [];
  for (let i = Math.max(0, from); i < Math.min(to, values.length); i++) {
    const value = values[i]!;
    if (!Number.isNaN(value)) out.push(value);
  }
  return out;
}

/**
 * Puts irregular or finer-grained samples onto a regular grid [startMs, endMs) of `stepSeconds`:
 * each step holds the mean of the samples that fall in it, NaN when none do. Means (not sums) keep
 * the unit of a rate such as spans/s or requests per minute whatever the step.
 */
export function resampleMean(samples: readonly TimedSample[], startMs: number, endMs: number, stepSeconds: number): RegularSeries {
  if (!(stepSeconds > 0)) throw new RangeError(`stepSeconds must be > 0, got ${stepSeconds}`);
  if (!(endMs > startMs)) throw new RangeError(`endMs (${endMs}) must be after startMs (${startMs})`);
  const stepMs = stepSeconds * 1000;
  const length = Math.ceil((endMs - startMs) / stepMs);
  const sums = new Float64Array(length);
  const counts = new Uint32Array(length);
  for (const sample of samples) {
    if (!Number.isFinite(sample.value)) continue;
    const index = Math.floor((sample.timestampMs - startMs) / stepMs);
    if (index < 0 || index >= length) continue;
    sums[index]! += sample.value;
    counts[index]! += 1;
  }
  const values = new Float64Array(length);
  for (let i = 0; i < length; i++) values[i] = counts[i]! > 0 ? sums[i]! / counts[i]! : Number.NaN;
  return { startMs, stepSeconds, values };
}

/** Season lengths in steps for a step size: a day and a week. */
export interface SeasonPeriods {
  readonly dailySteps: number;
  readonly weeklySteps: number;
}

const DAY_SECONDS = 86_400;

/** Daily and weekly periods for a step; the step must divide a day (e.g. 1m, 2m, 5m, 30m, 1h). */
export function seasonPeriodsForStep(stepSeconds: number): SeasonPeriods {
  const daily = DAY_SECONDS / stepSeconds;
  if (!Number.isInteger(daily) || daily < 2) {
    throw new RangeError(`stepSeconds must divide a day into at least 2 steps (e.g. 60, 120, 300, 1800, 3600), got ${stepSeconds}`);
  }
  return { dailySteps: daily, weeklySteps: 7 * daily };
}
