// The upper band the scaler provisions for: the point forecast plus a margin per season slot (hour
// of day by default), because load is noisier at the daily peak than at night. The margin's shape is
// the error scale of older backtest forecasts; its height is calibrated, conformal fashion, on the
// most recent forecasts whose outcomes are known: the band must have covered those, not the ones it
// was built from.
import { quantile } from 'simple-statistics';

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
}

/** Band margin per slot of day; index with slotOf(stepIndex). Never below 0 (the band is never under the point). */
export interface ResidualQuantiles {
  readonly slotsPerDay: number;
  readonly dailySteps: number;
  readonly bySlot: Float64Array;
  /**
   * The calibrated level (margin ÷ slot scale) over the level the scale residuals give themselves: above 1
   * when the recent forecasts erred more than the older ones, below 1 when less; 1 without calibration residuals.
   */
  readonly calibration: number;
  /** Calibration residuals the level rests on (0: the scale residuals' own quantile was used). */
  readonly calibrationResiduals: number;
}

/** Slot of a step within its day. */
export function slotOf(stepIndex: number, quantiles: Pick<ResidualQuantiles, 'slotsPerDay' | 'dailySteps'>): number {
  const stepOfDay = ((stepIndex % quantiles.dailySteps) + quantiles.dailySteps) % quantiles.dailySteps;
  return Math.floor((stepOfDay * quantiles.slotsPerDay) / quantiles.dailySteps);
}

/**
 * The split-conformal quantile: the ⌈(n + 1)·q⌉-th smallest of n scores, so that a new score exchangeable
 * with them falls at or below it with probability ≥ q (the largest score when n is too small for that).
 */
export function conformalQuantile(scores: readonly number[], q: number): number {
  const sorted = [...scores].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.ceil((sorted.length + 1) * q));
  return sorted[Math.max(0, rank - 1)]!;
}

/** Running per-slot sums of absolute residuals, for error scales that grow with the forecasts whose outcomes are known. */
class SlotScales {
  private readonly absoluteSums: Float64Array;
  private readonly counts: Float64Array;
  constructor(
    private readonly shape: Pick<ResidualQuantiles, 'slotsPerDay' | 'dailySteps'>,
    private readonly minimumPerSlot: number,
  ) {
    this.absoluteSums = new Float64Array(shape.slotsPerDay);
    this.counts = new Float64Array(shape.slotsPerDay);
  }

  add(stepIndex: number, residual: number): void {
    if (!Number.isFinite(residual)) return;
    const slot = slotOf(stepIndex, this.shape);
    this.absoluteSums[slot]! += Math.abs(residual);
    this.counts[slot]!++;
  }

  /** Each slot's mean absolute residual, pooled with the slots on either side while it rests on fewer than the minimum. */
  scales(): Float64Array {
    const slots = this.shape.slotsPerDay;
    return Float64Array.from({ length: slots }, (_, slot) => {
      let sum = this.absoluteSums[slot]!;
      let count = this.counts[slot]!;
      for (let reach = 1; count < this.minimumPerSlot && reach <= slots / 2; reach++) {
        const after = (slot + reach) % slots;
        const before = (slot - reach + slots) % slots;
        sum += this.absoluteSums[after]!;
        count += this.counts[after]!;
        if (before !== after) {
          sum += this.absoluteSums[before]!;
          count += this.counts[before]!;
        }
      }
      return count > 0 ? sum / count : 0;
    });
  }
}

/** Backtest forecasts in time order: forecast k was made at origins[k] for steps origins[k] … origins[k] + horizon − 1. */
export interface BacktestForecasts extends BacktestResiduals {
  /** Origin of each forecast, ascending; residual k·horizon + h belongs to forecast k's step h. */
  readonly origins: readonly number[];
  readonly horizon: number;
}

/**
 * Per-slot band margins from the backtest's own forecasts, calibrated conformal fashion on forecasts
 * the band did not see. The band's shape is each slot's error scale (the mean absolute residual in
 * the slot, pooled with neighbouring slots while it has fewer than `minimumPerSlot`): wide at the
 * daily peak, narrow at night. Its height is calibrated by replaying the backtest in time order: each
 * forecast's residuals are divided by the scales of the forecasts whose outcomes were all known at
 * its origin, and the margin is the conformal `quantile` of those scores times the scale of every
 * forecast. So the band is the one that would have covered its share of the forecasts the window
 * made, with nothing it had not yet seen: it widens when errors grow (a holiday season starting)
 * and narrows when they shrink, by what the recent forecasts say rather than by a fixed factor.
 * Without a forecast that had an earlier one to be judged by (a backtest shorter than two horizons),
 * the level is the residuals' own quantile. Returns undefined when there are no residuals at all.
 */
export function residualQuantiles(backtest: BacktestForecasts, options: BandOptions): ResidualQuantiles | undefined {
  const slotsPerDay = Math.max(1, Math.min(options.slotsPerDay, options.dailySteps));
  const shape = { slotsPerDay, dailySteps: options.dailySteps };
  const { origins, horizon, stepIndices, residuals } = backtest;
  const known = new SlotScales(shape, options.minimumPerSlot);
  const scores: number[] = [];
  let added = 0;
  const addForecast = (k: number) => {
    for (let h = 0; h < horizon; h++) known.add(stepIndices[k * horizon + h]!, residuals[k * horizon + h]!);
  };
  for (let k = 0; k < origins.length; k++) {
    while (added < k && origins[added]! + horizon <= origins[k]!) addForecast(added++);
    if (added === 0) continue;
    const scales = known.scales();
    for (let h = 0; h < horizon; h++) {
      const residual = residuals[k * horizon + h]!;
      const scale = scales[slotOf(stepIndices[k * horizon + h]!, shape)]!;
      if (Number.isFinite(residual) && scale > 0) scores.push(residual / scale);
    }
  }
  while (added < origins.length) addForecast(added++);
  const scales = known.scales();
  const own: number[] = [];
  for (let i = 0; i < residuals.length; i++) {
    const scale = scales[slotOf(stepIndices[i]!, shape)]!;
    if (Number.isFinite(residuals[i]!) && scale > 0) own.push(residuals[i]! / scale);
  }
  if (own.length === 0 && scores.length === 0) {
    return residuals.length > 0 && Array.from(residuals).some(Number.isFinite) ? { ...shape, bySlot: new Float64Array(slotsPerDay), calibration: 1, calibrationResiduals: 0 } : undefined;
  }
  const ownLevel = own.length > 0 ? quantile(own, options.quantile) : 0;
  const level = scores.length > 0 ? conformalQuantile(scores, options.quantile) : ownLevel;
  const bySlot = Float64Array.from(scales, (scale) => Math.max(0, level * scale));
  return { ...shape, bySlot, calibration: ownLevel > 0 ? level / ownLevel : 1, calibrationResiduals: scores.length };
}
