import { describe, expect, it } from 'vitest';
import { robustSeasonalNaiveForecasts, seasonalDriftForecasts, seasonalNaiveForecasts } from '../../forecasting/seasonal-naive.ts';

const NaN_ = Number.NaN;
const values = (list: number[]) => Float64Array.from(list);

describe('seasonal naive', () => {
  const cases: { name: string; input: { values: number[]; origins: number[]; horizon: number; period: number }; want: number[] }[] = [
    { name: 'repeats the last period, wrapping past one period ahead', input: { values: [1, 2, 3, 4, 5, 6], origins: [6], horizon: 4, period: 3 }, want: [4, 5, 6, 4] },
    { name: 'uses only values before the origin', input: { values: [1, 2, 3, 4, 5, 6], origins: [3], horizon: 3, period: 3 }, want: [1, 2, 3] },
    { name: 'falls back to an earlier period where the last one had no data', input: { values: [1, 2, 3, 4, NaN_, 6], origins: [6], horizon: 3, period: 3 }, want: [4, 2, 6] },
    { name: 'is NaN for a slot that never had data', input: { values: [1, NaN_, 3, 4, NaN_, 6], origins: [6], horizon: 3, period: 3 }, want: [4, NaN_, 6] },
    { name: 'lays several origins out flat, one horizon after another', input: { values: [1, 2, 3, 4, 5, 6], origins: [4, 6], horizon: 2, period: 3 }, want: [2, 3, 4, 5] },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const { origins, horizon, period } = row.input;
      expect(Array.from(seasonalNaiveForecasts(values(row.input.values), origins, horizon, period))).toEqual(row.want);
    });
  }
});

describe('robust seasonal naive', () => {
  const normal = [10, 20, 30, 10, 20, 30, 10, 20, 30];
  const cases: { name: string; lastPeriod: number[]; want: number[] }[] = [
    { name: 'copies a normal last period', lastPeriod: [10, 20, 30], want: [10, 20, 30] },
    { name: 'replaces a dip (a holiday) with the median of the last three periods', lastPeriod: [10, 2, 30], want: [10, 20, 30] },
    { name: 'keeps a spike: over-provisioning is the safe side', lastPeriod: [10, 80, 30], want: [10, 80, 30] },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const series = values([...normal, ...row.lastPeriod]);
      expect(Array.from(robustSeasonalNaiveForecasts(series, [12], 3, 3))).toEqual(row.want);
    });
  }

  it('leaves a dip alone when fewer than three periods exist to call it one', () => {
    expect(Array.from(robustSeasonalNaiveForecasts(values([10, 20, 30, 10, 2, 30]), [6], 3, 3))).toEqual([10, 2, 30]);
  });
});

describe('seasonal naive with drift', () => {
  it('adds the median period-over-period change once per period ahead', () => {
    // Each period is the previous one plus 1.
    const series = values(Array.from({ length: 12 }, (_, t) => (t % 3) * 10 + Math.floor(t / 3)));
    expect(Array.from(seasonalDriftForecasts(series, [12], 6, 3, 3))).toEqual([4, 14, 24, 5, 15, 25]);
  });

  it('does not turn one step change into a trend', () => {
    const series = values([5, 5, 5, 5, 5, 5, 5, 5, 5, 9, 9, 9]);
    expect(Array.from(seasonalDriftForecasts(series, [12], 3, 3, 3))).toEqual([9, 9, 9]);
  });
});
