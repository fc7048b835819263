import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReplicaCount } from '../../src/policy/policy-state.ts';
import { advanceReplicaCounts, fewestReplicas, MAX_REPLICA_COUNTS } from '../../src/policy/replica-history.ts';

const T0_MS = Date.UTC(2025, 0, 6, 0, 0, 0);

/** The plain statement: append a changed count, then drop every count that ended before the window (and beyond the bound). */
function plainAdvance(previous: readonly ReplicaCount[] | undefined, current: number, nowMs: number, rateWindowSeconds: number): ReplicaCount[] {
  const counts = previous === undefined ? [] : [...previous];
  if (counts.length === 0 || counts[counts.length - 1]!.replicas !== current) counts.push({ replicas: current, sinceMs: nowMs });
  const windowStartMs = nowMs - rateWindowSeconds * 1000;
  let first = 0;
  while (first < counts.length - 1 && (counts[first + 1]!.sinceMs <= windowStartMs || counts.length - first > MAX_REPLICA_COUNTS)) first++;
  return counts.slice(first);
}

describe('replica counts of the rate window', () => {
  const step = fc.record({
    restart: fc.integer({ min: 0, max: 49 }).map((n) => n === 0),
    elapsedMs: fc.oneof(fc.constant(30_000), fc.constant(30_000), fc.constantFrom(0, 5_000, 15_000, 120_000, -30_000)),
    current: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 200 })),
    rateWindowSeconds: fc.constantFrom(60, 120, 120, 600, 3600),
  });

  it('advance as the plain statement does over any run of polls (repeated counts, changes, gaps, more changes than the bound), and the fewest is the minimum', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150, size: 'max' }), (steps) => {
        let counts: readonly ReplicaCount[] | undefined;
        let nowMs = T0_MS;
        for (const { restart, elapsedMs, current, rateWindowSeconds } of steps) {
          nowMs += elapsedMs;
          const previous = restart ? undefined : counts;
          const before = previous === undefined ? undefined : JSON.stringify(previous);
          counts = advanceReplicaCounts(previous, current, nowMs, rateWindowSeconds);
          expect(counts).toEqual(plainAdvance(previous, current, nowMs, rateWindowSeconds));
          expect(fewestReplicas(counts)).toBe(Math.min(...counts.map((count) => count.replicas)));
          // The previous list is never changed: a state advanced twice gives each continuation its own answer.
          if (previous !== undefined) expect(JSON.stringify(previous)).toBe(before);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the list itself while nothing is added or dropped', () => {
    const first = advanceReplicaCounts(undefined, 4, T0_MS, 120);
    expect(advanceReplicaCounts(first, 4, T0_MS + 30_000, 120)).toBe(first);
    expect(advanceReplicaCounts(first, 5, T0_MS + 30_000, 120)).toEqual([
      { replicas: 4, sinceMs: T0_MS },
      { replicas: 5, sinceMs: T0_MS + 30_000 },
    ]);
    expect(fewestReplicas([])).toBe(Number.POSITIVE_INFINITY);
  });
});
