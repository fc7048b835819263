// Keeps the last two distinct snapshots' backend figures so the bottleneck guard can see a trend, and
// the sent rate of the last snapshot where the backend was healthy — no bottleneck, queues not rising
// (what a stalled backend's sent rate is compared with). A snapshot seen again (KEDA's GetMetrics and IsActive in one poll, answered from
// the signal cache) is compared with the same earlier point as the first time, so repeating a call
// repeats its answer.
import { sentReferenceOf } from './backend-stall.ts';
import { findBackendBottleneck, QUEUE_RISE_MIN_FILL } from './guards.ts';
import type { PolicyContext } from './policy-context.ts';
import type { SentReference, TrendPoint, TrendState } from './policy-state.ts';

export interface TrendStep {
  readonly next: TrendState;
  /** The earlier point to compare the current snapshot with; undefined when none is recent enough. */
  readonly comparison: TrendPoint | undefined;
  /** The last healthy snapshot's sent rate before the current one. */
  readonly sentReference: SentReference | undefined;
}

/** The reference a point after `latest` inherits: latest's own sent rate if the backend was healthy then. */
function referenceAfter(latest: TrendPoint): SentReference | undefined {
  if (!latest.backendHealthy) return latest.sentReference;
  return sentReferenceOf(latest) ?? latest.sentReference;
}

function pointOf(ctx: PolicyContext, observedAtMs: number, sentReference: SentReference | undefined, comparison: TrendPoint | undefined): TrendPoint {
  const unjudged: TrendPoint = {
    observedAtMs,
    queueFillMax: ctx.values.queueFillMax,
    sentSpansPerSecond: ctx.values.sentSpansPerSecond,
    sendFailedSpansPerSecond: ctx.values.sendFailedSpansPerSecond,
    acceptedSpansPerSecond: ctx.values.acceptedSpansPerSecond,
    sentReference,
    backendHealthy: false,
  };
  const queueRising = comparison?.queueFillMax !== undefined && unjudged.queueFillMax !== undefined && unjudged.queueFillMax - comparison.queueFillMax >= QUEUE_RISE_MIN_FILL;
  return { ...unjudged, backendHealthy: !queueRising && findBackendBottleneck(ctx, comparison, sentReference) === undefined };
}

/** `point` when it is no older than staleAfter at `observedAtMs` (a module function: decide() runs at every poll, and an inner one is a closure each time). */
function recentPoint(point: TrendPoint | undefined, ctx: PolicyContext, observedAtMs: number): TrendPoint | undefined {
  return point !== undefined && observedAtMs - point.observedAtMs <= ctx.settings.staleAfterSeconds * 1000 ? point : undefined;
}

/** Moves the trend on by one snapshot; a point older than staleAfter is not compared with. */
export function advanceTrend(previous: TrendState | undefined, ctx: PolicyContext, observedAtMs: number): TrendStep {
  const latest = previous?.latest;
  if (latest === undefined) {
    return { next: { latest: pointOf(ctx, observedAtMs, undefined, undefined), prior: undefined }, comparison: undefined, sentReference: undefined };
  }
  if (observedAtMs === latest.observedAtMs) {
    return { next: previous!, comparison: recentPoint(previous!.prior, ctx, observedAtMs), sentReference: latest.sentReference };
  }
  if (observedAtMs > latest.observedAtMs) {
    const comparison = recentPoint(latest, ctx, observedAtMs);
    const sentReference = comparison === undefined ? undefined : referenceAfter(latest);
    return { next: { latest: pointOf(ctx, observedAtMs, sentReference, comparison), prior: latest }, comparison, sentReference };
  }
  // An older snapshot than one already seen (a slow read overtaken by a faster one): no trend from it.
  return { next: previous!, comparison: undefined, sentReference: undefined };
}
