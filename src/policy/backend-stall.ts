// The second trend rule of the backend-bottleneck guard: a stalled backend. A collector counts
// send_failed only when it gives a batch up (retry_on_failure max_elapsed_time, 300 s by default), so
// for the first minutes of an outage queues fill and the sent rate collapses while send_failed stays
// 0. Too few gateways look different: their sent rate stays at what they can push (flat at its
// earlier level while accepted or refused rises), so comparing sent with the last healthy snapshot —
// not with capacity, which tail sampling makes unknowable — tells the two apart.
import type { SentReference, TrendPoint } from './policy-state.ts';

/** Sent has collapsed when its share of accepted is at most this share of the healthy reference's. */
export const SENT_COLLAPSE_SHARE = 0.8;
/** Sent counts as falling when it is below this share of the previous snapshot's. */
export const SENT_FALLING_SHARE = 0.9;

/** The current snapshot's figures the rule reads (a TrendPoint or a PolicyContext's values). */
export type StallFigures = Pick<TrendPoint, 'queueFillMax' | 'sentSpansPerSecond' | 'acceptedSpansPerSecond'> & {
  readonly enqueueFailedSpansPerSecond: number | undefined;
};

/** The figures a stall is judged on, against the previous snapshot and the last healthy one. */
export interface BackendStall {
  readonly queueFill: readonly [number, number];
  readonly sentSpansPerSecond: readonly [number, number];
  readonly referenceSentSpansPerSecond: number;
  readonly acceptedSpansPerSecond: number;
}

/** Sent and its share of accepted at a snapshot, or undefined when either is missing or nothing was accepted. */
export function sentReferenceOf(point: TrendPoint): SentReference | undefined {
  const { sentSpansPerSecond: sent, acceptedSpansPerSecond: accepted } = point;
  if (sent === undefined || accepted === undefined || accepted <= 0 || sent <= 0) return undefined;
  return { sentSpansPerSecond: sent, sentShareOfAccepted: sent / accepted };
}

/**
 * Queues filling — fill rising by ≥ minRiseFill, at least targetQueueFill full, or overflowing
 * (enqueue failures) — while sent is no higher than at the previous snapshot, its share
 * of accepted has fallen to ≤ SENT_COLLAPSE_SHARE of the last healthy snapshot's (so a falling load,
 * which lowers both, does not count), and sent itself is falling (< SENT_FALLING_SHARE of the previous
 * snapshot's) or ≤ SENT_COLLAPSE_SHARE of the healthy reference in spans/s. A CPU-saturated tier
 * fails the last test: its sent rate holds at what the gateways can push while accepted climbs.
 */
export function findBackendStall(
  point: StallFigures,
  comparison: TrendPoint,
  reference: SentReference | undefined,
  thresholds: { readonly minRiseFill: number; readonly sentFlatTolerance: number; readonly targetQueueFill: number },
): BackendStall | undefined {
  const { queueFillMax: q1, sentSpansPerSecond: s1, acceptedSpansPerSecond: a1, enqueueFailedSpansPerSecond: overflowing } = point;
  const { queueFillMax: q0, sentSpansPerSecond: s0 } = comparison;
  if (reference === undefined || q1 === undefined || q0 === undefined || s1 === undefined || s0 === undefined || a1 === undefined || a1 <= 0) return undefined;
  // A queue above target or overflowing counts even when its fill falls: with nothing sent, only new
  // (empty) gateways' queues can lower the fill.
  const filling = q1 - q0 >= thresholds.minRiseFill || q1 >= thresholds.targetQueueFill || (overflowing ?? 0) > 0;
  if (!filling || s1 > s0 * (1 + thresholds.sentFlatTolerance)) return undefined;
  const shareCollapsed = s1 / a1 <= reference.sentShareOfAccepted * SENT_COLLAPSE_SHARE;
  const sentDown = s1 < s0 * SENT_FALLING_SHARE || s1 <= reference.sentSpansPerSecond * SENT_COLLAPSE_SHARE;
  if (!shareCollapsed || !sentDown) return undefined;
  return { queueFill: [q0, q1], sentSpansPerSecond: [s0, s1], referenceSentSpansPerSecond: reference.sentSpansPerSecond, acceptedSpansPerSecond: a1 };
}
