// A backend that was the bottleneck and has recovered leaves two things behind. Its failure stays in
// every rate read over a window reaching back to the recovery: spans that overflowed while it failed,
// a sent rate still climbing from nothing. And the queues hold the backlog it left, which drains once
// the gateways send faster than spans arrive: more gateways would only share the backend with more
// senders. The queue proposal waits for both (see queueProposal).
import { formatPercent, formatSeconds } from './format.ts';
import type { BackendBottleneckSeen } from './policy-state.ts';

/** Why the queues say nothing yet about the tier after a recovery; undefined when no recovery explains them. */
export type RecentRecovery =
  | { readonly kind: 'ratesReachBack'; readonly secondsSinceBottleneck: number }
  | { readonly kind: 'backlogDraining'; readonly secondsSinceBottleneck: number; readonly queueFillMax: readonly [number, number] };

/**
 * The next state: `found` says whether this snapshot finds the backend the bottleneck. Its recovery is
 * dated by the first snapshot after it whose fullest queue is no longer full: a gateway whose queue
 * consumers all still wait out their retry backoff keeps its queue full and overflowing after other
 * gateways' sends have let the guard go; at most a rate window after the backend was last the
 * bottleneck. Kept for one rate window after that, and then while the queues stay above target: the
 * backlog is the recovery's until they have once drained to it.
 */
export function advanceBottleneckSeen(
  previous: BackendBottleneckSeen | undefined,
  found: boolean,
  observedAtMs: number,
  rateWindowSeconds: number,
  queueFillMax: number | undefined,
  queuesAboveTarget: boolean,
): BackendBottleneckSeen | undefined {
  if (found) return { lastSeenAtMs: observedAtMs };
  if (previous === undefined) return undefined;
  if (previous.recoveredByMs === undefined) {
    const mayStillOverflow = queueFillMax !== undefined && queueFillMax >= 1 && observedAtMs - previous.lastSeenAtMs < rateWindowSeconds * 1000;
    return mayStillOverflow ? previous : { lastSeenAtMs: previous.lastSeenAtMs, recoveredByMs: observedAtMs };
  }
  return observedAtMs - previous.recoveredByMs < rateWindowSeconds * 1000 || queuesAboveTarget ? previous : undefined;
}

/** The fullest queue's fill a rate window ago and now, when it fell between them. */
function fallingFill([windowAgo, now]: readonly [number | undefined, number | undefined]): readonly [number, number] | undefined {
  return windowAgo !== undefined && now !== undefined && now < windowAgo ? [windowAgo, now] : undefined;
}

/**
 * What a recovery explains at `observedAtMs`: rates whose window still reaches back to it (until a
 * snapshot has dated the recovery, this one is taken to be the first that does), or, after that, the
 * fullest queue lower than a rate window before while the backlog drains. Judged over the window, not
 * between polls: a queue counts whole batches, and one taken or added between two polls a few seconds
 * apart (or two polls reading the same scrape) says nothing of its course.
 */
export function recentRecovery(
  seen: BackendBottleneckSeen | undefined,
  observedAtMs: number,
  rateWindowSeconds: number,
  /** The fullest queue's fill a rate window before `observedAtMs`, and at it. */
  queueFillMax: readonly [number | undefined, number | undefined],
): RecentRecovery | undefined {
  if (seen === undefined) return undefined;
  const secondsSinceBottleneck = (observedAtMs - seen.lastSeenAtMs) / 1000;
  if (observedAtMs - (seen.recoveredByMs ?? observedAtMs) < rateWindowSeconds * 1000) return { kind: 'ratesReachBack', secondsSinceBottleneck };
  const falling = fallingFill(queueFillMax);
  return falling === undefined ? undefined : { kind: 'backlogDraining', secondsSinceBottleneck, queueFillMax: falling };
}

/** "the backend was the bottleneck 30s ago, and the 60s rate window still reaches back to its recovery, …" */
export function describeRecovery(recovery: RecentRecovery, rateWindowSeconds: number): string {
  const since = `the backend was the bottleneck ${formatSeconds(recovery.secondsSinceBottleneck)} ago`;
  if (recovery.kind === 'ratesReachBack') {
    return `${since}, and the ${formatSeconds(rateWindowSeconds)} rate window still reaches back to its recovery, mixing that failure with the backlog drained since`;
  }
  const [windowAgo, now] = recovery.queueFillMax;
  return `${since}, and the backlog it left is draining (fullest queue ${formatPercent(windowAgo)} → ${formatPercent(now)} over the ${formatSeconds(rateWindowSeconds)} rate window): more gateways would only share the backend with more senders`;
}
