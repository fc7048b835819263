// Simulated OpenTelemetry Collector gateways for integration tests: each gateway is a real HTTP
// server on 127.0.0.1 (its own port, so its own Prometheus `instance`, as a pod would be) serving
// the collector's internal metrics in the spelling of a chosen collector version, with values the
// test controls. The families, HELP texts, labels and baseline values come from the real samples in
// ../shared/fixtures/otelcol-metrics/ (read at run time); the metrics those samples lack (receiver
// accepted/refused, exporter sent/failed, tail sampling) follow ../shared/reference/otelcol-metrics.md.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * - `legacy`: before v0.119 — `otelcol_` prefix, no `_total`, no unit suffix, `service_*` labels on every series.
 * - `suffixed`: v0.119–v0.151 with a Prometheus `readers` exporter — `_total` on counters, unit suffixes
 *   (`_bytes`, `_seconds`, `_milliseconds`), `service_*` labels up to v0.148; v0.130.0 alone adds the
 *   `__<unit>_` infix bug (`otelcol_exporter_sent_spans__spans__total`).
 * - `modern`: v0.152 and later — no suffixes again, `service_*` only on `target_info`.
 */
export type CollectorSpelling = 'legacy' | 'suffixed' | 'modern';

/** Counters a test drives at a rate (per second). */
export type GatewayCounter =
  | 'acceptedSpans'
  | 'refusedSpans'
  | 'processorRefusedSpans'
  | 'sentSpans'
  | 'sendFailedSpans'
  | 'enqueueFailedSpans'
  | 'droppedTooEarlyTraces'
  | 'newTraces';

/** Gauges a test sets directly. queueSize and queueCapacity start at the fixture's values. */
export type GatewayGauge = 'queueSize' | 'queueCapacity' | 'tracesOnMemory';

export type GatewayMetric = GatewayCounter | GatewayGauge | 'decisionTimerLatency';

export type DecisionLatencyUnit = 'us' | 'ms';

const DEFAULT_VERSION: Record<CollectorSpelling, string> = {
  legacy: '0.110.0',
  suffixed: '0.140.0',
  modern: '0.155.0',
};

const SPELLING_VERSIONS: Record<CollectorSpelling, { min: number; max: number }> = {
  legacy: { min: 0, max: 118 },
  suffixed: { min: 119, max: 151 },
  modern: { min: 152, max: Number.POSITIVE_INFINITY },
};

/** First collector minor version whose decision-timer histogram is in ms (contrib v0.122 breaking change). */
const FIRST_MS_DECISION_TIMER_MINOR = 122;

/** Bucket bounds of the tail-sampling timer histograms (contrib metadata.yaml), the same in µs and in ms. */
export const DECISION_TIMER_BUCKETS = [1, 2, 5, 10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 50000] as const;

const FIXTURE_DIR = new URL('../../../shared/fixtures/otelcol-metrics/', import.meta.url);
const FIXTURE_FOR_SPELLING: Record<CollectorSpelling, string> = {
  // OpenCensus-era exposition: service_* labels on every series, no target_info.
  legacy: 'otelcol-v0.90.0-dev-opencensus.prom',
  // OTel SDK exposition with service_* labels and target_info (v0.119–v0.148 look like this).
  suffixed: 'otelcol-v0.90.0-dev-otelsdk-after-9029.prom',
  // OTel SDK exposition with resource attributes only on target_info (what ≥ v0.149 shows).
  modern: 'otelcol-v0.90.0-dev-otelsdk-before-9029.prom',
};
const ALL_FIXTURES = Object.values(FIXTURE_FOR_SPELLING).concat('splunk-otel-collector-v0.57.0-splunk-hec-example.prom');

type MetricType = 'counter' | 'gauge' | 'histogram';

interface FixtureFamily {
  help?: string;
  type?: MetricType;
  samples: { labels: Record<string, string>; value: number }[];
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const match of text.matchAll(pattern)) labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
  return labels;
}

function readFixture(file: string): Map<string, FixtureFamily> {
  const families = new Map<string, FixtureFamily>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { samples: [] };
      families.set(name, found);
    }
    return found;
  };
  const text = readFileSync(new URL(file, FIXTURE_DIR), 'utf8');
  for (const line of text.split('\n')) {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      family(help[1]!).help = help[2]!;
      continue;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      family(type[1]!).type = type[2] as MetricType;
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (!sample) throw new Error(`${file}: cannot parse sample line: ${line}`);
    family(sample[1]!).samples.push({ labels: parseLabels(sample[2] ?? ''), value: Number(sample[3]) });
  }
  return families;
}

interface FamilySpec {
  readonly base: string;
  readonly type: MetricType;
  /** OTel unit, which decides the suffix in the `suffixed` spelling. */
  readonly unit: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Help text for families the fixtures lack (from the collector's metadata). */
  readonly help: string;
}

const EXPORTER = { exporter: 'otlp' };
const RECEIVER = { receiver: 'otlp', transport: 'grpc' };

const COUNTERS: Record<GatewayCounter, FamilySpec> = {
  acceptedSpans: { base: 'otelcol_receiver_accepted_spans', type: 'counter', unit: '{spans}', labels: RECEIVER, help: 'Number of spans successfully pushed into the pipeline.' },
  refusedSpans: { base: 'otelcol_receiver_refused_spans', type: 'counter', unit: '{spans}', labels: RECEIVER, help: 'Number of spans that could not be pushed into the pipeline.' },
  // Spelled per version in processorRefusedFamily().
  processorRefusedSpans: { base: 'otelcol_processor_refused_spans', type: 'counter', unit: '{spans}', labels: { processor: 'memory_limiter' }, help: 'Number of spans that were rejected by the next component in the pipeline.' },
  sentSpans: { base: 'otelcol_exporter_sent_spans', type: 'counter', unit: '{spans}', labels: EXPORTER, help: 'Number of spans successfully sent to destination.' },
  sendFailedSpans: { base: 'otelcol_exporter_send_failed_spans', type: 'counter', unit: '{spans}', labels: EXPORTER, help: 'Number of spans in failed attempts to send to destination.' },
  enqueueFailedSpans: { base: 'otelcol_exporter_enqueue_failed_spans', type: 'counter', unit: '{spans}', labels: EXPORTER, help: 'Number of spans failed to be added to the sending queue.' },
  droppedTooEarlyTraces: { base: 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', type: 'counter', unit: '{traces}', labels: {}, help: 'Count of traces that needed to be dropped before the configured wait time' },
  newTraces: { base: 'otelcol_processor_tail_sampling_new_trace_id_received', type: 'counter', unit: '{traces}', labels: {}, help: 'Counts the arrival of new traces' },
};

const GAUGES: Record<GatewayGauge, FamilySpec> = {
  queueSize: { base: 'otelcol_exporter_queue_size', type: 'gauge', unit: '{batches}', labels: EXPORTER, help: 'Current size of the retry queue (in batches)' },
  queueCapacity: { base: 'otelcol_exporter_queue_capacity', type: 'gauge', unit: '{batches}', labels: EXPORTER, help: 'Fixed capacity of the retry queue (in batches)' },
  tracesOnMemory: { base: 'otelcol_processor_tail_sampling_sampling_traces_on_memory', type: 'gauge', unit: '{traces}', labels: {}, help: 'Tracks the number of traces current on memory' },
};

const DECISION_TIMER: Omit<FamilySpec, 'unit'> = {
  base: 'otelcol_processor_tail_sampling_sampling_decision_timer_latency',
  type: 'histogram',
  labels: {},
  help: 'Latency of each run of the sampling decision timer',
};

/** OTel units of the process families in the fixtures (they carry no unit themselves). */
const PROCESS_UNITS: Record<string, string> = {
  otelcol_process_cpu_seconds: 's',
  otelcol_process_memory_rss: 'By',
  otelcol_process_runtime_heap_alloc_bytes: 'By',
  otelcol_process_runtime_total_alloc_bytes: 'By',
  otelcol_process_runtime_total_sys_memory_bytes: 'By',
  otelcol_process_uptime: 's',
};

function parseMinorVersion(version: string): number {
  const match = /^v?0\.(\d+)\./.exec(version);
  if (!match) throw new Error(`collectorVersion must look like "0.110.0", got "${version}"`);
  return Number(match[1]);
}

interface Naming {
  readonly spelling: CollectorSpelling;
  readonly minor: number;
}

/** The name a family has on /metrics for this collector version and spelling. */
function exposedName(base: string, type: MetricType, unit: string, naming: Naming): string {
  if (naming.spelling !== 'suffixed') return base;
  let suffix = '';
  const curly = /^\{(.+)\}$/.exec(unit);
  if (curly) {
    // v0.130.0 alone (opentelemetry-go#7039): `{spans}` became `__spans_` instead of nothing.
    if (naming.minor === 130) suffix = `__${curly[1]}_`;
  } else if (unit === 'By' && !base.endsWith('_bytes')) suffix = '_bytes';
  else if (unit === 's' && !base.endsWith('_seconds')) suffix = '_seconds';
  else if (unit === 'ms') suffix = '_milliseconds';
  return `${base}${suffix}${type === 'counter' ? '_total' : ''}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

interface CounterState {
  accumulated: number;
  perSecond: number;
  sinceMs: number;
}

/** One simulated collector replica; every value is what its /metrics shows at scrape time. */
export interface SimulatedGateway {
  readonly name: string;
  /** host:port to scrape (its Prometheus `instance`). */
  readonly target: string;
  /** Starts (or changes) a counter advancing at `perSecond`; the counter appears on /metrics from now on. */
  setRate(counter: GatewayCounter, perSecond: number): void;
  setGauge(gauge: GatewayGauge, value: number): void;
  /** Decision ticks at `ticksPerSecond`, each taking `latencyMs` (exposed in the version's unit). */
  setDecisionTicks(ticksPerSecond: number, latencyMs: number): void;
  /** The process's CPU counter (otelcol_process_cpu_seconds) advances at `cores` CPU-seconds per second from now on. */
  setCpuCores(cores: number): void;
  /** Takes a family off /metrics (a signal with no data). */
  remove(metric: GatewayMetric): void;
  /** The exposition text a scrape would get now. */
  exposition(): string;
  /** Stops answering scrapes (the target goes down); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface CollectorExporterOptions {
  readonly spelling: CollectorSpelling;
  /** Number of gateways (named gw-0, gw-1, …) or their names; default 1. */
  readonly gateways?: number | readonly string[];
  /** Collector version the exposition imitates; must fit the spelling. Defaults: legacy 0.110.0, suffixed 0.140.0, modern 0.155.0. */
  readonly collectorVersion?: string;
  /** Clock for counter advance; default Date.now. */
  readonly nowMs?: () => number;
}

export interface CollectorExporter {
  readonly spelling: CollectorSpelling;
  readonly collectorVersion: string;
  /** Unit of the decision-timer histogram for this version: µs before v0.122, ms from v0.122. */
  readonly decisionLatencyUnit: DecisionLatencyUnit;
  readonly gateways: readonly SimulatedGateway[];
  /** host:port of every gateway, in order. */
  readonly targets: readonly string[];
  gateway(name: string): SimulatedGateway;
  /** Stops every gateway's server. */
  stop(): Promise<void>;
}

interface BaselineFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly { labels: Record<string, string>; value: number }[];
}

interface DecisionTicks {
  /** Cumulative counts per finite bucket bound, the count and the sum of ticks folded in so far. */
  readonly buckets: number[];
  count: number;
  sum: number;
  /** Ticks still accruing at the current latency. */
  current: CounterState;
  latencyMs: number;
}

interface GatewaySetup {
  readonly naming: Naming;
  /** service_* labels put on every series (empty from v0.149 and in the SDK variant that kept them on target_info). */
  readonly seriesLabels: Readonly<Record<string, string>>;
  /** Labels of target_info, when this exposition has one. */
  readonly targetInfoLabels: Readonly<Record<string, string>> | undefined;
  readonly baseline: readonly BaselineFamily[];
  readonly helps: ReadonlyMap<string, string>;
  readonly unit: DecisionLatencyUnit;
  readonly nowMs: () => number;
}

class Gateway implements SimulatedGateway {
  target = '';
  private readonly counters = new Map<GatewayCounter, CounterState>();
  private readonly gauges = new Map<GatewayGauge, number>();
  private decisionTicks: DecisionTicks | undefined;
  private cpu: CounterState | undefined;
  private readonly removed = new Set<GatewayMetric>();
  private readonly startedAtMs: number;
  private server: Server | undefined;
  private port = 0;

  constructor(
    readonly name: string,
    private readonly setup: GatewaySetup,
  ) {
    this.startedAtMs = setup.nowMs();
    for (const gauge of ['queueCapacity', 'queueSize'] as const) {
      const value = setup.baseline.find((family) => family.name === GAUGES[gauge].base)?.samples[0]?.value;
      if (value !== undefined) this.gauges.set(gauge, value);
    }
  }

  private advance(state: CounterState, nowMs: number): number {
    return state.accumulated + (state.perSecond * (nowMs - state.sinceMs)) / 1000;
  }

  private latencyInUnit(latencyMs: number): number {
    return this.setup.unit === 'us' ? latencyMs * 1000 : latencyMs;
  }

  setRate(counter: GatewayCounter, perSecond: number): void {
    if (!(perSecond >= 0)) throw new Error(`rate of ${counter} must be ≥ 0, got ${perSecond}`);
    const nowMs = this.setup.nowMs();
    const state = this.counters.get(counter);
    this.removed.delete(counter);
    this.counters.set(counter, { accumulated: state ? this.advance(state, nowMs) : 0, perSecond, sinceMs: nowMs });
  }

  setCpuCores(cores: number): void {
    if (!(cores >= 0)) throw new Error(`cores must be ≥ 0, got ${cores}`);
    const nowMs = this.setup.nowMs();
    this.cpu = { accumulated: this.cpu ? this.advance(this.cpu, nowMs) : 0, perSecond: cores, sinceMs: nowMs };
  }

  setGauge(gauge: GatewayGauge, value: number): void {
    if (!Number.isFinite(value)) throw new Error(`${gauge} must be a finite number, got ${value}`);
    this.removed.delete(gauge);
    this.gauges.set(gauge, value);
  }

  setDecisionTicks(ticksPerSecond: number, latencyMs: number): void {
    if (!(ticksPerSecond >= 0) || !(latencyMs >= 0)) throw new Error('ticksPerSecond and latencyMs must be ≥ 0');
    const nowMs = this.setup.nowMs();
    const ticks = this.decisionTicks ?? { buckets: DECISION_TIMER_BUCKETS.map(() => 0), count: 0, sum: 0, current: { accumulated: 0, perSecond: 0, sinceMs: nowMs }, latencyMs };
    // Fold the ticks observed at the old latency into the cumulative buckets before it changes.
    const observed = Math.floor(this.advance(ticks.current, nowMs));
    const value = this.latencyInUnit(ticks.latencyMs);
    DECISION_TIMER_BUCKETS.forEach((bound, index) => {
      if (value <= bound) ticks.buckets[index]! += observed;
    });
    ticks.count += observed;
    ticks.sum += observed * value;
    ticks.current = { accumulated: 0, perSecond: ticksPerSecond, sinceMs: nowMs };
    ticks.latencyMs = latencyMs;
    this.decisionTicks = ticks;
    this.removed.delete('decisionTimerLatency');
  }

  remove(metric: GatewayMetric): void {
    this.removed.add(metric);
  }

  exposition(): string {
    const { naming, seriesLabels, baseline, helps } = this.setup;
    const nowMs = this.setup.nowMs();
    const out: string[] = [];
    const family = (name: string, type: MetricType, help: string, samples: [string, Record<string, string>, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [sampleName, labels, value] of samples) out.push(`${sampleName}${formatLabels(labels)} ${value}`);
    };
    const labelsOf = (labels: Readonly<Record<string, string>>, extra: Record<string, string> = {}) => ({ ...labels, ...extra, ...seriesLabels });

    for (const base of baseline) {
      if (base.name === GAUGES.queueSize.base || base.name === GAUGES.queueCapacity.base || base.name === 'target_info') continue;
      const name = exposedName(base.name, base.type, PROCESS_UNITS[base.name] ?? '', naming);
      const fixtureValue = base.samples[0]?.value ?? 0;
      const advanced = base.name === 'otelcol_process_uptime' ? (nowMs - this.startedAtMs) / 1000 : base.name === 'otelcol_process_cpu_seconds' && this.cpu ? this.advance(this.cpu, nowMs) : 0;
      const value = fixtureValue + advanced;
      family(name, base.type, base.help, [[name, labelsOf({}), value]]);
    }
    for (const [gauge, value] of this.gauges) {
      if (this.removed.has(gauge)) continue;
      const spec = GAUGES[gauge];
      const name = exposedName(spec.base, 'gauge', spec.unit, naming);
      family(name, 'gauge', helps.get(spec.base) ?? spec.help, [[name, labelsOf(spec.labels, this.dataTypeLabel(gauge)), value]]);
    }
    for (const [counter, state] of this.counters) {
      if (this.removed.has(counter)) continue;
      const spec = counter === 'processorRefusedSpans' ? this.processorRefusedFamily() : COUNTERS[counter];
      const name = exposedName(spec.base, 'counter', spec.unit, naming);
      family(name, 'counter', helps.get(spec.base) ?? spec.help, [[name, labelsOf(spec.labels), Math.floor(this.advance(state, nowMs))]]);
    }
    const ticks = this.decisionTicks;
    if (ticks && !this.removed.has('decisionTimerLatency')) {
      const value = this.latencyInUnit(ticks.latencyMs);
      const pending = Math.floor(this.advance(ticks.current, nowMs));
      const name = exposedName(DECISION_TIMER.base, 'histogram', this.setup.unit === 'us' ? 'µs' : 'ms', naming);
      const help = `${DECISION_TIMER.help} (in ${this.setup.unit === 'us' ? 'microseconds' : 'milliseconds'})`;
      const samples: [string, Record<string, string>, number][] = DECISION_TIMER_BUCKETS.map((bound, index) => [
        `${name}_bucket`,
        labelsOf(DECISION_TIMER.labels, { le: String(bound) }),
        ticks.buckets[index]! + (value <= bound ? pending : 0),
      ]);
      samples.push([`${name}_bucket`, labelsOf(DECISION_TIMER.labels, { le: '+Inf' }), ticks.count + pending]);
      samples.push([`${name}_sum`, labelsOf(DECISION_TIMER.labels), ticks.sum + pending * value]);
      samples.push([`${name}_count`, labelsOf(DECISION_TIMER.labels), ticks.count + pending]);
      family(name, 'histogram', help, samples);
    }
    if (this.setup.targetInfoLabels) {
      const help = baseline.find((base) => base.name === 'target_info')?.help ?? 'Target metadata';
      family('target_info', 'gauge', help, [['target_info', { ...this.setup.targetInfoLabels }, 1]]);
    }
    return `${out.join('\n')}\n`;
  }

  private dataTypeLabel(gauge: GatewayGauge): Record<string, string> {
    // data_type appeared on queue_size in v0.106 but on queue_capacity only in v0.119 (hence ignoring(data_type)).
    if (gauge === 'queueSize' && this.setup.naming.minor >= 106) return { data_type: 'traces' };
    if (gauge === 'queueCapacity' && this.setup.naming.minor >= 119) return { data_type: 'traces' };
    return {};
  }

  /** The memory_limiter's refused counter: processor_refused_spans until v0.154, its own metric from v0.155. */
  private processorRefusedFamily(): FamilySpec {
    if (this.setup.naming.minor >= 155) return { ...COUNTERS.processorRefusedSpans, base: 'otelcol_processor_memory_limiter_refused_spans', labels: {} };
    return COUNTERS.processorRefusedSpans;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => {
      if (request.url === '/metrics') {
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        response.end(this.exposition());
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.target = `127.0.0.1:${this.port}`;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Starts one HTTP server per simulated gateway, serving collector /metrics in the chosen spelling. */
export async function startCollectorExporter(options: CollectorExporterOptions): Promise<CollectorExporter> {
  const { spelling } = options;
  const collectorVersion = options.collectorVersion ?? DEFAULT_VERSION[spelling];
  const minor = parseMinorVersion(collectorVersion);
  const range = SPELLING_VERSIONS[spelling];
  if (minor < range.min || minor > range.max) {
    throw new Error(`collectorVersion ${collectorVersion} does not use the ${spelling} spelling (v0.${range.min}–v0.${range.max})`);
  }
  const naming: Naming = { spelling, minor };
  const unit: DecisionLatencyUnit = minor >= FIRST_MS_DECISION_TIMER_MINOR ? 'ms' : 'us';
  const nowMs = options.nowMs ?? Date.now;

  const helps = new Map<string, string>();
  for (const file of ALL_FIXTURES) {
    for (const [name, family] of readFixture(file)) if (family.help && !helps.has(name)) helps.set(name, family.help);
  }
  const fixture = readFixture(FIXTURE_FOR_SPELLING[spelling]);
  const baseline: BaselineFamily[] = [...fixture].map(([name, family]) => ({
    name,
    help: family.help ?? name,
    type: family.type ?? 'gauge',
    samples: family.samples,
  }));
  const serviceLabelsInFixture = baseline.some((family) => family.name !== 'target_info' && family.samples.some((sample) => 'service_instance_id' in sample.labels));
  const withTargetInfo = baseline.some((family) => family.name === 'target_info');

  const names = typeof options.gateways === 'number' || options.gateways === undefined
    ? Array.from({ length: options.gateways ?? 1 }, (_, index) => `gw-${index}`)
    : [...options.gateways];
  if (names.length === 0) throw new Error('gateways must name at least one gateway');

  const gateways: Gateway[] = [];
  for (const [index, name] of names.entries()) {
    const resource = {
      service_instance_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      service_name: 'otelcol-contrib',
      service_version: collectorVersion,
    };
    // ≥ v0.149 keeps the resource attributes on target_info only.
    const gateway = new Gateway(name, {
      naming,
      seriesLabels: serviceLabelsInFixture && minor < 149 ? resource : {},
      targetInfoLabels: withTargetInfo ? resource : undefined,
      baseline,
      helps,
      unit,
      nowMs,
    });
    await gateway.start();
    gateways.push(gateway);
  }

  return {
    spelling,
    collectorVersion,
    decisionLatencyUnit: unit,
    gateways,
    get targets() {
      return gateways.map((gateway) => gateway.target);
    },
    gateway(name: string) {
      const found = gateways.find((gateway) => gateway.name === name);
      if (!found) throw new Error(`no gateway named ${name}; gateways: ${names.join(', ')}`);
      return found;
    },
    async stop() {
      await Promise.all(gateways.map((gateway) => gateway.stop()));
    },
  };
}

/** A healthy tier at `perGatewaySpansPerSecond` each: nothing refused or failing, queues nearly empty, fast decision ticks. */
export function setSteadyLoad(exporter: CollectorExporter, perGatewaySpansPerSecond: number): void {
  for (const gateway of exporter.gateways) {
    gateway.setRate('acceptedSpans', perGatewaySpansPerSecond);
    gateway.setRate('sentSpans', perGatewaySpansPerSecond / 10);
    gateway.setRate('sendFailedSpans', 0);
    gateway.setRate('enqueueFailedSpans', 0);
    gateway.setRate('refusedSpans', 0);
    gateway.setRate('droppedTooEarlyTraces', 0);
    gateway.setGauge('queueSize', 10);
    gateway.setGauge('queueCapacity', 1000);
    gateway.setGauge('tracesOnMemory', 1000);
    gateway.setDecisionTicks(1, 5);
  }
}
