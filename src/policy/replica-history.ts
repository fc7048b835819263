// The replica counts a tier has had within the last rate window. Rate-window signals such as the
// decision-tick p99 still describe the fewest gateways of that window: sizing from the current count
// would compound on replicas just added and not yet effective (a burst held in the p99 window took a
// tier from 2 to 60 in 90 s), so the decision-latency proposal sizes from the fewest.
import type { ReplicaCount } from './policy-state.ts';

/** Bound on the entries kept, whatever the rate window and poll interval. */
export const MAX_REPLICA_COUNTS = 32;

/**
 * Adds `current` at `nowMs` when it differs from the latest count, and drops counts that ended before
 * the rate window began. `previous` undefined (first evaluation, or a gap longer than staleAfter) starts afresh.
 */
export function advanceReplicaCounts(previous: readonly ReplicaCount[] | undefined, current: number, nowMs: number, rateWindowSeconds: number): readonly ReplicaCount[] {
  const counts = previous === undefined ? [] : [...previous];
  if (counts.length === 0 || counts[counts.length - 1]!.replicas !== current) counts.push({ replicas: current, sinceMs: nowMs });
  const windowStartMs = nowMs - rateWindowSeconds * 1000;
  let first = 0;
  while (first < counts.length - 1 && (counts[first + 1]!.sinceMs <= windowStartMs || counts.length - first > MAX_REPLICA_COUNTS)) first++;
  return counts.slice(first);
}

/** The fewest replicas the tier had within the window the counts cover. */
export function fewestReplicas(counts: readonly ReplicaCount[]): number {
  return Math.min(...counts.map((count) => count.replicas));
}
