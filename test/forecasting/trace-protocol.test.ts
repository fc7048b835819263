import { describe, expect, it } from 'vitest';
import { BacktestInputError } from '../../forecasting/input-error.ts';
import { defaultStepSeconds, nativeStepSeconds, parseTraceCsv, regularTrace, runDayAheadBacktest } from '../../forecasting/trace-protocol.ts';
import { noisyLoad } from './synthetic-load.ts';

describe('trace CSV', () => {
  it('reads ISO timestamps with a zone, keeps empty values as missing', () => {
    const samples = parseTraceCsv('timestamp,value\n1995-07-01T00:00:00-04:00,42\n1995-07-01T00:01:00-04:00,\n1995-07-01T00:02:00-04:00,7\n', 'nasa.csv');
    expect(samples).toEqual([
      { timestampMs: Date.parse('1995-07-01T04:00:00Z'), value: 42 },
      { timestampMs: Date.parse('1995-07-01T04:01:00Z'), value: Number.NaN },
      { timestampMs: Date.parse('1995-07-01T04:02:00Z'), value: 7 },
    ]);
  });

  const invalid: { name: string; text: string; want: RegExp }[] = [
    { name: 'a missing header', text: '2015-03-26T14:00:00Z,1\n2015-03-26T15:00:00Z,2\n', want: /trace\.csv:1: expected the header "timestamp,value"/ },
    { name: 'a timestamp without a zone', text: 'timestamp,value\n2015-03-26T14:00:00,1\n', want: /trace\.csv:2: timestamp must be ISO 8601 with a zone/ },
    { name: 'a value that is not a number', text: 'timestamp,value\n2015-03-26T14:00:00Z,lots\n', want: /trace\.csv:2: value must be a number or empty, got "lots"/ },
    { name: 'a third column', text: 'timestamp,value\n2015-03-26T14:00:00Z,1,2\n', want: /trace\.csv:2: expected 2 columns, got 3/ },
    { name: 'time going backwards', text: 'timestamp,value\n2015-03-26T14:00:00Z,1\n2015-03-26T13:00:00Z,1\n', want: /trace\.csv:3: timestamps must increase/ },
    { name: 'fewer than two values', text: 'timestamp,value\n2015-03-26T14:00:00Z,1\n2015-03-26T15:00:00Z,\n', want: /needs at least 2 rows with values/ },
  ];
  for (const row of invalid) {
    it(`rejects ${row.name} with the line`, () => {
      expect(() => parseTraceCsv(row.text, 'trace.csv')).toThrow(BacktestInputError);
      expect(() => parseTraceCsv(row.text, 'trace.csv')).toThrow(row.want);
    });
  }

  it('scores 1-minute traces at 5 minutes and coarser traces at their own step', () => {
    const minutes = Array.from({ length: 10 }, (_, i) => ({ timestampMs: i * 60_000, value: i }));
    const halfHours = Array.from({ length: 10 }, (_, i) => ({ timestampMs: i * 1_800_000, value: i }));
    expect(nativeStepSeconds(minutes)).toBe(60);
    expect(defaultStepSeconds(minutes)).toBe(300);
    expect(defaultStepSeconds(halfHours)).toBe(1800);
    expect(Array.from(regularTrace(minutes, 300).values)).toEqual([2, 7]);
  });
});

describe('day-ahead backtest', () => {
  // 42 days of hourly synthetic load with a weekend dip.
  const shape = { stepsPerDay: 24, level: 1000, dailyAmplitude: 400, weekendOffset: -300 };
  const values = Float64Array.from(noisyLoad(shape, 0, 42 * 24, 30, 3));
  const series = { startMs: Date.UTC(2026, 0, 5), stepSeconds: 3600, values };

  it('scores every model over the test days against weekly seasonal naive', () => {
    const report = runDayAheadBacktest(series, 'synthetic', { horizonSteps: 24, testDays: 7, historySteps: 28 * 24, quantile: 0.9 });
    expect(report).toMatchObject({ protocol: 'trace-day-ahead', series: 1, horizon: 24, chosen: 'combination', baseline: 'seasonal-naive-weekly' });
    const byName = new Map(report.models.map((model) => [model.name, model]));
    expect([...byName.keys()]).toEqual(['seasonal-naive-daily', 'seasonal-naive-weekly', 'robust-naive-daily', 'robust-naive-weekly', 'holt-winters', 'seasonal-drift', 'combination']);
    expect(byName.get('combination')!.mase).toBeLessThan(byName.get('seasonal-naive-weekly')!.mase);
    for (const model of report.models) {
      expect(model.bandCoverage).toBeGreaterThan(0);
      expect(model.bandCoverage).toBeLessThanOrEqual(1);
    }
  });

  it('refuses more test days than the trace can hold', () => {
    expect(() => runDayAheadBacktest(series, 'synthetic', { horizonSteps: 24, testDays: 42, historySteps: 28 * 24, quantile: 0.9 })).toThrow(
      /synthetic: 42 test days need more than 43 days of data/,
    );
  });
});
