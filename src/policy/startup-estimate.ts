// Pod startup learned from what the tier did (DESIGN.md "Learned, not assumed"): each time the
// Deployment asked for more gateways (kube-state-metrics' spec replicas rose), the time until that many
// gateways reported is one observation of startup — scheduling, image pull, collector start, readiness
// and the first scrape, all of it. The trigger's podStartup is the prior until STARTUP_EVIDENCE
// observations exist. Pure: the samples come from signals/.
import type { ReplicaCountSample } from '../signals/replica-count-history.ts';

export type { ReplicaCountSample };

/** Replicas seen joining before the learned figure replaces the trigger's podStartup. */
export const STARTUP_EVIDENCE = Object.freeze({ minObservations: 3 });

/**
 * The learned figure is this quantile of the observed delays (nearest rank, so the slowest with fewer
 * than 10): the forecast must look far enough ahead for a slow start too, not for the typical one.
 */
export const STARTUP_QUANTILE = 0.9;

export type StartupEstimate =
  | {
      readonly kind: 'learned';
      readonly seconds: number;
      readonly medianSeconds: number;
      readonly observations: number;
      readonly fromMs: number;
      readonly toMs: number;
    }
  | { readonly kind: 'insufficient'; readonly reason: string; readonly observations: number };

function nearestRank(sorted: readonly number[], quantile: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1))]!;
}

function inTimeOrder(samples: readonly ReplicaCountSample[]): boolean {
  for (let i = 1; i < samples.length; i++) if (samples[i]!.atMs < samples[i - 1]!.atMs) return false;
  return true;
}

/**
 * Follows desired and reporting replicas step by step. A rise in desired opens one ask per replica
 * above what reports; the ask closes when that many gateways report (one observation) or when desired
 * drops below it again (cancelled: the pod may never have started).
 */
export function estimateStartup(samples: readonly ReplicaCountSample[]): StartupEstimate {
  // Range reads come in time order; sorting a copy only when they do not gives the same order (the sort is stable).
  const sorted = inTimeOrder(samples) ? samples : [...samples].sort((a, b) => a.atMs - b.atMs);
  const askedAt = new Map<number, number>();
  const delays: number[] = [];
  let firstMs: number | undefined;
  let lastMs: number | undefined;
  let previousDesired: number | undefined;
  for (const sample of sorted) {
    const { desiredReplicas: desired, reportingReplicas: reporting } = sample;
    if (desired === undefined || reporting === undefined) {
      previousDesired = undefined;
      // Clearing allocates a new table even when empty, and most steps without data come in long runs.
      if (askedAt.size > 0) askedAt.clear();
      continue;
    }
    if (previousDesired !== undefined && desired > previousDesired) {
      for (let level = Math.max(previousDesired, reporting) + 1; level <= desired; level++) if (!askedAt.has(level)) askedAt.set(level, sample.atMs);
    }
    // Most steps have no ask open; iterating an empty map still costs an iterator per step.
    if (askedAt.size > 0) {
      for (const [level, atMs] of askedAt) {
        if (level > desired) askedAt.delete(level);
        else if (reporting >= level) {
          delays.push((sample.atMs - atMs) / 1000);
          firstMs ??= atMs;
          lastMs = sample.atMs;
          askedAt.delete(level);
        }
      }
    }
    previousDesired = desired;
  }
  if (delays.length < STARTUP_EVIDENCE.minObservations) {
    const seen = delays.length === 0 ? 'no gateway was seen joining after a scale-out' : `only ${delays.length} gateway${delays.length === 1 ? '' : 's'} seen joining after a scale-out`;
    return { kind: 'insufficient', reason: `${seen}; ${STARTUP_EVIDENCE.minObservations} needed`, observations: delays.length };
  }
  const ordered = delays.sort((a, b) => a - b);
  return {
    kind: 'learned',
    seconds: nearestRank(ordered, STARTUP_QUANTILE),
    medianSeconds: nearestRank(ordered, 0.5),
    observations: ordered.length,
    fromMs: firstMs!,
    toMs: lastMs!,
  };
}
