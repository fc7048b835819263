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

  it('judges as a walk through every sample from the oldest would: the runs of one size, the settled ones, the newest two of different sizes', () => {
    /** The definition read forward, one sample at a time, keeping every run. */
    function judgedForward(samples: readonly RingShareSample[]): { before: RingShareSample; after: RingShareSample } | undefined {
      const runs: RingShareSample[][] = [];
      for (const sample of samples) {
        if (!(Number.isInteger(sample.acceptingGateways) && sample.acceptingGateways >= 1 && sample.hottestShare > 0 && sample.hottestShare <= 1)) continue;
        const run = runs.at(-1);
        if (run !== undefined && run[0]!.acceptingGateways === sample.acceptingGateways) run.push(sample);
        else runs.push([sample]);
      }
      const settled = runs.filter((run) => run.at(-1)!.atMs - run[0]!.atMs >= RATE_WINDOW_S * 1000).map((run) => run.at(-1)!);
      const after = settled.at(-1);
      const before = settled.findLast((sample) => sample.acceptingGateways !== after?.acceptingGateways);
      return after !== undefined && before !== undefined ? { before, after } : undefined;
    }
    const sample = fc.record({
      acceptingGateways: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 2.5)),
      hottestShare: fc.oneof(fc.double({ min: 0.2, max: 1, noNaN: true }), fc.constantFrom(0, Number.NaN)),
      minutes: fc.integer({ min: 1, max: 4 }),
    });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 30 }), (stretches) => {
        const samples = history(...stretches.map(({ acceptingGateways, hottestShare, minutes }) => [acceptingGateways, hottestShare, minutes] as const));
        const expected = judgedForward(samples);
        const spread = findRingSpread(samples, RATE_WINDOW_S);
        const judgedAt = spread.kind === 'unknown' ? undefined : [spread.before.atMs, spread.after.atMs];
        expect(judgedAt).toEqual(expected && [expected.before.atMs, expected.after.atMs]);
      }),
      { numRuns: 2000 },
    );
  });
});
