// The benchmark: every autoscaler replays the same scenario (trace, bursts, backend outages) against
// its own simulated fleet, closed loop, and is scored on lost spans, broken traces, replica-hours
// against the oracle and the SPEC RG elasticity metrics. Pure computation over the inputs (no I/O).
import { SimulatedSignalSource } from '../signals/simulated-source.ts';
import { parseDurationSeconds } from '../config/duration.ts';
import { serverConfigSchema } from '../config/server-config.ts';
import type { Autoscaler, AutoscalerName, ControlContext, ExternalLoopSettings } from './autoscaler.ts';
import { AUTOSCALER_NAMES, replicasFor } from './autoscaler.ts';
import {
  HPA_RESOURCE_BASELINES,
  HpaResourceAutoscaler,
  KedaPrometheusAutoscaler,
  losslessSpansPerSecondPerReplica,
  OracleAutoscaler,
  queueBatchesTrigger,
  receivedSpansTrigger,
  StaticPeakAutoscaler,
} from './baseline-autoscalers.ts';
import type { CapacityTally } from './capacity-tally.ts';
import { ElasticityAccumulator, type ElasticityMetrics } from './elasticity-metrics.ts';
import type { ScaledObjectSpec } from './example-scaled-object.ts';
import { Fleet } from './fleet.ts';
import type { Forecaster } from './forecast-cache.ts';
import { FleetRecorder } from './fleet-recorder.ts';
import { fleetRoster } from './fleet-roster.ts';
import type { FleetSettings, ScenarioSettings } from './fleet-settings.ts';
import { DEFAULT_HPA_BEHAVIOR } from './hpa.ts';
import { BurstLoadCurve, type LoadCurve, peakLoadSpansPerSecond, TraceLoadCurve } from './load-curve.ts';
import {
  type BurstSpec,
  type BurstWindow,
  inWindows,
  placeBursts,
  placeOutages,
  placeScalerRestarts,
  placeScrapeDowns,
  SCRAPE_DOWN_SHARE,
  ScenarioSpecError,
  type SlowRecoverySpec,
  type SlowRecoveryWindow,
  slowRecoveryWindows,
  type TimeWindow,
  type WindowSpec,
  windowAt,
} from './scenario.ts';
import { NAMED_SCENARIOS, type ScenarioName } from './named-scenarios.ts';
import { ProjectScalerAutoscaler } from './scaler-autoscaler.ts';
import { CAPACITY_LOOKBACK_SECONDS } from '../signals/capacity-queries.ts';
import { REPLICA_HISTORY_LOOKBACK_SECONDS } from '../signals/replica-count-history.ts';
import { RING_SHARE_LOOKBACK_SECONDS } from '../signals/ring-share-history.ts';
import { SIMULATED_TARGET, simulatedTargetSettings } from './simulated-target.ts';
import type { Trace } from './trace-csv.ts';

/**
 * Threshold of the keda-prometheus-queue baseline, in batches per replica: 10 % of the collector's
 * default queue capacity (1000 batches), so it scales out well before the community alert at 80 %.
 */
export const DEFAULT_QUEUE_THRESHOLD_BATCHES = 100;

/** keda-prometheus-rate's threshold per replica: the trigger's capacity at 70 % (the target utilization). */
const KEDA_RATE_THRESHOLD_UTILIZATION = 0.7;

/** The server config's default refit schedule and forget time: what the scaler runs with out of the box. */
const SERVER_DEFAULTS = serverConfigSchema.parse({});
/** Extra Prometheus history the forecast's recorder keeps beyond forecastHistory. */
const FORECAST_RETENTION_MARGIN_SECONDS = 3600;
/** Prometheus history a reactive autoscaler's reads need: the longest learned figure's lookback plus rate windows up to an hour. */
const REACTIVE_RETENTION_SECONDS = Math.max(CAPACITY_LOOKBACK_SECONDS, REPLICA_HISTORY_LOOKBACK_SECONDS, RING_SHARE_LOOKBACK_SECONDS) + 3600;
/** Points per series in the plot data. */
const PLOT_POINTS = 1200;

export interface BenchOptions {
  readonly trace: Trace;
  readonly fleet: FleetSettings;
  readonly scenario: ScenarioSettings;
  readonly seed: number;
  readonly outages?: WindowSpec;
  /** The backend after each outage: capped just above what the queues receive for a while, so the backlog drains slowly. */
  readonly slowRecovery?: SlowRecoverySpec;
  readonly bursts?: BurstSpec;
  /** Windows in which half the gateways' scrape targets are down (they keep running). */
  readonly scrapeDowns?: WindowSpec;
  /** Restarts of this project's scaler: down for each window, then back with no process memory. */
  readonly scalerRestarts?: WindowSpec;
  readonly queueThresholdBatches?: number;
  /** The project's ScaledObject (trigger metadata, pollingInterval, behavior); see example-scaled-object.ts. */
  readonly scaledObject: ScaledObjectSpec;
  /** A named regime (its fleet and scenario settings are already in `fleet` and `scenario`; its bursts are placed here). */
  readonly namedScenario?: ScenarioName;
  /** Trigger metadata keys set on top of the ScaledObject's (`--metadata key=value`). */
  readonly metadataOverrides?: Readonly<Record<string, string>>;
  /** Which autoscalers to run, in this order; default all. The oracle always runs when ratios are wanted. */
  readonly autoscalers?: readonly AutoscalerName[];
  /** Called after each autoscaler's run (progress output). */
  readonly onResult?: (result: PolicyResult) => void;
  /** How scaler-forecast computes its fits; default forecast(). The CLIs pass the cached one (forecast-cache.ts). */
  readonly forecast?: Forecaster;
}

export interface PolicyResult extends ElasticityMetrics {
  readonly name: string;
  readonly lostSpansPct: number;
  readonly lostSpansOutsideOutagesPct: number;
  readonly brokenTracesPct: number;
  readonly replicaHours: number;
  /** replicaHours / the oracle's; null when the oracle was not run. */
  replicaHoursVsOracle: number | null;
  readonly scaleActions: number;
  /** Replicas added to the Deployment while the backend was down. */
  readonly outageScaleUps: number;
  /** Replicas added while the backend recovered slowly after an outage (0 without `slowRecovery`). */
  readonly slowRecoveryScaleUps: number;
  readonly offeredSpans: number;
  readonly lostSpans: number;
  readonly lostSpansByCause: { readonly failedAtAgents: number; readonly enqueueFailed: number; readonly sendFailed: number; readonly droppedTooEarly: number; readonly lostOnScaleIn: number };
  readonly description: string;
  /** What this project's scaler sized with (its autoscalers only). */
  readonly capacityTally?: CapacityTally;
  /** Deployment replicas (mean per plot bucket) and lost spans/s per plot bucket. */
  readonly series: { readonly replicas: Float64Array; readonly lostSpansPerSecond: Float64Array };
}

export interface BenchScenario {
  readonly traceName: string;
  readonly startMs: number;
  readonly steps: number;
  readonly stepSeconds: number;
  readonly load: LoadCurve;
  readonly outages: readonly TimeWindow[];
  /** After each outage, while the backend takes at most its window's `loadMultiple` × what the queues receive. */
  readonly slowRecoveries: readonly SlowRecoveryWindow[];
  readonly scrapeDowns: readonly TimeWindow[];
  /** When this project's scaler is down; it comes back from each with no process memory. */
  readonly scalerRestarts: readonly TimeWindow[];
  readonly bursts: readonly BurstWindow[];
  readonly backendSpansPerSecond: number;
  readonly maxLoadSpansPerSecond: number;
  /** Steps per plot bucket, and per bucket: mean offered spans/s and replicas the load needs. */
  readonly plot: { readonly bucketSteps: number; readonly loadSpansPerSecond: Float64Array; readonly demandReplicas: Float64Array };
}

export interface BenchResult {
  readonly scenario: BenchScenario;
  readonly policies: readonly PolicyResult[];
}

/** Builds the shared scenario: scaled load with bursts, outage windows, backend capacity, plot buckets. */
export function buildScenario(options: BenchOptions): BenchScenario {
  const { trace, fleet, scenario, seed } = options;
  const peak = peakLoadSpansPerSecond(scenario.peakReplicas);
  const base = new TraceLoadCurve(trace, peak);
  const stepMs = fleet.stepSeconds * 1000;
  const steps = Math.floor((base.endMs - base.startMs) / stepMs);
  const endMs = base.startMs + steps * stepMs;
  const bursts = options.bursts ? placeBursts(options.bursts, base.startMs, endMs, seed) : [];
  const hourly = options.namedScenario ? NAMED_SCENARIOS[options.namedScenario].hourlyBursts : undefined;
  const hours = Math.floor((endMs - base.startMs) / 3_600_000);
  if (hourly && hours >= 2) {
    bursts.push(...placeBursts({ count: hours - 1, ...hourly }, base.startMs, endMs, seed + 1));
    bursts.sort((a, b) => a.startMs - b.startMs);
  }
  const load: LoadCurve = bursts.length > 0 ? new BurstLoadCurve(base, bursts) : base;
  const outages = options.outages ? placeOutages(options.outages, base.startMs, endMs, seed) : [];
  if (options.slowRecovery && outages.length === 0) throw new ScenarioSpecError('--slow-recovery shapes the backend after each outage, and the run has none: add --outage, e.g. --outage 2x30m');
  const slowRecoveries = options.slowRecovery ? slowRecoveryWindows(outages, options.slowRecovery, endMs) : [];
  const scrapeDowns = options.scrapeDowns ? placeScrapeDowns(options.scrapeDowns, base.startMs, endMs, seed) : [];
  const scalerRestarts = options.scalerRestarts ? placeScalerRestarts(options.scalerRestarts, base.startMs, endMs, seed) : [];
  const bucketSteps = Math.max(1, Math.ceil(steps / PLOT_POINTS));
  const buckets = Math.ceil(steps / bucketSteps);
  const loadSpansPerSecond = new Float64Array(buckets);
  const demandReplicas = new Float64Array(buckets);
  let maxLoad = 0;
  for (let k = 0; k < steps; k++) {
    const rate = load.spansPerSecondAt(base.startMs + k * stepMs);
    if (rate > maxLoad) maxLoad = rate;
    const bucket = Math.floor(k / bucketSteps);
    const size = Math.min(bucketSteps, steps - bucket * bucketSteps);
    loadSpansPerSecond[bucket]! += rate / size;
    demandReplicas[bucket]! += replicasFor(rate, fleet.capacitySpansPerSecond, fleet.targetUtilization, fleet.minReplicas, fleet.maxReplicas) / size;
  }
  return {
    traceName: trace.name,
    startMs: base.startMs,
    steps,
    stepSeconds: fleet.stepSeconds,
    load,
    outages,
    slowRecoveries,
    scrapeDowns,
    scalerRestarts,
    bursts,
    backendSpansPerSecond: scenario.backendPeakMultiple * peak,
    maxLoadSpansPerSecond: maxLoad,
    plot: { bucketSteps, loadSpansPerSecond, demandReplicas },
  };
}

/**
 * What the backend accepts at `nowMs` outside an outage: its capacity, or in a slow recovery just above
 * what the queues receive, the load offered a decision_wait before (a trace is exported once decided),
 * so the backlog drains at (multiple − 1) × that whether the load rises or falls meanwhile.
 */
function backendSpansPerSecondAt(scenario: BenchScenario, fleet: FleetSettings, nowMs: number, recovery: SlowRecoveryWindow | undefined): number {
  if (recovery === undefined) return scenario.backendSpansPerSecond;
  const queuedSpansPerSecond = scenario.load.spansPerSecondAt(nowMs - fleet.decisionWaitSeconds * 1000);
  return Math.min(scenario.backendSpansPerSecond, recovery.loadMultiple * queuedSpansPerSecond);
}

function loopSettings(options: BenchOptions, behavior: ExternalLoopSettings['behavior'], pollingSeconds: number): Omit<ExternalLoopSettings, 'targetAverageValue'> {
  return {
    pollingSeconds,
    hpaSyncSeconds: options.scenario.hpaSyncSeconds,
    hpaSyncOffsetSeconds: options.fleet.stepSeconds,
    tolerance: options.scenario.hpaTolerance,
    minReplicas: options.fleet.minReplicas,
    maxReplicas: options.fleet.maxReplicas,
    behavior,
  };
}

/** A fresh autoscaler of the given name for one run. */
export function createAutoscaler(name: AutoscalerName, options: BenchOptions, scenario: BenchScenario): Autoscaler {
  const { fleet } = options;
  const kedaDefaults = loopSettings(options, DEFAULT_HPA_BEHAVIOR, options.scenario.kedaPollingSeconds);
  const project = loopSettings(options, options.scaledObject.behavior, options.scaledObject.pollingIntervalSeconds);
  const settings = simulatedTargetSettings(options.scaledObject, options.metadataOverrides);
  const resourceTargets = HPA_RESOURCE_BASELINES.find((targets) => targets.name === name);
  if (resourceTargets) return new HpaResourceAutoscaler(resourceTargets, fleet, kedaDefaults);
  switch (name) {
    case 'static-peak':
      return new StaticPeakAutoscaler(scenario.maxLoadSpansPerSecond, fleet);
    case 'hpa-cpu-50':
    case 'hpa-cpu-60':
    case 'hpa-cpu-70':
    case 'hpa-cpu-90':
    case 'hpa-cpu-mem':
      throw new Error(`${name} has no entry in HPA_RESOURCE_BASELINES`);
    case 'keda-prometheus-rate':
      return new KedaPrometheusAutoscaler(receivedSpansTrigger(settings.capacitySpansPerReplica * KEDA_RATE_THRESHOLD_UTILIZATION), fleet, kedaDefaults);
    case 'keda-prometheus-queue':
      return new KedaPrometheusAutoscaler(queueBatchesTrigger(options.queueThresholdBatches ?? DEFAULT_QUEUE_THRESHOLD_BATCHES), fleet, kedaDefaults);
    case 'scaler-reactive':
      return new ProjectScalerAutoscaler(settings, fleet, project, undefined, scenario.scalerRestarts);
    case 'scaler-forecast':
      return new ProjectScalerAutoscaler(settings, fleet, project, {
        refitSchedule: SERVER_DEFAULTS.forecast.refitSchedule,
        forgetAfterSeconds: parseDurationSeconds(SERVER_DEFAULTS.advisor.forgetAfter)!,
        ...(options.forecast ? { forecast: options.forecast } : {}),
      }, scenario.scalerRestarts);
    case 'oracle':
      return new OracleAutoscaler(fleet, oracleSpansPerSecondPerReplica(options, scenario));
  }
}

/** The oracle's rate search goes down to this share of the constant-load lossless rate. */
const ORACLE_RATE_FLOOR = 0.8;
/** Bisection steps between the floor and the constant-load rate (to 0.3 % of it). */
const ORACLE_RATE_SEARCH_STEPS = 6;

/**
 * Whether the oracle's schedule at `spansPerSecondPerReplica` overloads a replica anywhere outside the
 * scenario's outages: spans refused (memory limiter, CPU) or dropped too early (num_traces). Other
 * losses do not depend on the load per replica (the backend's, the drain's on scale-in).
 */
function oracleOverloads(options: BenchOptions, scenario: BenchScenario, spansPerSecondPerReplica: number): boolean {
  const { load, outages, steps, startMs } = scenario;
  const dt = options.fleet.stepSeconds;
  const oracle = new OracleAutoscaler(options.fleet, spansPerSecondPerReplica);
  const fleet = new Fleet(options.fleet, { initialReplicas: oracle.initialReplicas(load) });
  // The oracle reads only the load: its source has no scrapes.
  const source = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder: new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds: dt }), roster: { gatewaysAt: () => undefined } });
  const context = { nowMs: startMs, elapsedSeconds: 0, fleet, source, load } satisfies ControlContext;
  let outageIndex = 0;
  for (let k = 0; k < steps; k++) {
    const nowMs = startMs + k * dt * 1000;
    context.nowMs = nowMs;
    context.elapsedSeconds = k * dt;
    while (outageIndex < outages.length && outages[outageIndex]!.endMs <= nowMs) outageIndex++;
    const outage = outageIndex < outages.length && outages[outageIndex]!.startMs <= nowMs;
    oracle.control(context);
    const overloadedBefore = fleet.totals.refused + fleet.totals.droppedTooEarlySpans;
    fleet.step(Math.round(load.spansPerSecondAt(nowMs) * dt), backendSpansPerSecondAt(scenario, options.fleet, nowMs, windowAt(scenario.slowRecoveries, nowMs)), outage);
    if (!outage && fleet.totals.refused + fleet.totals.droppedTooEarlySpans > overloadedBefore) return true;
  }
  return false;
}

/**
 * The load per replica the oracle plans with. losslessSpansPerSecondPerReplica holds it for hours at a
 * constant load, but the decision ticks sit near a cliff there: a load that rises and falls (replicas
 * joining, the held traces of the last decision_wait catching up) can tip a replica over it. So the
 * rate is lowered, by bisection, until the oracle's own schedule over this scenario's load overloads
 * no replica outside outages. When even the floor overloads one, replicas are not what is short, and
 * the constant-load rate stays.
 */
export function oracleSpansPerSecondPerReplica(options: BenchOptions, scenario: BenchScenario): number {
  const constant = losslessSpansPerSecondPerReplica(options.fleet);
  if (!oracleOverloads(options, scenario, constant)) return constant;
  let low = constant * ORACLE_RATE_FLOOR;
  if (oracleOverloads(options, scenario, low)) return constant;
  let high = constant;
  for (let i = 0; i < ORACLE_RATE_SEARCH_STEPS; i++) {
    const middle = (low + high) / 2;
    if (oracleOverloads(options, scenario, middle)) high = middle;
    else low = middle;
  }
  return low;
}

/** Replays the scenario against one autoscaler; rejects if span accounting ever fails to balance. */
export async function runAutoscaler(options: BenchOptions, scenario: BenchScenario, autoscaler: Autoscaler): Promise<PolicyResult> {
  const { fleet: fleetSettings } = options;
  const { load, outages, slowRecoveries, scrapeDowns, steps, startMs, plot } = scenario;
  const dt = fleetSettings.stepSeconds;
  const stepMs = dt * 1000;
  const fleet = new Fleet(fleetSettings, { initialReplicas: autoscaler.initialReplicas(load) });
  const needsHistory = autoscaler.name === 'scaler-forecast';
  const settings = simulatedTargetSettings(options.scaledObject, options.metadataOverrides);
  const recorder = new FleetRecorder({
    startMs,
    stepSeconds: dt,
    retentionSeconds: needsHistory ? Math.max(settings.forecastHistorySeconds + FORECAST_RETENTION_MARGIN_SECONDS, REACTIVE_RETENTION_SECONDS) : REACTIVE_RETENTION_SECONDS,
  });
  recorder.record(fleet.observed);
  const source = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster: fleetRoster(fleet, recorder) });
  const elasticity = new ElasticityAccumulator(dt);
  const buckets = plot.loadSpansPerSecond.length;
  const replicaSeries = new Float64Array(buckets);
  const lostSeries = new Float64Array(buckets);
  const context = { nowMs: startMs, elapsedSeconds: 0, fleet, source, load } satisfies ControlContext;
  let scaleActions = 0;
  let outageScaleUps = 0;
  let slowRecoveryScaleUps = 0;
  let lostOutside = 0;
  let offeredOutside = 0;
  let outageIndex = 0;

  for (let k = 0; k < steps; k++) {
    const nowMs = startMs + k * stepMs;
    context.nowMs = nowMs;
    context.elapsedSeconds = k * dt;
    while (outageIndex < outages.length && outages[outageIndex]!.endMs <= nowMs) outageIndex++;
    const outage = outageIndex < outages.length && outages[outageIndex]!.startMs <= nowMs;

    const recovery = windowAt(slowRecoveries, nowMs);

    const preparing = autoscaler.prepare?.(context);
    if (preparing) await preparing;
    // From before the autoscaler acts, so whatever its action costs counts in this step.
    const lostBefore = fleet.lostSpans;
    const before = fleet.replicas;
    autoscaler.control(context);
    const after = fleet.replicas;
    if (after !== before) {
      scaleActions++;
      if (outage && after > before) outageScaleUps += after - before;
      if (after > before && recovery !== undefined) slowRecoveryScaleUps += after - before;
    }

    const rate = load.spansPerSecondAt(nowMs);
    const offered = Math.round(rate * dt);
    fleet.unscrapedTargets = inWindows(scrapeDowns, nowMs) ? Math.floor(fleet.readyReplicas * SCRAPE_DOWN_SHARE) : 0;
    fleet.step(offered, backendSpansPerSecondAt(scenario, fleetSettings, nowMs, recovery), outage);
    recorder.record(fleet.observed);
    const lost = fleet.lostSpans - lostBefore;
    if (!outage) {
      lostOutside += lost;
      offeredOutside += offered;
    }
    elasticity.add(replicasFor(rate, fleetSettings.capacitySpansPerSecond, fleetSettings.targetUtilization, fleetSettings.minReplicas, fleetSettings.maxReplicas), fleet.ringReplicas);
    const bucket = Math.floor(k / plot.bucketSteps);
    const size = Math.min(plot.bucketSteps, steps - bucket * plot.bucketSteps);
    replicaSeries[bucket]! += after / size;
    lostSeries[bucket]! += lost / (size * dt);
  }

  const totals = fleet.totals;
  const tally = autoscaler.capacityTally?.();
  const balance = totals.offered - totals.sent - fleet.lostSpans - fleet.heldSpans;
  if (balance !== 0) throw new Error(`${autoscaler.name}: span accounting is off by ${balance} spans (offered = sent + lost + held must hold)`);
  return {
    name: autoscaler.name,
    lostSpansPct: percent(fleet.lostSpans, totals.offered),
    lostSpansOutsideOutagesPct: percent(lostOutside, offeredOutside),
    brokenTracesPct: percent(totals.brokenTraces, totals.offeredTraces),
    replicaHours: totals.replicaSeconds / 3600,
    replicaHoursVsOracle: null,
    ...elasticity.result(),
    scaleActions,
    outageScaleUps,
    slowRecoveryScaleUps,
    offeredSpans: totals.offered,
    lostSpans: fleet.lostSpans,
    lostSpansByCause: { failedAtAgents: totals.failedAtAgents, enqueueFailed: totals.enqueueFailed, sendFailed: totals.sendFailed, droppedTooEarly: totals.droppedTooEarlySpans, lostOnScaleIn: totals.lostOnScaleIn },
    description: autoscaler.describe(),
    ...(tally ? { capacityTally: tally } : {}),
    series: { replicas: replicaSeries, lostSpansPerSecond: lostSeries },
  };
}

function percent(part: number, whole: number): number {
  return whole > 0 ? (100 * part) / whole : 0;
}

/** The configuration the docs recommend: the example ScaledObject with the server config's defaults (forecasts on or off). */
export const SHIPPED_AUTOSCALER: AutoscalerName = SERVER_DEFAULTS.forecast.enabled ? 'scaler-forecast' : 'scaler-reactive';

/** Runs every requested autoscaler on one scenario and fills in the ratios to the oracle. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const scenario = buildScenario(options);
  const names = options.autoscalers ?? AUTOSCALER_NAMES;
  const policies: PolicyResult[] = [];
  for (const name of names) {
    const result = await runAutoscaler(options, scenario, createAutoscaler(name, options, scenario));
    policies.push(result);
    options.onResult?.(result);
  }
  const oracle = policies.find((policy) => policy.name === 'oracle');
  if (oracle) for (const policy of policies) policy.replicaHoursVsOracle = policy.replicaHours / oracle.replicaHours;
  return { scenario, policies };
}
