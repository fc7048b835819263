// The M4 competition's hourly protocol (Makridakis, Spiliotis & Assimakopoulos 2020; data and
// scoring from github.com/Mcompetitions/M4-methods): 414 series, forecast the 48 hours after each
// training series, MASE scaled by the in-sample seasonal naive error with seasonality 24, sMAPE in
// percent, both averaged over series.
import { mean } from 'simple-statistics';
import { BacktestInputError } from './input-error.ts';
import { type BacktestReport, type ModelFigures, REPORTED_MODELS, type ReportedModel } from './backtest-report.ts';
import { COMBINATION_MODEL, forecast } from './forecast.ts';
import { mase, seasonalNaiveScale, smape } from './metrics.ts';

export const M4_HOURLY_HORIZON = 48;
export const M4_HOURLY_SEASONALITY = 24;

/** Parses an M4 CSV (header row, then `"id","v1","v2",…` with empty cells after a series ends). */
export function parseM4Csv(text: string, fileName: string): Map<string, number[]> {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 2) throw new BacktestInputError(`${fileName}: expected a header row and at least one series, got ${lines.length} line(s)`);
  const series = new Map<string, number[]>();
  for (let row = 1; row < lines.length; row++) {
    const cells = lines[row]!.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    const id = cells[0]!;
    if (id === '') throw new BacktestInputError(`${fileName}:${row + 1}: first column must be the series id, got an empty cell`);
    const values: number[] = [];
    for (let column = 1; column < cells.length; column++) {
      const cell = cells[column]!;
      if (cell === '') continue;
      const value = Number(cell);
      if (!Number.isFinite(value)) throw new BacktestInputError(`${fileName}:${row + 1}: column ${column + 1} of ${id} is not a number: "${cell}"`);
      values.push(value);
    }
    if (values.length === 0) throw new BacktestInputError(`${fileName}:${row + 1}: series ${id} has no values`);
    series.set(id, values);
  }
  return series;
}

export interface M4Options {
  readonly quantile: number;
  /** Called after each series, for progress output. */
  readonly onSeries?: (done: number, total: number) => void;
}

interface Accumulator {
  mase: number[];
  smape: number[];
  absoluteErrors: number;
  absoluteActuals: number;
  under: number;
  covered: number;
  points: number;
}

/** Scores every reported model (and daily seasonal naive, the M4 benchmark) on the M4 hourly protocol. */
export function runM4Backtest(train: Map<string, number[]>, test: Map<string, number[]>, source: string, options: M4Options): BacktestReport {
  for (const id of train.keys()) {
    const actual = test.get(id);
    if (!actual) throw new BacktestInputError(`series ${id} is in the training file but not in the test file`);
    if (actual.length !== M4_HOURLY_HORIZON) {
      throw new BacktestInputError(`series ${id} has ${actual.length} test values; the hourly protocol needs ${M4_HOURLY_HORIZON}`);
    }
  }
  const totals = new Map<ReportedModel, Accumulator>(
    REPORTED_MODELS.map((name) => [name, { mase: [], smape: [], absoluteErrors: 0, absoluteActuals: 0, under: 0, covered: 0, points: 0 }]),
  );
  let done = 0;
  for (const [id, history] of train) {
    const actual = Float64Array.from(test.get(id)!);
    const scale = seasonalNaiveScale(Float64Array.from(history), M4_HOURLY_SEASONALITY);
    for (const name of REPORTED_MODELS) {
      const result = forecast(
        { values: history, stepSeconds: 3600 },
        { horizonSteps: M4_HOURLY_HORIZON, quantile: options.quantile, models: name === COMBINATION_MODEL ? undefined : [name], mustBeat: null },
      );
      if (result.kind !== 'ok') throw new BacktestInputError(`series ${id}: ${name} could not forecast: ${result.reason}`);
      const point = Float64Array.from(result.points, (p) => p.point);
      const total = totals.get(name)!;
      total.mase.push(mase(actual, point, scale));
      total.smape.push(smape(actual, point));
      result.points.forEach((p, h) => {
        const a = actual[h]!;
        total.absoluteErrors += Math.abs(a - p.point);
        total.absoluteActuals += Math.abs(a);
        if (p.point < a) total.under++;
        if (a <= p.upper) total.covered++;
        total.points++;
      });
    }
    options.onSeries?.(++done, train.size);
  }
  const models: ModelFigures[] = REPORTED_MODELS.map((name) => {
    const total = totals.get(name)!;
    return {
      name,
      mase: mean(total.mase),
      smape: mean(total.smape),
      wape: total.absoluteErrors / total.absoluteActuals,
      underForecastShare: total.under / total.points,
      bandCoverage: total.covered / total.points,
    };
  });
  return {
    protocol: 'm4-hourly',
    source,
    series: train.size,
    horizon: M4_HOURLY_HORIZON,
    stepSeconds: 3600,
    quantile: options.quantile,
    chosen: COMBINATION_MODEL,
    baseline: 'seasonal-naive-daily',
    models,
  };
}
