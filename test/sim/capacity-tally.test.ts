import { describe, expect, it } from 'vitest';
import type { CapacityInUse } from '../../src/policy/capacity-in-use.ts';
import { type BenchOptions, buildScenario, createAutoscaler, runAutoscaler } from '../../src/sim/bench.ts';
import type { ProjectScalerAutoscaler } from '../../src/sim/scaler-autoscaler.ts';
import { benchJson, formatSettings } from '../../src/sim/bench-report.ts';
import { CapacityTallyRecorder, formatCapacityTally } from '../../src/sim/capacity-tally.ts';
import { loadExampleScaledObject } from '../../src/sim/example-scaled-object.ts';
import { DEFAULT_FLEET_SETTINGS, DEFAULT_SCENARIO_SETTINGS, type FleetSettings } from '../../src/sim/fleet-settings.ts';
import { syntheticTrace } from '../../src/sim/synthetic-load.ts';

const inUse = (spansPerReplica: number, source: CapacityInUse['source']): CapacityInUse => ({ spansPerReplica, source, triggerSpansPerReplica: 20_000, sentence: '' });

describe('the capacity tally', () => {
  it('gives nearest-rank percentiles and the share of each source, over thousands of decisions', () => {
    const recorder = new CapacityTallyRecorder();
    expect(recorder.tally()).toBeUndefined();
    // 2,000 decisions: figures 1..2000 in reverse, the first 100 from the trigger, the last 20 lowered by saturation.
    for (let i = 2000; i >= 1; i--) recorder.add(inUse(i, i > 1900 ? 'trigger' : i <= 20 ? 'saturation' : 'learned'));
    const tally = recorder.tally()!;
    expect(tally.decisions).toBe(2000);
    expect([tally.p10SpansPerReplica, tally.medianSpansPerReplica, tally.p90SpansPerReplica]).toEqual([200, 1000, 1800]);
    expect(tally.sourceShares).toEqual({ learned: 0.94, trigger: 0.05, saturation: 0.01 });
    expect(formatCapacityTally(tally)).toBe(
      "capacity in use: median 1,000 spans/s per replica (p10 200, p90 1,800), learned in 94 % of 2,000 decisions, the trigger's in 5 %, lowered by saturation in 1 %",
    );
  });
});

describe('what the scaler sized with in a benchmark run', () => {
  const scaledObject = loadExampleScaledObject();
  const trace = syntheticTrace({ startMs: Date.parse('2026-01-05T00:00:00Z'), days: 2, seed: 5 });
  /** A run of scaler-reactive, with the names of the guards that acted on any of its decisions. */
  const run = async (fleet: Partial<FleetSettings>) => {
    const options: BenchOptions = { trace, fleet: { ...DEFAULT_FLEET_SETTINGS, drainSeconds: 40, ...fleet }, scenario: DEFAULT_SCENARIO_SETTINGS, seed: 1, scaledObject };
    const scenario = buildScenario(options);
    const scaler = createAutoscaler('scaler-reactive', options, scenario) as ProjectScalerAutoscaler;
    const guardsActed = new Set<string>();
    const control = scaler.control.bind(scaler);
    scaler.control = (context) => {
      control(context);
      for (const guard of scaler.latestDecision?.guards ?? []) guardsActed.add(guard.name);
    };
    const result = await runAutoscaler(options, scenario, scaler);
    return { options, result, scenario, tally: result.capacityTally!, guardsActed };
  };

  it('tracks the simulated truth, learned rather than the trigger, errs low where the CPU bends, and is in the report and the JSON', async () => {
    const linear = await run({});
    expect(linear.tally.sourceShares.learned).toBeGreaterThan(0.9);
    expect(linear.tally.medianSpansPerReplica / 20_000).toBeGreaterThan(0.95);
    expect(linear.tally.medianSpansPerReplica / 20_000).toBeLessThan(1.05);
    // The truth 30 % below the trigger's 20,000: learned, not the trigger's.
    const smaller = await run({ capacitySpansPerSecond: 14_000 });
    expect(smaller.tally.medianSpansPerReplica / 14_000).toBeGreaterThan(0.9);
    expect(smaller.tally.medianSpansPerReplica / 14_000).toBeLessThan(1.1);
    // A bent CPU reaches 100 % on the fitted line before the replica is full: the figure errs low.
    const bent = await run({ cpuCurveExponent: 0.6 });
    expect(bent.tally.medianSpansPerReplica).toBeLessThan(linear.tally.medianSpansPerReplica);
    expect(bent.tally.medianSpansPerReplica).toBeLessThan(0.99 * 20_000);

    const printed = formatSettings({ scenario: bent.scenario, policies: [bent.result] }, bent.options);
    expect(printed).toContain(`scaler-reactive: decide() every 30s`);
    expect(printed).toContain(formatCapacityTally(bent.tally));
    const json = benchJson({ scenario: bent.scenario, policies: [bent.result] }, bent.options) as { policies: Record<string, unknown>[] };
    expect(json.policies[0]!.capacityTally).toEqual(bent.tally);
  }, 60_000);

  it("with the truth half the trigger's, the gateways' CPU holds the tier before a fit is learned, and no span is lost", async () => {
    // The tier starts on the trigger's 20,000, which would scale it in to half what the load needs; the
    // CPU says so long before half an hour of fit (0.006 % was lost while the trigger's figure alone sized it).
    const half = await run({ capacitySpansPerSecond: 10_000 });
    expect(half.guardsActed).toContain('unlearnedCapacity');
    // With the truth at the trigger's figure, the CPU never has to hold a scale-in the trigger asks for.
    expect((await run({})).guardsActed).not.toContain('unlearnedCapacity');
    expect(half.result.lostSpansOutsideOutagesPct).toBe(0);
    expect(half.tally.medianSpansPerReplica / 10_000).toBeGreaterThan(0.95);
  }, 60_000);
});
