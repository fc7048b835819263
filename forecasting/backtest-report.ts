// The figures a backtest protocol produces, in the shape `--json OUT` writes:
// {protocol, series, horizon, chosen, baseline, models: [{name, mase, smape, wape, underForecastShare, bandCoverage}]}.
import { COMBINATION_MODEL } from './forecast.ts';
import { MODEL_NAMES, type ModelName } from './models.ts';

/** A candidate model alone, or the combination of all of them (what the scaler uses). */
export type ReportedModel = ModelName | typeof COMBINATION_MODEL;
/** Every model a report scores, candidates first, the combination last. */
export const REPORTED_MODELS: readonly ReportedModel[] = [...MODEL_NAMES, COMBINATION_MODEL];

export interface ModelFigures {
  readonly name: ReportedModel;
  /** M4: mean of per-series MASE. Trace: MASE of all scored steps. */
  readonly mase: number;
  /** Percent; M4: mean of per-series sMAPE. */
  readonly smape: number;
  /** Σ|actual − point| / Σ|actual| over every scored step (a fraction). */
  readonly wape: number;
  /** Share of scored steps where the point forecast was below the actual. */
  readonly underForecastShare: number;
  /** Share of scored steps where the actual was at or below the upper band. */
  readonly bandCoverage: number;
}

export interface BacktestReport {
  readonly protocol: 'm4-hourly' | 'trace-day-ahead';
  /** The data file or directory scored. */
  readonly source: string;
  /** Number of series scored. */
  readonly series: number;
  /** Forecast horizon in steps. */
  readonly horizon: number;
  readonly stepSeconds: number;
  readonly quantile: number;
  /** The model the scaler would use. */
  readonly chosen: ReportedModel;
  /** The benchmark to beat: seasonal naive (daily for M4, weekly for traces). */
  readonly baseline: ReportedModel;
  readonly models: readonly ModelFigures[];
}
