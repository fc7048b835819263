// Forecast accuracy as the M4 competition defines it (MASE, sMAPE; Makridakis et al. 2020, and the
// M4-methods repository's evaluation code), plus the figures the scaler cares about: WAPE, how often
// the point forecast falls short, and how often the upper band covers the actual. Steps whose actual
// is missing (NaN) are left out of every metric.
import { mean } from 'simple-statistics';

/**
 * MASE denominator: mean |y[t] − y[t − period]| over the in-sample series (pairs with both values
 * present). M4 uses period 24 for hourly data. Returns NaN when no pair exists.
 */
export function seasonalNaiveScale(insample: ArrayLike<number>, period: number): number {
  const diffs: number[] = [];
  for (let t = period; t < insample.length; t++) {
    const a = insample[t]!;
    const b = insample[t - period]!;
    if (!Number.isNaN(a) && !Number.isNaN(b)) diffs.push(Math.abs(a - b));
  }
  return diffs.length > 0 ? mean(diffs) : Number.NaN;
}

function pairs(actual: ArrayLike<number>, forecast: ArrayLike<number>): Array<[number, number]> {
  if (actual.length !== forecast.length) {
    throw new RangeError(`actual (${actual.length}) and forecast (${forecast.length}) must have the same length`);
  }
  const out: Array<[number, number]> = [];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    if (!Number.isNaN(a)) out.push([a, forecast[i]!]);
  }
  return out;
}

/** Mean absolute error over the scored steps divided by `scale` (see seasonalNaiveScale). */
export function mase(actual: ArrayLike<number>, forecast: ArrayLike<number>, scale: number): number {
  const scored = pairs(actual, forecast);
  if (scored.length === 0 || !(scale > 0)) return Number.NaN;
  return mean(scored.map(([a, f]) => Math.abs(a - f))) / scale;
}

/** M4's sMAPE in percent: mean of 200·|a − f| / (|a| + |f|); a step where both are 0 counts as 0. */
export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  const scored = pairs(actual, forecast);
  if (scored.length === 0) return Number.NaN;
  return mean(scored.map(([a, f]) => (a === 0 && f === 0 ? 0 : (200 * Math.abs(a - f)) / (Math.abs(a) + Math.abs(f)))));
}

/** Weighted absolute percentage error: Σ|a − f| / Σ|a| (a fraction, not percent). */
export function wape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let errors = 0;
  let total = 0;
  for (const [a, f] of pairs(actual, forecast)) {
    errors += Math.abs(a - f);
    total += Math.abs(a);
  }
  return total > 0 ? errors / total : Number.NaN;
}

/** Share of scored steps where the point forecast was below the actual (the tier would have been short). */
export function underForecastShare(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  const scored = pairs(actual, forecast);
  if (scored.length === 0) return Number.NaN;
  return scored.filter(([a, f]) => f < a).length / scored.length;
}

/** Share of scored steps where the actual was at or below the upper band (p90 → ideally ≈ 0.9). */
export function bandCoverage(actual: ArrayLike<number>, upper: ArrayLike<number>): number {
  const scored = pairs(actual, upper);
  if (scored.length === 0) return Number.NaN;
  return scored.filter(([a, u]) => a <= u).length / scored.length;
}
