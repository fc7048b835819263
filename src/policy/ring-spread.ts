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

/** A size the ring held, and its last sample that saw that size alone (undefined: none did). */
interface RingRun {
  readonly gateways: number;
  readonly startMs: number;
  settled: RingShareAt | undefined;
}

/**
 * Judges the last change of ring size in `samples` (oldest first). A sample shows one size alone once
 * the ring has held it for `settledSeconds` (the rate window its rates reach back over); the last such
 * sample of the newest size is compared with the last of the size before it.
 */
export function findRingSpread(samples: readonly RingShareSample[], settledSeconds: number): RingSpread {
  const settledRuns: RingRun[] = [];
  let run: RingRun | undefined;
  for (const sample of samples) {
    if (!(Number.isInteger(sample.acceptingGateways) && sample.acceptingGateways >= 1 && sample.hottestShare > 0 && sample.hottestShare <= 1)) continue;
    if (run === undefined || run.gateways !== sample.acceptingGateways) {
      run = { gateways: sample.acceptingGateways, startMs: sample.atMs, settled: undefined };
    }
    if (sample.atMs - run.startMs >= settledSeconds * 1000) {
      if (run.settled === undefined) settledRuns.push(run);
      run.settled = { gateways: run.gateways, hottestShare: sample.hottestShare, atMs: sample.atMs };
    }
  }
  const after = settledRuns.at(-1);
  if (after === undefined) return { kind: 'unknown', reason: 'no ring size held for a rate window in the history read' };
  let before: RingRun | undefined;
  for (let i = settledRuns.length - 2; i >= 0 && before === undefined; i--) if (settledRuns[i]!.gateways !== after.gateways) before = settledRuns[i];
  if (before === undefined) return { kind: 'unknown', reason: `the ring held ${after.gateways} gateways throughout the history read` };
  const beforeShare = before.settled!;
  const afterShare = after.settled!;
  const movedAsArc = Math.abs(afterShare.hottestShare - arcShareAt(beforeShare, afterShare.gateways)) < Math.abs(afterShare.hottestShare - beforeShare.hottestShare);
  return { kind: movedAsArc ? 'follows-ring' : 'stays', before: beforeShare, after: afterShare };
}

/** "its share went from 75% at 2 gateways to 50% at 3" */
export function describeRingChange(spread: { readonly before: RingShareAt; readonly after: RingShareAt }): string {
  const { before, after } = spread;
  return `its share went from ${formatPercent(before.hottestShare)} at ${before.gateways} gateways to ${formatPercent(after.hottestShare)} at ${after.gateways}`;
}
