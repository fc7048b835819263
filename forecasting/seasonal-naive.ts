// Seasonal naive: tomorrow looks like today (daily) or like the same hour last week (weekly). The
// M4 benchmark and the baseline every other model must beat; with a drift term, the textbook
// "seasonal naive with drift" benchmark for series that grow or shrink from day to day.
import { median } from 'simple-statistics';

/**
 * Forecasts at each origin, flat (origin k's step h at [k·horizon + h]): the value one period
 * before the step, or, when that step had no data, the same slot in an earlier period; NaN when
 * the slot never had data before the origin.
 */
export function seasonalNaiveForecasts(values: Float64Array, origins: readonly number[], horizon: number, period: number): Float64Array {
  const out = new Float64Array(origins.length * horizon);
  origins.forEach((origin, k) => {
    for (let h = 0; h < horizon; h++) {
      let source = origin + h - period * Math.ceil((h + 1) / period);
      while (source >= 0 && Number.isNaN(values[source]!)) source -= period;
      out[k * horizon + h] = source >= 0 ? values[source]! : Number.NaN;
    }
  });
  return out;
}

/** Median period-over-period change over values[end − periods·period, end); 0 without any pair. */
function medianChange(values: Float64Array, end: number, period: number, periods: number): number {
  const changes: number[] = [];
  for (let t = Math.max(period, end - periods * period); t < end; t++) {
    const now = values[t]!;
    const before = values[t - period]!;
    if (!Number.isNaN(now) && !Number.isNaN(before)) changes.push(now - before);
  }
  return changes.length > 0 ? median(changes) : 0;
}

/**
 * Seasonal naive plus drift, at each origin (flat, as seasonalNaiveForecasts): the seasonal naive forecast plus the median
 * period-over-period change over the `driftPeriods` whole periods before the origin (periods
 * counted from index 0), once per period ahead. The median keeps a single step change or holiday
 * from becoming a trend; whole periods let one drift serve every origin inside a period.
 */
export function seasonalDriftForecasts(
  values: Float64Array,
  origins: readonly number[],
  horizon: number,
  period: number,
  driftPeriods: number,
): Float64Array {
  const out = seasonalNaiveForecasts(values, origins, horizon, period);
  const driftByBoundary = new Map<number, number>();
  origins.forEach((origin, k) => {
    const boundary = Math.floor(origin / period) * period;
    let drift = driftByBoundary.get(boundary);
    if (drift === undefined) {
      drift = medianChange(values, boundary, period, driftPeriods);
      driftByBoundary.set(boundary, drift);
    }
    for (let h = 0; h < horizon; h++) out[k * horizon + h]! += drift * Math.ceil((h + 1) / period);
  });
  return out;
}
