import { describe, expect, it } from 'vitest';
import { residualQuantiles, slotOf } from '../../forecasting/quantile-band.ts';

const options = { quantile: 0.9, dailySteps: 24, slotsPerDay: 24, minimumPerSlot: 1, recentFromStep: Number.POSITIVE_INFINITY };

/** Residuals for `days` days: every hour of day gets the same list of errors, times that hour's factor. */
function residualsFor(days: number, errorAt: (hour: number, day: number) => number) {
  const stepIndices: number[] = [];
  const residuals: number[] = [];
  for (let day = 0; day < days; day++) {
    for (let hour = 0; hour < 24; hour++) {
      stepIndices.push(day * 24 + hour);
      residuals.push(errorAt(hour, day));
    }
  }
  return { stepIndices, residuals };
}

describe('band margins from backtest residuals', () => {
  it('is wider in the slot whose errors are larger (the daily peak)', () => {
    // Errors −5..+4 (by day) at night, ten times that at hour 12.
    const band = residualQuantiles(
      residualsFor(10, (hour, day) => (day - 5) * (hour === 12 ? 10 : 1)),
      options,
    )!;
    expect(band.bySlot[12]! / band.bySlot[0]!).toBeCloseTo(10, 6);
  });

  it('puts the margin at the asked quantile of the errors', () => {
    const errors = Array.from({ length: 100 }, (_, i) => i - 49.5); // symmetric, uniform
    const band = residualQuantiles(residualsFor(100, (_hour, day) => errors[day]!), options)!;
    const scale = 25; // mean |error|
    expect(band.bySlot[3]! / scale).toBeCloseTo(40 / 25, 1);
  });

  it('is never below the point, even when every error is negative', () => {
    const band = residualQuantiles(residualsFor(5, () => -3), options)!;
    expect(Math.min(...band.bySlot)).toBe(0);
  });

  it('pools neighbouring slots for a slot with too few residuals', () => {
    const stepIndices = [1, 1, 2, 2, 3, 3];
    const residuals = [1, 1, 4, 4, 1, 1];
    const band = residualQuantiles({ stepIndices, residuals }, { ...options, minimumPerSlot: 6 })!;
    // Slot 2 alone has scale 4; pooled with slots 1 and 3 it is 2.
    expect(band.bySlot[2]).toBeCloseTo(band.bySlot[1]!, 9);
  });

  it('widens every margin when the recent errors exceed the average, never narrows', () => {
    const calmThenRough = residualsFor(10, (_hour, day) => (day % 2 === 0 ? 1 : -1) * (day >= 8 ? 3 : 1));
    const plain = residualQuantiles(calmThenRough, options)!;
    const watched = residualQuantiles(calmThenRough, { ...options, recentFromStep: 8 * 24 })!;
    expect(watched.widening).toBeCloseTo(3 / ((8 + 2 * 3) / 10), 9);
    expect(watched.bySlot[5]! / plain.bySlot[5]!).toBeCloseTo(watched.widening, 9);
    const roughThenCalm = residualsFor(10, (_hour, day) => (day % 2 === 0 ? 1 : -1) * (day >= 8 ? 0.1 : 1));
    expect(residualQuantiles(roughThenCalm, { ...options, recentFromStep: 8 * 24 })!.widening).toBe(1);
  });

  it('has no band without residuals', () => {
    expect(residualQuantiles({ stepIndices: [1], residuals: [Number.NaN] }, options)).toBeUndefined();
  });

  it('maps a step to its hour of day', () => {
    expect(slotOf(24 * 3 + 5, { slotsPerDay: 24, dailySteps: 24 })).toBe(5);
    expect(slotOf(288 + 13, { slotsPerDay: 24, dailySteps: 288 })).toBe(1);
  });
});
