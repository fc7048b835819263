// Keeps the last two distinct snapshots' backend figures so the bottleneck guard can see a trend. A
// snapshot seen again (KEDA's GetMetrics and IsActive in one poll, answered from the signal cache) is
// compared with the same earlier point as the first time, so repeating a call repeats its answer.
import type { PolicyContext } from './policy-context.ts';
import type { TrendPoint, TrendState } from './policy-state.ts';

export interface TrendStep {
  readonly next: TrendState;
  /** The earlier point to compare the current snapshot with; undefined when none is recent enough. */
  readonly comparison: TrendPoint | undefined;
}

export function trendPoint(ctx: PolicyContext, observedAtMs: number): TrendPoint {
  return {
    observedAtMs,
    queueFillMax: ctx.values.queueFillMax,
    sentSpansPerSecond: ctx.values.sentSpansPerSecond,
    sendFailedSpansPerSecond: ctx.values.sendFailedSpansPerSecond,
  };
}

/** Moves the trend on by one snapshot; a point older than staleAfter is not compared with. */
export function advanceTrend(previous: TrendState | undefined, ctx: PolicyContext, observedAtMs: number): TrendStep {
  const point = trendPoint(ctx, observedAtMs);
  const latest = previous?.latest;
  let next: TrendState;
  let comparison: TrendPoint | undefined;
  if (latest === undefined) {
    next = { latest: point, prior: undefined };
  } else if (observedAtMs === latest.observedAtMs) {
    next = previous!;
    comparison = previous!.prior;
  } else if (observedAtMs > latest.observedAtMs) {
    next = { latest: point, prior: latest };
    comparison = latest;
  } else {
    // An older snapshot than one already seen (a slow read overtaken by a faster one): no trend from it.
    next = previous!;
  }
  if (comparison !== undefined && observedAtMs - comparison.observedAtMs > ctx.settings.staleAfterSeconds * 1000) comparison = undefined;
  return { next, comparison };
}
