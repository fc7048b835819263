// A backend that was the bottleneck and has recovered leaves its failure in every rate read over a
// window reaching back to the recovery: spans that overflowed while it failed, a sent rate still
// climbing from nothing. The queue proposal waits until the rate window is past it (see queueProposal).
import type { BackendBottleneckSeen } from './policy-state.ts';

/** The next state: `found` says whether this snapshot finds the backend the bottleneck; dropped once a rate window past its recovery. */
export function advanceBottleneckSeen(previous: BackendBottleneckSeen | undefined, found: boolean, observedAtMs: number, rateWindowSeconds: number): BackendBottleneckSeen | undefined {
  if (found) return { lastSeenAtMs: observedAtMs };
  if (previous === undefined) return undefined;
  // The first snapshot that no longer finds it: the failure ended at the latest by then.
  if (previous.recoveredByMs === undefined) return { lastSeenAtMs: previous.lastSeenAtMs, recoveredByMs: observedAtMs };
  return observedAtMs - previous.recoveredByMs < rateWindowSeconds * 1000 ? previous : undefined;
}

/**
 * Seconds since a snapshot last found the backend the bottleneck, while the rate window of the one at
 * `observedAtMs` still reaches back to its recovery; undefined once it does not. Until a snapshot has
 * shown the recovery, this one is taken to be the first that does.
 */
export function secondsSinceRecentBottleneck(seen: BackendBottleneckSeen | undefined, observedAtMs: number, rateWindowSeconds: number): number | undefined {
  if (seen === undefined) return undefined;
  const recoveredByMs = seen.recoveredByMs ?? observedAtMs;
  return observedAtMs - recoveredByMs < rateWindowSeconds * 1000 ? (observedAtMs - seen.lastSeenAtMs) / 1000 : undefined;
}
