import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HPA_BEHAVIOR,
  DEFAULT_HPA_TOLERANCE,
  externalAverageValueReplicas,
  type HpaBehavior,
  HorizontalPodAutoscaler,
  type PodUtilization,
  resourceUtilizationReplicas,
} from '../../src/sim/hpa.ts';
import { withinHpaTolerance } from '../../src/policy/guards.ts';
import { nearestCountOutsideTolerance } from '../../src/policy/hpa-tolerance.ts';

describe('External metric, AverageValue (KEDA triggers): ceil(Σ value / target) outside ±10 %', () => {
  const cases: { name: string; input: { sum: number; target: number; current: number }; want: { replicas: number; within: boolean } }[] = [
    { name: 'at target keeps the count', input: { sum: 20, target: 1, current: 20 }, want: { replicas: 20, within: true } },
    { name: 'inside the 10 % band (+10 % exactly) keeps the count', input: { sum: 22, target: 1, current: 20 }, want: { replicas: 20, within: true } },
    { name: 'just outside +10 % scales to ceil(Σ/target)', input: { sum: 22.1, target: 1, current: 20 }, want: { replicas: 23, within: false } },
    { name: 'scale-in by one from 20 is inside the band', input: { sum: 19, target: 1, current: 20 }, want: { replicas: 20, within: true } },
    { name: '−10 % exactly is inside the band', input: { sum: 18, target: 1, current: 20 }, want: { replicas: 20, within: true } },
    { name: 'outside −10 % scales in', input: { sum: 17, target: 1, current: 20 }, want: { replicas: 17, within: false } },
    { name: 'queue recipe: 1500 batches at 100 per replica on 4 replicas → 15', input: { sum: 1500, target: 100, current: 4 }, want: { replicas: 15, within: false } },
    { name: 'an empty queue asks for 0 (min replicas applies later)', input: { sum: 0, target: 100, current: 5 }, want: { replicas: 0, within: false } },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const got = externalAverageValueReplicas(row.input.sum, row.input.target, row.input.current, DEFAULT_HPA_TOLERANCE);
      expect({ replicas: got.replicas, within: got.withinTolerance }).toEqual(row.want);
    });
  }
});

describe("the scaler's reading of the HPA's tolerance", () => {
  const hpaKeeps = (current: number, recommended: number) => externalAverageValueReplicas(recommended, 1, current, DEFAULT_HPA_TOLERANCE).withinTolerance;

  // At exactly +10 % (10 → 11, 20 → 22) |1 − ratio| comes out just above 0.1 in float64, while the HPA's
  // own test, 1 − t ≤ ratio ≤ 1 + t, keeps the count: a scaler reading it the first way announces a
  // scale-out that never happens.
  // Both sides share one function, so the counts are also held to exact integer arithmetic: ±10 % of
  // current, edges included, is what the HPA's float64 test gives for whole replica counts.
  const withinTenPercent = (current: number, recommended: number) => 10 * Math.abs(recommended - current) <= current;

  it('says the HPA ignores a recommendation exactly when the HPA keeps the count, for every count up to 300', () => {
    const disagreements: string[] = [];
    for (let current = 1; current <= 300; current++) {
      for (let recommended = 1; recommended <= 400; recommended++) {
        if (recommended === current) continue;
        const scaler = withinHpaTolerance(current, recommended);
        if (scaler !== hpaKeeps(current, recommended) || scaler !== withinTenPercent(current, recommended)) disagreements.push(`${current} → ${recommended}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(withinHpaTolerance(10, 11)).toBe(true);
    expect(withinHpaTolerance(20, 22)).toBe(true);
  });

  it('names the nearest count the HPA acts on, and the one before it the HPA keeps', () => {
    for (let current = 2; current <= 300; current++) {
      for (const recommended of [current + 1, current - 1]) {
        const acted = nearestCountOutsideTolerance(current, recommended);
        expect(hpaKeeps(current, acted), `${current} → ${acted}`).toBe(false);
        const before = acted - Math.sign(recommended - current);
        if (before !== current) expect(hpaKeeps(current, before), `${current} → ${before}`).toBe(true);
      }
    }
    expect(nearestCountOutsideTolerance(10, 11)).toBe(12);
    expect(nearestCountOutsideTolerance(20, 21)).toBe(23);
  });
});

describe('Resource metric, CPU utilization: ceil(ratio × ready pods), unready pods at 0 % on a scale-up', () => {
  const pods = (ready: number, utilization: number, unready = 0): PodUtilization[] => [
    { pods: ready, ready: true, utilization },
    { pods: unready, ready: false, utilization: 0 },
  ];
  const cases: { name: string; input: { pods: PodUtilization[]; target: number; current: number }; want: number }[] = [
    { name: '4 pods at 90 % vs 70 % → ceil(4 × 1.286) = 6', input: { pods: pods(4, 0.9), target: 0.7, current: 4 }, want: 6 },
    { name: '4 pods at 75 % vs 70 % is inside tolerance', input: { pods: pods(4, 0.75), target: 0.7, current: 4 }, want: 4 },
    { name: 'double the target doubles the pods', input: { pods: pods(5, 1.4), target: 0.7, current: 5 }, want: 10 },
    { name: 'half the target halves them', input: { pods: pods(6, 0.35), target: 0.7, current: 6 }, want: 3 },
    { name: 'a starting pod counted at 0 % cancels a small scale-up', input: { pods: pods(3, 0.9, 1), target: 0.7, current: 4 }, want: 4 },
    { name: 'a starting pod counted at 0 % shrinks a large scale-up', input: { pods: pods(3, 1.4, 1), target: 0.7, current: 4 }, want: 6 },
    { name: 'starting pods do not count on a scale-down', input: { pods: pods(3, 0.35, 1), target: 0.7, current: 4 }, want: 2 },
  ];
  for (const row of cases) {
    it(row.name, () => {
      expect(resourceUtilizationReplicas(row.input.pods, row.input.target, row.input.current, DEFAULT_HPA_TOLERANCE).replicas).toBe(row.want);
    });
  }
});

const exampleBehavior: HpaBehavior = {
  scaleUp: DEFAULT_HPA_BEHAVIOR.scaleUp,
  scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 90 }] },
};

describe('HPA behavior: min/max, stabilization windows and scaling policies', () => {
  type Sync = { at: number; current: number; desired: number };
  const cases: { name: string; input: { behavior: HpaBehavior; min: number; max: number; syncs: Sync[] }; want: number[] }[] = [
    {
      name: 'default scale-up allows max(100 %, 4 pods) per 15 s: 2 → 6, then 6 → 12',
      input: { behavior: DEFAULT_HPA_BEHAVIOR, min: 2, max: 60, syncs: [{ at: 0, current: 2, desired: 20 }, { at: 15, current: 6, desired: 20 }] },
      want: [6, 12],
    },
    {
      name: 'a second scale-up within the same 15 s period is limited by the first',
      input: { behavior: DEFAULT_HPA_BEHAVIOR, min: 2, max: 60, syncs: [{ at: 0, current: 10, desired: 40 }, { at: 10, current: 20, desired: 40 }] },
      want: [20, 20],
    },
    {
      name: 'default scale-down waits for the highest recommendation of the last 300 s',
      input: {
        behavior: DEFAULT_HPA_BEHAVIOR,
        min: 2,
        max: 60,
        syncs: [
          { at: 0, current: 10, desired: 10 },
          { at: 15, current: 10, desired: 5 },
          { at: 290, current: 10, desired: 5 },
          { at: 330, current: 10, desired: 5 },
        ],
      },
      want: [10, 10, 10, 5],
    },
    {
      name: 'the example ScaledObject steps down one pod per 90 s after a 120 s window',
      input: {
        behavior: exampleBehavior,
        min: 2,
        max: 60,
        syncs: [
          { at: 0, current: 10, desired: 10 },
          { at: 60, current: 10, desired: 5 },
          { at: 135, current: 10, desired: 5 },
          { at: 150, current: 9, desired: 5 },
          { at: 225, current: 9, desired: 5 },
        ],
      },
      want: [10, 10, 9, 9, 8],
    },
    {
      name: 'desired above max is clamped to max',
      input: { behavior: DEFAULT_HPA_BEHAVIOR, min: 2, max: 60, syncs: [{ at: 0, current: 40, desired: 100 }] },
      want: [60],
    },
    {
      name: 'desired below min is clamped to min',
      input: { behavior: DEFAULT_HPA_BEHAVIOR, min: 2, max: 60, syncs: [{ at: 0, current: 3, desired: 3 }, { at: 400, current: 3, desired: 0 }] },
      want: [3, 2],
    },
    {
      name: 'a count below min is raised to min before any metric is read',
      input: { behavior: DEFAULT_HPA_BEHAVIOR, min: 4, max: 60, syncs: [{ at: 0, current: 1, desired: 1 }] },
      want: [4],
    },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const hpa = new HorizontalPodAutoscaler({ minReplicas: row.input.min, maxReplicas: row.input.max, behavior: row.input.behavior });
      const got = row.input.syncs.map((sync) => hpa.reconcile(sync.at, sync.current, sync.desired).desiredReplicas);
      expect(got).toEqual(row.want);
    });
  }

  it('rejects min above max', () => {
    expect(() => new HorizontalPodAutoscaler({ minReplicas: 5, maxReplicas: 4, behavior: DEFAULT_HPA_BEHAVIOR })).toThrow(/minReplicas \(5\) and maxReplicas \(4\)/);
  });
});
