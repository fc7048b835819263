import { describe, expect, it } from 'vitest';
import { conformalQuantile, residualQuantiles, slotOf } from '../../forecasting/quantile-band.ts';

const options = { quantile: 0.9, dailySteps: 24, slotsPerDay: 24, minimumPerSlot: 1 };

/** Day-ahead backtest forecasts, one a day for `days` days: forecast `day` made error `errorAt(hour, day)` at each hour. */
function forecastsFor(days: number, errorAt: (hour: number, day: number) => number) {
  const origins: number[] = [];
  const stepIndices: number[] = [];
  const residuals: number[] = [];
  for (let day = 0; day < days; day++) {
    origins.push(day * 24);
    for (let hour = 0; hour < 24; hour++) {
      stepIndices.push(day * 24 + hour);
      residuals.push(errorAt(hour, day));
    }
  }
  return { origins, horizon: 24, stepIndices, residuals };
}

describe('band margins from backtest residuals', () => {
  it('is wider in the slot whose errors are larger (the daily peak)', () => {
    // Errors −5..+4 (by day) at night, ten times that at hour 12.
    const band = residualQuantiles(forecastsFor(10, (hour, day) => (day - 5) * (hour === 12 ? 10 : 1)), options)!;
    expect(band.bySlot[12]! / band.bySlot[0]!).toBeCloseTo(10, 6);
  });

  it('puts the margin at the asked quantile of errors the band had not seen', () => {
    // Errors drawn in a shuffled order from a symmetric uniform spread: the calibrated level is close to its p90.
    const errors = Array.from({ length: 200 }, (_, i) => ((i * 73) % 200) - 99.5);
    const band = residualQuantiles(forecastsFor(200, (_hour, day) => errors[day]!), options)!;
    const scale = 50; // mean |error|
    expect(band.bySlot[3]! / scale).toBeGreaterThan(1.5);
    expect(band.bySlot[3]! / scale).toBeLessThan(1.7);
    expect(band.calibrationResiduals).toBe(199 * 24);
  });

  it('widens the band when the latest forecasts erred more than the older ones, and narrows it when less', () => {
    const alternating = (size: (day: number) => number) => forecastsFor(20, (_hour, day) => (day % 2 === 0 ? 1 : -1) * size(day));
    const steady = residualQuantiles(alternating(() => 1), options)!;
    const rougher = residualQuantiles(alternating((day) => (day >= 16 ? 4 : 1)), options)!;
    const calmer = residualQuantiles(alternating((day) => (day >= 16 ? 0.25 : 1)), options)!;
    expect(rougher.calibration).toBeGreaterThan(1.5);
    expect(rougher.bySlot[5]!).toBeGreaterThan(steady.bySlot[5]!);
    expect(calmer.calibration).toBeLessThan(1);
    expect(calmer.bySlot[5]!).toBeLessThan(steady.bySlot[5]!);
  });

  it('judges each forecast only by forecasts whose outcomes were known at its origin', () => {
    // Forecasts every 12 steps over a 24-step horizon: the one at 12 overlaps the one at 0, so only
    // forecasts from 24 on are scored (by the scale of those that had ended).
    const origins = [0, 12, 24, 36];
    const stepIndices = origins.flatMap((origin) => Array.from({ length: 24 }, (_, h) => origin + h));
    const residuals = stepIndices.map(() => 1);
    const band = residualQuantiles({ origins, horizon: 24, stepIndices, residuals }, options)!;
    expect(band.calibrationResiduals).toBe(2 * 24);
  });

  it('uses the residuals own quantile when no forecast had an earlier one to be judged by', () => {
    const band = residualQuantiles(forecastsFor(1, (hour) => (hour % 2 === 0 ? 2 : -2)), options)!;
    expect(band.calibrationResiduals).toBe(0);
    expect(band.bySlot[4]!).toBeCloseTo(2, 9);
  });

  it('is never below the point, even when every error is negative', () => {
    const band = residualQuantiles(forecastsFor(5, () => -3), options)!;
    expect(Math.min(...band.bySlot)).toBe(0);
  });

  it('pools neighbouring slots for a slot with too few residuals', () => {
    const band = residualQuantiles(
      { origins: [0], horizon: 6, stepIndices: [1, 1, 2, 2, 3, 3], residuals: [1, 1, 4, 4, 1, 1] },
      { ...options, minimumPerSlot: 6 },
    )!;
    // Slot 2 alone has scale 4; pooled with slots 1 and 3 it is 2.
    expect(band.bySlot[2]).toBeCloseTo(band.bySlot[1]!, 9);
  });

  it('has no band without residuals', () => {
    expect(residualQuantiles({ origins: [1], horizon: 1, stepIndices: [1], residuals: [Number.NaN] }, options)).toBeUndefined();
  });

  it('takes the conformal rank ⌈(n + 1)·q⌉ of the scores', () => {
    const scores = Array.from({ length: 19 }, (_, i) => i + 1); // 1..19
    expect(conformalQuantile(scores, 0.9)).toBe(18);
    expect(conformalQuantile([3, 1, 2], 0.9)).toBe(3);
  });

  it('maps a step to its hour of day', () => {
    expect(slotOf(24 * 3 + 5, { slotsPerDay: 24, dailySteps: 24 })).toBe(5);
    expect(slotOf(288 + 13, { slotsPerDay: 24, dailySteps: 288 })).toBe(1);
  });
});
