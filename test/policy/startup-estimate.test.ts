import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HPA_SYNC_SECONDS, parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { LEARNED_DELAY_EVIDENCE } from '../../src/policy/learned-delay.ts';
import { estimateStartup, type JoinSeenBy, type ReplicaCountSample, SlidingStartupEstimate } from '../../src/policy/startup-estimate.ts';
import { startupInUse } from '../../src/policy/startup-in-use.ts';
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
      'reporting',
    );
    expect(estimate).toMatchObject({ kind: 'learned', observations: 4, seconds: 90, medianSeconds: 60, joinSeenBy: 'reporting' });
  });

  it('counts a gateway that reported within the step the rise shows up in as a start of that step, not as none or no time', () => {
    const estimate = estimateStartup(
      counts(
        [
          [0, 4, 4],
          [600, 5, 5], // asked for and reporting within one 15 s step
          [1200, 6, 6],
          [1800, 7, 7],
        ],
        2400,
      ),
      'reporting',
    );
    expect(estimate).toMatchObject({ kind: 'learned', observations: 3, seconds: STEP_S });
  });

  it(`keeps the prior with fewer than ${LEARNED_DELAY_EVIDENCE.minObservations} gateways seen joining`, () => {
    const estimate = estimateStartup(counts([[0, 4, 4], [600, 5, 4], [660, 5, 5]], 1200), 'reporting');
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
      'reporting',
    );
    expect(estimate).toMatchObject({ kind: 'insufficient', observations: 0 });
  });
});

describe('estimateStartup to the agents\' rings', () => {
  /** Samples every 15 s from (second, desired, reporting, smallest ring) change points. */
  function withRings(changes: readonly (readonly [number, number | undefined, number | undefined, number | undefined])[], untilSeconds: number): ReplicaCountSample[] {
    const byRing = new Map(changes.map(([second, , , ring]) => [second, ring]));
    return sampledEvery15s(
      changes.map(([second, desired, reporting]) => [second, desired, reporting] as const),
      untilSeconds,
      (atMs, desiredReplicas, reportingReplicas) => {
        const second = (atMs - T0) / 1000;
        const changedAt = Math.max(...changes.map(([at]) => at).filter((at) => at <= second));
        return { atMs, desiredReplicas, reportingReplicas, smallestRing: byRing.get(changedAt), largestRing: byRing.get(changedAt) };
      },
    );
  }

  const scaleOuts = withRings(
    [
      [0, 4, 4, 4],
      [600, 6, 4, 4], // asked for 2 more
      [660, 6, 6, 4], // both report after 60 s
      [705, 6, 6, 6], // the cached DNS answer ran out: every ring holds them after 105 s
      [1800, 7, 6, 6],
      [1845, 7, 7, 6], // 45 s to report
      [1920, 7, 7, 7], // 120 s to every ring
    ],
    2400,
  );

  it('times each gateway to the agent that took it in last, the DNS cache included, where reporting shows only the start', () => {
    expect(estimateStartup(scaleOuts, 'rings')).toMatchObject({ kind: 'learned', observations: 3, seconds: 120, medianSeconds: 105, joinSeenBy: 'rings' });
    expect(estimateStartup(scaleOuts, 'reporting')).toMatchObject({ kind: 'learned', observations: 3, seconds: 60, medianSeconds: 60, joinSeenBy: 'reporting' });
  });

  it('reads a step without the rings as a gap, and says what it waits for', () => {
    const ringsMissing = scaleOuts.map((sample) => ((sample.atMs - T0) / 1000 === 690 ? { ...sample, smallestRing: undefined } : sample));
    expect(estimateStartup(ringsMissing, 'rings')).toEqual({ kind: 'insufficient', reason: "only 1 gateway seen entering every agent's ring after a scale-out; 3 needed", observations: 1 });
    // Reporting does not read the rings, so it does not see that gap.
    expect(estimateStartup(ringsMissing, 'reporting')).toMatchObject({ kind: 'learned', observations: 3 });
  });
});

describe('startupInUse', () => {
  const settings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', podStartup: '45s', pollingInterval: '30s', dnsResolverInterval: '5s', dnsTtl: '30s' });
  const learned = { kind: 'learned', seconds: 120, medianSeconds: 100, observations: 12, fromMs: T0, toMs: T0 + 86_400_000 } as const;

  it('adds the stated re-resolve to a startup learned from gateways reporting, and looks that far ahead', () => {
    const used = startupInUse(settings, { ...learned, joinSeenBy: 'reporting' });
    expect(used).toMatchObject({ seconds: 120, source: 'learned', joinSeconds: 120 + 5 + 30, leadTimeSeconds: 120 + 5 + 30 + 30 + HPA_SYNC_SECONDS });
    expect(used.sentence).toBe("pod startup 2m, learned from 12 gateways seen joining after scale-outs (p90; median 100s); the trigger says 45s; + the agents' re-resolve 35s (DNS interval 5s + DNS TTL 30s) before the agents send to it");
  });

  it('adds nothing to a join learned from the agents\' rings: the re-resolve is in it, whatever the trigger states', () => {
    const used = startupInUse(settings, { ...learned, joinSeenBy: 'rings' });
    expect(used).toMatchObject({ seconds: 120, source: 'learned', joinSeconds: 120, leadTimeSeconds: 120 + 30 + HPA_SYNC_SECONDS });
    expect(used.sentence).toMatch(/^a new gateway takes traffic 2m after it is asked for, learned from 12 gateways seen entering every agent's ring/);
    const longerTtl = startupInUse({ ...settings, dnsTtlSeconds: 300 }, { ...learned, joinSeenBy: 'rings' });
    expect(longerTtl.joinSeconds).toBe(120);
  });

  it("keeps the trigger's podStartup until learned, with the stated re-resolve", () => {
    const used = startupInUse(settings, { kind: 'insufficient', reason: 'no gateway was seen joining after a scale-out; 3 needed', observations: 0 });
    expect(used).toMatchObject({ seconds: 45, source: 'trigger', joinSeconds: 45 + 35, leadTimeSeconds: 45 + 35 + 30 + HPA_SYNC_SECONDS });
    expect(used.joinSummary).toBe('pod startup 45s from the trigger + re-resolve 35s');
  });
});

describe('startup learned from the simulated fleet', () => {
  it('finds the fleet’s true startup (90 s) within a scrape interval, through the simulated kube-state-metrics', () => {
    const { source, window } = simulatedHour({ ...DEFAULT_FLEET_SETTINGS, podStartupSeconds: 90 }, 4, new Map([[60, 6], [360, 9]]), 40_000);
    const withDeployment = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway' });
    const estimate = estimateStartup(source.replicaCounts(SIMULATED_TARGET, withDeployment, window), 'reporting');
    if (estimate.kind !== 'learned') throw new Error(estimate.reason);
    expect(estimate.observations).toBe(5);
    // Both series are read at 15 s scrapes, so a start is seen up to one scrape early or late.
    expect(Math.abs(estimate.seconds - 90)).toBeLessThanOrEqual(STEP_S);
    // The simulated agents take a ready pod in at their next resolve: the ring shows startup + interval.
    const withAgents = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway', agentSelector: 'job="otel-agent"' });
    const toRings = estimateStartup(source.replicaCounts(SIMULATED_TARGET, withAgents, window), 'rings');
    if (toRings.kind !== 'learned') throw new Error(toRings.reason);
    expect(toRings.observations).toBe(5);
    expect(Math.abs(toRings.seconds - (90 + DEFAULT_FLEET_SETTINGS.dnsResolverIntervalSeconds))).toBeLessThanOrEqual(STEP_S);
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
      let ring = 4;
      return moves.map(({ move, follow, gap }, i): ReplicaCountSample => {
        // Moves are rare (about one step in four), gaps rarer, as on a real tier.
        if (i % 4 === 0) desired = Math.max(1, desired + move);
        // The rings follow what reports, a step or more behind on the way in.
        ring = ring < reporting ? ring + (follow > 0 ? 1 : 0) : reporting;
        reporting = reporting < desired ? Math.min(desired, reporting + follow % 2) : reporting > desired ? Math.max(desired, reporting - follow) : reporting;
        const missing = gap && follow === 3 && move === 0;
        const ringMissing = gap && follow === 2;
        return { atMs: T0 + i * STEP_S * 1000, desiredReplicas: missing ? undefined : desired, reportingReplicas: missing ? undefined : reporting, smallestRing: missing || ringMissing ? undefined : ring };
      });
    });

  const seenBy = fc.constantFrom<JoinSeenBy>('reporting', 'rings');

  it('gives exactly what estimateStartup gives over every window it slides over, with steps not final yet as a tail', () => {
    fc.assert(
      fc.property(series, seenBy, fc.integer({ min: 5, max: 200 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 6 }), (samples, joinSeenBy, windowSteps, slideSteps, tailSteps) => {
        const sliding = new SlidingStartupEstimate(joinSeenBy);
        let appended = 0;
        for (let end = Math.min(windowSteps, samples.length); end <= samples.length; end += slideSteps) {
          const from = Math.max(0, end - windowSteps);
          const settled = Math.max(from, end - tailSteps);
          while (appended < settled) sliding.append(samples[appended++]!);
          const window = samples.slice(from, end);
          expect(sliding.estimate(samples[from]!.atMs, samples.slice(Math.max(settled, appended), end))).toEqual(estimateStartup(window, joinSeenBy));
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each<JoinSeenBy>(['reporting', 'rings'])('learns from scale-outs in the property series, seen by %s (the comparison is not only of empty estimates)', (joinSeenBy) => {
    const learned = fc.sample(series, { numRuns: 50, seed: 7 }).filter((samples) => estimateStartup(samples, joinSeenBy).kind === 'learned');
    expect(learned.length).toBeGreaterThan(25);
  });

  it('refuses a window that starts before what was appended, and samples out of order', () => {
    const sliding = new SlidingStartupEstimate('reporting');
    sliding.append({ atMs: T0 + 15_000, desiredReplicas: 2, reportingReplicas: 2 });
    expect(() => sliding.estimate(T0, [])).toThrow(/before the first appended sample/);
    expect(() => sliding.append({ atMs: T0, desiredReplicas: 2, reportingReplicas: 2 })).toThrow(/time order/);
  });
});
