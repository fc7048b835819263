// What users run instead of this project, and the oracle that bounds what any autoscaler can do:
// - static-peak: sized once for the highest load of the run;
// - hpa-cpu-50 … hpa-cpu-90: an HPA on CPU utilization (90 % is the OpenTelemetry Operator's default);
// - hpa-cpu-mem: the OpenTelemetry Operator's documented autoscaler example, CPU 50 % and memory 60 %;
// - keda-prometheus-rate: KEDA's prometheus scaler on the spans/s the gateways receive, per replica;
// - keda-prometheus-queue: KEDA's prometheus scaler on sum(otelcol_exporter_queue_size) vs a threshold
//   (the naive recipe: queues stay empty while the backend keeps up, whatever the load);
// - oracle: knows λ ahead and the fleet's truth, and runs the fewest replicas that lose nothing.
import type { Autoscaler, AutoscalerName, ControlContext, ExternalLoopSettings } from './autoscaler.ts';
import { hpaSyncsAt, KedaHpaLoop, replicasFor } from './autoscaler.ts';
import { Fleet } from './fleet.ts';
import type { FleetSettings } from './fleet-settings.ts';
import { joinDelaySeconds, memoryRequestBytes } from './fleet-settings.ts';
import { type HpaBehavior, HorizontalPodAutoscaler, type PodUtilization, resourceUtilizationReplicas } from './hpa.ts';
import type { RecordedValue } from './fleet-recorder.ts';
import type { LoadCurve } from './load-curve.ts';

function describeBehavior(behavior: HpaBehavior): string {
  const rules = (name: string, r: HpaBehavior['scaleUp']) =>
    `${name} window ${r.stabilizationWindowSeconds}s ${r.selectPolicy}(${r.policies.map((p) => `${p.type === 'Percent' ? `${p.value}%` : `${p.value} pods`}/${p.periodSeconds}s`).join(', ')})`;
  return `${rules('up', behavior.scaleUp)}; ${rules('down', behavior.scaleDown)}`;
}

/** Replicas to start a run with: what the first moment's load needs at the target utilization. */
export function startingReplicas(load: LoadCurve, fleet: FleetSettings): number {
  return replicasFor(load.spansPerSecondAt(load.startMs), fleet.capacitySpansPerSecond, fleet.targetUtilization, fleet.minReplicas, fleet.maxReplicas);
}

/** Sized for the run's highest load (bursts included) at the target utilization; never changes. */
export class StaticPeakAutoscaler implements Autoscaler {
  readonly name: AutoscalerName = 'static-peak';
  private readonly replicas: number;

  constructor(maxLoadSpansPerSecond: number, fleet: FleetSettings) {
    this.replicas = replicasFor(maxLoadSpansPerSecond, fleet.capacitySpansPerSecond, fleet.targetUtilization, fleet.minReplicas, fleet.maxReplicas);
  }

  initialReplicas(): number {
    return this.replicas;
  }

  control(): void {}

  describe(): string {
    return `${this.replicas} replicas (peak load at target utilization)`;
  }
}

/** Seconds of CPU samples a metrics-server reading averages (its default metric resolution). */
const CPU_METRIC_WINDOW_SECONDS = 15;

/** Resource targets of an HPA (autoscaling/v2 `Resource` metrics, `Utilization` of requests). */
export interface ResourceTargets {
  readonly name: AutoscalerName;
  /** CPU used / CPU requested; a replica requests the one core at which it handles μ spans/s. */
  readonly cpuUtilization: number;
  /** Resident memory / memory requested (see memoryRequestBytes); undefined = CPU only. */
  readonly memoryUtilization?: number;
}

/** The HPA baselines: CPU alone at four targets, and the OpenTelemetry Operator's CPU + memory example. */
export const HPA_RESOURCE_BASELINES: readonly ResourceTargets[] = [
  { name: 'hpa-cpu-50', cpuUtilization: 0.5 },
  { name: 'hpa-cpu-60', cpuUtilization: 0.6 },
  { name: 'hpa-cpu-70', cpuUtilization: 0.7 },
  { name: 'hpa-cpu-90', cpuUtilization: 0.9 },
  { name: 'hpa-cpu-mem', cpuUtilization: 0.5, memoryUtilization: 0.6 },
];

/**
 * HPA on resource utilization. Ring pods share the load, so they share one CPU utilization (averaged
 * over the metric window) and one resident memory; a pod that became ready within the window has no
 * clean CPU sample yet and, like a pod still starting, counts as unready (the controller's
 * cpu-initialization handling). With two metrics the HPA takes the larger proposal.
 */
export class HpaResourceAutoscaler implements Autoscaler {
  readonly name: AutoscalerName;
  private readonly hpa: HorizontalPodAutoscaler;
  private readonly samples: number[] = [];

  constructor(
    private readonly targets: ResourceTargets,
    private readonly fleetSettings: FleetSettings,
    private readonly loop: Pick<ExternalLoopSettings, 'hpaSyncSeconds' | 'hpaSyncOffsetSeconds' | 'tolerance' | 'behavior'>,
  ) {
    this.name = targets.name;
    this.hpa = new HorizontalPodAutoscaler({ minReplicas: fleetSettings.minReplicas, maxReplicas: fleetSettings.maxReplicas, behavior: loop.behavior });
  }

  initialReplicas(load: LoadCurve): number {
    return startingReplicas(load, this.fleetSettings);
  }

  private cpuUtilizations(fleet: Fleet, utilization: number): PodUtilization[] {
    const readySinceSeconds = fleet.nowSeconds - CPU_METRIC_WINDOW_SECONDS;
    const { podStartupSeconds } = this.fleetSettings;
    let seasoned = 0;
    fleet.forEachRingPod((createdAtSeconds) => {
      if (createdAtSeconds === 0 || createdAtSeconds + podStartupSeconds <= readySinceSeconds) seasoned++;
    });
    const phases = fleet.podPhaseCounts();
    return [
      { pods: seasoned, ready: true, utilization },
      { pods: phases.ring - seasoned + phases.ready + phases.starting, ready: false, utilization: 0 },
    ];
  }

  /** Memory has no initialization period: every pod that reports counts; starting pods have no sample yet. */
  private memoryUtilizations(fleet: Fleet): PodUtilization[] {
    const request = memoryRequestBytes(this.fleetSettings);
    const phases = fleet.podPhaseCounts();
    return [
      { pods: phases.starting, ready: false, utilization: 0 },
      { pods: phases.ring, ready: true, utilization: fleet.observed.memoryRssBytes / request },
      { pods: phases.ready, ready: true, utilization: this.fleetSettings.memoryBaseBytesPerReplica / request },
    ];
  }

  control(context: ControlContext): void {
    const { fleet } = context;
    this.samples.push(fleet.observed.ringUtilization);
    const windowSteps = CPU_METRIC_WINDOW_SECONDS / this.fleetSettings.stepSeconds;
    if (this.samples.length > windowSteps) this.samples.shift();
    const elapsed = context.elapsedSeconds;
    if (!hpaSyncsAt(elapsed, this.loop)) return;
    const utilization = this.samples.reduce((sum, value) => sum + value, 0) / this.samples.length;
    const current = fleet.replicas;
    let proposed = resourceUtilizationReplicas(this.cpuUtilizations(fleet, utilization), this.targets.cpuUtilization, current, this.loop.tolerance).replicas;
    if (this.targets.memoryUtilization !== undefined) {
      proposed = Math.max(proposed, resourceUtilizationReplicas(this.memoryUtilizations(fleet), this.targets.memoryUtilization, current, this.loop.tolerance).replicas);
    }
    const outcome = this.hpa.reconcile(elapsed, current, proposed);
    if (outcome.desiredReplicas !== current) fleet.setReplicas(outcome.desiredReplicas);
  }

  describe(): string {
    const memory = this.targets.memoryUtilization === undefined ? '' : ` and memory ${Math.round(this.targets.memoryUtilization * 100)}% of ${(memoryRequestBytes(this.fleetSettings) / 2 ** 30).toFixed(2)} GiB`;
    return `HPA Resource cpu Utilization ${Math.round(this.targets.cpuUtilization * 100)}%${memory}, ${describeBehavior(this.loop.behavior)}`;
  }
}

/** The query window of KEDA's prometheus scaler example (`rate(...[2m])`). */
export const KEDA_RATE_WINDOW_SECONDS = 120;

/** One KEDA `prometheus` trigger with metricType AverageValue: the query, read from the simulated Prometheus, and its threshold. */
export interface PrometheusTrigger {
  readonly name: AutoscalerName;
  /** The query as the ScaledObject would spell it (for the report). */
  readonly query: string;
  /** Threshold per replica, in the query's unit. */
  readonly threshold: number;
  readonly unit: string;
  readonly read: (context: ControlContext) => RecordedValue;
}

/**
 * The KEDA recipe for throughput: the spans/s the gateways receive against the capacity per replica
 * the operator configured × 0.7.
 */
export function receivedSpansTrigger(thresholdSpansPerSecond: number): PrometheusTrigger {
  return {
    name: 'keda-prometheus-rate',
    query: 'sum(rate(otelcol_receiver_accepted_spans[2m]) + rate(otelcol_receiver_refused_spans[2m]))',
    threshold: thresholdSpansPerSecond,
    unit: 'spans/s',
    read: (context) => context.source.receivedSpansPerSecondAt(context.nowMs, KEDA_RATE_WINDOW_SECONDS),
  };
}

/**
 * The naive KEDA recipe: queued batches per replica. Queues fill only when the backend falls behind,
 * so it scales on the backend's trouble rather than on load.
 */
export function queueBatchesTrigger(thresholdBatches: number): PrometheusTrigger {
  return {
    name: 'keda-prometheus-queue',
    query: 'sum(otelcol_exporter_queue_size)',
    threshold: thresholdBatches,
    unit: 'batches',
    read: (context) => context.source.queueBatchesAt(context.nowMs),
  };
}

/** KEDA polling a prometheus trigger and the HPA it drives; a query without an answer leaves the count alone. */
export class KedaPrometheusAutoscaler implements Autoscaler {
  readonly name: AutoscalerName;
  private readonly loop: KedaHpaLoop;

  constructor(
    private readonly trigger: PrometheusTrigger,
    private readonly fleetSettings: FleetSettings,
    private readonly loopSettings: Omit<ExternalLoopSettings, 'targetAverageValue'>,
  ) {
    this.name = trigger.name;
    this.loop = new KedaHpaLoop({ ...loopSettings, targetAverageValue: trigger.threshold }, (context) => {
      const value = trigger.read(context);
      return value.kind === 'ok' ? value.value : undefined;
    });
  }

  initialReplicas(load: LoadCurve): number {
    return startingReplicas(load, this.fleetSettings);
  }

  control(context: ControlContext): void {
    this.loop.control(context);
  }

  describe(): string {
    const { trigger, loopSettings } = this;
    return `KEDA prometheus trigger ${trigger.query} threshold ${Math.round(trigger.threshold)} ${trigger.unit} per replica, polling ${loopSettings.pollingSeconds}s, ${describeBehavior(loopSettings.behavior)}`;
  }
}

/** Simulated time one probe of the lossless search runs at a constant load. */
const LOSSLESS_PROBE_SECONDS = 2 * 3600;
/** Bisection steps of the lossless search (μ / 2^16: well under a span/s). */
const LOSSLESS_SEARCH_STEPS = 16;

/**
 * The highest load one replica of this (true) fleet sustains for two hours without losing a span and
 * without its held spans still growing: the decision ticks, num_traces and the memory limit all bind
 * somewhere below μ, and where depends on decision_wait, the tick cost and the trace size. Found by
 * running the fleet model itself, so it moves with every fleet flag and is never a fitted constant.
 */
export function losslessSpansPerSecondPerReplica(settings: FleetSettings): number {
  const dt = settings.stepSeconds;
  const steps = LOSSLESS_PROBE_SECONDS / dt;
  const lossless = (spansPerSecond: number): boolean => {
    const fleet = new Fleet({ ...settings, hotGatewayLoadMultiple: 1 }, { initialReplicas: 1 });
    const offered = Math.round(spansPerSecond * dt);
    let heldAtThreeQuarters = 0;
    for (let k = 0; k < steps; k++) {
      fleet.step(offered, Number.MAX_SAFE_INTEGER, false);
      if (fleet.lostSpans > 0) return false;
      if (k === Math.floor((steps * 3) / 4)) heldAtThreeQuarters = fleet.heldSpans;
    }
    return fleet.heldSpans <= heldAtThreeQuarters + offered;
  };
  let low = 0;
  let high = settings.capacitySpansPerSecond;
  for (let i = 0; i < LOSSLESS_SEARCH_STEPS; i++) {
    const middle = (low + high) / 2;
    if (lossless(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * Knows λ ahead and the fleet's truth. A pod asked for now serves from now + join delay, so the oracle
 * runs the fewest replicas that lose nothing under the highest load until then: each carries at most
 * `spansPerSecondPerReplica` (the bench gives it losslessSpansPerSecondPerReplica, so one replica fewer
 * loses spans), and on a skewed ring the hot gateway's share decides. It removes a pod only when no
 * load within join delay + drain needs it again (removing and re-adding it would cost the drain plus a
 * new pod's join delay).
 */
export class OracleAutoscaler implements Autoscaler {
  readonly name: AutoscalerName = 'oracle';
  /** λ at now, now + step, …, now + join delay + drain. */
  private window: number[] = [];
  private windowStartMs = Number.NaN;
  private readonly joinPoints: number;
  private readonly points: number;

  constructor(
    private readonly fleetSettings: FleetSettings,
    private readonly spansPerSecondPerReplica: number,
  ) {
    if (!(spansPerSecondPerReplica > 0)) throw new RangeError(`the oracle needs spans/s per replica > 0, got ${spansPerSecondPerReplica}`);
    this.joinPoints = joinDelaySeconds(fleetSettings) / fleetSettings.stepSeconds + 1;
    this.points = this.joinPoints + fleetSettings.drainSeconds / fleetSettings.stepSeconds;
  }

  initialReplicas(load: LoadCurve): number {
    this.slide(load, load.startMs);
    return this.replicasFor(this.maxOver(this.joinPoints));
  }

  private slide(load: LoadCurve, nowMs: number): void {
    const stepMs = this.fleetSettings.stepSeconds * 1000;
    if (this.windowStartMs + stepMs === nowMs) {
      this.window.shift();
      this.window.push(load.spansPerSecondAt(nowMs + (this.points - 1) * stepMs));
    } else if (this.windowStartMs !== nowMs) {
      this.window = Array.from({ length: this.points }, (_, i) => load.spansPerSecondAt(nowMs + i * stepMs));
    }
    this.windowStartMs = nowMs;
  }

  private maxOver(points: number): number {
    let max = 0;
    for (let i = 0; i < points; i++) max = Math.max(max, this.window[i]!);
    return max;
  }

  /** Fewest replicas whose busiest gateway carries at most spansPerSecondPerReplica, within min..max. */
  private replicasFor(spansPerSecond: number): number {
    const { minReplicas, maxReplicas, hotGatewayLoadMultiple } = this.fleetSettings;
    const perReplica = this.spansPerSecondPerReplica;
    const even = Math.ceil(spansPerSecond / perReplica - 1e-9);
    const needed = hotGatewayLoadMultiple > 1 && even > 1 ? Math.ceil((spansPerSecond * hotGatewayLoadMultiple) / perReplica - 1e-9) : even;
    return Math.min(maxReplicas, Math.max(minReplicas, needed));
  }

  control(context: ControlContext): void {
    this.slide(context.load, context.nowMs);
    const current = context.fleet.replicas;
    const soon = this.replicasFor(this.maxOver(this.joinPoints));
    const replicas = soon >= current ? soon : Math.min(current, this.replicasFor(this.maxOver(this.points)));
    if (replicas !== current) context.fleet.setReplicas(replicas);
  }

  describe(): string {
    return `ceil(max λ over the next startup + DNS interval / ${Math.round(this.spansPerSecondPerReplica)} spans/s per replica${this.fleetSettings.hotGatewayLoadMultiple > 1 ? ' on the hot gateway' : ''}); removes a pod only if no load within that + drain needs it`;
  }
}
