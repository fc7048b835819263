// Per-gateway counters and gauges of the simulated fleet, for a Prometheus exposition with one series
// set per pod: each step's pooled increments are shared evenly by the pods on the ring (they share
// the load evenly), counters only ever grow, and a pod's series exist from readiness until it is
// removed (a terminating pod leaves the scrape, as with a ServiceMonitor).
import { type Fleet, GATEWAY_COUNTERS, type GatewayCounts } from './fleet.ts';
import { DECISION_TIMER_BUCKETS_MS } from './fleet-recorder.ts';
import { memoryRssBytes, queueCapacitySpans } from './fleet-settings.ts';

/** What one gateway's /metrics would show. Counters are cumulative since the pod started. */
export interface GatewayMetrics extends GatewayCounts {
  readonly pod: string;
  readonly startedAtMs: number;
  /** Cumulative decision ticks per DECISION_TIMER_BUCKETS_MS bound (le), plus count and sum (ms). */
  readonly decisionBuckets: Float64Array;
  decisionCount: number;
  decisionSumMs: number;
  queueBatches: number;
  queueCapacityBatches: number;
  tracesOnMemory: number;
  memoryRssBytes: number;
}

/** Follows a fleet step by step and keeps every scraped pod's metrics. */
export class GatewayLedger {
  private readonly gateways = new Map<string, GatewayMetrics>();

  constructor(private readonly fleet: Fleet) {}

  /** Call after every fleet step, with the time the step ended. */
  update(nowMs: number): void {
    const { fleet } = this;
    const observed = fleet.observed;
    const present = new Set<string>();
    const ring: GatewayMetrics[] = [];
    for (const pod of fleet.pods()) {
      if (pod.phase !== 'ring' && pod.phase !== 'ready') continue;
      present.add(pod.name);
      let metrics = this.gateways.get(pod.name);
      if (!metrics) {
        metrics = newGateway(pod.name, nowMs - (fleet.nowSeconds - pod.createdAtSeconds) * 1000, queueCapacitySpans(fleet.settings) / fleet.settings.spansPerBatch);
        this.gateways.set(pod.name, metrics);
      }
      if (pod.phase === 'ring') ring.push(metrics);
      else {
        metrics.queueBatches = 0;
        metrics.tracesOnMemory = 0;
        metrics.memoryRssBytes = memoryRssBytes(fleet.settings, 0);
      }
    }
    for (const name of [...this.gateways.keys()]) if (!present.has(name)) this.gateways.delete(name);
    if (ring.length === 0) return;
    const share = 1 / ring.length;
    const ticks = observed.decisionTicks * share;
    const latency = observed.decisionLatencyMs;
    const queueBatches = observed.queueBatchesTotal * share;
    for (const metrics of ring) {
      for (const counter of GATEWAY_COUNTERS) metrics[counter] += observed[counter] * share;
      DECISION_TIMER_BUCKETS_MS.forEach((bound, index) => {
        if (latency <= bound) metrics.decisionBuckets[index]! += ticks;
      });
      metrics.decisionCount += ticks;
      metrics.decisionSumMs += ticks * latency;
      metrics.queueBatches = queueBatches;
      metrics.tracesOnMemory = observed.tracesOnMemory * share;
      metrics.memoryRssBytes = observed.memoryRssBytes;
    }
  }

  /** Scraped pods in name order. */
  gatewaysNow(): readonly GatewayMetrics[] {
    return [...this.gateways.values()].sort((a, b) => a.pod.localeCompare(b.pod, 'en', { numeric: true }));
  }
}

function newGateway(pod: string, startedAtMs: number, queueCapacityBatches: number): GatewayMetrics {
  return {
    pod,
    startedAtMs,
    ...(Object.fromEntries(GATEWAY_COUNTERS.map((counter) => [counter, 0])) as GatewayCounts),
    decisionBuckets: new Float64Array(DECISION_TIMER_BUCKETS_MS.length),
    decisionCount: 0,
    decisionSumMs: 0,
    queueBatches: 0,
    queueCapacityBatches,
    tracesOnMemory: 0,
    memoryRssBytes: 0,
  };
}
