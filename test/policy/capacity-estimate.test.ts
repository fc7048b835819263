import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPACITY_EVIDENCE, type CapacityEstimate, CapacityWorkspace, CPU_WITNESS_UTILIZATION, type CpuLoadSample, estimateCapacity, LASTING_SHORTFALL_STEPS } from '../../src/policy/capacity-estimate.ts';
import { capacityInUse } from '../../src/policy/capacity-in-use.ts';
import type { FellBehind } from '../../src/policy/earlier-peaks.ts';
import { median, medianInPlace } from '../../src/policy/median.ts';
import { seededRandom } from '../../src/sim/seeded-random.ts';

const T0_MS = Date.UTC(2025, 0, 6, 0, 0, 0);

interface Series {
  readonly gateways: number;
  readonly minutes: number;
  readonly stepSeconds?: number;
  /** True capacity (spans/s at 100 % of the allotment) at a minute. */
  readonly capacityAt: (minute: number) => number;
  /** Per-gateway load as a share of the true capacity at a minute. */
  readonly utilizationAt: (minute: number, gateway: number) => number;
  readonly idleUtilization?: number;
  /** Standard deviation of multiplicative CPU noise. */
  readonly noise?: number;
  readonly allotmentCores?: number | undefined;
  readonly seed?: number;
  /** Minutes in which the gateway used only this share of the expected CPU (an outage: nothing exported). */
  readonly cpuShareAt?: (minute: number) => number;
  readonly saturatedAt?: (minute: number, gateway: number) => boolean;
  /** Minutes in which the agents took in more than the tier accepted (every gateway flagged, as the query flags them). */
  readonly agentsAheadAt?: (minute: number) => boolean;
  /** Minutes in which the exporter failed (flagged as the sources flag send failures and filling queues). */
  readonly exportDisturbedAt?: (minute: number) => boolean;
  /**
   * Tail sampling's export lag: this share of the load's CPU is spent a decision_wait (minutes) after
   * the spans arrive, and each sample carries the load of that earlier time, as the sources read it.
   */
  readonly exportLag?: { readonly share: number; readonly decisionWaitMinutes: number };
  /** The share of the allotment's work a share of capacity costs, 0..1 on 0..1; linear when absent. */
  readonly workAt?: (utilization: number) => number;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** CPU/accepted samples of gateways whose CPU grows linearly with load up to a known capacity. */
function series(spec: Series): CpuLoadSample[] {
  const random = seededRandom(spec.seed ?? 1);
  const step = spec.stepSeconds ?? 60;
  const allotment = 'allotmentCores' in spec ? spec.allotmentCores : 2;
  const idle = spec.idleUtilization ?? 0.02;
  const samples: CpuLoadSample[] = [];
  for (let second = 0; second <= spec.minutes * 60; second += step) {
    const minute = second / 60;
    for (let g = 0; g < spec.gateways; g++) {
      const capacity = spec.capacityAt(minute);
      const utilization = spec.utilizationAt(minute, g);
      const load = utilization * capacity;
      const lag = spec.exportLag;
      const earlier = lag === undefined ? utilization : spec.utilizationAt(minute - lag.decisionWaitMinutes, g);
      const linearWork = lag === undefined ? utilization : (1 - lag.share) * utilization + lag.share * earlier;
      const workUtilization = spec.workAt?.(linearWork) ?? linearWork;
      const cpuUtilization = (idle + (1 - idle) * workUtilization) * (spec.cpuShareAt?.(minute) ?? 1) * (1 + (spec.noise ?? 0.03) * gaussian(random));
      samples.push({
        atMs: T0_MS + second * 1000,
        gateway: `gw-${g}`,
        cpuCores: cpuUtilization * (allotment ?? 1),
        acceptedSpansPerSecond: load,
        ...(lag === undefined ? {} : { acceptedSpansPerSecondDecisionWaitAgo: earlier * capacity }),
        allotmentCores: allotment,
        saturated: spec.saturatedAt?.(minute, g) ?? false,
        agentsAhead: spec.agentsAheadAt?.(minute) ?? false,
        exportDisturbed: spec.exportDisturbedAt?.(minute) ?? false,
      });
    }
  }
  return samples;
}

/** A daily-looking swing between 25 % and 75 % of capacity, gateways a little apart. */
const diurnal = (minute: number, gateway: number) => 0.5 + 0.25 * Math.sin((2 * Math.PI * minute) / 360) + 0.02 * gateway;
const flat = (_minute: number, gateway: number) => 0.55 + 0.01 * gateway;

describe('estimateCapacity', () => {
  const cases: { name: string; spec: Series; want: { kind: 'learned'; spansPerReplica: number; within: number; changed?: boolean; throughOrigin?: boolean } | { kind: 'insufficient'; reason: RegExp } }[] = [
    {
      name: 'learns a known capacity from 6 h of noisy CPU',
      spec: { gateways: 6, minutes: 360, capacityAt: () => 23_400, utilizationAt: diurnal, noise: 0.05 },
      want: { kind: 'learned', spansPerReplica: 23_400, within: 0.03 },
    },
    {
      name: 'follows a config change mid-series: only the samples after it count',
      spec: { gateways: 4, minutes: 420, capacityAt: (m) => (m < 240 ? 20_000 : 28_000), utilizationAt: diurnal, noise: 0.03 },
      want: { kind: 'learned', spansPerReplica: 28_000, within: 0.05, changed: true },
    },
    {
      // Loads equal to a millionth: a line with an intercept would be steep noise that reaches 100 % just past them.
      name: 'with a load that does not vary, extrapolates through the origin rather than along noise',
      spec: { gateways: 5, minutes: 31, stepSeconds: 30, capacityAt: () => 2_000, utilizationAt: (m, g) => 0.7 + 1e-6 * Math.sin((2 * Math.PI * m) / 30 + g), idleUtilization: 0, noise: 0.0006 },
      want: { kind: 'learned', spansPerReplica: 2_000, within: 0.01 },
    },
    {
      // A gateway on a tenth of a core idles at about a fifth of it (the real collector's), and its load
      // climbs 10-65 % of capacity and back. The slope comes out within ±10 % (standard error 3-5 %) but
      // not ±6 %: a line through the origin would be a fifth low, since the load varied plenty and idle
      // CPU is plain in it.
      name: 'with idle CPU a fifth of a small allotment, keeps the intercept once the CPU per span is pinned within the promise',
      spec: {
        gateways: 1,
        minutes: 31,
        stepSeconds: 30,
        capacityAt: () => 4_500,
        utilizationAt: (m) => 0.1 + 0.55 * (1 - Math.abs(((m / 10) % 2) - 1)),
        idleUtilization: 0.18,
        noise: 0.07,
        allotmentCores: 0.1,
        seed: 3,
      },
      want: { kind: 'learned', spansPerReplica: 4_500, within: 0.05, throughOrigin: false },
    },
    {
      name: 'keeps the prior with too little data (20 minutes)',
      spec: { gateways: 6, minutes: 20, capacityAt: () => 23_400, utilizationAt: diurnal },
      want: { kind: 'insufficient', reason: /only 20 min of CPU samples.*30 min and 20 samples needed/ },
    },
    {
      name: 'keeps the prior when CPU is too scattered to extrapolate',
      spec: { gateways: 2, minutes: 40, capacityAt: () => 23_400, utilizationAt: (m, g) => 0.1 + 0.001 * m + 0.001 * g, noise: 0.4 },
      want: { kind: 'insufficient', reason: /too scattered/ },
    },
    {
      name: 'learns through the origin when load hardly varies (no idle CPU assumed)',
      spec: { gateways: 4, minutes: 60, capacityAt: () => 18_000, utilizationAt: flat, idleUtilization: 0, noise: 0.02 },
      want: { kind: 'learned', spansPerReplica: 18_000, within: 0.03 },
    },
    {
      name: 'leaves out an outage in which gateways exported nothing and used 70 % of the CPU',
      spec: {
        gateways: 6,
        minutes: 360,
        capacityAt: () => 20_000,
        utilizationAt: diurnal,
        cpuShareAt: (m) => (m >= 100 && m < 130 ? 0.7 : 1),
        exportDisturbedAt: (m) => m >= 100 && m < 130,
        noise: 0.03,
      },
      want: { kind: 'learned', spansPerReplica: 20_000, within: 0.03 },
    },
    {
      // Decision ticks cost more per span as a gateway fills, so lines fitted to the night and to the
      // morning ramp reach 100 % at capacities over 5 % apart, yet meet where the load passed between them.
      name: 'takes no CPU line bent by load for a change while the load ramps from night to peak',
      spec: { gateways: 4, minutes: 360, capacityAt: () => 20_000, utilizationAt: (m, g) => 0.1 + 0.7 * (m / 360) + 0.01 * g, workAt: (u) => (u * (1 + u)) / 2, noise: 0.01 },
      want: { kind: 'learned', spansPerReplica: 20_000, within: 0.15 },
    },
    {
      // The load runs on unbroken across the change; only the CPU it costs drops.
      name: 'still follows a config change made on that ramp: the CPU at the load it changed at parts',
      spec: { gateways: 4, minutes: 360, capacityAt: (m) => (m < 240 ? 20_000 : 28_000), utilizationAt: (m, g) => (0.1 + 0.7 * (m / 360) + 0.01 * g) * (m < 240 ? 1 : 20 / 28), workAt: (u) => (u * (1 + u)) / 2, noise: 0.01 },
      want: { kind: 'learned', spansPerReplica: 28_000, within: 0.15, changed: true },
    },
    {
      name: 'trims CPU spikes nothing flagged (restarts, garbage collection)',
      spec: { gateways: 6, minutes: 360, capacityAt: () => 20_000, utilizationAt: diurnal, cpuShareAt: (m) => (Math.floor(m) % 60 < 2 ? 1.6 : 1), noise: 0.03 },
      want: { kind: 'learned', spansPerReplica: 20_000, within: 0.03 },
    },
    {
      name: 'says what is missing when no CPU allotment is known',
      spec: { gateways: 4, minutes: 120, capacityAt: () => 20_000, utilizationAt: diurnal, allotmentCores: undefined },
      want: { kind: 'insufficient', reason: /CPU allotment unknown.*cpuPerReplica/ },
    },
  ];
  for (const { name, spec, want } of cases) {
    it(name, () => {
      const estimate = estimateCapacity(series(spec), undefined, 'kube-state-metrics limits');
      expect(estimate.kind).toBe(want.kind);
      if (want.kind === 'learned' && estimate.kind === 'learned') {
        expect(Math.abs(estimate.fit.spansPerReplica / want.spansPerReplica - 1)).toBeLessThanOrEqual(want.within);
        expect(estimate.changeAtMs !== undefined).toBe(want.changed ?? false);
        if (want.throughOrigin !== undefined) expect(estimate.fit.throughOrigin).toBe(want.throughOrigin);
      }
      if (want.kind === 'insufficient' && estimate.kind === 'insufficient') expect(estimate.reason).toMatch(want.reason);
    });
  }

  it('uses the trigger key cpuPerReplica where kube-state-metrics has no allotment', () => {
    const samples = series({ gateways: 4, minutes: 120, capacityAt: () => 20_000, utilizationAt: diurnal, allotmentCores: undefined });
    const estimate = estimateCapacity(samples, 1, undefined);
    expect(estimate.kind).toBe('learned');
    if (estimate.kind === 'learned') {
      expect(estimate.allotmentSource).toBe('trigger cpuPerReplica');
      expect(Math.abs(estimate.fit.spansPerReplica / 20_000 - 1)).toBeLessThan(0.03);
    }
  });

  it('does not drop back to the prior for minutes off the line at the end of the series', () => {
    // The last 15 minutes use 12 % more CPU per span (a steep ramp whose exports lag its intake). Taken
    // for a new config with 15 minutes after it, they would leave too little to learn from.
    const samples = series({ gateways: 6, minutes: 360, capacityAt: () => 20_000, utilizationAt: diurnal, cpuShareAt: (m) => (m > 345 ? 1.12 : 1), noise: 0.03 });
    const estimate = estimateCapacity(samples, undefined, undefined);
    expect(estimate.kind).toBe('learned');
    if (estimate.kind === 'learned') {
      expect(estimate.changeAtMs).toBeUndefined();
      expect(Math.abs(estimate.fit.spansPerReplica / 20_000 - 1)).toBeLessThan(0.03);
    }
  });

  it('leaves out the steps whose exports paid for the load before a sharp fall, which would read as a config change', () => {
    // Four gateways at 80 % for two hours, then 16 %, then 18 % once one leaves the ring; 30 % of a
    // span's CPU spent decision_wait (30 s) after it arrives.
    const utilizationAt = (m: number) => (m < 120 ? 0.8 : m < 150 ? 0.16 : 0.18);
    const samples = series({ gateways: 4, minutes: 200, capacityAt: () => 20_000, utilizationAt, exportLag: { share: 0.3, decisionWaitMinutes: 0.5 }, noise: 0.005, idleUtilization: 0.03 });
    const estimate = estimateCapacity(samples, undefined, undefined);
    expect(estimate).toMatchObject({ kind: 'learned', changeAtMs: undefined });
    if (estimate.kind === 'learned') expect(Math.abs(estimate.fit.spansPerReplica / 20_000 - 1)).toBeLessThan(0.03);
    // The same samples without the earlier load: the lagged steps are taken for a new config.
    const unlagged = samples.map(({ acceptedSpansPerSecondDecisionWaitAgo: _, ...sample }) => sample);
    const misread = estimateCapacity(unlagged, undefined, undefined);
    expect(misread.kind === 'learned' && misread.changeAtMs).toBeTruthy();
  });

  it('says how many samples the export lag left out when too few are left, and asks whether decisionWait is right', () => {
    // A load swinging every 10 minutes read against the intake a quarter swing earlier: almost every step differs.
    const samples = series({ gateways: 2, minutes: 60, capacityAt: () => 20_000, utilizationAt: (m) => 0.5 + 0.2 * Math.sin((2 * Math.PI * m) / 10), exportLag: { share: 0.3, decisionWaitMinutes: 2.5 } });
    const estimate = estimateCapacity(samples, undefined, undefined);
    expect(estimate.kind).toBe('insufficient');
    if (estimate.kind !== 'insufficient') return;
    const [, lagged] = /samples left out: (\d+) whose intake a decisionWait earlier was more than 5 % away \(is decisionWait the collector's decision_wait\?\)$/.exec(estimate.reason) ?? [];
    expect(Number(lagged), estimate.reason).toBeGreaterThan(samples.length / 2);
  });

  it('leaves out a gateway that accepted nothing a decision_wait before (it has nothing to export yet)', () => {
    const samples = series({ gateways: 3, minutes: 120, capacityAt: () => 20_000, utilizationAt: diurnal, noise: 0.01 });
    const joined = samples.map((sample) => (sample.gateway === 'gw-0' ? sample : { ...sample, cpuCores: sample.cpuCores * 0.8, acceptedSpansPerSecondDecisionWaitAgo: 0 }));
    const estimate = estimateCapacity(joined, undefined, undefined);
    expect(estimate).toMatchObject({ kind: 'learned', fit: { samples: samples.length / 3 } });
  });

  it('learns from a shorter span only when the caller asks for less than CAPACITY_EVIDENCE.minSeconds', () => {
    // Four minutes at 5 s steps: plenty of samples, too short a span for a tier, enough for a test of a real collector.
    const samples = series({ gateways: 2, minutes: 4, stepSeconds: 5, capacityAt: () => 4_500, utilizationAt: (minute) => 0.25 + minute / 8, noise: 0.01 });
    const shipped = estimateCapacity(samples, undefined, undefined);
    expect(shipped).toMatchObject({ kind: 'insufficient', reason: expect.stringMatching(/only 4 min of CPU samples .*; 30 min and 20 samples needed/) });
    const short = estimateCapacity(samples, undefined, undefined, new CapacityWorkspace(samples.length), 180);
    expect(short.kind).toBe('learned');
    if (short.kind === 'learned') expect(Math.abs(short.fit.spansPerReplica / 4_500 - 1)).toBeLessThan(0.03);
    expect(estimateCapacity(samples, undefined, undefined, new CapacityWorkspace(samples.length), 300)).toMatchObject({ reason: expect.stringContaining('5 min and 20 samples needed') });
  });

  it(`takes a config change once ${CAPACITY_EVIDENCE.minSeconds / 60} min of samples follow it, and fits the whole series until then`, () => {
    const changedAt = (m: number) => (m < 400 ? 20_000 : 28_000);
    const early = estimateCapacity(series({ gateways: 4, minutes: 420, capacityAt: changedAt, utilizationAt: diurnal }), undefined, undefined);
    expect(early.kind).toBe('learned');
    if (early.kind === 'learned') {
      expect(early.changeAtMs).toBeUndefined();
      expect(early.fit.fromMs).toBe(T0_MS);
    }
    const settled = estimateCapacity(series({ gateways: 4, minutes: 400 + CAPACITY_EVIDENCE.minSeconds / 60 + 5, capacityAt: changedAt, utilizationAt: diurnal }), undefined, undefined);
    expect(settled.kind).toBe('learned');
    if (settled.kind === 'learned') {
      expect(Math.abs((settled.changeAtMs! - T0_MS) / 60_000 - 400)).toBeLessThanOrEqual(5);
      expect(Math.abs(settled.fit.spansPerReplica / 28_000 - 1)).toBeLessThan(0.05);
    }
  });

  it('places a config change within the minutes around it', () => {
    const estimate = estimateCapacity(series({ gateways: 4, minutes: 420, capacityAt: (m) => (m < 240 ? 20_000 : 28_000), utilizationAt: diurnal }), undefined, undefined);
    expect(estimate.kind === 'learned' && estimate.changeAtMs).toBeTruthy();
    if (estimate.kind === 'learned') expect(Math.abs((estimate.changeAtMs! - T0_MS) / 60_000 - 240)).toBeLessThanOrEqual(5);
  });
});

describe('a capacity workspace reused from one estimate to the next', () => {
  const spec = fc.record({
    gateways: fc.integer({ min: 1, max: 4 }),
    minutes: fc.integer({ min: 5, max: 420 }),
    changeAtMinute: fc.option(fc.integer({ min: 0, max: 420 })),
    noise: fc.double({ min: 0, max: 0.3, noNaN: true }),
    seed: fc.integer({ min: 1, max: 1000 }),
    disturbed: fc.boolean(),
    shuffled: fc.boolean(),
  });

  it('gives what a fresh one gives, over estimates of any size in any order', () => {
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 6 }), (specs) => {
        const workspace = new CapacityWorkspace();
        for (const { gateways, minutes, changeAtMinute, noise, seed, disturbed, shuffled } of specs) {
          const samples = series({
            gateways,
            minutes,
            capacityAt: (m) => (changeAtMinute !== null && m >= changeAtMinute ? 28_000 : 20_000),
            utilizationAt: diurnal,
            noise,
            seed,
            cpuShareAt: (m) => (Math.floor(m) % 50 < 2 ? 1.6 : 1),
            ...(disturbed ? { exportDisturbedAt: (m: number) => Math.floor(m) % 90 < 10 } : {}),
          });
          // Out of time order: the estimate sorts a copy, the workspace's columns see the same values.
          if (shuffled) samples.reverse();
          expect(estimateCapacity(samples, undefined, undefined, workspace)).toEqual(estimateCapacity(samples, undefined, undefined));
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('capacityInUse', () => {
  const settings = { capacitySpansPerReplica: 20_000 };
  it('says the learned figure, its evidence and what the trigger says', () => {
    const estimate = estimateCapacity(series({ gateways: 6, minutes: 360, capacityAt: () => 23_400, utilizationAt: diurnal }), undefined, 'kube-state-metrics limits');
    const used = capacityInUse(settings, estimate);
    expect(used.source).toBe('learned');
    expect(used.sentence).toMatch(/^capacity 23k spans\/s per replica, learned from 6 h of CPU \(±[\d.]+ %, CPU allotment from kube-state-metrics limits\); the trigger says 20k spans\/s$/);
  });

  it('keeps the trigger as the prior and says why', () => {
    const used = capacityInUse(settings, estimateCapacity(series({ gateways: 6, minutes: 10, capacityAt: () => 23_400, utilizationAt: diurnal }), undefined, undefined));
    expect(used).toMatchObject({ spansPerReplica: 20_000, source: 'trigger' });
    expect(used.sentence).toMatch(/from the trigger's capacitySpansPerReplica \(not learned yet: only 10 min/);
    expect(capacityInUse(settings, undefined).sentence).toMatch(/no CPU evidence read/);
  });

  it('lowers the figure to the load at which gateways were seen saturated (the second witness)', () => {
    // The CPU line says 30k, but decision ticks ran over budget whenever a gateway took more than 21k.
    const samples = series({ gateways: 4, minutes: 360, capacityAt: () => 30_000, utilizationAt: diurnal, saturatedAt: (m, g) => diurnal(m, g) * 30_000 > 21_000 });
    const used = capacityInUse(settings, estimateCapacity(samples, undefined, undefined));
    expect(used.source).toBe('saturation');
    expect(used.spansPerReplica).toBeGreaterThan(21_000);
    expect(used.spansPerReplica).toBeLessThan(24_000);
    expect(used.sentence).toMatch(/fell behind at that load.*below the learned 30k/);
  });

  it('ignores a saturation witness that agrees with the figure in use', () => {
    const samples = series({ gateways: 4, minutes: 360, capacityAt: () => 20_000, utilizationAt: (m, g) => Math.min(0.98, diurnal(m, g) * 1.3), saturatedAt: (m, g) => diurnal(m, g) * 1.3 >= 0.97 });
    expect(capacityInUse(settings, estimateCapacity(samples, undefined, undefined)).source).toBe('learned');
  });

  it("lowers a trigger set too high within minutes, once the gateways' CPU fills at a load below it", () => {
    // Truth 12k, trigger 20k: ten minutes of gateways at 93–99 % of their CPU, far short of the half hour a fit needs.
    const full = (m: number, g: number) => 0.93 + 0.06 * ((m + g) % 3) / 2;
    const estimate = estimateCapacity(series({ gateways: 6, minutes: 10, capacityAt: () => 12_000, utilizationAt: full, idleUtilization: 0.1 }), undefined, undefined);
    expect(estimate.kind).toBe('insufficient');
    expect(estimate.saturation).toMatchObject({ cause: 'cpu' });
    const used = capacityInUse(settings, estimate);
    expect(used.source).toBe('saturation');
    // A tenth of the CPU idle moves load ÷ utilization this close to 100 % by about 1 %, low.
    expect(used.spansPerReplica / 12_000).toBeGreaterThan(0.97);
    expect(used.spansPerReplica / 12_000).toBeLessThan(1.02);
    expect(used.sentence).toMatch(/CPU reached 91% or more of its allotment.*median of \d+ samples.*below the trigger's 20k/);
  });

  it('takes no CPU witness from gateways below 91 % of their CPU, nor from samples whose exports paid for another load', () => {
    // At 60 % the CPU cannot tell idle CPU from the cost per span, so the prior stands until the fit.
    const partial = estimateCapacity(series({ gateways: 6, minutes: 10, capacityAt: () => 12_000, utilizationAt: (_m, g) => 0.6 + 0.01 * g }), undefined, undefined);
    expect(partial.saturation).toBeUndefined();
    expect(capacityInUse(settings, partial).source).toBe('trigger');
    // Full CPU while exports fail, or while it still exports a load twice today's, is not the cost of today's load.
    const disturbed = estimateCapacity(series({ gateways: 6, minutes: 10, capacityAt: () => 12_000, utilizationAt: () => 0.95, exportDisturbedAt: () => true }), undefined, undefined);
    expect(disturbed.saturation).toBeUndefined();
    // Load falls from full to 85 % at minute 2; for the 5 min decision_wait after, half the CPU still
    // exports the full load's traces (92.5 %), which taken as a witness would read 11k.
    const fallen = estimateCapacity(
      series({ gateways: 6, minutes: 10, capacityAt: () => 12_000, utilizationAt: (m) => (m < 2 ? 1 : 0.85), idleUtilization: 0, noise: 0.002, exportLag: { share: 0.5, decisionWaitMinutes: 5 } }),
      undefined,
      undefined,
    );
    expect(fallen.saturation).toMatchObject({ cause: 'cpu', samples: 6 * 2 });
    expect(fallen.saturation!.medianSpansPerSecond / 12_000).toBeGreaterThan(0.99);
  });

  it('takes a witness from gateways at their quota whose intake comes in bursts, from the steps whose intake rose', () => {
    // Truth 12k at the quota. The receiver, starved of CPU, takes its intake in bursts: each step's
    // intake is 20 % away from the one a decision_wait earlier, half above it and half below. A step
    // after a fall reads low (the CPU still works off the higher intake); one after a rise reads high.
    const samples: CpuLoadSample[] = Array.from({ length: 12 }, (_, step) => {
      const rose = step % 2 === 0;
      const utilization = 0.95 + 0.01 * (step % 5);
      return {
        atMs: T0_MS + step * 5000,
        gateway: 'gw-0',
        cpuCores: utilization * 0.1,
        acceptedSpansPerSecond: 12_000 * utilization * (rose ? 1.1 : 0.9),
        acceptedSpansPerSecondDecisionWaitAgo: 12_000 * utilization * (rose ? 0.9 : 1.1),
        allotmentCores: 0.1,
      };
    });
    const estimate = estimateCapacity(samples, undefined, undefined);
    expect(estimate.saturation).toMatchObject({ cause: 'cpu', samples: 6 });
    // High by the burst, never below the truth.
    expect(estimate.saturation!.medianSpansPerSecond / 12_000).toBeGreaterThanOrEqual(1);
    expect(estimate.saturation!.medianSpansPerSecond / 12_000).toBeLessThan(1.15);
    expect(capacityInUse(settings, estimate).source).toBe('saturation');
  });

  it('takes the lower of the two witnesses: ticks over budget below the load the CPU fills at', () => {
    // CPU fills at the true 30k, but ticks ran over budget from 18k on: the ticks bind first.
    const busy = (m: number, g: number) => 0.3 + 0.68 * Math.abs(Math.sin((2 * Math.PI * m) / 60 + g));
    const samples = series({ gateways: 4, minutes: 360, capacityAt: () => 30_000, utilizationAt: busy, saturatedAt: (m, g) => busy(m, g) * 30_000 > 18_000 });
    const estimate = estimateCapacity(samples, undefined, undefined);
    expect(estimate.saturation?.cause).toBe('falling behind');
    const used = capacityInUse(settings, estimate);
    expect(used.source).toBe('saturation');
    expect(used.spansPerReplica).toBeLessThan(27_000);
    expect(used.sentence).toMatch(/decision ticks over budget.*below the learned 30k/);
  });

  it(`property: a trigger mis-set by ×0.6–1.6 gives way to the truth ±10 % after ${CAPACITY_EVIDENCE.minSeconds / 60} min of CPU evidence`, () => {
    fc.assert(
      fc.property(
        fc.record({
          truth: fc.double({ min: 2_000, max: 200_000, noNaN: true }),
          misSet: fc.double({ min: 0.6, max: 1.6, noNaN: true }),
          gateways: fc.integer({ min: 2, max: 20 }),
          idle: fc.double({ min: 0, max: 0.03, noNaN: true }),
          noise: fc.double({ min: 0, max: 0.05, noNaN: true }),
          level: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
          swing: fc.double({ min: 0, max: 0.2, noNaN: true }),
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          exportLag: fc.option(fc.record({ share: fc.double({ min: 0, max: 0.5, noNaN: true }), decisionWaitMinutes: fc.double({ min: 0.05, max: 1, noNaN: true }) }), { nil: undefined }),
        }),
        (world) => {
          // Where a reading reaches the CPU witness (91 % of the allotment) the witness speaks, not the fit:
          // noise of 5 % on gateways at 82 % reads 91 % at a few steps in a thousand, and a witness made of
          // such readings is up to a sixth low. Here no reading comes within three standard deviations of it.
          fc.pre((world.level + world.swing) * (1 + 3 * world.noise) < CPU_WITNESS_UTILIZATION);
          const spec: Series = {
            gateways: world.gateways,
            minutes: CAPACITY_EVIDENCE.minSeconds / 60 + 1,
            stepSeconds: 30,
            capacityAt: () => world.truth,
            utilizationAt: (m, g) => world.level + world.swing * Math.sin((2 * Math.PI * m) / 30 + g),
            idleUtilization: world.idle,
            noise: world.noise,
            seed: world.seed,
            ...(world.exportLag === undefined ? {} : { exportLag: world.exportLag }),
          };
          const used = capacityInUse({ capacitySpansPerReplica: world.truth * world.misSet }, estimateCapacity(series(spec), undefined, undefined));
          expect(used.source).toBe('learned');
          expect(Math.abs(used.spansPerReplica / world.truth - 1)).toBeLessThanOrEqual(0.1);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('median', () => {
  // Equal as numbers: a zero median may come out as −0 where sorting gives +0 or the reverse, which
  // nothing that uses it (a residual's distance from it, a positive load) can tell apart.
  it('is the middle of the sorted values (the mean of the two middles for an even count), with ties and signs', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 300 }), (values) => {
        const sorted = [...values].sort((a, b) => a - b);
        const mid = Math.floor(sorted.length / 2);
        expect(median(values) + 0).toBe((sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2) + 0);
      }),
      { numRuns: 500 },
    );
  });

  it('in place over the first values of a longer scratch, plain or typed, is the median of those values alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 20 }),
        (values, stale) => {
          const want = median(values);
          expect(medianInPlace([...values, ...stale], values.length)).toBe(want);
          expect(medianInPlace(Float64Array.from([...values, ...stale]), values.length)).toBe(want);
        },
      ),
      { numRuns: 500 },
    );
    expect(medianInPlace([3, 1, 2], 0)).toBeNaN();
  });
});

describe('the agents ahead of the gateways', () => {
  const settings = { capacitySpansPerReplica: 20_000 };
  /** Six hours at 30 % of a true 30k; at 80 % wherever `behindAt` says the agents were ahead. */
  const behindSeries = (behindAt: (minute: number) => boolean, gateways = 4) =>
    series({ gateways, minutes: 360, capacityAt: () => 30_000, utilizationAt: (m) => (behindAt(m) ? 0.8 : 0.3 + 0.2 * Math.sin((2 * Math.PI * m) / 120)), agentsAheadAt: behindAt });

  it('witness the gateways falling behind, and a stretch longer than a rate window is the load exported for later peaks', () => {
    const behindAt = (m: number) => m >= 200 && m < 240;
    const estimate = estimateCapacity(behindSeries(behindAt), undefined, undefined);
    // Every step of the run but its first, whose rate window began before the gateways fell behind.
    const witness = { cause: 'falling behind', medianSpansPerSecond: 24_000, samples: 39 * 4, atMs: T0_MS + 239 * 60_000 };
    expect(estimate.saturation).toEqual(witness);
    expect(estimate.lastingShortfall).toEqual(witness);
    const used = capacityInUse(settings, estimate);
    expect(used.spansPerReplica).toBe(24_000);
    expect(used.fellBehindNow).toEqual({ spansPerReplica: 24_000, atMs: T0_MS + 239 * 60_000 });
  });

  it(`witness nothing from bursts shorter than a rate window: ${LASTING_SHORTFALL_STEPS - 1} steps in a row at most`, () => {
    // Two steps in a row once an hour: 48 samples, none of them lasting. Refusals at the same steps witness.
    const behindAt = (m: number) => m % 60 === 10 || m % 60 === 11;
    const estimate = estimateCapacity(behindSeries(behindAt), undefined, undefined);
    expect(estimate.saturation).toBeUndefined();
    expect(estimate.lastingShortfall).toBeUndefined();
    expect(capacityInUse(settings, estimate).fellBehindNow).toBeUndefined();
    const refusing = behindSeries(behindAt).map((sample) => ({ ...sample, saturated: sample.agentsAhead }));
    expect(estimateCapacity(refusing, undefined, undefined).saturation).toMatchObject({ cause: 'falling behind', samples: 6 * 2 * 4 });
    // Three in a row is a run: its later two steps count.
    const lasting = estimateCapacity(behindSeries((m) => m >= 100 && m < 100 + LASTING_SHORTFALL_STEPS), undefined, undefined);
    expect(lasting.lastingShortfall).toMatchObject({ samples: (LASTING_SHORTFALL_STEPS - 1) * 4 });
  });

  it('takes a step without samples as the end of a run', () => {
    const behindAt = (m: number) => m >= 100 && m < 105;
    const withGap = behindSeries(behindAt).filter((sample) => sample.atMs !== T0_MS + 102 * 60_000);
    expect(estimateCapacity(withGap, undefined, undefined).lastingShortfall).toBeUndefined();
    expect(estimateCapacity(behindSeries(behindAt), undefined, undefined).lastingShortfall).toMatchObject({ samples: 4 * 4 });
  });
});

describe('the load an earlier peak showed the gateways falling behind at', () => {
  const settings = { capacitySpansPerReplica: 20_000 };
  const learned = (spansPerReplica: number, changeAtMs?: number): CapacityEstimate => ({
    kind: 'learned',
    fit: { spansPerReplica, relativeStandardError: 0.01, idleUtilization: 0.02, throughOrigin: false, samples: 300, fromMs: T0_MS, toMs: T0_MS + 6 * 3_600_000 },
    allotmentSource: 'kube-state-metrics limits',
    changeAtMs,
    saturation: undefined,
  });
  const earlier: FellBehind = { spansPerReplica: 16_000, atMs: T0_MS - 86_400_000 };

  it('lowers the learned figure from the first decision of the next peak, and says where it came from', () => {
    const used = capacityInUse(settings, learned(19_700), earlier);
    expect(used.source).toBe('saturation');
    expect(used.spansPerReplica).toBe(16_000);
    expect(used.sentence).toBe(
      'capacity 16k spans/s per replica: on a peak within the last week the agents took in over 1.05 × what the gateways accepted at that load for longer than a rate window (kept until the gateways fall behind at another load or their CPU line changes), below the learned 20k spans/s',
    );
    // Nothing new to export: the read window shows no shortfall of its own.
    expect(used.fellBehindNow).toBeUndefined();
  });

  it('no longer speaks for gateways whose CPU line changed after it', () => {
    expect(capacityInUse(settings, learned(19_700, earlier.atMs + 3_600_000), earlier).source).toBe('learned');
    expect(capacityInUse(settings, learned(19_700, earlier.atMs - 3_600_000), earlier).spansPerReplica).toBe(16_000);
  });

  it('gives way to a lower witness of the read window, and lowers nothing within the margin', () => {
    const fresh: CapacityEstimate = { ...learned(19_700), saturation: { medianSpansPerSecond: 15_000, samples: 8, cause: 'falling behind', atMs: T0_MS } };
    expect(capacityInUse(settings, fresh, earlier).spansPerReplica).toBe(15_000);
    const higher: CapacityEstimate = { ...learned(19_700), saturation: { medianSpansPerSecond: 17_000, samples: 8, cause: 'cpu', atMs: T0_MS } };
    expect(capacityInUse(settings, higher, earlier).spansPerReplica).toBe(16_000);
    expect(capacityInUse(settings, learned(17_000), earlier).source).toBe('learned');
    // Before a fit, it lowers the trigger's figure as a witness of the read window would.
    expect(capacityInUse(settings, undefined, earlier).spansPerReplica).toBe(16_000);
  });
});
