// The throughput proposal's second count: the busiest gateway of a hash-skewed ring kept at the
// utilization a peak may run at, while a hot spot past the routing-imbalance ratio stays unsized.
import { describe, expect, it } from 'vitest';
import { noiseFloor } from '../../src/policy/load-variation.ts';
import { readPolicyContext } from '../../src/policy/policy-context.ts';
import { busiestShareMultiple, PEAK_UTILIZATION, throughputProposal } from '../../src/policy/proposals.ts';
import { advanceLoadSamples } from '../../src/policy/load-variation.ts';
import type { LoadPeak } from '../../src/policy/policy-state.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

const CAPACITY = 20_000;
const TOTAL = 80_000;

function contextOf(byGateway: Record<string, number>, currentReplicas = Object.keys(byGateway).length) {
  return readPolicyContext(snapshot({ byGateway, signals: { currentReplicas, acceptedSpansPerSecond: TOTAL } }), settings(), T0_MS);
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
    expect(outcome.proposal.reason).toMatch(/gateway gateway-0 takes 20k spans\/s, 1\.50× an even share, so 7 keep it at 90% of 20k spans\/s → 7$/);
  });

  it('leaves a ring with a mild skew to the total at the target utilization', () => {
    // 1.2× the mean at 90 % asks for less than the total at 70 % (a skew below 0.9 / 0.7 ≈ 1.29 never binds).
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
