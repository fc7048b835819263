import { describe, expect, it } from 'vitest';
import { COMBINATION_MODEL, type ForecastResult, forecast } from '../../forecasting/forecast.ts';
import type { ModelName } from '../../forecasting/models.ts';
import { type LoadShape, noisyLoad, seededNormal, trueLoad } from './synthetic-load.ts';

// Hourly steps keep the suite fast; the models see the same shapes at 5-minute steps.
const SHAPE: LoadShape = { stepsPerDay: 24, level: 1000, dailyAmplitude: 400, weekendOffset: -300 };
const NOISE_SD = 20;
const DAYS = 28;
const N = DAYS * 24;
const HORIZON = 24;
// Copying one noisy observation is off from the truth by 0.8·sd on average; a model that has
// recovered the signal from four weeks of history does better than that.
const RECOVERED_MAE = 0.8 * NOISE_SD;

function ok(result: ForecastResult): Extract<ForecastResult, { kind: 'ok' }> {
  if (result.kind !== 'ok') throw new Error(`expected a forecast, got: ${result.reason}`);
  return result;
}

/** Mean absolute difference between the forecast and the noiseless truth (plus `shift`) of the forecast day. */
function errorAgainstTruth(result: ForecastResult, shift = 0): number {
  const points = ok(result).points;
  return points.reduce((sum, p) => sum + Math.abs(p.point - trueLoad(SHAPE, p.stepIndex) - shift), 0) / points.length;
}

/** The models' forecast itself; whether it earns its place against weekly seasonal naive is tested below. */
function run(values: readonly number[], models?: readonly ModelName[]): ForecastResult {
  return forecast({ values, stepSeconds: 3600 }, { horizonSteps: HORIZON, models, mustBeat: null });
}

const history = noisyLoad(SHAPE, 0, N, NOISE_SD, 1);

describe('models recover a known daily + weekly signal', () => {
  const cases: { name: string; models: readonly ModelName[] | undefined }[] = [
    { name: 'Holt-Winters (daily and weekly seasons)', models: ['holt-winters'] },
    { name: 'the combination the scaler uses', models: undefined },
  ];
  for (const row of cases) {
    it(`${row.name} is closer to the truth than one noisy observation`, () => {
      expect(errorAgainstTruth(run(history, row.models))).toBeLessThan(RECOVERED_MAE);
    });
  }

  it('daily seasonal naive misses the weekend and the combination does not rely on it', () => {
    // The forecast day is a Monday; yesterday was a Sunday 300 below a weekday.
    expect(errorAgainstTruth(run(history, ['seasonal-naive-daily']))).toBeGreaterThan(200);
    const weights = ok(run(history)).scores;
    expect(weights.find((s) => s.model === 'robust-naive-daily')!.weight).toBeLessThan(0.05);
  });
});

describe('gaps, a holiday and a step change do not wreck the forecast', () => {
  const dayOf = (t: number) => Math.floor(t / 24);
  const withGaps = history.map((v, t) => (dayOf(t) === 10 || dayOf(t) === DAYS - 3 ? Number.NaN : v));
  const holiday = history.map((v, t) => (dayOf(t) === DAYS - 7 ? 0.3 * v : v));
  const SHIFT = 500;
  const shifted = history.map((v, t) => (t >= N - 60 ? v + SHIFT : v));

  it('two missing days (one three days ago) leave the forecast close to the truth', () => {
    expect(errorAgainstTruth(run(withGaps, ['holt-winters']))).toBeLessThan(RECOVERED_MAE);
    expect(errorAgainstTruth(run(withGaps))).toBeLessThan(RECOVERED_MAE);
  });

  it('a holiday a week ago is not copied into the same weekday (weekly seasonal naive would copy it)', () => {
    expect(errorAgainstTruth(run(holiday, ['seasonal-naive-weekly']))).toBeGreaterThan(500);
    expect(errorAgainstTruth(run(holiday, ['robust-naive-weekly']))).toBeLessThan(RECOVERED_MAE);
    expect(errorAgainstTruth(run(holiday, ['holt-winters']))).toBeLessThan(RECOVERED_MAE);
    expect(errorAgainstTruth(run(holiday))).toBeLessThan(0.05 * SHAPE.level);
  });

  it('a step change 2.5 days ago is followed: the level re-anchors instead of averaging it away', () => {
    expect(errorAgainstTruth(run(shifted, ['seasonal-naive-weekly']), SHIFT)).toBeGreaterThan(0.9 * SHIFT);
    expect(errorAgainstTruth(run(shifted, ['holt-winters']), SHIFT)).toBeLessThan(RECOVERED_MAE);
    expect(errorAgainstTruth(run(shifted), SHIFT)).toBeLessThan(0.15 * SHIFT);
  });
});

describe('the upper band covers the asked share of outcomes on synthetic noise', () => {
  // 40 day-ahead forecasts rolled over one long series, as the trace backtest does; the band is
  // calibrated on each history's own forecasts, so it must hold whatever the noise looks like.
  const TEST_DAYS = 40;
  const LENGTH = N + TEST_DAYS * 24 + HORIZON;
  const coverage = (series: readonly number[], quantile: number) => {
    let covered = 0;
    let total = 0;
    for (let day = 0; day < TEST_DAYS; day++) {
      const end = N + day * 24;
      const result = ok(forecast({ values: series.slice(end - N, end), stepSeconds: 3600 }, { horizonSteps: HORIZON, quantile, mustBeat: null }));
      result.points.forEach((p, h) => {
        total++;
        if (series[end + h]! <= p.upper) covered++;
      });
    }
    return covered / total;
  };
  const normal = seededNormal(11);
  const studentT3 = () => normal() / Math.sqrt((normal() ** 2 + normal() ** 2 + normal() ** 2) / 3);
  const truth = Array.from({ length: LENGTH }, (_, t) => trueLoad(SHAPE, t));
  const cases: { name: string; series: readonly number[]; quantile: number; want: [number, number] }[] = [
    { name: 'Gaussian noise, p90', series: noisyLoad(SHAPE, 0, LENGTH, 50, 7), quantile: 0.9, want: [0.85, 0.95] },
    { name: 'Gaussian noise, p50', series: noisyLoad(SHAPE, 0, LENGTH, 50, 7), quantile: 0.5, want: [0.42, 0.58] },
    // Noise proportional to the load: wide at the daily peak, narrow at night.
    { name: 'heteroscedastic noise, p90', series: truth.map((v) => v * (1 + 0.08 * normal())), quantile: 0.9, want: [0.85, 0.95] },
    // Student t with 3 degrees of freedom: infinite kurtosis, occasional errors of many scales.
    { name: 'heavy-tailed noise, p90', series: truth.map((v) => v + 30 * studentT3()), quantile: 0.9, want: [0.85, 0.95] },
    // The level rises by 30 % ten days into the test and falls back by 20 % twenty days later.
    {
      name: 'level shifts, p90',
      series: truth.map((v, t) => v * (t >= N + 10 * 24 ? (t >= N + 30 * 24 ? 1.1 : 1.3) : 1) + 40 * normal()),
      quantile: 0.9,
      want: [0.85, 0.95],
    },
  ];
  for (const row of cases) {
    it(`${row.name} covers ${row.want[0] * 100}–${row.want[1] * 100} %`, () => {
      const share = coverage(row.series, row.quantile);
      expect(share).toBeGreaterThanOrEqual(row.want[0]);
      expect(share).toBeLessThanOrEqual(row.want[1]);
    });
  }
});

describe('forecast API', () => {
  it('numbers points after the history, with timestamps when the history has a start', () => {
    const startMs = Date.UTC(2026, 0, 5);
    const result = ok(forecast({ values: history, stepSeconds: 3600, startMs }, { horizonSteps: 3 }));
    expect(result.points.map((p) => p.stepIndex)).toEqual([N, N + 1, N + 2]);
    expect(result.points[0]!.timestampMs).toBe(startMs + N * 3600_000);
    expect(ok(run(history)).points[0]!.timestampMs).toBeUndefined();
  });

  it('never puts the upper band below the point', () => {
    for (const p of ok(run(history)).points) expect(p.upper).toBeGreaterThanOrEqual(p.point);
  });

  it('names the combination and reports each member with its backtest error and a weight; weights sum to 1', () => {
    const result = ok(run(history));
    expect(result.model).toBe(COMBINATION_MODEL);
    expect(result.scores.map((s) => s.model)).toEqual(['robust-naive-daily', 'robust-naive-weekly', 'holt-winters', 'seasonal-drift']);
    expect(result.scores.reduce((sum, s) => sum + s.weight, 0)).toBeCloseTo(1, 9);
    expect(result.backtestOrigins).toBeGreaterThan(10);
  });

  it('names the single model when only one is asked for', () => {
    expect(ok(run(history, ['holt-winters'])).model).toBe('holt-winters');
  });

  it('does not forecast negative load after a collapse', () => {
    const collapsed = history.map((v, t) => (t >= N - 30 ? 0.02 * v : v));
    for (const p of ok(run(collapsed)).points) expect(p.point).toBeGreaterThanOrEqual(0);
  });

  const unavailable: { name: string; values: readonly number[]; want: RegExp }[] = [
    { name: 'a history shorter than a day and a horizon', values: history.slice(0, 30), want: /history of 30 steps is too short: needs at least 48 steps/ },
    {
      name: 'a long window with data only in its last two days',
      values: [...new Array<number>(N - 48).fill(Number.NaN), ...history.slice(N - 48)],
      // The backtest window is the last 7 days, so the fit has the N − 168 steps before it.
      want: new RegExp(`only 0 of the ${N - 7 * 24} steps before the backtest window have data; the models need at least 24 `),
    },
    { name: 'a history whose last day has no data', values: [...history.slice(0, N - 24), ...new Array<number>(24).fill(Number.NaN)], want: /no data in the last day/ },
  ];
  for (const row of unavailable) {
    it(`is unavailable, with the reason, for ${row.name}`, () => {
      const result = run(row.values);
      expect(result.kind).toBe('unavailable');
      expect(result.kind === 'unavailable' && result.reason).toMatch(row.want);
    });
  }

  const invalid: { name: string; options: { horizonSteps: number; quantile?: number }; want: RegExp }[] = [
    { name: 'a horizon of 0 steps', options: { horizonSteps: 0 }, want: /horizonSteps must be an integer ≥ 1/ },
    { name: 'a quantile of 1', options: { horizonSteps: 1, quantile: 1 }, want: /quantile must be in \(0, 1\)/ },
  ];
  for (const row of invalid) {
    it(`refuses ${row.name}`, () => {
      expect(() => forecast({ values: history, stepSeconds: 3600 }, row.options)).toThrow(row.want);
    });
  }
});

describe('the forecast earns its place: off where its backtest does not beat weekly seasonal naive', () => {
  it('is on where the combination backtests better than copying last week (noisy daily + weekly load)', () => {
    const result = forecast({ values: history, stepSeconds: 3600 }, { horizonSteps: HORIZON });
    expect(result.kind).toBe('ok');
  });

  it('turns itself off, saying so, where the last week repeats exactly what came before it and nothing else does', () => {
    // Three weeks of one weekly shape, then two identical weeks of another: copying last week is exact.
    const changed = history.map((v, t) => (t >= N - 14 * 24 ? 2000 + 800 * Math.sin((2 * Math.PI * (t % 168)) / 168) : v));
    const result = forecast({ values: changed, stepSeconds: 3600 }, { horizonSteps: HORIZON });
    expect(result.kind).toBe('unavailable');
    if (result.kind === 'unavailable') expect(result.reason).toMatch(/^forecast off: its backtest error \(MAE [\d.]+\) does not beat seasonal-naive-weekly \(MAE [\d.e-]+\) over the last \d+ origins$/);
  });

  it('never turns off when told not to, nor for a model the caller asked for by name', () => {
    const changed = history.map((v, t) => (t >= N - 14 * 24 ? 2000 + 800 * Math.sin((2 * Math.PI * (t % 168)) / 168) : v));
    expect(forecast({ values: changed, stepSeconds: 3600 }, { horizonSteps: HORIZON, mustBeat: null }).kind).toBe('ok');
    expect(forecast({ values: changed, stepSeconds: 3600 }, { horizonSteps: HORIZON, models: ['holt-winters'] }).kind).toBe('ok');
  });
});
