import { describe, expect, it } from 'vitest';
import { resampleMean, seasonPeriodsForStep, toValues } from '../../forecasting/series.ts';

describe('regular series', () => {
  it('turns undefined, null and non-finite values into NaN, never 0', () => {
    expect(Array.from(toValues([1, undefined, null, Number.POSITIVE_INFINITY, 0]))).toEqual([1, Number.NaN, Number.NaN, Number.NaN, 0]);
  });

  it('averages samples per step and leaves empty steps NaN', () => {
    const minute = 60_000;
    const samples = [
      { timestampMs: 0, value: 2 },
      { timestampMs: minute, value: 4 },
      { timestampMs: 6 * minute, value: Number.NaN },
      { timestampMs: 11 * minute, value: 7 },
    ];
    const series = resampleMean(samples, 0, 15 * minute, 300);
    expect(Array.from(series.values)).toEqual([3, Number.NaN, 7]);
    expect(series.startMs).toBe(0);
  });

  const periods: { name: string; stepSeconds: number; want: { dailySteps: number; weeklySteps: number } | RegExp }[] = [
    { name: '5-minute steps: 288 a day, 2016 a week', stepSeconds: 300, want: { dailySteps: 288, weeklySteps: 2016 } },
    { name: 'hourly steps: 24 and 168', stepSeconds: 3600, want: { dailySteps: 24, weeklySteps: 168 } },
    { name: 'a step that does not divide a day is refused', stepSeconds: 7 * 60, want: /must divide a day/ },
  ];
  for (const row of periods) {
    it(row.name, () => {
      if (row.want instanceof RegExp) expect(() => seasonPeriodsForStep(row.stepSeconds)).toThrow(row.want);
      else expect(seasonPeriodsForStep(row.stepSeconds)).toEqual(row.want);
    });
  }
});
