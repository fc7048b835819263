// The candidate models under one calling convention, so the backtest and the combination treat
// them alike: run once over a history, return the forecast made at each requested origin.
import { fitHoltWinters } from './holt-winters.ts';
import { robustSeasonalNaiveForecasts, seasonalDriftForecasts, seasonalNaiveForecasts } from './seasonal-naive.ts';
import { countObserved, type SeasonPeriods } from './series.ts';

export const MODEL_NAMES = [
  'seasonal-naive-daily',
  'seasonal-naive-weekly',
  'robust-naive-daily',
  'robust-naive-weekly',
  'holt-winters',
  'seasonal-drift',
] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * The models the combination weighs by default: the plain seasonal naive forecasts are the
 * benchmarks to beat, their robust variants are the members (they do not copy a holiday).
 */
export const COMBINATION_MEMBERS: readonly ModelName[] = ['robust-naive-daily', 'robust-naive-weekly', 'holt-winters', 'seasonal-drift'];

/** Whole days of period-over-period changes the drift model takes its median over. */
const DRIFT_DAYS = 7;

export interface ModelRun {
  readonly values: Float64Array;
  readonly periods: SeasonPeriods;
  /** Parameters are fitted on values[0, fitEnd) only. */
  readonly fitEnd: number;
  /** Ascending, each ≤ values.length; the forecast at an origin uses only values before it. */
  readonly origins: readonly number[];
  readonly horizon: number;
}

/** Steps with data before the first origin a model needs; below it the model is not run. */
export function minimumHistorySteps(name: ModelName, periods: SeasonPeriods): number {
  switch (name) {
    case 'seasonal-naive-daily':
      return periods.dailySteps;
    case 'seasonal-naive-weekly':
      return periods.weeklySteps;
    case 'holt-winters':
      return 2 * periods.dailySteps;
    case 'seasonal-drift':
      return 2 * periods.dailySteps;
    case 'robust-naive-daily':
      return periods.dailySteps;
    case 'robust-naive-weekly':
      return periods.weeklySteps;
  }
}

/**
 * Forecasts of `horizon` steps at each origin, flat (origin k's step h at [k·horizon + h]), or
 * undefined when values[0, fitEnd) has fewer steps with data than the model's minimum.
 * Holt-Winters fits a weekly season only when fitEnd spans two weeks.
 */
export function runModel(name: ModelName, run: ModelRun): Float64Array | undefined {
  if (countObserved(run.values.subarray(0, run.fitEnd)) < minimumHistorySteps(name, run.periods)) return undefined;
  const { dailySteps, weeklySteps } = run.periods;
  switch (name) {
    case 'seasonal-naive-daily':
      return seasonalNaiveForecasts(run.values, run.origins, run.horizon, dailySteps);
    case 'seasonal-naive-weekly':
      return seasonalNaiveForecasts(run.values, run.origins, run.horizon, weeklySteps);
    case 'holt-winters': {
      const shape = { dailySteps, weeklySteps: run.fitEnd >= 2 * weeklySteps ? weeklySteps : undefined };
      return fitHoltWinters(run.values, shape, run.fitEnd, run.origins, run.horizon).forecasts;
    }
    case 'seasonal-drift':
      return seasonalDriftForecasts(run.values, run.origins, run.horizon, dailySteps, DRIFT_DAYS);
    case 'robust-naive-daily':
      return robustSeasonalNaiveForecasts(run.values, run.origins, run.horizon, dailySteps);
    case 'robust-naive-weekly':
      return robustSeasonalNaiveForecasts(run.values, run.origins, run.horizon, weeklySteps);
  }
}
