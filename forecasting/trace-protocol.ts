// Day-ahead rolling backtest on a load trace (CSV `timestamp,value`): once per test day, forecast
// the next horizon from the history before that moment, as the scaler's scheduled refit would, and
// score every model against weekly seasonal naive.
import { median } from 'simple-statistics';
import { type BacktestReport, type ModelFigures, REPORTED_MODELS, type ReportedModel } from './backtest-report.ts';
import { COMBINATION_MODEL, forecast } from './forecast.ts';
import { BacktestInputError } from './input-error.ts';
import { bandCoverage, mase, seasonalNaiveScale, smape, underForecastShare, wape } from './metrics.ts';
import { type RegularSeries, resampleMean, seasonPeriodsForStep, type TimedSample } from './series.ts';

// ISO 8601 date-time with an explicit zone: without one, the time would depend on the host's zone.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses `timestamp,value` lines; an empty value is a step without data (kept as NaN). */
export function parseTraceCsv(text: string, fileName: string): TimedSample[] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim().toLowerCase() !== 'timestamp,value') {
    throw new BacktestInputError(`${fileName}:1: expected the header "timestamp,value", got "${lines[0] ?? ''}"`);
  }
  const samples: TimedSample[] = [];
  for (let row = 1; row < lines.length; row++) {
    const line = lines[row]!.trim();
    if (line === '') continue;
    const [timestamp = '', valueText = '', ...rest] = line.split(',').map((cell) => cell.trim());
    if (rest.length > 0) throw new BacktestInputError(`${fileName}:${row + 1}: expected 2 columns, got ${rest.length + 2}`);
    if (!ISO_WITH_ZONE.test(timestamp)) {
      throw new BacktestInputError(`${fileName}:${row + 1}: timestamp must be ISO 8601 with a zone (e.g. 2015-03-26T14:00:00Z), got "${timestamp}"`);
    }
    const timestampMs = Date.parse(timestamp);
    const value = valueText === '' ? Number.NaN : Number(valueText);
    if (valueText !== '' && !Number.isFinite(value)) throw new BacktestInputError(`${fileName}:${row + 1}: value must be a number or empty, got "${valueText}"`);
    const previous = samples[samples.length - 1];
    if (previous && timestampMs <= previous.timestampMs) {
      throw new BacktestInputError(`${fileName}:${row + 1}: timestamps must increase; ${timestamp} is not after the previous row`);
    }
    samples.push({ timestampMs, value });
  }
  if (samples.filter((sample) => !Number.isNaN(sample.value)).length < 2) {
    throw new BacktestInputError(`${fileName}: needs at least 2 rows with values`);
  }
  return samples;
}

/** The trace's own step: the median gap between consecutive rows, in seconds. */
export function nativeStepSeconds(samples: readonly TimedSample[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < samples.length; i++) gaps.push((samples[i]!.timestampMs - samples[i - 1]!.timestampMs) / 1000);
  return median(gaps);
}

/** Traces finer than this are averaged onto it: 5-minute steps keep a day at 288 points. */
export const FINEST_STEP_SECONDS = 300;

/** The step a trace is scored at when none is asked for: its own step, or 5 minutes if finer. */
export function defaultStepSeconds(samples: readonly TimedSample[]): number {
  return Math.max(nativeStepSeconds(samples), FINEST_STEP_SECONDS);
}

/** Puts the trace on a regular grid of `stepSeconds` aligned to the epoch (step means; NaN where no data). */
export function regularTrace(samples: readonly TimedSample[], stepSeconds: number): RegularSeries {
  const stepMs = stepSeconds * 1000;
  const startMs = Math.floor(samples[0]!.timestampMs / stepMs) * stepMs;
  const endMs = (Math.floor(samples[samples.length - 1]!.timestampMs / stepMs) + 1) * stepMs;
  return resampleMean(samples, startMs, endMs, stepSeconds);
}

export interface DayAheadOptions {
  readonly horizonSteps: number;
  readonly testDays: number;
  /** History each refit sees, in steps (the scaler's forecastHistory). */
  readonly historySteps: number;
  readonly quantile: number;
}

/**
 * Scores every model on `testDays` day-ahead forecasts ending at the trace's last value: origin k is
 * k days before the end, each forecasting `horizonSteps` from the `historySteps` before it. MASE is
 * scaled by the daily seasonal naive error over everything before the first origin.
 */
export function runDayAheadBacktest(series: RegularSeries, source: string, options: DayAheadOptions): BacktestReport {
  const { dailySteps } = seasonPeriodsForStep(series.stepSeconds);
  const values = series.values;
  let end = values.length;
  while (end > 0 && Number.isNaN(values[end - 1]!)) end--;
  const firstOrigin = end - options.testDays * dailySteps;
  if (firstOrigin < dailySteps) {
    throw new BacktestInputError(
      `${source}: ${options.testDays} test days need more than ${options.testDays + 1} days of data before the last value; the trace has ${(end / dailySteps).toFixed(1)}`,
    );
  }
  const scale = seasonalNaiveScale(values.subarray(0, firstOrigin), dailySteps);
  const collected = new Map<ReportedModel, { actual: number[]; point: number[]; upper: number[] }>(
    REPORTED_MODELS.map((name) => [name, { actual: [], point: [], upper: [] }]),
  );
  for (let day = 0; day < options.testDays; day++) {
    const origin = firstOrigin + day * dailySteps;
    const from = Math.max(0, origin - options.historySteps);
    const history = {
      values: values.subarray(from, origin),
      stepSeconds: series.stepSeconds,
      startMs: series.startMs === undefined ? undefined : series.startMs + from * series.stepSeconds * 1000,
    };
    for (const name of REPORTED_MODELS) {
      const result = forecast(history, { horizonSteps: options.horizonSteps, quantile: options.quantile, models: name === COMBINATION_MODEL ? undefined : [name], mustBeat: null });
      if (result.kind !== 'ok') throw new BacktestInputError(`${source}: ${name} could not forecast test day ${day + 1}: ${result.reason}`);
      const into = collected.get(name)!;
      for (const p of result.points) {
        const index = origin + (p.stepIndex - (origin - from));
        if (index >= end) break;
        into.actual.push(values[index]!);
        into.point.push(p.point);
        into.upper.push(p.upper);
      }
    }
  }
  const models: ModelFigures[] = REPORTED_MODELS.map((name) => {
    const { actual, point, upper } = collected.get(name)!;
    return {
      name,
      mase: mase(actual, point, scale),
      smape: smape(actual, point),
      wape: wape(actual, point),
      underForecastShare: underForecastShare(actual, point),
      bandCoverage: bandCoverage(actual, upper),
    };
  });
  return {
    protocol: 'trace-day-ahead',
    source,
    series: 1,
    horizon: options.horizonSteps,
    stepSeconds: series.stepSeconds,
    quantile: options.quantile,
    chosen: COMBINATION_MODEL,
    baseline: 'seasonal-naive-weekly',
    models,
  };
}
