// The second trend rule of the backend-bottleneck guard: a stalled backend. A collector counts
// send_failed only when it gives a batch up (retry_on_failure max_elapsed_time, 300 s by default), so
// for the first minutes of an outage queues fill and the sent rate collapses while send_failed stays
// 0. Too few gateways look different: their sent rate stays at what they can push (flat at its
// earlier level while accepted or refused rises), so comparing sent with the last healthy snapshot —
// not with capacity, which tail sampling makes unknowable — tells the two apart.
import type { SentReference, TrendPoint } from './policy-state.ts';

/** Queue fill at or above this, and not draining, counts as filling (a full queue cannot rise any more). */
export const QUEUE_FULL_FILL = 0.9;
/** Sent has collapsed when it is at most this share of the healthy reference, both in spans/s and as a share of accepted. */
export const SENT_COLLAPSE_SHARE = 0.75;

/** The current snapshot's figures the rule reads (a TrendPoint or a PolicyContext's values). */
export type StallFigures = Pick<TrendPoint, 'queueFillMax' | 'sentSpansPerSecond' | 'acceptedSpansPerSecond'>;

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
 * Queues filling (rising by ≥ minRiseFill, or ≥ QUEUE_FULL_FILL and not draining) while sent is no
 * higher than at the previous snapshot and has fallen to ≤ SENT_COLLAPSE_SHARE of the last healthy
 * snapshot's sent rate — in spans/s and relative to accepted, so a falling load does not count.
 */
export function findBackendStall(point: StallFigures, comparison: TrendPoint, reference: SentReference | undefined, minRiseFill: number, sentFlatTolerance: number): BackendStall | undefined {
  const { queueFillMax: q1, sentSpansPerSecond: s1, acceptedSpansPerSecond: a1 } = point;
  const { queueFillMax: q0, sentSpansPerSecond: s0 } = comparison;
  if (reference === undefined || q1 === undefined || q0 === undefined || s1 === undefined || s0 === undefined || a1 === undefined || a1 <= 0) return undefined;
  const filling = q1 - q0 >= minRiseFill || (q1 >= QUEUE_FULL_FILL && q1 > q0 - minRiseFill);
  if (!filling || s1 > s0 * (1 + sentFlatTolerance)) return undefined;
  const collapsed = s1 <= reference.sentSpansPerSecond * SENT_COLLAPSE_SHARE && s1 / a1 <= reference.sentShareOfAccepted * SENT_COLLAPSE_SHARE;
  if (!collapsed) return undefined;
  return { queueFill: [q0, q1], sentSpansPerSecond: [s0, s1], referenceSentSpansPerSecond: reference.sentSpansPerSecond, acceptedSpansPerSecond: a1 };
}
