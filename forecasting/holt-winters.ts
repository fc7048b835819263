// Additive Holt-Winters with a daily and a weekly season (Taylor 2003, "Short-term electricity
// demand forecasting using double seasonal exponential smoothing") and Taylor's AR(1) adjustment
// of the last one-step error, made robust for load series with gaps, holidays and step changes:
// - a missing step leaves the state untouched (no error, no update);
// - every component learns only from errors clipped at a multiple of a slowly moving robust scale,
//   so a holiday, an outage or a spike cannot rewrite the daily and weekly profiles;
// - a run of errors clipped in the same direction is a step change: the level re-anchors on the
//   median of those errors at once (Gelper et al. 2010 clip; the re-anchoring is ours);
// - initial profiles are medians over every period in the fitting window, not the first period's values.
// Parameters are fitted on the history itself by minimising the mean absolute error of forecasts
// over the same horizon they will be used for (multi-step, from origins every half horizon).
import { median } from 'simple-statistics';
import { nelderMead } from './nelder-mead.ts';

/** Smoothing parameters, each in [0, 1). */
export interface HoltWintersParams {
  readonly alpha: number;
  readonly gammaDaily: number;
  readonly gammaWeekly: number;
  /** Weight of the last one-step error carried into the forecast, decaying as arPhi^h. */
  readonly arPhi: number;
}

export interface HoltWintersShape {
  readonly dailySteps: number;
  /** Undefined fits a single (daily) season. */
  readonly weeklySteps: number | undefined;
}

interface Start {
  readonly level: number;
  readonly daily: Float64Array;
  readonly weekly: Float64Array;
  readonly scale: number;
}

/** Errors beyond CLIP × the running mean absolute error are clipped before they update the state. */
const CLIP = 3;
/** Weight of each new (clipped) error in the running mean absolute error: it widens slowly, over days. */
const SCALE_WEIGHT = 0.01;
/**
 * Errors clipped in the same direction for this share of a day (at least 3 steps) are a step change,
 * not an outlier: the level moves by their median at once (re-anchoring), the profiles stay.
 */
const SHIFT_DAY_SHARE = 1 / 16;
const MIN_SHIFT_STEPS = 3;

function medianOrZero(values: number[]): number {
  return values.length > 0 ? median(values) : 0;
}

/**
 * Start values from values[0, end): each block (week, or day without a weekly season) is centred on
 * its own mean, the daily profile is the median per slot of day, the weekly profile the median per
 * slot of week of what the daily profile leaves; the level is the first block's mean.
 */
function startValues(values: Float64Array, shape: HoltWintersShape, end: number): Start {
  const { dailySteps, weeklySteps } = shape;
  const block = weeklySteps ?? dailySteps;
  const blocks = Math.max(1, Math.floor(end / block));
  const blockMeans = new Float64Array(blocks).fill(Number.NaN);
  for (let b = 0; b < blocks; b++) {
    let sum = 0;
    let count = 0;
    for (let t = b * block; t < Math.min((b + 1) * block, end); t++) {
      if (!Number.isNaN(values[t]!)) {
        sum += values[t]!;
        count++;
      }
    }
    if (count > 0) blockMeans[b] = sum / count;
  }
  const known = Array.from(blockMeans).filter((value) => !Number.isNaN(value));
  const overall = medianOrZero(known);
  const centred = (t: number): number => {
    const mean = blockMeans[Math.floor(t / block)]!;
    return values[t]! - (Number.isNaN(mean) ? overall : mean);
  };
  const usable = Math.min(end, blocks * block);
  const bySlot: number[][] = Array.from({ length: dailySteps }, () => []);
  for (let t = 0; t < usable; t++) if (!Number.isNaN(values[t]!)) bySlot[t % dailySteps]!.push(centred(t));
  const daily = Float64Array.from(bySlot, medianOrZero);
  const dailyMean = daily.reduce((a, b) => a + b, 0) / dailySteps;
  for (let j = 0; j < dailySteps; j++) daily[j]! -= dailyMean;
  const weekly = new Float64Array(weeklySteps ?? 0);
  if (weeklySteps !== undefined) {
    const byWeekSlot: number[][] = Array.from({ length: weeklySteps }, () => []);
    for (let t = 0; t < usable; t++) if (!Number.isNaN(values[t]!)) byWeekSlot[t % weeklySteps]!.push(centred(t) - daily[t % dailySteps]!);
    for (let k = 0; k < weeklySteps; k++) weekly[k] = medianOrZero(byWeekSlot[k]!);
  }
  const deviations: number[] = [];
  for (let t = 0; t < usable; t++) {
    if (Number.isNaN(values[t]!)) continue;
    deviations.push(Math.abs(centred(t) - daily[t % dailySteps]! - (weeklySteps ? weekly[t % weeklySteps]! : 0)));
  }
  const firstKnown = Array.from(blockMeans).find((value) => !Number.isNaN(value)) ?? overall;
  const floor = 1e-9 * (Math.abs(overall) + 1);
  return { level: firstKnown, daily, weekly, scale: Math.max(medianOrZero(deviations), floor) };
}

/**
 * Runs the filter over values[0, end). Every `scoreStride` steps it forecasts `scoreHorizon` ahead
 * and adds up the absolute errors (the fitting objective, returned); at each of `origins` it writes
 * the forecast of `horizon` steps, made from the values before that origin, into
 * `out[k·horizon …]` for the k-th origin. `state` is scratch space for the seasonal components
 * (sized dailySteps and weeklySteps or 1), reset from `start` on every pass.
 */
function pass(
  values: Float64Array,
  shape: HoltWintersShape,
  params: HoltWintersParams,
  start: Start,
  end: number,
  score: { readonly horizon: number; readonly stride: number } | undefined,
  origins: readonly number[],
  horizon: number,
  out: Float64Array | undefined,
  state: { readonly daily: Float64Array; readonly weekly: Float64Array },
): number {
  const { dailySteps } = shape;
  const weeklySteps = shape.weeklySteps ?? 1;
  const hasWeekly = shape.weeklySteps !== undefined;
  const { daily, weekly } = state;
  daily.set(start.daily);
  if (hasWeekly) weekly.set(start.weekly);
  else weekly[0] = 0;
  const { alpha, gammaDaily, gammaWeekly, arPhi } = params;
  let level = start.level;
  let scale = start.scale;
  let lastError = 0;
  let absoluteError = 0;
  let originIndex = 0;
  const shiftSteps = Math.max(MIN_SHIFT_STEPS, Math.round(dailySteps * SHIFT_DAY_SHARE));
  const runErrors = new Float64Array(shiftSteps);
  let runLength = 0;
  let runDirection = 0;
  let dailySlot = 0;
  let weeklySlot = 0;
  let untilScore = 0;
  for (let t = 0; t <= end; t++) {
    if (score && untilScore-- === 0) {
      untilScore = score.stride - 1;
      if (t + score.horizon <= end) {
        let ar = 1;
        let d = dailySlot;
        let w = weeklySlot;
        for (let h = 0; h < score.horizon; h++) {
          ar *= arPhi;
          const actual = values[t + h]!;
          if (!Number.isNaN(actual)) absoluteError += Math.abs(actual - (level + daily[d]! + weekly[w]! + ar * lastError));
          if (++d === dailySteps) d = 0;
          if (++w === weeklySteps) w = 0;
        }
      }
    }
    while (originIndex < origins.length && origins[originIndex] === t) {
      let ar = 1;
      let d = dailySlot;
      let w = weeklySlot;
      const offset = originIndex * horizon;
      for (let h = 0; h < horizon; h++) {
        ar *= arPhi;
        out![offset + h] = level + daily[d]! + weekly[w]! + ar * lastError;
        if (++d === dailySteps) d = 0;
        if (++w === weeklySteps) w = 0;
      }
      originIndex++;
    }
    if (t === end) break;
    const value = values[t]!;
    const slotDaily = dailySlot;
    const slotWeekly = weeklySlot;
    if (++dailySlot === dailySteps) dailySlot = 0;
    if (++weeklySlot === weeklySteps) weeklySlot = 0;
    if (Number.isNaN(value)) {
      lastError *= arPhi;
      continue;
    }
    const error = value - (level + daily[slotDaily]! + weekly[slotWeekly]! + arPhi * lastError);
    const limit = CLIP * scale;
    const clipped = Math.min(limit, Math.max(-limit, error));
    scale += SCALE_WEIGHT * (Math.abs(clipped) - scale);
    level += alpha * clipped;
    const direction = error > limit ? 1 : error < -limit ? -1 : 0;
    if (direction !== 0 && direction === runDirection) {
      runErrors[runLength++] = error;
    } else {
      runDirection = direction;
      runLength = 0;
      if (direction !== 0) runErrors[runLength++] = error;
    }
    if (runLength >= shiftSteps) {
      level += median(Array.from(runErrors));
      runLength = 0;
      runDirection = 0;
      lastError = 0;
      continue;
    }
    daily[slotDaily]! += gammaDaily * clipped;
    if (hasWeekly) weekly[slotWeekly]! += gammaWeekly * clipped;
    lastError = clipped;
  }
  return absoluteError;
}

function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** Maps the optimiser's unbounded point into parameter ranges (seasonal gains below half of 1 − alpha). */
function decode(point: readonly number[], shape: HoltWintersShape): HoltWintersParams {
  const alpha = 0.001 + 0.998 * logistic(point[0]!);
  const gammaDaily = 0.5 * (1 - alpha) * logistic(point[1]!);
  const arPhi = 0.98 * logistic(point[2]!);
  const gammaWeekly = shape.weeklySteps !== undefined ? 0.5 * (1 - alpha) * logistic(point[3]!) : 0;
  return { alpha, gammaDaily, gammaWeekly, arPhi };
}

function startPoint(shape: HoltWintersShape): number[] {
  const point = [logit(0.1 / 0.998), logit(0.1), logit(0.5 / 0.98)];
  if (shape.weeklySteps !== undefined) point.push(logit(0.1));
  return point;
}

export interface HoltWintersFit {
  readonly params: HoltWintersParams;
  /** Forecasts at the requested origins, flat: origin k's step h is at [k·horizon + h]. */
  readonly forecasts: Float64Array;
}

/**
 * Fits the parameters on values[0, fitEnd) (start values from the same window), then runs the filter
 * over the whole series and returns the forecast made at each origin (ascending, each ≤
 * values.length); an origin's forecast uses only the values before it.
 */
export function fitHoltWinters(
  values: Float64Array,
  shape: HoltWintersShape,
  fitEnd: number,
  origins: readonly number[],
  horizon: number,
): HoltWintersFit {
  const start = startValues(values, shape, fitEnd);
  const score = { horizon, stride: Math.max(1, Math.ceil(horizon / 2)) };
  const state = { daily: new Float64Array(shape.dailySteps), weekly: new Float64Array(shape.weeklySteps ?? 1) };
  const objective = (point: readonly number[]) => pass(values, shape, decode(point, shape), start, fitEnd, score, [], horizon, undefined, state);
  const best = nelderMead(objective, startPoint(shape), { stepSize: 1.5, maxEvaluations: 120, tolerance: 1e-4 });
  const params = decode(best.point, shape);
  const forecasts = new Float64Array(origins.length * horizon);
  pass(values, shape, params, start, values.length, undefined, origins, horizon, forecasts, state);
  return { params, forecasts };
}
