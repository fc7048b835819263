// Deterministic synthetic load for the forecasting tests: a known daily and weekly shape plus
// seeded Gaussian noise, so a test can compare a forecast with the truth it was drawn from.
import { seededRandom } from '../../src/sim/seeded-random.ts';

/** Standard normal draws from a seeded uniform (Box-Muller). */
export function seededNormal(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

export interface LoadShape {
  readonly stepsPerDay: number;
  /** Mean load. */
  readonly level: number;
  /** Amplitude of the daily sine. */
  readonly dailyAmplitude: number;
  /** Added on days 5 and 6 of each week (negative for a weekend dip). */
  readonly weekendOffset: number;
}

/** The noiseless load at step t (t = 0 is the start of day 0 of a week). */
export function trueLoad(shape: LoadShape, t: number): number {
  const stepOfDay = t % shape.stepsPerDay;
  const dayOfWeek = Math.floor(t / shape.stepsPerDay) % 7;
  return shape.level + shape.dailyAmplitude * Math.sin((2 * Math.PI * stepOfDay) / shape.stepsPerDay) + (dayOfWeek >= 5 ? shape.weekendOffset : 0);
}

/** Steps [from, to) of the true load plus noise of standard deviation `noiseSd`. */
export function noisyLoad(shape: LoadShape, from: number, to: number, noiseSd: number, seed: number): number[] {
  const normal = seededNormal(seed);
  return Array.from({ length: to - from }, (_, i) => trueLoad(shape, from + i) + noiseSd * normal());
}
