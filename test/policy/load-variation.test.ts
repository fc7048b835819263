import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.ts';
import { withinHpaTolerance } from '../../src/policy/guards.ts';
import { advanceLoadSamples, advanceSortedSlopes, busiestShareLevel, LOAD_SAMPLES, loadVariation, MIN_LOAD_DIFFERENCES, noiseFloor, type SortedSlopes } from '../../src/policy/load-variation.ts';
import type { LoadPeak, LoadReading, PolicyState } from '../../src/policy/policy-state.ts';
import type { StartupEstimate } from '../../src/policy/startup-estimate.ts';
import { seededRandom } from '../../src/sim/seeded-random.ts';
import { type SignalOverrides, settings, snapshot, T0_MS } from './policy-fixtures.ts';

const uniform = seededRandom;

/** Seeded standard normal (Box–Muller). */
function normal(seed: number): () => number {
  const next = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

function samplesOf(loads: readonly number[], stepSeconds = 30): readonly LoadPeak[] {
  let samples: readonly LoadPeak[] | undefined;
  loads.forEach((load, i) => {
    samples = advanceLoadSamples(samples, T0_MS + i * stepSeconds * 1000, load);
  });
  return samples ?? [];
}

describe('trend and noise of the accepted load', () => {
  it('recovers the trend and the noise of a noisy ramp', () => {
    const noise = normal(7);
    const loads = Array.from({ length: LOAD_SAMPLES }, (_, i) => 50_000 + 100 * 30 * i + 2_000 * noise());
    const variation = loadVariation(samplesOf(loads))!;
    expect(variation.trendSpansPerSecondPerSecond).toBeGreaterThan(60);
    expect(variation.trendSpansPerSecondPerSecond).toBeLessThan(140);
    expect(variation.noiseSpansPerSecond).toBeGreaterThan(2_000 * 0.6);
    expect(variation.noiseSpansPerSecond).toBeLessThan(2_000 * 1.4);
    expect(variation.intervalSeconds).toBe(30);
  });

  it('a single step among flat readings moves neither the trend nor the noise', () => {
    const loads = Array.from({ length: LOAD_SAMPLES }, (_, i) => (i < 10 ? 50_000 : 100_000));
    const variation = loadVariation(samplesOf(loads))!;
    expect(variation.trendSpansPerSecondPerSecond).toBe(0);
    expect(variation.noiseSpansPerSecond).toBe(0);
  });

  it('keeps the last readings only, ignores repeated, older and missing ones, and estimates nothing from too few', () => {
    const many = samplesOf(Array.from({ length: 50 }, (_, i) => i));
    expect(many).toHaveLength(LOAD_SAMPLES);
    expect(many[0]!.spansPerSecond).toBe(50 - LOAD_SAMPLES);
    const same = advanceLoadSamples(many, many[many.length - 1]!.atMs, 1e9);
    expect(same).toBe(many);
    expect(advanceLoadSamples(many, T0_MS + 3600_000, undefined)).toBe(many);
    expect(loadVariation(samplesOf([1, 2, 3, 4]))).toBeUndefined();
    expect(noiseFloor(samplesOf([1, 2, 3, 4]), 20_000, { targetUtilization: 0.7, numTraces: 50_000 })).toBeUndefined();
  });

  it('the scale-in floor is the throughput count at the highest recent reading, lowered only as far as the HPA tolerance holds it', () => {
    // 70k needs 5 at 70 % of 20k; a reading of 71k needs 6.
    const small = noiseFloor(samplesOf([68_000, 71_000, 69_000, 67_000, 66_000]), 20_000, { targetUtilization: 0.7, numTraces: 50_000 })!;
    expect([small.noisyNeed, small.replicas]).toEqual([6, 6]);
    // 150k needs 11; from 10 the HPA acts on 11 (10 % in float64 is just over), so 11; 310k needs 23, and 21 already ignores it.
    const large = noiseFloor(samplesOf([300_000, 310_000, 290_000, 280_000, 280_000]), 20_000, { targetUtilization: 0.7, numTraces: 50_000 })!;
    expect(large.noisyNeed).toBe(23);
    expect(withinHpaTolerance(large.replicas, 23)).toBe(true);
    expect(withinHpaTolerance(large.replicas - 1, 23)).toBe(false);
  });

  it('where num_traces binds before CPU, the floor is the traces-on-memory count at the highest recent reading', () => {
    // 60k spans/s needs 5 by CPU; 120k traces held at 40k would be 180k at 60k, 12 at 80 % of num_traces 20k.
    const samples = samplesOf([60_000, 45_000, 40_000, 42_000, 40_000]);
    const target = { targetUtilization: 0.7, numTraces: 20_000 };
    expect(noiseFloor(samples, 20_000, target, { tracesOnMemory: 120_000, spansPerSecond: 40_000 })!.noisyNeed).toBe(12);
    expect(noiseFloor(samples, 20_000, target)!.noisyNeed).toBe(5);
  });
});

/** Polls decide() every 30 s against a tier the HPA moves to the recommendation unless inside its tolerance (pods start at once). */
function runPolls(loadAt: (poll: number) => number | 'missing', polls: number, options: { startup?: StartupEstimate; extra?: (poll: number) => SignalOverrides } = {}) {
  const target = settings({ capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60' });
  let replicas = 5;
  let state: PolicyState | undefined;
  const counts: number[] = [];
  const decisions = [];
  for (let poll = 0; poll < polls; poll++) {
    const nowMs = T0_MS + poll * 30_000;
    const load = loadAt(poll);
    const signals: SignalOverrides = { currentReplicas: replicas, acceptedSpansPerSecond: load, tracesOnMemory: 10_000, ...options.extra?.(poll) };
    const result = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }), ...(options.startup ? { startup: options.startup } : {}) }, target, state);
    state = result.state;
    decisions.push(result.decision);
    if (!withinHpaTolerance(replicas, result.decision.replicas)) replicas = result.decision.replicas;
    counts.push(replicas);
  }
  return { counts, decisions };
}

function reversals(counts: readonly number[]): number {
  let last = 0;
  let turns = 0;
  for (let i = 1; i < counts.length; i++) {
    const direction = Math.sign(counts[i]! - counts[i - 1]!);
    if (direction === 0) continue;
    if (last !== 0 && direction !== last) turns++;
    last = direction;
  }
  return turns;
}

describe('trend and noise kept up to date poll by poll', () => {
  // advanceSortedSlopes keeps each window's slopes sorted (the state carries them beside the window);
  // without them the window is taken the plain way (every slope computed, three selections), which the
  // kept list must match exactly.
  const step = fc.record({
    restart: fc.integer({ min: 0, max: 59 }).map((n) => n === 0),
    elapsedMs: fc.oneof(fc.constant(30_000), fc.constant(30_000), fc.constant(30_000), fc.constantFrom(15_000, 29_999, 60_000, 0, -15_000)),
    spansPerSecond: fc.oneof(
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      fc.constantFrom(0, 1000, 1000, 1e-300, 1.7e308, undefined),
      fc.integer({ min: 0, max: 50 }).map((n) => n * 100),
    ),
  });

  /** The plain computation: every slope of the window, sorted; undefined when one is not a finite number. (The two zeros compare equal, so a sort leaves them in either order.) */
  function plainSortedSlopes(samples: readonly LoadPeak[]): SortedSlopes {
    const slopes = samples.slice(1).map((sample, i) => (sample.spansPerSecond - samples[i]!.spansPerSecond) / ((sample.atMs - samples[i]!.atMs) / 1000));
    return slopes.every(Number.isFinite) ? slopes.sort((a, b) => a - b) : undefined;
  }

  it('gives the plain computation over every window of any run of snapshots (repeated, older, missing, uneven, overflowing)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 200, size: 'max' }), (steps) => {
        let samples: readonly LoadPeak[] | undefined;
        let slopes: SortedSlopes;
        let atMs = T0_MS;
        for (const { restart, elapsedMs, spansPerSecond } of steps) {
          atMs += elapsedMs;
          const previous = restart ? undefined : samples;
          samples = advanceLoadSamples(previous, atMs, spansPerSecond);
          slopes = advanceSortedSlopes(previous, restart ? undefined : slopes, samples);
          expect(slopes?.map((slope) => slope + 0)).toEqual(plainSortedSlopes(samples)?.map((slope) => slope + 0));
          expect(loadVariation(samples, slopes)).toEqual(loadVariation(samples));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every earlier window as it was: a state advanced twice gives each continuation its own answer', () => {
    const loads = [100, 140, 90, 180, 120, 160, 110, 150, 130, 170, 100, 140, 95, 185, 125, 165, 105, 155, 135, 175, 115, 145];
    const base = samplesOf(loads);
    const baseSlopes = plainSortedSlopes(base);
    const up = advanceLoadSamples(base, T0_MS + loads.length * 30_000, 10_000);
    const down = advanceLoadSamples(base, T0_MS + loads.length * 30_000, 0);
    const upSlopes = advanceSortedSlopes(base, baseSlopes, up);
    const downSlopes = advanceSortedSlopes(base, baseSlopes, down);
    expect(loadVariation(up, upSlopes)).toEqual(loadVariation(up));
    expect(loadVariation(down, downSlopes)).toEqual(loadVariation(down));
    expect(loadVariation(base, baseSlopes)).toEqual(loadVariation(base));
    expect(baseSlopes).toEqual(plainSortedSlopes(base));
    expect(loadVariation(up)!.trendSpansPerSecondPerSecond).toBeGreaterThan(loadVariation(down)!.trendSpansPerSecondPerSecond);
  });

  it('decide() carries the sorted slopes beside the window, and decides the same without them', () => {
    const noise = uniform(13);
    let state: PolicyState | undefined;
    for (let poll = 0; poll < 80; poll++) {
      const nowMs = T0_MS + poll * 30_000;
      const input = { nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals: { currentReplicas: 5, acceptedSpansPerSecond: 70_000 * (0.9 + 0.2 * noise()) } }) };
      const kept = decide(input, settings(), state);
      const afresh = decide(input, settings(), state === undefined ? undefined : { ...state, loadSlopes: undefined });
      expect(kept.decision).toEqual(afresh.decision);
      expect(kept.state).toEqual(afresh.state);
      expect(kept.state.loadSlopes?.map((slope) => slope + 0)).toEqual(plainSortedSlopes(kept.state.loadSamples!)?.map((slope) => slope + 0));
      state = kept.state;
    }
  });
});

describe('no flapping on a noisy load', () => {
  it('a noisy flat load at a replica boundary does not alternate scale-out and scale-in at every lull', () => {
    // 70k spans/s is exactly 5 replicas at 70 % of 20k; ±4 % noise crosses to 6 about every other poll.
    // Without the dead band the tier steps in at each 90 s lull and straight back out: 57 reversals in 6 h.
    const noise = uniform(11);
    const { counts } = runPolls(() => 70_000 * (0.96 + 0.08 * noise()), 6 * 120);
    // At most one scale-in per hour: the dead band lasts the hour after a scale-out.
    expect(reversals(counts)).toBeLessThanOrEqual(2 * 6);
  });

  it('a real step up still scales out at the poll that sees it, and the tier steps back in once the step is over', () => {
    const noise = uniform(3);
    const { counts, decisions } = runPolls((poll) => (poll >= 100 && poll < 200 ? 140_000 : 70_000) * (0.98 + 0.04 * noise()), 400);
    expect(decisions[100]!.recommended).toBeGreaterThanOrEqual(10);
    expect(counts[100]).toBeGreaterThanOrEqual(10);
    expect(counts[399]).toBeLessThan(counts[199]!);
  });

  it('scale-in is never triggered while a signal is missing, whatever the noise floor says', () => {
    const noise = uniform(5);
    const { decisions } = runPolls((poll) => (poll < 60 ? 140_000 : 30_000) * (0.98 + 0.04 * noise()), 120, { extra: (poll) => (poll >= 60 ? { queueFillMax: 'missing' } : {}) });
    for (const decision of decisions.slice(60)) expect(decision.recommended).toBeGreaterThanOrEqual(decision.current);
  });

  it('nor while the load itself is missing', () => {
    const noise = uniform(9);
    const { decisions } = runPolls((poll) => (poll < 60 ? 140_000 * (0.98 + 0.04 * noise()) : 'missing'), 120);
    for (const decision of decisions.slice(60)) expect(decision.recommended).toBeGreaterThanOrEqual(decision.current);
  });
});

describe('the startup headroom of the throughput proposal', () => {
  const ramp = (poll: number) => 40_000 + 50 * 30 * poll;
  const learned: StartupEstimate = { kind: 'learned', seconds: 120, medianSeconds: 100, observations: 12, fromMs: T0_MS - 86_400_000, toMs: T0_MS, joinSeenBy: 'reporting' };

  it('sizes a rising load at what it will be when a pod asked for now takes traffic, with the learned startup when there is one', () => {
    const withTrigger = runPolls(ramp, 40).decisions[39]!;
    const withLearned = runPolls(ramp, 40, { startup: learned }).decisions[39]!;
    const throughput = (decision: typeof withTrigger) => decision.proposals.find((proposal) => proposal.name === 'throughput')!;
    // 45 s trigger startup + the agents' re-resolve (5 s DNS interval + 30 s TTL) + 30 s poll + 15 s sync
    // = 125 s; learned 120 s → 200 s; the ramp adds 50 spans/s per second.
    expect(throughput(withTrigger).inputs.leadTimeSeconds).toBe(125);
    expect(throughput(withTrigger).inputs.growthSpansPerSecond).toBeCloseTo(50 * 125);
    expect(throughput(withLearned).inputs.leadTimeSeconds).toBe(200);
    expect(throughput(withLearned).inputs.podStartupSeconds).toBe(120);
    expect(throughput(withLearned).inputs.joinSeconds).toBe(155);
    expect(throughput(withLearned).reason).toMatch(/\(3m20s: pod startup 2m, learned, \+ re-resolve 35s\)/);
    expect(withLearned.startup.source).toBe('learned');
    // 98.5k now; 104.75k (trigger) or 108.5k (learned) ahead, at 14k per replica.
    expect([throughput(withTrigger).replicas, throughput(withLearned).replicas]).toEqual([8, 8]);
    // At 119.5k: 125.75k ahead needs 9, 129.5k needs 10: the slower start asks for its replica a poll earlier.
    const later = (startup?: StartupEstimate) => runPolls(ramp, 54, startup ? { startup } : {}).decisions[53]!;
    expect([throughput(later()).replicas, throughput(later(learned)).replicas]).toEqual([9, 10]);
  });

  it("looks ahead by a join the agents' rings timed, with no re-resolve added to it", () => {
    const decision = runPolls(ramp, 40, { startup: { ...learned, joinSeenBy: 'rings' } }).decisions[39]!;
    const throughput = decision.proposals.find((proposal) => proposal.name === 'throughput')!;
    // 120 s to every agent's ring + 30 s poll + 15 s sync.
    expect(throughput.inputs).toMatchObject({ leadTimeSeconds: 165, joinSeconds: 120, podStartupSeconds: 120 });
    expect(throughput.inputs.growthSpansPerSecond).toBeCloseTo(50 * 165);
    expect(throughput.reason).toMatch(/\(2m45s: joining the agents' rings 2m, learned\)/);
  });

  it('adds nothing for a flat noisy load', () => {
    const noise = uniform(13);
    const { decisions } = runPolls(() => 70_000 * (0.96 + 0.08 * noise()), 200);
    const grown = decisions.filter((decision) => decision.proposals.find((proposal) => proposal.name === 'throughput')!.inputs.growthSpansPerSecond !== undefined);
    expect(grown.length).toBeLessThan(decisions.length / 20);
  });
});

describe('queues filling while added gateways do not raise the sent rate', () => {
  const target = settings({ capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60' });
  /** Two polls: queues above target at 18 gateways, then again after the tier grew to 20, with the given sent rate. */
  function afterGrowth(sentAfter: number) {
    const first = decide(
      { nowMs: T0_MS, snapshot: snapshot({ observedAtMs: T0_MS, signals: { currentReplicas: 18, acceptedSpansPerSecond: 200_000, sentSpansPerSecond: 200_000, queueFillMax: 0.55, queueFillMean: 0.5 } }) },
      target,
    );
    const nowMs = T0_MS + 90_000;
    const second = decide(
      { nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals: { currentReplicas: 20, acceptedSpansPerSecond: 205_000, sentSpansPerSecond: sentAfter, queueFillMax: 0.58, queueFillMean: 0.55 } }) },
      target,
      first.state,
    );
    return { first: first.decision, second: second.decision };
  }

  it('the queue asks for more while the first gateways it added are what the evidence lacks', () => {
    expect(afterGrowth(200_000).first.recommended).toBe(20);
  });

  it('holds once gateways added for the queues left the sent rate flat: the backend is the ceiling', () => {
    const { second } = afterGrowth(200_000);
    const queue = second.proposals.find((proposal) => proposal.name === 'queue')!;
    expect(queue.replicas).toBe(20);
    expect(queue.reason).toMatch(/the 2 gateways added since 18 did not raise the sent rate .*the backend is the ceiling/);
    expect(second.recommended).toBe(20);
  });

  it('keeps growing when the gateways added raised the sent rate: the gateways were the limit', () => {
    const { second } = afterGrowth(222_000);
    expect(second.proposals.find((proposal) => proposal.name === 'queue')!.replicas).toBe(24);
    expect(second.recommended).toBe(24);
  });

  /** Polls 90 s apart from the first one of afterGrowth (18 gateways, queues 55 % full, 200k sent): each later one's count, fill and sent rate. */
  function episode(later: readonly { readonly replicas: number; readonly fill: number; readonly sent: number }[]) {
    const polls = [{ replicas: 18, fill: 0.55, sent: 200_000 }, ...later];
    let state: ReturnType<typeof decide>['state'] | undefined;
    return polls.map((poll, i) => {
      const nowMs = T0_MS + i * 90_000;
      const signals = { currentReplicas: poll.replicas, acceptedSpansPerSecond: 205_000, sentSpansPerSecond: poll.sent, queueFillMax: poll.fill, queueFillMean: poll.fill - 0.05 };
      const result = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }) }, target, state);
      state = result.state;
      return result.decision.proposals.find((proposal) => proposal.name === 'queue')!;
    });
  }

  it('keeps that evidence while the fill wobbles about its target at the same sent rate, and through an outage that stops the sends', () => {
    // At its target for a poll, then above it again: still the ceiling the 2 gateways added did not raise.
    const wobble = episode([
      { replicas: 20, fill: 0.5, sent: 200_000 },
      { replicas: 20, fill: 0.56, sent: 200_000 },
    ]);
    expect(wobble[2]!.replicas).toBe(20);
    expect(wobble[2]!.reason).toMatch(/the 2 gateways added since 18 did not raise the sent rate/);
    // Sends stopped with the queues full, then back at the same rate: the queues' backlog is the outage's, not the gateways'.
    const outage = episode([
      { replicas: 20, fill: 0.58, sent: 200_000 },
      { replicas: 20, fill: 1, sent: 0 },
      { replicas: 20, fill: 1, sent: 200_000 },
    ]);
    expect(outage[3]!.replicas).toBe(20);
    expect(outage[3]!.reason).toMatch(/did not raise the sent rate/);
  });

  it('drops it once the queues drain with the sent rate below it: the next filling is a new experiment', () => {
    const polls = episode([
      { replicas: 20, fill: 0.3, sent: 150_000 },
      { replicas: 20, fill: 0.56, sent: 200_000 },
    ]);
    expect(polls[2]!.replicas).toBe(23);
    expect(polls[2]!.reason).not.toMatch(/did not raise/);
  });
});

describe("the busiest gateway's share multiple as a level", () => {
  it('is the median of the readings\' multiples (an unsized reading counts as 1) when above 1, whatever their mix', () => {
    const multipleArb = fc.option(fc.constantFrom(0.9, 1, 1.2, 1.5, 2), { nil: undefined });
    fc.assert(
      fc.property(fc.array(multipleArb, { minLength: 0, maxLength: LOAD_SAMPLES }), (multiples) => {
        const samples: LoadReading[] = multiples.map((multiple, i) => (multiple === undefined ? { atMs: T0_MS + i * 30_000, spansPerSecond: 1000 } : { atMs: T0_MS + i * 30_000, spansPerSecond: 1000, busiestShareMultiple: multiple }));
        const sorted = multiples.map((multiple) => multiple ?? 1).sort((a, b) => a - b);
        const mid = Math.floor(sorted.length / 2);
        const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
        const want = samples.length > MIN_LOAD_DIFFERENCES && median > 1 ? median : undefined;
        expect(busiestShareLevel(samples)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });
});
