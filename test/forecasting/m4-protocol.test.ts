import { describe, expect, it } from 'vitest';
import { BacktestInputError } from '../../forecasting/input-error.ts';
import { parseM4Csv, runM4Backtest } from '../../forecasting/m4-protocol.ts';

describe('M4 CSV', () => {
  it('reads quoted ids and values, skipping the empty cells after a short series', () => {
    const series = parseM4Csv('"V1","V2","V3","V4"\n"H1","605","586",""\n"H2","1","2","3"\n', 'train.csv');
    expect([...series.entries()]).toEqual([
      ['H1', [605, 586]],
      ['H2', [1, 2, 3]],
    ]);
  });

  const invalid: { name: string; text: string; want: RegExp }[] = [
    { name: 'only a header', text: '"V1","V2"\n', want: /train\.csv: expected a header row and at least one series/ },
    { name: 'a value that is not a number', text: '"V1","V2"\n"H1","x"\n', want: /train\.csv:2: column 2 of H1 is not a number: "x"/ },
    { name: 'a series without values', text: '"V1","V2"\n"H1",""\n', want: /train\.csv:2: series H1 has no values/ },
  ];
  for (const row of invalid) {
    it(`rejects ${row.name}`, () => {
      expect(() => parseM4Csv(row.text, 'train.csv')).toThrow(BacktestInputError);
      expect(() => parseM4Csv(row.text, 'train.csv')).toThrow(row.want);
    });
  }
});

describe('M4 hourly protocol', () => {
  // A daily shape on a trend of 1 per hour: seasonal naive is 24 off for hours 1–24 ahead and 48
  // off for hours 25–48, and the in-sample seasonal naive error is 24, so its MASE is (1 + 2) / 2.
  const shapeAt = (t: number) => t + 50 * Math.sin((2 * Math.PI * t) / 24);
  const train = new Map([['H1', Array.from({ length: 700 }, (_, t) => shapeAt(t))]]);
  const test = new Map([['H1', Array.from({ length: 48 }, (_, h) => shapeAt(700 + h))]]);

  it('scores seasonal naive exactly as M4 defines MASE', () => {
    const report = runM4Backtest(train, test, 'synthetic', { quantile: 0.9 });
    const naive = report.models.find((model) => model.name === 'seasonal-naive-daily')!;
    expect(naive.mase).toBeCloseTo(1.5, 9);
    expect(report).toMatchObject({ protocol: 'm4-hourly', series: 1, horizon: 48, chosen: 'combination', baseline: 'seasonal-naive-daily' });
  });

  it('lets the combination follow the trend that seasonal naive misses', () => {
    const report = runM4Backtest(train, test, 'synthetic', { quantile: 0.9 });
    const byName = new Map(report.models.map((model) => [model.name, model.mase]));
    expect(byName.get('combination')!).toBeLessThan(0.5 * byName.get('seasonal-naive-daily')!);
  });

  const mismatched: { name: string; test: Map<string, number[]>; want: RegExp }[] = [
    { name: 'a series missing from the test file', test: new Map(), want: /series H1 is in the training file but not in the test file/ },
    { name: 'a test series of the wrong length', test: new Map([['H1', [1, 2, 3]]]), want: /series H1 has 3 test values; the hourly protocol needs 48/ },
  ];
  for (const row of mismatched) {
    it(`refuses ${row.name}`, () => {
      expect(() => runM4Backtest(train, row.test, 'synthetic', { quantile: 0.9 })).toThrow(row.want);
    });
  }
});
