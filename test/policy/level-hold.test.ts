import { describe, expect, it } from 'vitest';
import { estimateLevelHold, levelHoldInUse, SlidingLevelHold } from '../../src/policy/level-hold.ts';
import { RECENT_PEAK_WINDOW_SECONDS } from '../../src/policy/load-peaks.ts';
import type { ReplicaCountSample } from '../../src/signals/replica-count-history.ts';
import { seededRandom } from '../../src/sim/seeded-random.ts';

const T0_MS = Date.UTC(2025, 0, 6, 0, 0, 0);
const STEP_SECONDS = 15;

/** A day of 15 s steps with the desired count changing at the given minutes ('gap': no data there). */
function counts(changes: readonly (readonly [minute: number, replicas: number | 'gap'])[], minutes = 24 * 60, start = 10): ReplicaCountSample[] {
  const samples: ReplicaCountSample[] = [];
  let desired: number | 'gap' = start;
  let next = 0;
  for (let step = 0; step * STEP_SECONDS < minutes * 60; step++) {
    const atSeconds = step * STEP_SECONDS;
    while (next < changes.length && changes[next]![0] * 60 <= atSeconds) desired = changes[next++]![1];
    const known = desired === 'gap' ? undefined : desired;
    samples.push({ atMs: T0_MS + atSeconds * 1000, desiredReplicas: known, reportingReplicas: known });
  }
  return samples;
}

describe('estimateLevelHold', () => {
  it.each([
    ['no samples', [], 0, { kind: 'insufficient' }],
    ['a count that never fell', [[60, 12], [300, 14]], undefined, { kind: 'insufficient' }],
    ['scale-ins undone after 20 and 5 minutes: the longer', [[60, 9], [80, 10], [300, 8], [305, 9]], undefined, { kind: 'learned', seconds: 1200, scaleIns: 2, undone: 2 }],
    ['a scale-in that stood for the window', [[60, 8]], undefined, { kind: 'learned', seconds: 0, scaleIns: 1, undone: 0 }],
    ['a scale-out after the window does not undo it', [[60, 8], [60 + 61, 10]], undefined, { kind: 'learned', seconds: 0, scaleIns: 1, undone: 0 }],
    ['a scale-out back to the count stepped down to does not undo it', [[60, 9], [70, 8], [80, 9]], undefined, { kind: 'learned', seconds: 600, scaleIns: 2, undone: 1 }],
    ['a scale-in in the last hour, not undone yet, is not judged', [[24 * 60 - 30, 9]], undefined, { kind: 'insufficient' }],
    ['the same scale-in undone within the read is', [[24 * 60 - 30, 9], [24 * 60 - 10, 10]], undefined, { kind: 'learned', seconds: 1200, scaleIns: 1, undone: 1 }],
    ['a gap before it was judged leaves it unjudged', [[60, 9], [70, 'gap'], [75, 10]], undefined, { kind: 'insufficient' }],
  ] as const)('%s', (_, changes, minutes, want) => {
    const estimate = estimateLevelHold(minutes === 0 ? [] : counts(changes, minutes));
    expect(estimate).toMatchObject(want);
  });

  it('an undo is measured from the step the count fell to the step it rose above it, at the read step', () => {
    const estimate = estimateLevelHold(counts([[60, 9], [60 + 17.25, 11]]));
    expect(estimate).toEqual({ kind: 'learned', seconds: 17.25 * 60, scaleIns: 1, undone: 1 });
  });
});

describe('SlidingLevelHold', () => {
  it('gives what a fresh read of each window gives, windows sliding over random counts with gaps, final steps appended and the rest as a tail', () => {
    const random = seededRandom(11);
    const samples: ReplicaCountSample[] = [];
    let desired = 12;
    for (let step = 0; step < 3 * 5760; step++) {
      // Two days of a count that only steps down every 3 hours, then a day of random steps both ways.
      if (step < 2 * 5760) desired = 12 - Math.floor(step / 720);
      else if (random() < 0.004) desired = Math.max(2, Math.min(12, desired + (random() < 0.5 ? -1 : 1) * (1 + Math.floor(random() * 2))));
      const gap = random() < 0.0005;
      samples.push({ atMs: T0_MS + step * STEP_SECONDS * 1000, desiredReplicas: gap ? undefined : desired, reportingReplicas: gap ? undefined : desired });
    }
    const sliding = new SlidingLevelHold();
    const windowSteps = 5760;
    const tailSteps = 3;
    const seen = new Set<string>();
    let appended = 0;
    for (let end = windowSteps; end <= samples.length; end += 97) {
      const window = samples.slice(end - windowSteps, end);
      while (appended < end - tailSteps) sliding.append(samples[appended++]!);
      const got = sliding.estimate(window[0]!.atMs, samples.slice(end - tailSteps, end));
      const want = estimateLevelHold(window);
      expect(got, `window ending at step ${end}`).toEqual(want);
      seen.add(want.kind === 'learned' ? `learned ${want.seconds > 0 ? 'held' : 'none'}` : want.kind);
    }
    expect([...seen].sort()).toEqual(['learned held', 'learned none']);
  });

  it('refuses samples out of time order', () => {
    const sliding = new SlidingLevelHold();
    sliding.append({ atMs: T0_MS, desiredReplicas: 4, reportingReplicas: 4 });
    expect(() => sliding.append({ atMs: T0_MS, desiredReplicas: 4, reportingReplicas: 4 })).toThrow(/time order/);
  });
});

describe('levelHoldInUse', () => {
  it('holds for the longest undo learned, and says from how many scale-ins', () => {
    expect(levelHoldInUse({ kind: 'learned', seconds: 1200, scaleIns: 14, undone: 3 })).toEqual({
      seconds: 1200,
      source: 'learned',
      sentence: 'the longest any of the 14 scale-ins of the replica history stood before a scale-out undid it (3 undone within 1h)',
    });
  });

  it('holds for none when no scale-in was undone', () => {
    expect(levelHoldInUse({ kind: 'learned', seconds: 0, scaleIns: 6, undone: 0 })).toMatchObject({ seconds: 0, sentence: 'none of the 6 scale-ins of the replica history was undone within 1h' });
  });

  it('holds for the whole window when nothing was learned, and says why', () => {
    expect(levelHoldInUse(undefined)).toEqual({ seconds: RECENT_PEAK_WINDOW_SECONDS, source: 'window', sentence: 'the whole 1h, as nothing says sooner (no replica history read for this target)' });
    expect(levelHoldInUse({ kind: 'insufficient', reason: 'set the trigger key deploymentName' }).sentence).toBe('the whole 1h, as nothing says sooner (set the trigger key deploymentName)');
  });
});
