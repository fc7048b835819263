// The simulated gateway tier's parameters: the defaults of docs/benchmark.md's "The simulated tier"
// table, including the model constants (named here so the report can print
// every number a run used). Every autoscaler in one run sees the same settings.
import { DEFAULT_DNS_RESOLVER_INTERVAL_SECONDS } from '../config/target-metadata.ts';

export interface FleetSettings {
  /** Simulation step. */
  readonly stepSeconds: number;
  /** μ: spans/s one replica handles end to end (receive, tail sampling, export) at 100 % CPU. */
  readonly capacitySpansPerSecond: number;
  /** Utilization the load is sized against (peak load = peakReplicas × μ × targetUtilization). */
  readonly targetUtilization: number;
  readonly queueBatchesPerReplica: number;
  readonly spansPerBatch: number;
  readonly decisionWaitSeconds: number;
  readonly numTracesPerReplica: number;
  readonly spansPerTrace: number;
  /**
   * Seconds over which one trace's spans reach the gateways (`--trace-duration`): the traces a ring
   * change splits are the ones still receiving spans, traces/s × this (gateway-model.ts).
   */
  readonly traceDurationSeconds: number;
  /** memory_limiter limit, in spans held (receive backlog + tail-sampling buffer + exporter queue). */
  readonly memoryLimitSpansPerReplica: number;
  /** Share of the memory limit above which the memory_limiter refuses input. */
  readonly memoryRefuseFraction: number;
  readonly podStartupSeconds: number;
  readonly dnsResolverIntervalSeconds: number;
  /**
   * Seconds a removed pod keeps running off the ring (a preStop sleep), deciding its held traces as
   * they reach decision_wait and flushing its queue, before it is stopped.
   */
  readonly drainSeconds: number;
  /**
   * What a stopped pod does with the traces still within decision_wait: false decides them at once
   * and flushes them with its queue (tail_sampling's default since v0.141.0), true drops them with the
   * rest of what it holds (drop_pending_traces_on_shutdown: true, and every release before v0.141.0).
   */
  readonly dropsPendingTracesOnShutdown: boolean;
  /**
   * The pod's terminationGracePeriodSeconds, counted from its removal as the kubelet counts it (the
   * preStop sleep included): a stopped pod flushes its exporter queue until then, and whatever is left
   * is lost when it is killed.
   */
  readonly terminationGracePeriodSeconds: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Share of a span's CPU cost spent before the exporter queue (receive, decode, tail sampling); the rest is export. */
  readonly ingestCpuShare: number;
  /** sending_queue.num_consumers: batches in flight (and retrying) at once per replica. */
  readonly exporterConsumers: number;
  /** retry_on_failure.max_elapsed_time: a batch failing this long is dropped and counted in send_failed. */
  readonly retryMaxElapsedSeconds: number;
  /** Decision-tick CPU per trace arriving per second on a replica (ms), on the measuring CPU, before contention. */
  readonly decisionTickMsPerTracePerSecond: number;
  /** Decision-tick CPU per trace held on a replica (ms), on the measuring CPU, before contention. */
  readonly decisionTickMsPerHeldTrace: number;
  /** Spans per CPU-second of the CPU the tick costs were measured on; a replica's μ relative to it scales them. */
  readonly decisionTickMeasuredSpansPerCpuSecond: number;
  /** Multiplier on both decision-tick costs (`--tick-cost`): a heavier policy set or a slower CPU. */
  readonly decisionTickCostMultiplier: number;
  /** Resident memory of an idle gateway process (Go runtime, config, pipelines), in bytes. */
  readonly memoryBaseBytesPerReplica: number;
  /** Resident memory per span held (backlog, tail-sampling buffer, exporter queue), overhead included. */
  readonly memoryBytesPerSpan: number;
  /**
   * The hottest gateway's share of traceIDs as a multiple of the even share 1/N (consistent hashing over
   * few endpoints is uneven); 1 = every gateway gets the same load.
   */
  readonly hotGatewayLoadMultiple: number;
  /**
   * The CPU a replica reports at a share u of its capacity is u^this of a full CPU (`--cpu-curve`):
   * 1 = linear in the load; below 1, a span costs more CPU at low load than near the capacity, as
   * three of five real gateway climbs showed (docs/how-it-decides.md, learned capacity). The replica
   * still saturates at its capacity: only what its CPU counter reports bends.
   */
  readonly cpuCurveExponent: number;
  /**
   * The share of its CPU allotment a replica uses before it falls behind (`--cpu-ceiling`): 1 = it
   * processes μ at its full CPU; below 1 it processes at most this × μ while its CPU reads this share,
   * as a real gateway at GOMAXPROCS=1 under a 0.1- or 0.25-core quota fell behind with its CPU at 74–100 %
   * of the quota (docs/collector-tier.md, under a CPU quota).
   */
  readonly cpuCeiling: number;
}

/** The simulated tier's defaults (docs/benchmark.md "The simulated tier"), model constants included. */
export const DEFAULT_FLEET_SETTINGS: FleetSettings = Object.freeze({
  stepSeconds: 5,
  // Assumption, conservative: a real v0.161.0 gateway with the shipped config did 45,717 spans per
  // CPU-second (67,806 marginal) with 400-byte spans (test/collector/calibration.json).
  capacitySpansPerSecond: 20_000,
  targetUtilization: 0.7,
  queueBatchesPerReplica: 1000,
  spansPerBatch: 512,
  decisionWaitSeconds: 30,
  numTracesPerReplica: 50_000,
  spansPerTrace: 20,
  // Assumption: the OpenTelemetry SDKs' batch span processor exports every 5 s (OTEL_BSP_SCHEDULE_DELAY),
  // so even a short request's spans reach the agents spread over up to 5 s; longer requests add their
  // own duration (docs/collector-tier.md "The simulator against the real tier").
  traceDurationSeconds: 5,
  memoryLimitSpansPerReplica: 2_000_000,
  memoryRefuseFraction: 0.8,
  // Assumption: scheduling, image pull and probes; the collector process itself is ready in 0.06–0.2 s
  // (test/collector/calibration.json).
  podStartupSeconds: 45,
  dnsResolverIntervalSeconds: DEFAULT_DNS_RESOLVER_INTERVAL_SECONDS,
  drainSeconds: 0,
  dropsPendingTracesOnShutdown: false,
  // The example gateway Deployment's.
  terminationGracePeriodSeconds: 60,
  minReplicas: 2,
  maxReplicas: 60,
  ingestCpuShare: 0.7,
  exporterConsumers: 10,
  retryMaxElapsedSeconds: 300,
  // Measured (test/collector/calibration.json): a tick costs 0.00658 ms per trace/s arriving (the median
  // ratio) on a CPU doing 45,717 spans per CPU-second. The per-held-trace slope (0.000143 ms) is the same
  // data seen through traces held ≈ traces/s × decision_wait, so it is not charged a second time: a
  // tick decides one batch, the traces that arrived in one tick period.
  decisionTickMsPerTracePerSecond: 0.00658,
  decisionTickMsPerHeldTrace: 0,
  decisionTickMeasuredSpansPerCpuSecond: 45_717,
  decisionTickCostMultiplier: 1,
  // Assumptions until calibrated against the real tier: a collector-contrib process idles at ~128 MiB;
  // a held span costs ~1 KB decoded plus 2–3× Go heap overhead (../shared/reference/otelcol-metrics.md).
  memoryBaseBytesPerReplica: 128 * 1024 * 1024,
  // Assumption, within 1.5× of measured: 3,307 B of RSS per held span of ~400 B (test/collector/calibration.json);
  // the simulated spans are heavier (μ 20,000 against the measured 45,717 per CPU-second), so 1.4× that.
  memoryBytesPerSpan: 4630,
  hotGatewayLoadMultiple: 1,
  cpuCurveExponent: 1,
  cpuCeiling: 1,
});

/** Scenario-level parameters shared by every autoscaler of a run. */
export interface ScenarioSettings {
  /** The trace's peak is scaled to need this many replicas at the target utilization. */
  readonly peakReplicas: number;
  /** Backend capacity B outside outages, as a multiple of the peak load. */
  readonly backendPeakMultiple: number;
  readonly kedaPollingSeconds: number;
  readonly hpaSyncSeconds: number;
  readonly hpaTolerance: number;
}

export const DEFAULT_SCENARIO_SETTINGS: ScenarioSettings = Object.freeze({
  peakReplicas: 20,
  backendPeakMultiple: 1.5,
  kedaPollingSeconds: 30,
  hpaSyncSeconds: 15,
  hpaTolerance: 0.1,
});

/** Seconds from a pod's creation until the agents' ring sends it traffic. */
export function joinDelaySeconds(settings: FleetSettings): number {
  return settings.podStartupSeconds + settings.dnsResolverIntervalSeconds;
}

/** Spans one replica's exporter queue holds. */
export function queueCapacitySpans(settings: FleetSettings): number {
  return settings.queueBatchesPerReplica * settings.spansPerBatch;
}

/**
 * Memory a gateway's container requests: the idle process plus the memory_limiter's limit in spans,
 * which operators size to fit the container. The hpa-cpu-mem baseline's utilization is RSS / this.
 */
export function memoryRequestBytes(settings: FleetSettings): number {
  return settings.memoryBaseBytesPerReplica + settings.memoryLimitSpansPerReplica * settings.memoryBytesPerSpan;
}

/** Resident memory of a gateway process holding `heldSpans`. */
export function memoryRssBytes(settings: FleetSettings, heldSpans: number): number {
  return settings.memoryBaseBytesPerReplica + heldSpans * settings.memoryBytesPerSpan;
}

/** Validates settings once; names the field and the fix. */
export function assertFleetSettings(settings: FleetSettings): void {
  const positive: Exclude<keyof FleetSettings, 'dropsPendingTracesOnShutdown'>[] = [
    'stepSeconds',
    'capacitySpansPerSecond',
    'targetUtilization',
    'queueBatchesPerReplica',
    'spansPerBatch',
    'decisionWaitSeconds',
    'numTracesPerReplica',
    'spansPerTrace',
    'traceDurationSeconds',
    'memoryLimitSpansPerReplica',
    'memoryRefuseFraction',
    'minReplicas',
    'maxReplicas',
    'exporterConsumers',
    'retryMaxElapsedSeconds',
    'memoryBaseBytesPerReplica',
    'memoryBytesPerSpan',
    'decisionTickMeasuredSpansPerCpuSecond',
  ];
  for (const key of positive) {
    const value = settings[key];
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`fleet setting ${key} must be a positive number, got ${value}`);
  }
  for (const key of ['podStartupSeconds', 'dnsResolverIntervalSeconds', 'drainSeconds', 'terminationGracePeriodSeconds', 'decisionTickMsPerTracePerSecond', 'decisionTickMsPerHeldTrace', 'decisionTickCostMultiplier'] as const) {
    const value = settings[key];
    if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`fleet setting ${key} must be a number ≥ 0, got ${value}`);
  }
  if (!(settings.ingestCpuShare > 0 && settings.ingestCpuShare < 1)) throw new RangeError(`fleet setting ingestCpuShare must be between 0 and 1, got ${settings.ingestCpuShare}`);
  if (!(settings.hotGatewayLoadMultiple >= 1)) throw new RangeError(`fleet setting hotGatewayLoadMultiple must be ≥ 1, got ${settings.hotGatewayLoadMultiple}`);
  if (!(settings.cpuCurveExponent > 0 && settings.cpuCurveExponent <= 1)) throw new RangeError(`fleet setting cpuCurveExponent must be above 0 and at most 1, got ${settings.cpuCurveExponent}`);
  if (!(settings.cpuCeiling > 0 && settings.cpuCeiling <= 1)) throw new RangeError(`fleet setting cpuCeiling must be above 0 and at most 1, got ${settings.cpuCeiling}`);
  if (settings.targetUtilization > 1) throw new RangeError(`fleet setting targetUtilization must be ≤ 1, got ${settings.targetUtilization}`);
  if (settings.memoryRefuseFraction > 1) throw new RangeError(`fleet setting memoryRefuseFraction must be ≤ 1, got ${settings.memoryRefuseFraction}`);
  if (!Number.isInteger(settings.minReplicas) || !Number.isInteger(settings.maxReplicas) || settings.minReplicas > settings.maxReplicas) {
    throw new RangeError(`fleet settings minReplicas (${settings.minReplicas}) and maxReplicas (${settings.maxReplicas}) must be integers with min ≤ max`);
  }
  for (const key of ['podStartupSeconds', 'dnsResolverIntervalSeconds', 'drainSeconds', 'terminationGracePeriodSeconds', 'decisionWaitSeconds'] as const) {
    if (!Number.isInteger(settings[key] / settings.stepSeconds)) {
      throw new RangeError(`fleet setting ${key} (${settings[key]} s) must be a multiple of stepSeconds (${settings.stepSeconds} s)`);
    }
  }
}
