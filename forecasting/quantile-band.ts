// The upper band the scaler provisions for: the point forecast plus an upper quantile of the errors
// the same forecaster made in its own backtest, taken per season slot (hour of day by default)
// because load is noisier at the daily peak than at night. Slots with too few errors borrow from
// their neighbours until they have enough.
import { mean, quantile } from 'simple-statistics';

/** Backtest errors (actual − forecast), each with the index of the step it was made for. */
export interface BacktestResiduals {
  readonly stepIndices: ArrayLike<number>;
  readonly residuals: ArrayLike<number>;
}

export interface BandOptions {
  /** Upper quantile, e.g. 0.9. */
  readonly quantile: number;
  /** Steps in one day (the season the slots divide). */
  readonly dailySteps: number;
  /** Slots per day (24 = hour of day); capped at dailySteps. */
  readonly slotsPerDay: number;
  /** Fewest residuals a slot's error scale may rest on before neighbouring slots are pooled in. */
  readonly minimumPerSlot: number;
  /** Residuals for steps at or after this index are "recent" (see residualQuantiles). */
  readonly recentFromStep: number;
}

/** Band margin per slot of day; index with slotOf(stepIndex). Never below 0 (the band is never under the point). */
export interface ResidualQuantiles {
  readonly slotsPerDay: number;
  readonly dailySteps: number;
  readonly bySlot: Float64Array;
  /** Factor (≥ 1) the margins were widened by because recent errors exceeded the backtest's average. */
  readonly widening: number;
}

/** Slot of a step within its day. */
export function slotOf(stepIndex: number, quantiles: Pick<ResidualQuantiles, 'slotsPerDay' | 'dailySteps'>): number {
  const stepOfDay = ((stepIndex % quantiles.dailySteps) + quantiles.dailySteps) % quantiles.dailySteps;
  return Math.floor((stepOfDay * quantiles.slotsPerDay) / quantiles.dailySteps);
}

/** The slot's residuals, widened to the slots on either side until there are `minimum` or the whole day. */
function pooled(bySlot: readonly number[][], slot: number, minimum: number): number[] {
  const slots = bySlot.length;
  const out = [...bySlot[slot]!];
  for (let reach = 1; out.length < minimum && reach <= slots / 2; reach++) {
    const after = (slot + reach) % slots;
    const before = (slot - reach + slots) % slots;
    out.push(...bySlot[after]!);
    if (before !== after) out.push(...bySlot[before]!);
  }
  return out;
}

/**
 * Per-slot band margins from backtest residuals. Each slot's error scale is the mean absolute
 * residual of the slot (pooled with neighbouring slots while it has fewer than `minimumPerSlot`);
 * residuals divided by their slot's scale are pooled over the day, and the margin of a slot is
 * their `quantile` times the slot's scale. So the band is wide where the slot's errors are large
 * (the daily peak), while its quantile rests on every residual rather than on a few dozen.
 * When the recent residuals (steps ≥ recentFromStep) are larger on average than all of them, every
 * margin is widened by that ratio: errors grow before a regime change (a holiday season, a
 * launch) shows in a week of history. Never narrowed: the scaler provisions for the band, and
 * a band that shrinks on a calm day is the band that is short on the next busy one.
 * Returns undefined when there are no residuals at all.
 */
export function residualQuantiles(backtest: BacktestResiduals, options: BandOptions): ResidualQuantiles | undefined {
  const slotsPerDay = Math.max(1, Math.min(options.slotsPerDay, options.dailySteps));
  const shape = { slotsPerDay, dailySteps: options.dailySteps };
  const bySlotResiduals: number[][] = Array.from({ length: slotsPerDay }, () => []);
  let count = 0;
  let absoluteSum = 0;
  let recentCount = 0;
  let recentAbsoluteSum = 0;
  for (let i = 0; i < backtest.residuals.length; i++) {
    const residual = backtest.residuals[i]!;
    if (!Number.isFinite(residual)) continue;
    bySlotResiduals[slotOf(backtest.stepIndices[i]!, shape)]!.push(residual);
    count++;
    absoluteSum += Math.abs(residual);
    if (backtest.stepIndices[i]! >= options.recentFromStep) {
      recentCount++;
      recentAbsoluteSum += Math.abs(residual);
    }
  }
  if (count === 0) return undefined;
  const widening = recentCount > 0 && absoluteSum > 0 ? Math.max(1, recentAbsoluteSum / recentCount / (absoluteSum / count)) : 1;
  const scales = Float64Array.from({ length: slotsPerDay }, (_, slot) => {
    const around = pooled(bySlotResiduals, slot, options.minimumPerSlot);
    return around.length > 0 ? mean(around.map(Math.abs)) : 0;
  });
  const standardised: number[] = [];
  bySlotResiduals.forEach((slotResiduals, slot) => {
    if (scales[slot]! > 0) for (const residual of slotResiduals) standardised.push(residual / scales[slot]!);
  });
  const bySlot = new Float64Array(slotsPerDay);
  if (standardised.length > 0) {
    const level = quantile(standardised, options.quantile);
    for (let slot = 0; slot < slotsPerDay; slot++) bySlot[slot] = Math.max(0, widening * level * scales[slot]!);
  }
  return { slotsPerDay, dailySteps: options.dailySteps, bySlot, widening };
}
