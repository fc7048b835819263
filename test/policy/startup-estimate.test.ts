import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leadTimeSeconds, parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { LEARNED_DELAY_EVIDENCE } from '../../src/policy/learned-delay.ts';
import { estimateStartup, type ReplicaCountSample, SlidingStartupEstimate } from '../../src/policy/startup-estimate.ts';
import { startupInUse, withStartup } from '../../src/policy/startup-in-use.ts';
import { DEFAULT_FLEET_SETTINGS } from '../../src/sim/fleet-settings.ts';
import { SIMULATED_TARGET } from '../../src/sim/simulated-target.ts';
import { STEP_S, sampledEvery15s, simulatedHour, T0 } from './replica-count-samples.ts';

/** Samples every 15 s from (second, desired, reporting) change points; values hold until the next one. */
function counts(changes: readonly (readonly [number, number | undefined, number | undefined])[], untilSeconds: number): ReplicaCountSample[] {
  return sampledEvery15s(changes, untilSeconds, (atMs, desiredReplicas, reportingReplicas) => ({ atMs, desiredReplicas, reportingReplicas }));
}

describe('estimateStartup', () => {
  it('measures each replica from the rise in desired to that many reporting, and plans with the slow end (p90)', () => {
    const estimate = estimateStartup(
      counts(
        [
          [0, 4, 4],
          [600, 6, 4], // asked for 2 more
          [660, 6, 5], // one after 60 s
          [675, 6, 6], // the other after 75 s
          [1800, 8, 6],
          [1845, 8, 7], // 45 s
          [1890, 8, 8], // 90 s
        ],
        2400,
      ),
    );
    expect(estimate).toMatchObject({ kind: 'learned', observations: 4, seconds: 90, medianSeconds: 60 });
  });

  it(`keeps the prior with fewer than ${LEARNED_DELAY_EVIDENCE.minObservations} gateways seen joining`, () => {
    const estimate = estimateStartup(counts([[0, 4, 4], [600, 5, 4], [660, 5, 5]], 1200));
    expect(estimate).toEqual({ kind: 'insufficient', reason: 'only 1 gateway seen joining after a scale-out; 3 needed', observations: 1 });
  });

  it('does not count an ask withdrawn before the gateway reported, nor across a gap in the data', () => {
    const estimate = estimateStartup(
      counts(
        [
          [0, 4, 4],
          [600, 6, 4],
          [630, 4, 4], // withdrawn: the two asks are cancelled
          [700, 4, 6], // (late pods reporting anyway are not startups of an open ask)
          [1200, 8, 6],
          [1230, undefined, undefined], // gap: the ask is forgotten
          [1300, 8, 8],
        ],
        1500,
      ),
    );
    expect(estimate).toMatchObject({ kind: 'insufficient', observations: 0 });
  });
});

describe('startupInUse', () => {
  const settings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', podStartup: '45s', pollingInterval: '30s' });
  it('moves the forecast lead time to the learned startup and says so', () => {
    const used = startupInUse(settings, { kind: 'learned', seconds: 120, medianSeconds: 100, observations: 12, fromMs: T0, toMs: T0 + 86_400_000 });
    expect(used.sentence).toBe('pod startup 2m, learned from 12 gateways seen joining after scale-outs (p90; median 100s); the trigger says 45s');
    expect(leadTimeSeconds(settings)).toBe(45 + 5 + 30 + 15);
    expect(leadTimeSeconds(withStartup(settings, used))).toBe(120 + 5 + 30 + 15);
  });

  it("keeps the trigger's podStartup until learned", () => {
    const used = startupInUse(settings, { kind: 'insufficient', reason: 'no gateway was seen joining after a scale-out; 3 needed', observations: 0 });
    expect(used).toMatchObject({ seconds: 45, source: 'trigger' });
    expect(withStartup(settings, used)).toBe(settings);
  });
});

describe('startup learned from the simulated fleet', () => {
  it('finds the fleet’s true startup (90 s) within a scrape interval, through the simulated kube-state-metrics', () => {
    const { source, window } = simulatedHour({ ...DEFAULT_FLEET_SETTINGS, podStartupSeconds: 90 }, 4, new Map([[60, 6], [360, 9]]), 40_000);
    const withDeployment = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway' });
    const estimate = estimateStartup(source.replicaCounts(SIMULATED_TARGET, withDeployment, window));
    if (estimate.kind !== 'learned') throw new Error(estimate.reason);
    expect(estimate.observations).toBe(5);
    // Both series are read at 15 s scrapes, so a start is seen up to one scrape early or late.
    expect(Math.abs(estimate.seconds - 90)).toBeLessThanOrEqual(STEP_S);
    expect(source.replicaCounts(SIMULATED_TARGET, parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"' }), window)).toEqual([]);
  });
});

describe('SlidingStartupEstimate', () => {
  /** A replica series: desired moves by up to ±4, reporting follows it after a few steps, with gaps. */
  const series = fc
    .array(fc.record({ move: fc.integer({ min: -4, max: 4 }), follow: fc.integer({ min: 0, max: 3 }), gap: fc.boolean() }), { minLength: 50, maxLength: 600 })
    .map((moves) => {
      let desired = 4;
      let reporting = 4;
      return moves.map(({ move, follow, gap }, i): ReplicaCountSample => {
        // Moves are rare (about one step in four), gaps rarer, as on a real tier.
        if (i % 4 === 0) desired = Math.max(1, desired + move);
        reporting = reporting < desired ? Math.min(desired, reporting + follow % 2) : reporting > desired ? Math.max(desired, reporting - follow) : reporting;
        const missing = gap && follow === 3 && move === 0;
        return { atMs: T0 + i * STEP_S * 1000, desiredReplicas: missing ? undefined : desired, reportingReplicas: missing ? undefined : reporting };
      });
    });

  it('gives exactly what estimateStartup gives over every window it slides over, with steps not final yet as a tail', () => {
    fc.assert(
      fc.property(series, fc.integer({ min: 5, max: 200 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 6 }), (samples, windowSteps, slideSteps, tailSteps) => {
        const sliding = new SlidingStartupEstimate();
        let appended = 0;
        for (let end = Math.min(windowSteps, samples.length); end <= samples.length; end += slideSteps) {
          const from = Math.max(0, end - windowSteps);
          const settled = Math.max(from, end - tailSteps);
          while (appended < settled) sliding.append(samples[appended++]!);
          const window = samples.slice(from, end);
          expect(sliding.estimate(samples[from]!.atMs, samples.slice(Math.max(settled, appended), end))).toEqual(estimateStartup(window));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('learns from scale-outs in the property series (the comparison is not only of empty estimates)', () => {
    const learned = fc.sample(series, { numRuns: 50, seed: 7 }).filter((samples) => estimateStartup(samples).kind === 'learned');
    expect(learned.length).toBeGreaterThan(25);
  });

  it('refuses a window that starts before what was appended, and samples out of order', () => {
    const sliding = new SlidingStartupEstimate();
    sliding.append({ atMs: T0 + 15_000, desiredReplicas: 2, reportingReplicas: 2 });
    expect(() => sliding.estimate(T0, [])).toThrow(/before the first appended sample/);
    expect(() => sliding.append({ atMs: T0, desiredReplicas: 2, reportingReplicas: 2 })).toThrow(/time order/);
  });
});
