// A delay of the tier learned from what it did, not stated: each observation runs from a change the
// Deployment was asked for (kube-state-metrics' spec replicas) to what followed (a gateway reporting,
// a gateway leaving the agents' rings). Until LEARNED_DELAY_EVIDENCE observations exist, the trigger's
// figure stands. Pure.
import { nearestRank } from './median.ts';

/** Observations seen before a learned delay replaces the trigger's figure. */
export const LEARNED_DELAY_EVIDENCE = Object.freeze({ minObservations: 3 });

/**
 * The learned figure is this quantile of the observed delays (nearest rank, so the slowest with fewer
 * than 10): the forecast must look far enough ahead for a slow start, and a drain must outlast a slow
 * re-resolve, not the typical one.
 */
export const LEARNED_DELAY_QUANTILE = 0.9;

/** One observation: asked for at `fromMs`, seen done at `toMs`. */
export interface DelayObservation {
  readonly fromMs: number;
  readonly toMs: number;
}

export type LearnedDelay =
  | {
      readonly kind: 'learned';
      readonly seconds: number;
      readonly medianSeconds: number;
      readonly observations: number;
      readonly fromMs: number;
      readonly toMs: number;
    }
  | { readonly kind: 'insufficient'; readonly reason: string; readonly observations: number };

/** `seenDoing`: what each observation saw a gateway do ("joining after a scale-out"). */
export function learnedDelay(observations: readonly DelayObservation[], seenDoing: string): LearnedDelay {
  const count = observations.length;
  if (count < LEARNED_DELAY_EVIDENCE.minObservations) {
    const seen = count === 0 ? `no gateway was seen ${seenDoing}` : `only ${count} gateway${count === 1 ? '' : 's'} seen ${seenDoing}`;
    return { kind: 'insufficient', reason: `${seen}; ${LEARNED_DELAY_EVIDENCE.minObservations} needed`, observations: count };
  }
  const ordered = observations.map((observation) => (observation.toMs - observation.fromMs) / 1000).sort((a, b) => a - b);
  return {
    kind: 'learned',
    seconds: nearestRank(ordered, LEARNED_DELAY_QUANTILE),
    medianSeconds: nearestRank(ordered, 0.5),
    observations: count,
    fromMs: observations[0]!.fromMs,
    toMs: observations[count - 1]!.toMs,
  };
}
