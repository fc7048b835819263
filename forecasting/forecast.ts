// The one entry point the scaler and the backtest CLI call: fit every candidate model on a history,
// score them by rolling-origin backtest on that same history, combine them with weights from their
// backtest errors, and return the point forecast with an upper quantile band from the combination's
// own backtest residuals.
import { COMBINATION_MEMBERS, type ModelName, minimumHistorySteps, runModel } from './models.ts';
import { residualQuantiles, slotOf } from './quantile-band.ts';
import { countObserved, type SeasonPeriods, seasonPeriodsForStep, toValues } from './series.ts';

/** A regular history: values[i] is the step starting at startMs + i·stepSeconds; NaN/undefined/null = no data. */
export interface ForecastHistory {
  readonly values: ArrayLike<number | undefined | null>;
  readonly stepSeconds: number;
  /** Time of values[0], ms since epoch; when given, forecast points carry timestamps. */
  readonly startMs?: number;
}

export interface ForecastOptions {
  /** Steps to forecast after the last history step. */
  readonly horizonSteps: number;
  /** Upper band quantile; default 0.9. */
  readonly quantile?: number;
  /** Candidate models; default COMBINATION_MEMBERS. */
  readonly models?: readonly ModelName[];
  /** Season lengths in steps; default a day and a week of stepSeconds (override for index-only data such as M4). */
  readonly periods?: SeasonPeriods;
  /** Length of the backtest window at the end of the history, in steps; default 7 days, at most a third of the history. */
  readonly backtestSteps?: number;
  /** Steps between backtest origins; default max(1, horizon / 2) capped at a quarter day. */
  readonly originStrideSteps?: number;
  /** Slots per day for the band's residual quantiles; default 24 (hour of day). */
  readonly bandSlotsPerDay?: number;
  /**
   * The forecast turns itself off (`unavailable`, saying so) where its backtest error is not below this
   * model's on the same origins: a forecast that loses to copying last week adds nothing the reactive
   * proposals do not. Default: MUST_BEAT_MODEL for the default combination, none when `models` names
   * the models (the caller asked for those); null never turns off (the backtest CLI scores every model itself).
   */
  readonly mustBeat?: ModelName | null;
}

export interface ForecastPoint {
  /** Index in the history's step numbering: the first forecast step is values.length. */
  readonly stepIndex: number;
  /** Present when the history had startMs. */
  readonly timestampMs: number | undefined;
  readonly point: number;
  /** Point plus the band quantile of backtest residuals for the step's slot of day; ≥ point. */
  readonly upper: number;
}

export interface ModelScore {
  readonly model: ModelName;
  /** Mean absolute error over the backtest origins and steps. */
  readonly backtestMae: number;
  /** Weight in the combination (0 when the model was not run or was dropped). */
  readonly weight: number;
}

export type ForecastResult =
  | {
      readonly kind: 'ok';
      /** "combination" or, when one model carries all the weight, that model's name. */
      readonly model: string;
      readonly quantile: number;
      readonly points: readonly ForecastPoint[];
      readonly scores: readonly ModelScore[];
      /** Backtest origins the weights and band rest on. */
      readonly backtestOrigins: number;
      /**
       * The band's calibrated level over the level its own residuals give it: above 1 when the forecasts the
       * band had not seen erred more (a wider band), below 1 when less; 1 when the backtest was too short to calibrate.
       */
      readonly bandCalibration: number;
    }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** The benchmark a forecast must beat to be used: weekly seasonal naive, copying the same hour of last week. */
export const MUST_BEAT_MODEL: ModelName = 'seasonal-naive-weekly';

/** The model name a forecast carries when more than one model has weight. */
export const COMBINATION_MODEL = 'combination';
/** Days at the end of the history the backtest covers by default. */
const BACKTEST_DAYS = 7;
const WEIGHT_POWER = 4;
/** Residuals a slot's error scale must rest on before neighbouring slots are pooled in. */
const MINIMUM_RESIDUALS_PER_SLOT = 30;

/** Three significant figures, for reasons. */
function formatError(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

function backtestOrigins(length: number, horizon: number, windowSteps: number, strideSteps: number, minimumFirst: number): number[] {
  const origins: number[] = [];
  for (let origin = length - horizon; origin >= length - windowSteps && origin >= minimumFirst; origin -= strideSteps) origins.push(origin);
  return origins.reverse();
}

/** Mean absolute error of flat forecasts (origin k's step h at [k·horizon + h]) against the history. */
function meanAbsoluteError(values: Float64Array, origins: readonly number[], horizon: number, forecasts: Float64Array): number {
  let sum = 0;
  let count = 0;
  origins.forEach((origin, k) => {
    for (let h = 0; h < horizon && origin + h < values.length; h++) {
      const error = values[origin + h]! - forecasts[k * horizon + h]!;
      if (Number.isNaN(error)) continue;
      sum += Math.abs(error);
      count++;
    }
  });
  return count > 0 ? sum / count : Number.NaN;
}

/** Forecasts `horizonSteps` after the history; see ForecastOptions for the defaults. Pure. */
export function forecast(history: ForecastHistory, options: ForecastOptions): ForecastResult {
  const horizon = options.horizonSteps;
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`horizonSteps must be an integer ≥ 1, got ${horizon}`);
  const quantile = options.quantile ?? 0.9;
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`quantile must be in (0, 1), got ${quantile}`);
  const periods = options.periods ?? seasonPeriodsForStep(history.stepSeconds);
  const values = toValues(history.values);
  const length = values.length;
  const names = options.models ?? COMBINATION_MEMBERS;
  if (names.length === 0) throw new RangeError('models must name at least one model');

  const windowSteps = options.backtestSteps ?? Math.min(BACKTEST_DAYS * periods.dailySteps, Math.floor(length / 3));
  const stride = options.originStrideSteps ?? Math.max(1, Math.min(Math.floor(horizon / 2), Math.floor(periods.dailySteps / 4)));
  const shortest = Math.min(...names.map((name) => minimumHistorySteps(name, periods)));
  const origins = backtestOrigins(length, horizon, windowSteps, stride, shortest);
  if (origins.length === 0) {
    return {
      kind: 'unavailable',
      reason: `history of ${length} steps is too short: needs at least ${shortest + horizon} steps (${shortest} to fit, ${horizon} to backtest one horizon)`,
    };
  }
  let lastObserved = length - 1;
  while (lastObserved >= 0 && Number.isNaN(values[lastObserved]!)) lastObserved--;
  if (lastObserved < length - periods.dailySteps) {
    return { kind: 'unavailable', reason: `no data in the last day of the history (last value ${length - 1 - lastObserved} steps before its end)` };
  }
  const observedBeforeBacktest = countObserved(values.subarray(0, origins[0]!));
  if (observedBeforeBacktest < shortest) {
    return {
      kind: 'unavailable',
      reason: `only ${observedBeforeBacktest} of the ${origins[0]} steps before the backtest window have data; the models need at least ${shortest} (${length} steps of history in all)`,
    };
  }
  const runOrigins = [...origins, length];
  const runs = names.map((name) => {
    const forecasts = runModel(name, { values, periods, fitEnd: origins[0]!, origins: runOrigins, horizon });
    return { name, forecasts, mae: forecasts ? meanAbsoluteError(values, origins, horizon, forecasts) : Number.NaN };
  });
  const usable = runs.filter((run) => run.forecasts !== undefined && Number.isFinite(run.mae));
  if (usable.length === 0) return { kind: 'unavailable', reason: 'no model could be backtested on this history (too many gaps)' };
  const weights = combinationWeights(usable.map((run) => run.mae));

  // Load is never negative; an additive model's night-time forecast after a drop can be.
  let nonNegative = true;
  for (let i = 0; i < length; i++) if (values[i]! < 0) nonNegative = false;
  const combined = new Float64Array(runOrigins.length * horizon);
  for (let i = 0; i < combined.length; i++) {
    let sum = 0;
    let weightSum = 0;
    for (let m = 0; m < usable.length; m++) {
      const value = usable[m]!.forecasts![i]!;
      if (Number.isNaN(value)) continue;
      sum += weights[m]! * value;
      weightSum += weights[m]!;
    }
    const value = weightSum > 0 ? sum / weightSum : Number.NaN;
    combined[i] = nonNegative && value < 0 ? 0 : value;
  }

  const stepIndices = new Float64Array(origins.length * horizon);
  const residuals = new Float64Array(origins.length * horizon);
  origins.forEach((origin, k) => {
    for (let h = 0; h < horizon; h++) {
      stepIndices[k * horizon + h] = origin + h;
      residuals[k * horizon + h] = origin + h < length ? values[origin + h]! - combined[k * horizon + h]! : Number.NaN;
    }
  });
  const mustBeat = options.mustBeat === undefined ? (options.models === undefined ? MUST_BEAT_MODEL : null) : options.mustBeat;
  if (mustBeat !== null) {
    let sum = 0;
    let count = 0;
    for (const residual of residuals) {
      if (Number.isNaN(residual)) continue;
      sum += Math.abs(residual);
      count++;
    }
    const combinedMae = count > 0 ? sum / count : Number.NaN;
    const benchmark = runs.find((run) => run.name === mustBeat) ?? {
      mae: (() => {
        const forecasts = runModel(mustBeat, { values, periods, fitEnd: origins[0]!, origins, horizon });
        return forecasts ? meanAbsoluteError(values, origins, horizon, forecasts) : Number.NaN;
      })(),
    };
    // Only a benchmark that could be backtested judges: with less than its season of history it has no error to beat.
    if (Number.isFinite(benchmark.mae) && Number.isFinite(combinedMae) && combinedMae >= benchmark.mae) {
      return {
        kind: 'unavailable',
        reason: `forecast off: its backtest error (MAE ${formatError(combinedMae)}) does not beat ${mustBeat} (MAE ${formatError(benchmark.mae)}) over the last ${origins.length} origins`,
      };
    }
  }
  const band = residualQuantiles(
    { origins, horizon, stepIndices, residuals },
    { quantile, dailySteps: periods.dailySteps, slotsPerDay: options.bandSlotsPerDay ?? 24, minimumPerSlot: MINIMUM_RESIDUALS_PER_SLOT },
  );
  const final = combined.subarray(origins.length * horizon);
  const blank = final.findIndex((value) => Number.isNaN(value));
  if (blank >= 0) return { kind: 'unavailable', reason: `no model can forecast step ${blank + 1} of the horizon: its slot has no data in the history` };
  const stepMs = history.stepSeconds * 1000;
  const points: ForecastPoint[] = Array.from(final, (point, h) => {
    const stepIndex = length + h;
    return {
      stepIndex,
      timestampMs: history.startMs === undefined ? undefined : history.startMs + stepIndex * stepMs,
      point,
      upper: point + (band ? band.bySlot[slotOf(stepIndex, band)]! : 0),
    };
  });
  const scores: ModelScore[] = runs.map((run) => {
    const index = usable.indexOf(run);
    return { model: run.name, backtestMae: run.mae, weight: index >= 0 ? weights[index]! : 0 };
  });
  const weighted = scores.filter((score) => score.weight > 0);
  return {
    kind: 'ok',
    model: weighted.length === 1 ? weighted[0]!.model : COMBINATION_MODEL,
    quantile,
    points,
    scores,
    backtestOrigins: origins.length,
    bandCalibration: band?.calibration ?? 1,
  };
}

/**
 * Combination weights ∝ backtest MAE^−WEIGHT_POWER, normalised: a model with twice the error of
 * another gets 1/16 of its weight, so a clearly worse model barely counts while close ones share.
 */
export function combinationWeights(errors: readonly number[]): number[] {
  const best = Math.min(...errors);
  if (best <= 0) return errors.map((error) => (error === best ? 1 : 0));
  const raw = errors.map((error) => (best / error) ** WEIGHT_POWER);
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((weight) => weight / total);
}
