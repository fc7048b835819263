import { describe, expect, it } from 'vitest';
import { type CapacityEstimate, type CpuLoadSample, estimateCapacity } from '../../src/policy/capacity-estimate.ts';
import { capacityInUse } from '../../src/policy/capacity-in-use.ts';
import { decide } from '../../src/policy/decide.ts';
import { expectDecision, learnedCapacity, settings, snapshot, T0_MS } from './policy-fixtures.ts';

/** An estimate still short of evidence whose latest step put the gateways' CPU full at `atFullCpu` per replica. */
function unlearned(atFullCpu: number): CapacityEstimate {
  return { kind: 'insufficient', reason: 'only 10 min of CPU samples (10 samples); 30 min and 20 samples needed', saturation: undefined, cpuNow: { atMs: T0_MS - 60_000, spansPerSecondAtFullCpu: atFullCpu } };
}

// 10 gateways taking 100k spans/s: the trigger's 20k at 90 % asks for 6.
const TIER = snapshot({ signals: { currentReplicas: 10, reportingReplicas: 10, acceptedSpansPerSecond: 100_000 } });
const decideWith = (capacity: CapacityEstimate | undefined) => decide({ nowMs: T0_MS, snapshot: TIER, capacity }, settings({ targetUtilization: '0.9' })).decision;

describe('before capacity is learned, a scale-in keeps to what the gateways’ CPU says now', () => {
  it('holds where the CPU fills at 12k per replica: 100k needs 10 at 91 %, not the 6 the trigger’s 20k gives', () => {
    expectDecision(decideWith(unlearned(12_000)), {
      replicas: 10,
      guards: ['unlearnedCapacity'],
      summary: /^Holding at 10: capacity is not learned yet, and the gateways' CPU now fills at 12k spans\/s per replica, below the 20k spans\/s in use: 100k spans\/s needs 10 at 91%\.$/,
    });
  });

  it('limits the scale-in to the count the CPU allows where that is between', () => {
    const decision = decideWith(unlearned(15_000));
    // ceil(100k / (15k × 1/1.1)) = 8; the scale-in window then waits, as for any first scale-in.
    expect(decision.guards[0]).toMatchObject({ name: 'unlearnedCapacity', effect: 'limit', from: 6, to: 8 });
    expect(decision.guards.map((guard) => guard.name)).toContain('scaleInWindow');
  });

  it('does not act once capacity is learned, without CPU evidence, or where the CPU agrees with the figure in use', () => {
    for (const capacity of [learnedCapacity(20_000), undefined, unlearned(25_000)]) {
      expectDecision(decideWith(capacity), { notGuards: ['unlearnedCapacity'] });
    }
  });
});

describe('the CPU now, in the estimate and the capacity in use', () => {
  const T0 = Date.UTC(2025, 0, 6);
  /** Gateways at 60 % of a 12k capacity with this idle share of the allotment, one sample per gateway a minute. */
  const samples = (minutes: number, idle: number): CpuLoadSample[] =>
    Array.from({ length: (minutes + 1) * 4 }, (_, i) => {
      const load = 12_000 * (0.58 + 0.01 * (i % 4));
      return { atMs: T0 + Math.floor(i / 4) * 60_000, gateway: `gw-${i % 4}`, cpuCores: idle + (1 - idle) * (load / 12_000), acceptedSpansPerSecond: load, allotmentCores: 1 };
    });

  it('is the latest step’s median load ÷ utilization: the capacity with no idle CPU, below it with some', () => {
    const none = estimateCapacity(samples(10, 0), undefined, undefined);
    expect(none.kind === 'insufficient' && none.cpuNow).toMatchObject({ atMs: T0 + 10 * 60_000 });
    expect(none.kind === 'insufficient' && none.cpuNow!.spansPerSecondAtFullCpu).toBeCloseTo(12_000, 6);
    const idle = estimateCapacity(samples(10, 0.1), undefined, undefined);
    // At 60 % a tenth idle reads as load: 0.6 × 12k over 0.1 + 0.9 × 0.6 of the allotment is 11,250 (59 %: 11,220).
    const atFullCpu = idle.kind === 'insufficient' ? idle.cpuNow!.spansPerSecondAtFullCpu : Number.NaN;
    expect(atFullCpu).toBeGreaterThan(11_220);
    expect(atFullCpu).toBeLessThan(11_250);
    const inUse = capacityInUse({ capacitySpansPerReplica: 20_000 }, idle);
    expect(inUse.source).toBe('trigger');
    expect(inUse.cpuNowSpansPerReplica).toBe(atFullCpu);
    // Not carried where it does not contradict the figure in use.
    expect(capacityInUse({ capacitySpansPerReplica: 10_000 }, idle).cpuNowSpansPerReplica).toBeUndefined();
  });
});
