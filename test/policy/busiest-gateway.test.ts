// The throughput proposal's second count: the busiest gateway of a hash-skewed ring kept at the
// utilization a peak may run at, while a hot spot past the routing-imbalance ratio stays unsized.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.ts';
import { advanceLoadSamples, noiseFloor } from '../../src/policy/load-variation.ts';
import { PEAK_UTILIZATION } from '../../src/policy/peak-utilization.ts';
import { hotSpotSpreads, readPolicyContext } from '../../src/policy/policy-context.ts';
import type { LoadPeak } from '../../src/policy/policy-state.ts';
import { busiestShareMultiple, throughputProposal } from '../../src/policy/proposals.ts';
import type { RingSpread } from '../../src/policy/ring-spread.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

const CAPACITY = 20_000;
const TOTAL = 80_000;

function contextOf(byGateway: Record<string, number>, currentReplicas = Object.keys(byGateway).length, ringSpread?: RingSpread) {
  return readPolicyContext(snapshot({ byGateway, signals: { currentReplicas, acceptedSpansPerSecond: TOTAL } }), settings(), T0_MS, { ringSpread });
}

/** What the ring's growth from 2 to 3 gateways did to a hot spot's share: halved as an arc's, or kept. */
function grewFromTwoToThree(kind: 'follows-ring' | 'stays'): RingSpread {
  return { kind, before: { gateways: 2, hottestShare: 0.75, atMs: T0_MS - 3_600_000 }, after: { gateways: 3, hottestShare: kind === 'stays' ? 0.72 : 0.5, atMs: T0_MS - 600_000 } };
}

/** Six gateways taking TOTAL between them, gateway-0 `multiple` times the mean. */
function skewed(multiple: number, gateways = 6): Record<string, number> {
  const hot = (multiple * TOTAL) / gateways;
  return Object.fromEntries(Array.from({ length: gateways }, (_, i) => [`gateway-${i}`, i === 0 ? hot : (TOTAL - hot) / (gateways - 1)]));
}

describe('the throughput proposal sizes the busiest gateway', () => {
  it('grows a hash-skewed tier until its busiest gateway runs at the peak utilization, and says which gateway', () => {
    const outcome = throughputProposal(contextOf(skewed(1.5)));
    const want = Math.ceil((1.5 * TOTAL) / (CAPACITY * PEAK_UTILIZATION));
    expect(want).toBeGreaterThan(Math.ceil(TOTAL / (CAPACITY * 0.7)));
    expect(outcome.proposal.replicas).toBe(want);
    expect(outcome.proposal.inputs.busiestGatewayShareMultiple).toBeCloseTo(1.5, 12);
    expect(outcome.proposal.reason).toMatch(/gateway gateway-0 takes 20k spans\/s, 1\.50× an even share, so 7 keep it at 91% of 20k spans\/s → 7$/);
  });

  it('leaves a ring with a mild skew to the total at the target utilization', () => {
    // 1.2× the mean at 91 % asks for less than the total at 70 % (a skew below 0.91 / 0.7 ≈ 1.30 never binds).
    const outcome = throughputProposal(contextOf(skewed(1.2)));
    expect(outcome.proposal.replicas).toBe(Math.ceil(TOTAL / (CAPACITY * 0.7)));
    expect(outcome.proposal.inputs.busiestGatewaySpansPerSecond).toBeUndefined();
  });

  it('does not count gateways that have not joined the ring yet (no spans) as evenly loaded ones', () => {
    const joining = { ...skewed(1, 6), 'gateway-6': 0, 'gateway-7': 0 };
    const ctx = contextOf(joining, 8);
    expect(busiestShareMultiple(ctx)).toBeCloseTo(1, 12);
    expect(throughputProposal(ctx).proposal.replicas).toBe(Math.ceil(TOTAL / (CAPACITY * 0.7)));
  });

  it('does not size a hot spot of twice the others or more: a routing problem more gateways would not fix', () => {
    const ctx = contextOf(skewed(3));
    expect(ctx.imbalance?.hottestGateway).toBe('gateway-0');
    expect(busiestShareMultiple(ctx)).toBeUndefined();
    expect(throughputProposal(ctx).proposal.replicas).toBe(Math.ceil(TOTAL / (CAPACITY * 0.7)));
  });

  it("sizes a hot spot past that ratio once the ring's last change moved its share as a hash arc's moves, and says so", () => {
    // Three gateways, gateway-0 at 1.5× an even share: twice the others' mean.
    const ctx = contextOf(skewed(1.5, 3), 3, grewFromTwoToThree('follows-ring'));
    expect(hotSpotSpreads(ctx)).toBe(true);
    const outcome = throughputProposal(ctx);
    expect(outcome.proposal.replicas).toBe(Math.ceil((1.5 * TOTAL) / (CAPACITY * PEAK_UTILIZATION)));
    expect(outcome.proposal.reason).toContain('1.50× an even share (its share went from 75% at 2 gateways to 50% at 3, as a hash arc\'s does), so 7 keep it');
    const { decision } = decide({ nowMs: T0_MS, snapshot: snapshot({ byGateway: skewed(1.5, 3), signals: { currentReplicas: 3, acceptedSpansPerSecond: TOTAL } }), ringSpread: grewFromTwoToThree('follows-ring') }, settings());
    // Still a routing imbalance for the signals it inflates; the note says the tier is sized for it.
    expect(decision.guards.find((guard) => guard.name === 'routingImbalance')?.reason).toContain(
      'a hot spot more gateways spread, so the throughput proposal sizes the tier for that gateway; queue fill counts by its mean and decision latency adds no replicas',
    );
  });

  it('leaves a hot spot that kept its share when the ring grew unsized, and the note says what the ring showed', () => {
    const ctx = contextOf(skewed(1.5, 3), 3, grewFromTwoToThree('stays'));
    expect(hotSpotSpreads(ctx)).toBe(false);
    expect(throughputProposal(ctx).proposal.replicas).toBe(Math.ceil(TOTAL / (CAPACITY * 0.7)));
    const { decision } = decide({ nowMs: T0_MS, snapshot: snapshot({ byGateway: skewed(1.5, 3), signals: { currentReplicas: 3, acceptedSpansPerSecond: TOTAL } }), ringSpread: grewFromTwoToThree('stays') }, settings());
    expect(decision.guards.find((guard) => guard.name === 'routingImbalance')?.reason).toContain('would not fix (its share went from 75% at 2 gateways to 72% at 3)');
  });

  it('sizes a hot spot that overloads its gateway when the ring has not changed size to tell, so the change it causes tells', () => {
    const untested: RingSpread = { kind: 'unknown', reason: 'the ring held 3 gateways throughout the history read' };
    // gateway-0 takes 40k spans/s, above the 18k a peak may run one at.
    const overloaded = contextOf(skewed(1.5, 3), 3, untested);
    expect(hotSpotSpreads(overloaded)).toBe(true);
    const outcome = throughputProposal(overloaded);
    expect(outcome.proposal.replicas).toBe(Math.ceil((1.5 * TOTAL) / (CAPACITY * PEAK_UTILIZATION)));
    expect(outcome.proposal.reason).toContain('1.50× an even share and overloaded; whether more gateways spread it is not known (the ring held 3 gateways');
    // The same shares at a tenth of the load: the hot gateway keeps up, and the hot spot stays a routing note.
    const light = Object.fromEntries(Object.entries(skewed(1.5, 3)).map(([gateway, rate]) => [gateway, rate / 10]));
    const lightContext = contextOf(light, 3, untested);
    expect(hotSpotSpreads(lightContext)).toBe(false);
    expect(busiestShareMultiple(lightContext)).toBeUndefined();
    // Not read at all is not "untested": nothing is sized on it.
    expect(hotSpotSpreads(contextOf(skewed(1.5, 3), 3))).toBe(false);
  });

  it('without per-gateway rates sizes the total alone', () => {
    const ctx = readPolicyContext(snapshot({ byGateway: 'missing', signals: { acceptedSpansPerSecond: TOTAL } }), settings(), T0_MS);
    expect(busiestShareMultiple(ctx)).toBeUndefined();
    expect(throughputProposal(ctx).proposal.replicas).toBe(Math.ceil(TOTAL / (CAPACITY * 0.7)));
  });

  it("keeps a scale-in's dead band above what the busiest gateway needs at the load's recent high", () => {
    let samples: readonly LoadPeak[] | undefined;
    for (let i = 0; i < 21; i++) samples = advanceLoadSamples(samples, T0_MS + i * 30_000, TOTAL * (i % 2 === 0 ? 1 : 0.97));
    const target = { targetUtilization: 0.7, numTraces: 50_000 };
    const even = noiseFloor(samples!, CAPACITY, target)!;
    const skew = noiseFloor(samples!, CAPACITY, target, undefined, 1.5)!;
    expect(even.noisyNeed).toBe(Math.ceil(TOTAL / (CAPACITY * 0.7)));
    expect(skew.noisyNeed).toBe(Math.ceil((1.5 * TOTAL) / (CAPACITY * PEAK_UTILIZATION)));
  });
});

describe('the busiest gateway across a change of count within the rate window', () => {
  const target = settings();
  const windowMs = target.rateWindowSeconds * 1000;
  /** `hotRate` for gateway-0, the rest of TOTAL spread evenly over the others: a windowed rate may still hold the old share. */
  function tier(gateways: number, hotRate: number): Record<string, number> {
    return Object.fromEntries(Array.from({ length: gateways }, (_, i) => [`gateway-${i}`, i === 0 ? hotRate : (TOTAL - hotRate) / (gateways - 1)]));
  }
  function decideAt(atMs: number, byGateway: Record<string, number>, previous?: Parameters<typeof decide>[2]) {
    const current = Object.keys(byGateway).length;
    return decide({ nowMs: atMs, snapshot: snapshot({ byGateway, signals: { currentReplicas: current, acceptedSpansPerSecond: TOTAL }, observedAtMs: atMs }) }, target, previous);
  }
  const throughputOf = (result: ReturnType<typeof decide>) => result.decision.proposals.find((proposal) => proposal.name === 'throughput')!;
  const sizedAt = (multiple: number) => Math.ceil((multiple * TOTAL) / (CAPACITY * PEAK_UTILIZATION));
  /** The hot gateway's rate at 1.4× an even share of 6; over 7 gateways it reads as 1.63×. */
  const hotOfSix = (1.4 * TOTAL) / 6;
  const readOverSeven = (hotOfSix * 7) / TOTAL;

  it('sizes with the multiple measured before a scale-out while the window still holds the old share, then with the one measured after', () => {
    expect([sizedAt(1.4), sizedAt(readOverSeven)]).toEqual([7, 8]);
    const before = decideAt(T0_MS, tier(6, hotOfSix));
    expect(throughputOf(before).inputs.busiestGatewayShareMultiple).toBeCloseTo(1.4, 12);
    // One poll after the tier grew to 7, the hot gateway's windowed rate still holds its share of 6.
    const mixed = decideAt(T0_MS + 15_000, tier(7, hotOfSix), before.state);
    expect(throughputOf(mixed).replicas).toBe(sizedAt(1.4));
    expect(throughputOf(mixed).inputs.busiestGatewayShareMultiple).toBeCloseTo(1.4, 12);
    expect(throughputOf(mixed).reason).toContain('1.40× an even share as measured before the count changed within the 2m rate window');
    // A whole window later the count has held over it, and the multiple is measured again.
    const after = decideAt(T0_MS + 15_000 + windowMs + 15_000, tier(7, ((1.55 * TOTAL) / 7)), mixed.state);
    expect(throughputOf(after).inputs.busiestGatewayShareMultiple).toBeCloseTo(1.55, 12);
    expect(throughputOf(after).reason).not.toContain('as measured before');
  });

  it('sizes with the multiple measured when there is none from before the change: a first decision, or one after a gap', () => {
    expect(throughputOf(decideAt(T0_MS, tier(7, hotOfSix))).inputs.busiestGatewayShareMultiple).toBeCloseTo(readOverSeven, 12);
    const longAgo = decideAt(T0_MS - 3_600_000, tier(6, hotOfSix));
    const afterGap = decideAt(T0_MS, tier(7, hotOfSix), longAgo.state);
    expect(throughputOf(afterGap).inputs.busiestGatewayShareMultiple).toBeCloseTo(readOverSeven, 12);
    expect(throughputOf(afterGap).replicas).toBe(sizedAt(readOverSeven));
  });
});

describe("the recent peak keeps the busiest gateway's room through a dip", () => {
  const target = settings();
  /** Six gateways at `total`, gateway-0 at `multiple` × an even share; the count held, so the share is measured. */
  function decideAt(atSeconds: number, total: number, multiple: number, previous?: Parameters<typeof decide>[2]) {
    const hot = (multiple * total) / 6;
    const byGateway = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`gateway-${i}`, i === 0 ? hot : (total - hot) / 5]));
    const atMs = T0_MS + atSeconds * 1000;
    return decide({ nowMs: atMs, snapshot: snapshot({ byGateway, signals: { currentReplicas: 6, acceptedSpansPerSecond: total }, observedAtMs: atMs }) }, target, previous);
  }
  /**
   * 21 polls at `total` (a level), then 21 at `dip`; the recent-peak proposal at the end (the level held
   * until the 31st poll). `multipleAt` is the busiest gateway's share multiple at a poll.
   */
  function afterDip(multipleAt: (poll: number) => number, total: number, dip: number) {
    let result: ReturnType<typeof decide> | undefined;
    for (let i = 0; i < 42; i++) result = decideAt(i * 30, i < 21 ? total : dip, multipleAt(i), result?.state);
    return result!.decision.proposals.find((proposal) => proposal.name === 'recentPeak')!;
  }

  it('keeps the level × the share multiple the busiest gateway was sized at, and says so', () => {
    const peak = afterDip(() => 1.5, TOTAL, TOTAL / 2);
    expect(peak.replicas).toBe(Math.ceil((1.5 * TOTAL) / (CAPACITY * PEAK_UTILIZATION)));
    expect(peak.inputs.peakBusiestShareMultiple).toBeCloseTo(1.5, 12);
    expect(peak.reason).toMatch(/the last 1h 80k spans\/s 5m30s ago with its busiest gateway at 1\.50× an even share, sized as 120k spans\/s on an even ring at 91% of 20k spans\/s per replica → 7$/);
  });

  it('keeps the level alone on an even ring, also when one reading showed a skew (each gateway\'s rate window catching a step at its own scrape)', () => {
    const peak = afterDip((poll) => (poll === 20 ? 1.4 : 1), TOTAL, TOTAL / 2);
    expect(peak.replicas).toBe(Math.ceil(TOTAL / (CAPACITY * PEAK_UTILIZATION)));
    expect(peak.inputs.peakBusiestShareMultiple).toBeUndefined();
    expect(peak.reason).not.toContain('busiest');
  });
});
