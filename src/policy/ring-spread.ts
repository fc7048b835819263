// Whether more gateways spread the busiest one's load (DESIGN.md "Learned, not assumed"). The
// loadbalancing exporter hashes traceIDs onto a ring of the gateways: one that owns a wider arc gets
// more than an even share, and each gateway that joins takes part of every arc, so that share falls as
// 1/N. Load that more gateways do not spread, such as one traceID carrying a large part of the spans,
// keeps its share whatever the ring's size. The last change of the ring's size tells which a hot spot
// is: the share after it is compared with both predictions. Pure: the samples come from signals/.
import type { RingShareSample } from '../signals/ring-share-history.ts';
import { formatPercent } from './format.ts';

export type { RingShareSample };

/** The busiest gateway's share at one ring size, from the last sample that saw that size alone. */
export interface RingShareAt {
  readonly gateways: number;
  readonly hottestShare: number;
  readonly atMs: number;
}

export type RingSpread =
  /** `follows-ring`: the share moved with the ring as an arc's does; `stays`: it kept its size as a hot key's does. */
  | { readonly kind: 'follows-ring' | 'stays'; readonly before: RingShareAt; readonly after: RingShareAt }
  | { readonly kind: 'unknown'; readonly reason: string };

/** The share an arc that owned `before.hottestShare` of `before.gateways` has at `gateways`. */
export function arcShareAt(before: Pick<RingShareAt, 'gateways' | 'hottestShare'>, gateways: number): number {
  return Math.min(1, (before.hottestShare * before.gateways) / gateways);
}

function isReading(sample: RingShareSample): boolean {
  return Number.isInteger(sample.acceptingGateways) && sample.acceptingGateways >= 1 && sample.hottestShare > 0 && sample.hottestShare <= 1;
}

/**
 * Judges the last change of ring size in `samples` (oldest first). A run of one size shows that size
 * alone once the ring has held it for `settledSeconds` (the rate window its rates reach back over), and
 * then its last sample is its share; the newest such run is compared with the newest before it of
 * another size. Walked from the newest sample back, so a day read every few minutes stops at the change.
 */
export function findRingSpread(samples: readonly RingShareSample[], settledSeconds: number): RingSpread {
  const settledMs = settledSeconds * 1000;
  let after: RingShareAt | undefined;
  let end = samples.length - 1;
  while (end >= 0) {
    if (!isReading(samples[end]!)) {
      end--;
      continue;
    }
    const last = samples[end]!;
    let first = last;
    let next = end - 1;
    for (; next >= 0; next--) {
      const sample = samples[next]!;
      if (!isReading(sample)) continue;
      if (sample.acceptingGateways !== last.acceptingGateways) break;
      first = sample;
    }
    if (last.atMs - first.atMs >= settledMs) {
      const settled = { gateways: last.acceptingGateways, hottestShare: last.hottestShare, atMs: last.atMs };
      if (after === undefined) after = settled;
      else if (settled.gateways !== after.gateways) return judged(settled, after);
    }
    end = next;
  }
  if (after === undefined) return { kind: 'unknown', reason: 'no ring size held for a rate window in the history read' };
  return { kind: 'unknown', reason: `the ring held ${after.gateways} gateways throughout the history read` };
}

function judged(before: RingShareAt, after: RingShareAt): RingSpread {
  const movedAsArc = Math.abs(after.hottestShare - arcShareAt(before, after.gateways)) < Math.abs(after.hottestShare - before.hottestShare);
  return { kind: movedAsArc ? 'follows-ring' : 'stays', before, after };
}

/** "its share went from 75% at 2 gateways to 50% at 3" */
export function describeRingChange(spread: { readonly before: RingShareAt; readonly after: RingShareAt }): string {
  const { before, after } = spread;
  return `its share went from ${formatPercent(before.hottestShare)} at ${before.gateways} gateways to ${formatPercent(after.hottestShare)} at ${after.gateways}`;
}
