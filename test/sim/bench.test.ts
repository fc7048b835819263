import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Autoscaler, AUTOSCALER_NAMES, type ControlContext, replicasFor } from '../../src/sim/autoscaler.ts';
import { losslessSpansPerSecondPerReplica, OracleAutoscaler } from '../../src/sim/baseline-autoscalers.ts';
import { type BenchOptions, type BenchResult, buildScenario, createAutoscaler, oracleSpansPerSecondPerReplica, runAutoscaler, runBench } from '../../src/sim/bench.ts';
import { benchJson, formatTable, JSON_POLICY_FIELDS } from '../../src/sim/bench-report.ts';
import { loadExampleScaledObject } from '../../src/sim/example-scaled-object.ts';
import { DEFAULT_FLEET_SETTINGS, DEFAULT_SCENARIO_SETTINGS, joinDelaySeconds } from '../../src/sim/fleet-settings.ts';
import { syntheticTrace } from '../../src/sim/synthetic-load.ts';
import { parseTraceCsv, type Trace, traceWindow } from '../../src/sim/trace-csv.ts';

const fleet = { ...DEFAULT_FLEET_SETTINGS, drainSeconds: 40 };
const scaledObject = loadExampleScaledObject();
const monday = Date.parse('2026-01-05T00:00:00Z');

function options(trace: Trace, extra: Partial<BenchOptions> = {}): BenchOptions {
  return { trace, fleet, scenario: DEFAULT_SCENARIO_SETTINGS, seed: 1, scaledObject, ...extra };
}

/** A load of one value per minute. */
function minuteTrace(values: readonly number[]): Trace {
  return { name: 'generated', timestampsMs: Float64Array.from(values, (_, i) => monday + i * 60_000), values: Float64Array.from(values) };
}

/**
 * Never below the oracle by construction: the replicas the highest load until a new pod could join
 * needs at the lossless rate per replica, plus a padding that changes now and then; unlike the oracle it removes pods as soon as that
 * allows.
 */
/** Runs another autoscaler's schedule with one replica fewer at every step: it sees and sets counts shifted by one. */
class OneFewerThan implements Autoscaler {
  readonly name = 'one-fewer';
  constructor(private readonly inner: Autoscaler) {}
  initialReplicas(load: ControlContext['load']): number {
    return Math.max(1, this.inner.initialReplicas(load) - 1);
  }
  control(context: ControlContext): void {
    const real = context.fleet;
    const shifted = {
      get replicas() {
        return real.replicas + 1;
      },
      setReplicas: (replicas: number) => real.setReplicas(Math.max(1, replicas - 1)),
    } as unknown as ControlContext['fleet'];
    this.inner.control({ ...context, fleet: shifted });
  }
  describe(): string {
    return 'one replica fewer';
  }
}

class PaddedScheduleAutoscaler implements Autoscaler {
  readonly name = 'padded-schedule';
  constructor(
    private readonly padding: readonly number[],
    private readonly perReplica: number,
  ) {}
  private needed(context: Pick<ControlContext, 'load' | 'nowMs'>): number {
    let max = 0;
    for (let s = 0; s <= joinDelaySeconds(fleet); s += fleet.stepSeconds) max = Math.max(max, context.load.spansPerSecondAt(context.nowMs + s * 1000));
    return replicasFor(max, this.perReplica, 1, fleet.minReplicas, fleet.maxReplicas);
  }
  initialReplicas(load: ControlContext['load']): number {
    return this.needed({ load, nowMs: load.startMs });
  }
  control(context: ControlContext): void {
    const pad = this.padding[Math.floor(context.elapsedSeconds / 600) % this.padding.length]!;
    const replicas = Math.min(fleet.maxReplicas, this.needed(context) + pad);
    if (replicas !== context.fleet.replicas) context.fleet.setReplicas(replicas);
  }
  describe(): string {
    return 'test schedule';
  }
}

describe('the oracle', () => {
  it.each([
    ['the defaults', fleet],
    // Where the constant-load rate sits at the decision-tick cliff, and the rising and falling load tips replicas over it.
    ['a true capacity 30 % above the nominal', { ...fleet, capacitySpansPerSecond: 26_000 }],
  ])('loses nothing with %s, and one replica fewer at every step of its schedule loses spans', async (_, fleetSettings) => {
    for (const seed of [1, 2]) {
      const run = { ...options(syntheticTrace({ startMs: monday, days: 1, seed }), { seed }), fleet: fleetSettings };
      const scenario = buildScenario(run);
      const oracle = await runAutoscaler(run, scenario, createAutoscaler('oracle', run, scenario));
      const oneFewer = await runAutoscaler(run, scenario, new OneFewerThan(createAutoscaler('oracle', run, scenario)));
      expect(oracle.lostSpans, `seed ${seed}`).toBe(0);
      expect(oneFewer.lostSpans, `seed ${seed}`).toBeGreaterThan(0);
      expect(oneFewer.replicaHours).toBeLessThan(oracle.replicaHours);
    }
  });

  it('counts what a pod removed without a drain loses outside outages, and a pod that decides its pending traces when stopped loses nothing', async () => {
    // Six gateways, cut to three two hours in, under a flat load scaled to what three carry at 70 %.
    const load = minuteTrace(Array.from({ length: 240 }, () => 1));
    const halving: Autoscaler = {
      name: 'halving',
      initialReplicas: () => 6,
      control: (context) => {
        if (context.elapsedSeconds >= 7200 && context.fleet.replicas === 6) context.fleet.setReplicas(3);
      },
      describe: () => 'six, then three',
    };
    const lostWith = async (dropsPendingTracesOnShutdown: boolean) => {
      const run = { ...options(load, { scenario: { ...DEFAULT_SCENARIO_SETTINGS, peakReplicas: 3 } }), fleet: { ...fleet, drainSeconds: 0, dropsPendingTracesOnShutdown } };
      return runAutoscaler(run, buildScenario(run), halving);
    };
    const dropping = await lostWith(true);
    expect(dropping.lostSpansByCause.lostOnScaleIn).toBeGreaterThan(0);
    expect(dropping.lostSpansOutsideOutagesPct).toBeCloseTo(dropping.lostSpansPct, 9);
    const deciding = await lostWith(false);
    expect(deciding.lostSpansByCause.lostOnScaleIn).toBe(0);
    expect(deciding.lostSpansOutsideOutagesPct).toBe(0);
  });

  it('plans below the constant-load rate where its schedule over the scenario would overload a replica, and only there', async () => {
    const defaults = options(syntheticTrace({ startMs: monday, days: 1, seed: 1 }));
    expect(oracleSpansPerSecondPerReplica(defaults, buildScenario(defaults))).toBe(losslessSpansPerSecondPerReplica(fleet));
    // NYC taxi with decision_wait 60 s (num_traces binds) and two outages: at the constant-load rate the
    // backlog after an outage pushes replicas past num_traces.
    const nyc = traceWindow(parseTraceCsv(readFileSync(new URL('../../../shared/traces/nyc-taxi-30min.csv', import.meta.url), 'utf8'), 'nyc-taxi-30min.csv'), 7);
    const run = { ...options(nyc, { outages: { count: 2, durationSeconds: 1800 } }), fleet: { ...fleet, decisionWaitSeconds: 60 } };
    const scenario = buildScenario(run);
    const constant = losslessSpansPerSecondPerReplica(run.fleet);
    const planned = oracleSpansPerSecondPerReplica(run, scenario);
    expect((await runAutoscaler(run, scenario, new OracleAutoscaler(run.fleet, constant))).lostSpansByCause.droppedTooEarly).toBeGreaterThan(0);
    expect(planned).toBeLessThan(constant);
    expect(planned).toBeGreaterThan(constant * 0.9);
    const oracle = await runAutoscaler(run, scenario, createAutoscaler('oracle', run, scenario));
    expect(oracle.lostSpansByCause).toMatchObject({ failedAtAgents: 0, droppedTooEarly: 0 });
  });

  it('provisions for what the true fleet sustains: more replicas with much slower ticks or a longer decision_wait, fewer with more capacity', () => {
    const base = losslessSpansPerSecondPerReplica(fleet);
    expect(base).toBeLessThan(fleet.capacitySpansPerSecond);
    expect(base).toBeGreaterThan(fleet.capacitySpansPerSecond * fleet.targetUtilization);
    // At the measured tick cost a saturated tick stays under its 1 s period; 8× costlier ticks bind first.
    expect(losslessSpansPerSecondPerReplica({ ...fleet, decisionTickCostMultiplier: 8 })).toBeLessThan(base * 0.99);
    // 50,000 traces × 20 spans held for 60 s: num_traces binds at 16,667 spans/s.
    expect(losslessSpansPerSecondPerReplica({ ...fleet, decisionWaitSeconds: 60 })).toBeCloseTo(50_000 * 20 / 60, -1);
    expect(losslessSpansPerSecondPerReplica({ ...fleet, capacitySpansPerSecond: 26_000 })).toBeGreaterThan(base);
  });

  it('costs no more than any schedule that keeps every replica within the lossless rate, on random loads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 20, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 6 }),
        async (load, padding) => {
          fc.pre(load.some((value) => value > 0));
          const run = options(minuteTrace(load));
          const scenario = buildScenario(run);
          const oracle = await runAutoscaler(run, scenario, createAutoscaler('oracle', run, scenario));
          const candidate = await runAutoscaler(run, scenario, new PaddedScheduleAutoscaler(padding, oracleSpansPerSecondPerReplica(run, scenario)));
          expect(oracle.lostSpans).toBe(0);
          expect(candidate.replicaHours).toBeGreaterThanOrEqual(oracle.replicaHours - 1e-9);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('runBench', () => {
  let result: BenchResult;
  beforeAll(async () => {
    result = await runBench(options(syntheticTrace({ startMs: monday, days: 1, seed: 3 }), { outages: { count: 1, durationSeconds: 1800 } }));
  });

  it('runs every autoscaler, in order, and writes every documented field as a number', () => {
    expect(result.policies.map((policy) => policy.name)).toEqual([...AUTOSCALER_NAMES]);
    const json = benchJson(result, options(syntheticTrace({ startMs: monday, days: 1, seed: 3 }))) as { trace: string; steps: number; policies: Record<string, unknown>[] };
    expect(json.steps).toBe(86_400 / fleet.stepSeconds);
    for (const policy of json.policies) {
      for (const field of JSON_POLICY_FIELDS) {
        if (field === 'name') expect(typeof policy[field]).toBe('string');
        else expect(Number.isFinite(policy[field])).toBe(true);
      }
    }
    expect(json.policies.find((policy) => policy.name === 'oracle')!.replicaHoursVsOracle).toBe(1);
  });

  it('shows the slow recoveries\' column only for a run that has them', () => {
    expect(formatTable(result.policies, result.scenario).split('\n')[0]).toMatch(/replicas added in outages$/);
  });

  it('counts replica-hours of every pod: static-peak runs its replicas for the whole day', () => {
    const staticPeak = result.policies.find((policy) => policy.name === 'static-peak')!;
    const replicas = replicasFor(result.scenario.maxLoadSpansPerSecond, fleet.capacitySpansPerSecond, fleet.targetUtilization, fleet.minReplicas, fleet.maxReplicas);
    expect(staticPeak.replicaHours).toBeCloseTo(replicas * 24, 9);
    expect(staticPeak.scaleActions).toBe(0);
  });

  it('charges the outage its own losses: static-peak loses spans in the outage and none outside it', () => {
    const staticPeak = result.policies.find((policy) => policy.name === 'static-peak')!;
    expect(staticPeak.lostSpansPct).toBeGreaterThan(0);
    expect(staticPeak.lostSpansOutsideOutagesPct).toBe(0);
  });
});

describe('a slow recovery after an outage', () => {
  // Twelve hours at the trace's peak, one 30-minute outage, then 30 minutes of a backend that takes 1.1 × what the queues receive.
  const flat = minuteTrace(Array.from({ length: 12 * 60 }, () => 100));
  const outages = { count: 1, durationSeconds: 1800 };
  const slowRecovery = { durationSeconds: 1800, loadMultiple: 1.1 };

  /** Runs `name` and keeps, per step, the spans sent and the fullest queue, timed from the outage's end. */
  async function watch(name: 'static-peak' | 'scaler-reactive', extra: Partial<BenchOptions>, trace = flat) {
    const run = options(trace, { outages, ...extra });
    const scenario = buildScenario(run);
    const inner = createAutoscaler(name, run, scenario);
    const recoveredAtMs = scenario.outages[0]!.endMs;
    const steps: { secondsSinceRecovery: number; sent: number; queueFillMax: number }[] = [];
    let sentBefore = 0;
    const watching: Autoscaler = {
      name,
      initialReplicas: (load) => inner.initialReplicas(load),
      ...(inner.prepare ? { prepare: (context: ControlContext) => inner.prepare!(context) } : {}),
      describe: () => inner.describe(),
      control(context) {
        // What the fleet did in the step before this one.
        steps.push({ secondsSinceRecovery: (context.nowMs - fleet.stepSeconds * 1000 - recoveredAtMs) / 1000, sent: context.fleet.totals.sent - sentBefore, queueFillMax: context.fleet.observed.queueFillMax });
        sentBefore = context.fleet.totals.sent;
        inner.control(context);
      },
    };
    const result = await runAutoscaler(run, scenario, watching);
    return { result, steps, offeredPerStep: Math.round(scenario.load.spansPerSecondAt(recoveredAtMs) * fleet.stepSeconds) };
  }

  it('caps what the backend takes at 1.1 × the load the queues receive, so the backlog drains for minutes instead of one', async () => {
    const slow = await watch('static-peak', { slowRecovery });
    const recovering = slow.steps.filter((step) => step.secondsSinceRecovery >= 0 && step.secondsSinceRecovery < slowRecovery.durationSeconds);
    for (const step of recovering) expect(step.sent).toBeLessThanOrEqual(slowRecovery.loadMultiple * slow.offeredPerStep);
    expect(Math.max(...recovering.map((step) => step.sent))).toBeGreaterThan(1.09 * slow.offeredPerStep);
    const fillAt = (steps: typeof slow.steps, seconds: number) => steps.find((step) => step.secondsSinceRecovery >= seconds)!.queueFillMax;
    expect(fillAt(slow.steps, 120)).toBeGreaterThan(0.5);
    expect(fillAt((await watch('static-peak', {})).steps, 120)).toBe(0);
    expect(slow.result.lostSpansOutsideOutagesPct).toBe(0);
  });

  it('drains the backlog when the load falls meanwhile: the backend follows what the queues receive, a decision_wait behind the load', async () => {
    // The same outage (placement depends on the seed and the run's span only); the load halves within a minute of it.
    const recoveredAtMs = buildScenario(options(flat, { outages })).outages[0]!.endMs;
    const dropAt = Math.ceil((recoveredAtMs - monday) / 60_000);
    const falling = minuteTrace(Array.from({ length: 12 * 60 }, (_, minute) => (minute < dropAt ? 100 : 50)));
    const { result, steps } = await watch('static-peak', { slowRecovery }, falling);
    expect(steps.find((step) => step.secondsSinceRecovery >= 120)!.queueFillMax).toBeGreaterThan(0.5);
    expect(result.lostSpansOutsideOutagesPct).toBe(0);
  });

  it('adds no gateway while the backlog drains: the queues are full, but only the backend can empty them', async () => {
    const { result, steps } = await watch('scaler-reactive', { slowRecovery });
    // Past the rate window, the queues still above half full: the draining backlog is what holds.
    expect(steps.find((step) => step.secondsSinceRecovery >= 120)!.queueFillMax).toBeGreaterThan(0.5);
    expect(result.slowRecoveryScaleUps).toBe(0);
    expect(result.outageScaleUps).toBe(0);
  });
});
