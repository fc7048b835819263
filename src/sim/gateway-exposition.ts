// Prometheus text exposition (format 0.0.4) of simulated gateways, spelled as an OpenTelemetry
// Collector v0.155 shows its own metrics (no `_total` or unit suffixes, resource attributes only on
// target_info, memory_limiter refusals in their own family, decision timer in ms; see
// ../shared/reference/otelcol-metrics.md). All gateways go in one document, each series labelled
// with `instance` and `pod` = the pod name, so one scrape with `honor_labels: true` yields one
// `instance` per gateway, as the PromQL catalogue expects.
import { DECISION_TIMER_BUCKETS_MS } from './fleet-recorder.ts';
import type { GatewayMetrics } from './gateway-ledger.ts';

/** The collector version whose spelling the exposition follows. */
export const EXPOSITION_COLLECTOR_VERSION = '0.155.0';
/** The distribution the simulated gateways report on target_info. */
export const EXPOSITION_SERVICE_NAME = 'otelcol-contrib';

type Type = 'counter' | 'gauge' | 'histogram';

interface Family {
  readonly name: string;
  readonly type: Type;
  readonly help: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: (gateway: GatewayMetrics, nowMs: number) => number;
  /** Counts of spans or traces: shown as whole numbers. */
  readonly whole?: boolean;
}

const RECEIVER = { receiver: 'otlp', transport: 'grpc' };
const EXPORTER = { exporter: 'otlp' };
const QUEUE = { exporter: 'otlp', data_type: 'traces' };

const FAMILIES: readonly Family[] = [
  { name: 'otelcol_process_uptime', type: 'counter', help: 'Uptime of the process', labels: {}, value: (g, now) => (now - g.startedAtMs) / 1000 },
  { name: 'otelcol_process_cpu_seconds', type: 'counter', help: 'Total CPU user and system time in seconds', labels: {}, value: (g) => g.cpuSeconds },
  { name: 'otelcol_process_memory_rss', type: 'gauge', help: 'Total physical memory (resident set size)', labels: {}, value: (g) => g.memoryRssBytes, whole: true },
  { name: 'otelcol_receiver_accepted_spans', type: 'counter', help: 'Number of spans successfully pushed into the pipeline.', labels: RECEIVER, value: (g) => g.acceptedSpans, whole: true },
  { name: 'otelcol_receiver_refused_spans', type: 'counter', help: 'Number of spans that could not be pushed into the pipeline.', labels: RECEIVER, value: (g) => g.refusedSpans, whole: true },
  { name: 'otelcol_processor_memory_limiter_refused_spans', type: 'counter', help: 'Number of spans that were refused by the memory limiter.', labels: {}, value: (g) => g.refusedSpans, whole: true },
  { name: 'otelcol_exporter_sent_spans', type: 'counter', help: 'Number of spans successfully sent to destination.', labels: EXPORTER, value: (g) => g.sentSpans, whole: true },
  { name: 'otelcol_exporter_send_failed_spans', type: 'counter', help: 'Number of spans in failed attempts to send to destination.', labels: EXPORTER, value: (g) => g.sendFailedSpans, whole: true },
  { name: 'otelcol_exporter_enqueue_failed_spans', type: 'counter', help: 'Number of spans failed to be added to the sending queue.', labels: EXPORTER, value: (g) => g.enqueueFailedSpans, whole: true },
  { name: 'otelcol_exporter_queue_size', type: 'gauge', help: 'Current size of the retry queue (in batches)', labels: QUEUE, value: (g) => g.queueBatches },
  { name: 'otelcol_exporter_queue_capacity', type: 'gauge', help: 'Fixed capacity of the retry queue (in batches)', labels: QUEUE, value: (g) => g.queueCapacityBatches },
  { name: 'otelcol_processor_tail_sampling_sampling_traces_on_memory', type: 'gauge', help: 'Tracks the number of traces current on memory', labels: {}, value: (g) => g.tracesOnMemory },
  {
    name: 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early',
    type: 'counter',
    help: 'Count of traces that needed to be dropped before the configured wait time',
    labels: {},
    value: (g) => g.droppedTooEarlyTraces,
    whole: true,
  },
  { name: 'otelcol_processor_tail_sampling_new_trace_id_received', type: 'counter', help: 'Counts the arrival of new traces', labels: {}, value: (g) => g.newTraces, whole: true },
];

const DECISION_TIMER = 'otelcol_processor_tail_sampling_sampling_decision_timer_latency';

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([key, value]) => `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

/** Three decimals at most; rounding a growing counter keeps it growing. */
function formatValue(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** One exposition document for the given gateways at `nowMs`. */
export function renderGatewayExposition(gateways: readonly GatewayMetrics[], nowMs: number): string {
  const out: string[] = [];
  const podLabels = (gateway: GatewayMetrics) => ({ instance: gateway.pod, pod: gateway.pod });
  for (const family of FAMILIES) {
    out.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const gateway of gateways) out.push(`${family.name}${formatLabels({ ...family.labels, ...podLabels(gateway) })} ${family.whole ? Math.round(family.value(gateway, nowMs)) : formatValue(family.value(gateway, nowMs))}`);
  }
  out.push(`# HELP ${DECISION_TIMER} Latency of each run of the sampling decision timer (in milliseconds)`, `# TYPE ${DECISION_TIMER} histogram`);
  for (const gateway of gateways) {
    const labels = podLabels(gateway);
    DECISION_TIMER_BUCKETS_MS.forEach((bound, index) => {
      out.push(`${DECISION_TIMER}_bucket${formatLabels({ ...labels, le: String(bound) })} ${Math.round(gateway.decisionBuckets[index]!)}`);
    });
    out.push(`${DECISION_TIMER}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${Math.round(gateway.decisionCount)}`);
    out.push(`${DECISION_TIMER}_sum${formatLabels(labels)} ${formatValue(gateway.decisionSumMs)}`);
    out.push(`${DECISION_TIMER}_count${formatLabels(labels)} ${Math.round(gateway.decisionCount)}`);
  }
  out.push('# HELP target_info Target metadata', '# TYPE target_info gauge');
  for (const gateway of gateways) {
    out.push(`target_info${formatLabels({ ...podLabels(gateway), service_instance_id: gateway.pod, service_name: EXPOSITION_SERVICE_NAME, service_version: EXPOSITION_COLLECTOR_VERSION })} 1`);
  }
  return `${out.join('\n')}\n`;
}
