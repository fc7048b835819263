// Seasonal naive: tomorrow looks like today (daily) or like the same hour last week (weekly). The
// M4 benchmark and the baseline every other model must beat; a robust variant that does not copy a
// holiday; and, with a drift term, the textbook "seasonal naive with drift" for series that grow or
// shrink from day to day.
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

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Periods a robust seasonal naive value is checked against (medianOfThree below relies on 3). */
const GUARD_PERIODS = 3;
/** How far (in median absolute period-over-period changes) a value may stray from its slot's median. */
const GUARD_TOLERANCE = 3;

/**
 * Seasonal naive that does not copy a dip (flat, as seasonalNaiveForecasts): the value one period
 * before is used unless it lies more than GUARD_TOLERANCE × the series' median absolute
 * period-over-period change BELOW the median of the same slot over the last GUARD_PERIODS periods
 * with data; then that median is used. A holiday or an outage last week stays last week's. Only
 * dips are replaced: copying a dip would under-provision the tier, copying a spike only
 * over-provisions it, and a 28-day history that spans two holiday weeks must not turn normal
 * weeks into outliers.
 */
export function robustSeasonalNaiveForecasts(values: Float64Array, origins: readonly number[], horizon: number, period: number): Float64Array {
  const out = seasonalNaiveForecasts(values, origins, horizon, period);
  const end = origins.length > 0 ? origins[origins.length - 1]! : 0;
  const changes: number[] = [];
  for (let t = period; t < end; t++) {
    const change = Math.abs(values[t]! - values[t - period]!);
    if (!Number.isNaN(change)) changes.push(change);
  }
  if (changes.length === 0) return out;
  const tolerance = GUARD_TOLERANCE * median(changes);
  origins.forEach((origin, k) => {
    for (let h = 0; h < horizon; h++) {
      const naive = out[k * horizon + h]!;
      let found = 0;
      const last = [0, 0, 0];
      for (let source = origin + h - period * Math.ceil((h + 1) / period); source >= 0 && found < GUARD_PERIODS; source -= period) {
        if (!Number.isNaN(values[source]!)) last[found++] = values[source]!;
      }
      if (found < GUARD_PERIODS) continue;
      const typical = medianOfThree(last[0]!, last[1]!, last[2]!);
      if (typical - naive > tolerance) out[k * horizon + h] = typical;
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
