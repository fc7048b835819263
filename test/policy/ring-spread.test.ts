// The ring's last change of size, judged: a hash arc's share moves as 1/N, a hot key's stays put.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arcShareAt, describeRingChange, findRingSpread, type RingShareSample } from '../../src/policy/ring-spread.ts';

const STEP_MS = 60_000;
const RATE_WINDOW_S = 60;

/** `minutes` one-minute samples per (gateways, share) stretch, back to back from t = 0. */
function history(...stretches: readonly (readonly [gateways: number, share: number, minutes: number])[]): RingShareSample[] {
  const samples: RingShareSample[] = [];
  for (const [gateways, share, minutes] of stretches) {
    for (let i = 0; i < minutes; i++) samples.push({ atMs: samples.length * STEP_MS, acceptingGateways: gateways, hottestShare: share });
  }
  return samples;
}

describe('findRingSpread', () => {
  it('finds a hot spot that shrank as the ring grew, as a hash arc does', () => {
    const spread = findRingSpread(history([2, 0.75, 30], [3, 0.5, 30]), RATE_WINDOW_S);
    expect(spread).toMatchObject({ kind: 'follows-ring', before: { gateways: 2, hottestShare: 0.75, atMs: 29 * STEP_MS }, after: { gateways: 3, hottestShare: 0.5, atMs: 59 * STEP_MS } });
    if (spread.kind === 'unknown') throw new Error(spread.reason);
    expect(describeRingChange(spread)).toBe('its share went from 75% at 2 gateways to 50% at 3');
  });

  it('finds one that grew as the ring shrank', () => {
    expect(findRingSpread(history([4, 0.375, 30], [3, 0.5, 30]), RATE_WINDOW_S).kind).toBe('follows-ring');
  });

  it('finds a hot spot that kept its share when gateways joined: more would not spread it', () => {
    const spread = findRingSpread(history([2, 0.75, 30], [3, 0.72, 30]), RATE_WINDOW_S);
    expect(spread).toMatchObject({ kind: 'stays', before: { gateways: 2, hottestShare: 0.75 }, after: { gateways: 3, hottestShare: 0.72 } });
  });

  it('judges the newest change that both sizes held for a rate window', () => {
    // The last minute at 4 gateways has not shown that size alone yet: the 2 → 3 change is the evidence.
    const spread = findRingSpread(history([2, 0.75, 30], [3, 0.5, 30], [4, 0.45, 1]), RATE_WINDOW_S);
    expect(spread).toMatchObject({ kind: 'follows-ring', before: { gateways: 2 }, after: { gateways: 3 } });
    // A brief 4 between two stretches of 3 does not hide the change before them.
    expect(findRingSpread(history([2, 0.75, 30], [3, 0.5, 30], [4, 0.45, 1], [3, 0.74, 30]), RATE_WINDOW_S)).toMatchObject({
      kind: 'stays',
      before: { gateways: 2 },
      after: { gateways: 3, hottestShare: 0.74 },
    });
  });

  it('takes the last sample of each size, when its rates no longer reach back to the size before', () => {
    // Rates blend for a rate window after the change: the first minutes at 3 still read 0.7.
    const spread = findRingSpread(history([2, 0.75, 30], [3, 0.7, 1], [3, 0.5, 29]), RATE_WINDOW_S);
    expect(spread).toMatchObject({ kind: 'follows-ring', after: { hottestShare: 0.5 } });
  });

  it('says what it lacks: one size throughout, too short a history, unusable samples', () => {
    expect(findRingSpread(history([3, 0.5, 60]), RATE_WINDOW_S)).toEqual({ kind: 'unknown', reason: 'the ring held 3 gateways throughout the history read' });
    expect(findRingSpread([], RATE_WINDOW_S)).toEqual({ kind: 'unknown', reason: 'no ring size held for a rate window in the history read' });
    expect(findRingSpread(history([2, 0.75, 1], [3, 0.5, 1]), RATE_WINDOW_S).kind).toBe('unknown');
    const broken = history([2, Number.NaN, 30], [3, 0.5, 30]).concat(history([0, 1, 5]));
    expect(findRingSpread(broken, RATE_WINDOW_S)).toEqual({ kind: 'unknown', reason: 'the ring held 3 gateways throughout the history read' });
  });

  it('tells an arc from a key at any ring sizes: the share an arc predicts follows the ring, an unchanged one stays', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (from, to, share) => {
        fc.pre(from !== to);
        const before = { gateways: from, hottestShare: share };
        const arc = arcShareAt(before, to);
        fc.pre(Math.abs(arc - share) > 1e-9);
        expect(findRingSpread(history([from, share, 10], [to, arc, 10]), RATE_WINDOW_S).kind).toBe('follows-ring');
        expect(findRingSpread(history([from, share, 10], [to, share, 10]), RATE_WINDOW_S).kind).toBe('stays');
      }),
    );
  });
});
