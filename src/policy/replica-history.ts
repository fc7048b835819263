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
  const kept = previous ?? [];
  // One copy at most: find what stays of the previous counts with the new one after them, then slice once.
  const adds = kept.length === 0 || kept[kept.length - 1]!.replicas !== current;
  const length = kept.length + (adds ? 1 : 0);
  const windowStartMs = nowMs - rateWindowSeconds * 1000;
  let first = 0;
  while (first < length - 1 && ((first + 1 < kept.length ? kept[first + 1]!.sinceMs : nowMs) <= windowStartMs || length - first > MAX_REPLICA_COUNTS)) first++;
  // Nothing added or dropped: the previous list is the answer (a state's lists are never changed).
  if (!adds && first === 0 && previous !== undefined) return previous;
  const counts = kept.slice(first);
  if (adds) counts.push({ replicas: current, sinceMs: nowMs });
  return counts;
}

/** The fewest replicas the tier had within the window the counts cover. */
export function fewestReplicas(counts: readonly ReplicaCount[]): number {
  let fewest = Number.POSITIVE_INFINITY;
  for (const count of counts) if (count.replicas < fewest) fewest = count.replicas;
  return fewest;
}
