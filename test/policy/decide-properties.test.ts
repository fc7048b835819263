import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TargetSettings } from '../../src/config/target-metadata.ts';
import type { CapacityEstimate } from '../../src/policy/capacity-estimate.ts';
import { decide } from '../../src/policy/decide.ts';
import type { CalendarInput, DecideInput, ForecastInput } from '../../src/policy/decide-input.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { SIGNAL_NAMES, type SignalName } from '../../src/signals/signal-snapshot.ts';
import { type SignalOverrides, type SnapshotOptions, settings, snapshot, T0_MS } from './policy-fixtures.ts';

const RUNS = { numRuns: 400 };

type Values = Record<Exclude<SignalName, 'currentReplicas' | 'reportingReplicas'>, number>;

interface World {
  readonly settings: TargetSettings;
  readonly current: number;
  readonly values: Values;
  readonly weights: readonly number[];
  readonly missing: readonly (SignalName | 'byGateway')[];
  readonly ageSeconds: number;
  readonly forecast: ForecastInput | undefined;
  readonly calendar: CalendarInput | undefined;
  /** Earlier snapshots (values, seconds before now) decided in order to build the previous state. */
  readonly history: readonly { readonly values: Values; readonly current: number; readonly secondsBefore: number }[];
}

/** Zero or a real rate: Prometheus rates over a 2m window do not resolve below ~0.008/s, so subnormal floats are not inputs. */
const rate = (max: number) => fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max, noNaN: true }));
const level = (max: number) => fc.oneof(fc.constant(0), fc.double({ min: 1e-6, max, noNaN: true }));

const valuesArb: fc.Arbitrary<Values> = fc
  .record({
    queueFillMax: level(1),
    meanShare: level(1),
    refusedSpansPerSecond: rate(200_000),
    enqueueFailedSpansPerSecond: rate(50_000),
    sendFailedSpansPerSecond: rate(100_000),
    sentSpansPerSecond: rate(1_000_000),
    decisionLatencyP99Ms: level(5_000),
    tracesOnMemory: level(5_000_000),
    droppedTooEarlyTracesPerSecond: rate(5_000),
    acceptedSpansPerSecond: rate(3_000_000),
  })
  .map(({ meanShare, ...rest }) => ({ ...rest, queueFillMean: rest.queueFillMax * meanShare }));

const settingsArb: fc.Arbitrary<TargetSettings> = fc
  .record({
    minReplicas: fc.integer({ min: 1, max: 30 }),
    span: fc.integer({ min: 0, max: 150 }),
    scaleInStep: fc.integer({ min: 1, max: 5 }),
    targetQueueFill: fc.double({ min: 0.1, max: 1, noNaN: true }),
    backendFailureRatio: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    mode: fc.constantFrom('enforce', 'dry-run'),
  })
  .map((raw) =>
    settings({
      minReplicas: String(raw.minReplicas),
      maxReplicas: String(raw.minReplicas + raw.span),
      scaleInStep: String(raw.scaleInStep),
      targetQueueFill: raw.targetQueueFill.toFixed(3),
      backendFailureRatio: raw.backendFailureRatio.toFixed(3),
      mode: raw.mode,
    }),
  );

const forecastArb: fc.Arbitrary<ForecastInput | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant({ kind: 'unavailable', reason: 'too little history' } as const),
  fc.double({ min: 0, max: 3_000_000, noNaN: true }).map((upper) => ({
    kind: 'available' as const,
    band: { leadTimeSeconds: 95, pointSpansPerSecond: upper * 0.8, upperSpansPerSecond: upper, quantile: 0.9, fittedAtMs: T0_MS, model: 'seasonal' },
  })),
);

const calendarArb: fc.Arbitrary<CalendarInput | undefined> = fc.oneof(
  fc.constant(undefined),
  fc
    .array(
      fc.record({
        name: fc.constantFrom('release', 'black-friday'),
        minReplicas: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
        loadMultiplier: fc.option(fc.double({ min: 0.5, max: 5, noNaN: true }), { nil: undefined }),
      }),
      { maxLength: 2 },
    )
    .map((activeWindows) => ({ activeWindows })),
);

const missingArb = fc.subarray([...SIGNAL_NAMES.filter((name) => name !== 'currentReplicas'), 'byGateway' as const], { maxLength: 4 });

const worldArb: fc.Arbitrary<World> = fc.record({
  settings: settingsArb,
  current: fc.integer({ min: 1, max: 200 }),
  values: valuesArb,
  weights: fc.array(level(1), { minLength: 1, maxLength: 12 }),
  missing: missingArb,
  ageSeconds: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 300, noNaN: true })),
  forecast: forecastArb,
  calendar: calendarArb,
  history: fc.array(
    fc.record({ values: valuesArb, current: fc.integer({ min: 1, max: 200 }), secondsBefore: fc.integer({ min: 1, max: 200 }) }),
    { maxLength: 4 },
  ),
});

function snapshotOptions(current: number, values: Values, weights: readonly number[], missing: World['missing'], observedAtMs: number): SnapshotOptions {
  const signals: SignalOverrides = { currentReplicas: current, ...values };
  for (const name of missing) if (name !== 'byGateway') signals[name] = 'missing';
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  const byGateway =
    missing.includes('byGateway')
      ? ('missing' as const)
      : Object.fromEntries(weights.map((weight, i) => [`gateway-${i}`, weightTotal > 0 ? (values.acceptedSpansPerSecond * weight) / weightTotal : 0]));
  return { signals, byGateway, observedAtMs };
}

/** The previous state after deciding the world's history in order (times strictly increasing, ending before now). */
function previousState(world: World): PolicyState | undefined {
  let state: PolicyState | undefined;
  let atMs = T0_MS - world.history.reduce((sum, entry) => sum + entry.secondsBefore, 0) * 1000;
  for (const entry of world.history) {
    const options = snapshotOptions(entry.current, entry.values, world.weights, [], atMs);
    state = decide({ nowMs: atMs, snapshot: snapshot(options) }, world.settings, state).state;
    atMs += entry.secondsBefore * 1000;
  }
  return state;
}

function inputOf(world: World, values: Values = world.values, weights: readonly number[] = world.weights): DecideInput {
  const options = snapshotOptions(world.current, values, weights, world.missing, T0_MS - world.ageSeconds * 1000);
  return { nowMs: T0_MS, snapshot: snapshot(options), forecast: world.forecast, calendar: world.calendar };
}

function run(world: World, input: DecideInput = inputOf(world)) {
  return decide(input, world.settings, previousState(world)).decision;
}

const withinBounds = (world: World) => world.current >= world.settings.minReplicas && world.current <= world.settings.maxReplicas;

describe('decide: properties', () => {
  it('the recommendation always lies within [minReplicas, maxReplicas]; enforce answers it, dry-run answers current', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const decision = run(world);
        expect(decision.recommended).toBeGreaterThanOrEqual(world.settings.minReplicas);
        expect(decision.recommended).toBeLessThanOrEqual(world.settings.maxReplicas);
        expect(Number.isInteger(decision.recommended)).toBe(true);
        expect(decision.replicas).toBe(world.settings.mode === 'enforce' ? decision.recommended : world.current);
      }),
      RUNS,
    );
  });

  it('under a backend bottleneck the recommendation never exceeds current (only minReplicas can lift it)', () => {
    const bottleneckArb = fc.record({ world: worldArb, failedShareAbove: fc.double({ min: 0.001, max: 1, noNaN: true }), sent: fc.double({ min: 1, max: 1e6, noNaN: true }) });
    fc.assert(
      fc.property(bottleneckArb, ({ world, failedShareAbove, sent }) => {
        const ratio = Math.min(1, world.settings.backendFailureRatio + failedShareAbove * (1 - world.settings.backendFailureRatio));
        fc.pre(ratio > world.settings.backendFailureRatio && ratio < 1);
        const failed = (sent * ratio) / (1 - ratio);
        const healthyBackendSignals = { ...world.values, sentSpansPerSecond: sent, sendFailedSpansPerSecond: failed };
        const shaped = { ...world, missing: world.missing.filter((name) => name !== 'sentSpansPerSecond' && name !== 'sendFailedSpansPerSecond') };
        const decision = run(shaped, inputOf(shaped, healthyBackendSignals));
        expect(decision.guards.map((guard) => guard.name)).toContain('backendBottleneck');
        expect(decision.recommended).toBeLessThanOrEqual(Math.max(world.current, world.settings.minReplicas));
      }),
      RUNS,
    );
  });

  it('never below current when any signal is missing or the snapshot is stale', () => {
    const gappyArb = fc.record({ world: worldArb, forced: fc.constantFrom(...SIGNAL_NAMES.filter((name) => name !== 'currentReplicas'), 'byGateway' as const, 'stale' as const) });
    fc.assert(
      fc.property(gappyArb, ({ world, forced }) => {
        fc.pre(withinBounds(world));
        const shaped: World =
          forced === 'stale'
            ? { ...world, ageSeconds: world.settings.staleAfterSeconds + 1 }
            : { ...world, missing: world.missing.includes(forced) ? world.missing : [...world.missing, forced] };
        expect(run(shaped).recommended).toBeGreaterThanOrEqual(world.current);
      }),
      RUNS,
    );
  });

  it('more load never gives fewer replicas (backend healthy)', () => {
    const loadArb = fc.record({ world: worldArb, factor: fc.double({ min: 1, max: 4, noNaN: true }) });
    fc.assert(
      fc.property(loadArb, ({ world, factor }) => {
        const healthy = { ...world.values, sendFailedSpansPerSecond: 0 };
        const heavier: Values = {
          ...healthy,
          queueFillMax: Math.min(1, healthy.queueFillMax * factor),
          queueFillMean: Math.min(1, healthy.queueFillMean * factor),
          refusedSpansPerSecond: healthy.refusedSpansPerSecond * factor,
          enqueueFailedSpansPerSecond: healthy.enqueueFailedSpansPerSecond * factor,
          decisionLatencyP99Ms: healthy.decisionLatencyP99Ms * factor,
          tracesOnMemory: healthy.tracesOnMemory * factor,
          droppedTooEarlyTracesPerSecond: healthy.droppedTooEarlyTracesPerSecond * factor,
          acceptedSpansPerSecond: healthy.acceptedSpansPerSecond * factor,
        };
        const base = run(world, inputOf(world, healthy));
        const more = run(world, inputOf(world, heavier));
        // Healthy means in both worlds: queues rising by the factor while the sent rate stays where it was
        // is what a stalled backend looks like, and the bottleneck guard's hold has its own property.
        fc.pre(![base, more].some((decision) => decision.guards.some((guard) => guard.name === 'backendBottleneck')));
        expect(more.recommended, `base: ${base.summary}\nmore: ${more.summary}`).toBeGreaterThanOrEqual(base.recommended);
      }),
      RUNS,
    );
  });

  it('what the state keeps to save work (sorted slopes, the capacity in use) changes nothing: a state without it decides the same', () => {
    const capacityArb: fc.Arbitrary<CapacityEstimate | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.double({ min: 1_000, max: 60_000, noNaN: true }).map((spansPerReplica) => ({
        kind: 'learned' as const,
        fit: { spansPerReplica, relativeStandardError: 0.01, idleUtilization: 0.02, throughOrigin: false, samples: 300, fromMs: T0_MS - 6 * 3600_000, toMs: T0_MS },
        allotmentSource: 'kube-state-metrics requests' as const,
        changeAtMs: undefined,
        saturation: undefined,
      })),
      fc.double({ min: 1_000, max: 60_000, noNaN: true }).map((medianSpansPerSecond) => ({
        kind: 'insufficient' as const,
        reason: 'only 10 min of CPU samples',
        saturation: { medianSpansPerSecond, samples: 8, cause: 'cpu' as const, atMs: 0 },
      })),
    );
    fc.assert(
      fc.property(worldArb, capacityArb, (world, capacity) => {
        // The history decided with the same estimate, as a caller passes the one it re-reads every few minutes.
        let state: PolicyState | undefined;
        let atMs = T0_MS - world.history.reduce((sum, entry) => sum + entry.secondsBefore, 0) * 1000;
        for (const entry of world.history) {
          const options = snapshotOptions(entry.current, entry.values, world.weights, [], atMs);
          state = decide({ nowMs: atMs, snapshot: snapshot(options), capacity }, world.settings, state).state;
          atMs += entry.secondsBefore * 1000;
        }
        const input = { ...inputOf(world), capacity };
        const kept = decide(input, world.settings, state);
        const afresh = decide(input, world.settings, state === undefined ? undefined : { ...state, loadSlopes: undefined, capacityInUse: undefined });
        expect(JSON.stringify(afresh.decision)).toBe(JSON.stringify(kept.decision));
        expect(JSON.stringify(afresh.state)).toBe(JSON.stringify(kept.state));
      }),
      RUNS,
    );
  });

  it('same input, same output (decision and next state)', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const input = inputOf(world);
        const previous = previousState(world);
        const first = decide(input, world.settings, previous);
        const second = decide(input, world.settings, previous);
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      }),
      RUNS,
    );
  });
});
