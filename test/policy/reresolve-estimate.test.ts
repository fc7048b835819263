import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { LEARNED_DELAY_EVIDENCE } from '../../src/policy/learned-delay.ts';
import { estimateReresolve } from '../../src/policy/reresolve-estimate.ts';
import type { ReplicaCountSample } from '../../src/policy/startup-estimate.ts';
import { DEFAULT_FLEET_SETTINGS } from '../../src/sim/fleet-settings.ts';
import { SIMULATED_TARGET } from '../../src/sim/simulated-target.ts';
import { STEP_S, sampledEvery15s, simulatedHour, T0 } from './replica-count-samples.ts';

/** Samples every 15 s from (second, desired, largest ring) change points; values hold until the next one. */
function counts(changes: readonly (readonly [number, number | undefined, number | undefined])[], untilSeconds: number): ReplicaCountSample[] {
  return sampledEvery15s(changes, untilSeconds, (atMs, desiredReplicas, largestRing) => ({ atMs, desiredReplicas, reportingReplicas: desiredReplicas, largestRing }));
}

describe('estimateReresolve', () => {
  it('times each removed gateway from the last step showing the old count until the largest ring holds fewer, and plans with the slow end (p90)', () => {
    const estimate = estimateReresolve(
      counts(
        [
          [0, 6, 6],
          [600, 4, 6], // two removed (the last step at 6 was 585)
          [630, 4, 5], // one left every ring 45 s after
          [660, 4, 4], // the other 75 s after
          [1800, 3, 4],
          [1845, 3, 3], // 60 s
        ],
        2400,
      ),
    );
    expect(estimate).toMatchObject({ kind: 'learned', observations: 3, seconds: 75, medianSeconds: 60, fromMs: T0 + 585_000, toMs: T0 + 1_845_000 });
  });

  it(`keeps the trigger's figure with fewer than ${LEARNED_DELAY_EVIDENCE.minObservations} gateways seen leaving`, () => {
    const estimate = estimateReresolve(counts([[0, 4, 4], [600, 3, 4], [645, 3, 3]], 1200));
    expect(estimate).toEqual({ kind: 'insufficient', reason: "only 1 gateway seen leaving the agents' rings after a scale-in; 3 needed", observations: 1 });
  });

  it('says so when the agents were not read: no ring, no observation', () => {
    const samples = counts([[0, 6, 6], [600, 3, 6], [660, 3, 3]], 1200).map(({ largestRing: _ring, ...rest }) => rest);
    expect(estimateReresolve(samples)).toEqual({ kind: 'insufficient', reason: "no gateway was seen leaving the agents' rings after a scale-in; 3 needed", observations: 0 });
  });

  it('does not count a removal undone before the ring shrank, a gateway the ring never held, nor across a gap in the data', () => {
    const estimate = estimateReresolve(
      counts(
        [
          [0, 4, 4],
          [600, 3, 4],
          [615, 4, 4], // asked back before any agent let it go: cancelled
          [900, 6, 4], // two asked for, not on the ring yet
          [930, 4, 4], // removed before joining: the ring never held them
          [1200, 2, 4],
          [1230, undefined, undefined], // gap: both removals are forgotten
          [1300, 2, 2],
        ],
        1500,
      ),
    );
    expect(estimate).toMatchObject({ kind: 'insufficient', observations: 0 });
  });

  it('does not count a removal whose ring shrank only after a scale-out: the joining gateways hide who left', () => {
    // Down to zero, an agent keeps its last ring while nothing answers; the next gateway's answer replaces it hours later.
    const estimate = estimateReresolve(counts([[0, 2, 2], [600, 0, 2], [7200, 1, 2], [7290, 1, 1]], 7500));
    expect(estimate).toMatchObject({ kind: 'insufficient', observations: 0 });
  });

  it('reads in time order whatever order the samples come in', () => {
    const samples = counts([[0, 5, 5], [600, 2, 5], [660, 2, 2]], 900);
    expect(estimateReresolve([...samples].reverse())).toEqual(estimateReresolve(samples));
  });

  it('errs long by less than two steps, never short, for any re-resolve and any time of the scale-in', () => {
    const scaleIns = fc.array(fc.integer({ min: 0, max: 14 }), { minLength: 3, maxLength: 6 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), scaleIns, (reresolveS, offsets) => {
        // Each scale-in removes one gateway at an arbitrary second of a step; the ring follows reresolveS later.
        const changes: [number, number, number][] = [[0, 10, 10]];
        offsets.forEach((offset, index) => {
          const atS = 600 * (index + 1) + offset;
          const desired = 9 - index;
          changes.push([atS, desired, desired + 1], [atS + reresolveS, desired, desired]);
        });
        const samples: ReplicaCountSample[] = [];
        for (let t = 0; t <= 600 * (offsets.length + 1); t += STEP_S) {
          const [, desired, ring] = changes.filter(([atS]) => atS <= t).at(-1)!;
          samples.push({ atMs: T0 + t * 1000, desiredReplicas: desired, reportingReplicas: desired, largestRing: ring });
        }
        const estimate = estimateReresolve(samples);
        if (estimate.kind !== 'learned') return false;
        return estimate.observations === offsets.length && estimate.seconds > reresolveS - 1e-9 && estimate.seconds < reresolveS + 2 * STEP_S;
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});

describe('re-resolve learned from the simulated fleet', () => {
  it('sees its agents let a removed pod go within the step, as the simulator has no DNS cache, and reads nothing without agentSelector', () => {
    const { source, window } = simulatedHour(DEFAULT_FLEET_SETTINGS, 8, new Map([[60, 6], [360, 4]]), 30_000);
    const withAgents = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway', agentSelector: 'job="otel-agent"' });
    const estimate = estimateReresolve(source.replicaCounts(SIMULATED_TARGET, withAgents, window));
    expect(estimate).toMatchObject({ kind: 'learned', observations: 4, seconds: STEP_S });
    const withoutAgents = source.replicaCounts(SIMULATED_TARGET, { ...withAgents, agentSelector: undefined }, window);
    expect(withoutAgents.every((sample) => sample.largestRing === undefined)).toBe(true);
  });
});
