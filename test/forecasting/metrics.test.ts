import { describe, expect, it } from 'vitest';
import { bandCoverage, mase, seasonalNaiveScale, smape, underForecastShare, wape } from '../../forecasting/metrics.ts';

const NaN_ = Number.NaN;
// Hand-worked example: three scored steps (the fourth has no actual and is left out).
const actual = [10, 20, 30, NaN_];
const point = [12, 18, 33, 5];
const upper = [11, 25, 29, 0];

describe('forecast metrics on a hand-computed example', () => {
  const cases: { name: string; got: () => number; want: number }[] = [
    { name: 'seasonal naive scale is the mean |y[t] − y[t−period]| (period 2: every difference is 2)', got: () => seasonalNaiveScale([1, 2, 3, 4, 5, 6], 2), want: 2 },
    { name: 'seasonal naive scale skips pairs with a missing value', got: () => seasonalNaiveScale([1, 2, NaN_, 4, 5, 10], 2), want: (Math.abs(4 - 2) + Math.abs(10 - 4)) / 2 },
    { name: 'MASE is MAE over scored steps (7/3) divided by the scale (2)', got: () => mase(actual, point, 2), want: 7 / 6 },
    { name: 'sMAPE is the mean of 200·|a−f|/(|a|+|f|) in percent', got: () => smape(actual, point), want: (400 / 22 + 400 / 38 + 600 / 63) / 3 },
    { name: 'sMAPE counts a step where actual and forecast are both 0 as 0', got: () => smape([0, 10], [0, 10]), want: 0 },
    { name: 'WAPE is Σ|a−f| / Σ|a|', got: () => wape(actual, point), want: 7 / 60 },
    { name: 'under-forecast share counts steps where the point was below the actual', got: () => underForecastShare(actual, point), want: 1 / 3 },
    { name: 'band coverage counts steps where the actual was at or below the upper band', got: () => bandCoverage(actual, upper), want: 2 / 3 },
    { name: 'band coverage counts an actual equal to the upper band as covered', got: () => bandCoverage([5], [5]), want: 1 },
  ];
  for (const row of cases) {
    it(row.name, () => expect(row.got()).toBeCloseTo(row.want, 12));
  }

  it('is NaN (not 0) when nothing can be scored', () => {
    expect(mase([NaN_], [1], 2)).toBeNaN();
    expect(mase([1], [1], 0)).toBeNaN();
    expect(smape([], [])).toBeNaN();
    expect(seasonalNaiveScale([1, 2], 2)).toBeNaN();
  });

  it('rejects actual and forecast of different lengths', () => {
    expect(() => wape([1, 2], [1])).toThrow(/same length/);
  });
});
