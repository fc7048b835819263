// The one place that knows how collector internal metrics are spelled in Prometheus. Pure: it turns
// a target's gatewaySelector and rateWindow into PromQL text, one query per signal, and never does I/O
// (the Prometheus source runs them). Every spelling listed in ../shared/reference/otelcol-metrics.md
// is accepted: with and without `_total`, unit suffixes, the v0.130.0 `__<unit>_` infix, old and new
// refused metrics, µs and ms decision-timer histograms, `data_type` on one side of the queue ratio.
import { formatDuration } from '../config/duration.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import { parseLabelMatchers } from '../config/label-matchers.ts';
import type { SignalName } from './signal-snapshot.ts';

/**
 * Every query of one read: the scalar signals, accepted spans/s per gateway, the scrape targets that
 * are down, the gateways' collector builds, and two readings that only refine a judgement (per-gateway
 * tick p99, the fullest queue a rate window before).
 */
export type CatalogueQueryName = SignalName | 'acceptedSpansPerSecondByGateway' | 'decisionLatencyP99MsByGateway' | 'unscrapedGateways' | 'queueFillMaxWindowAgo' | 'offeredSpansPerSecond' | 'collectorBuilds';

/** Every query of one read; the agents' intake only for a trigger that names the agents (agentSelector). */
export type SignalQueries = Readonly<Record<Exclude<CatalogueQueryName, 'offeredSpansPerSecond'>, CatalogueQuery>> & { readonly offeredSpansPerSecond?: CatalogueQuery };

export interface CatalogueQuery {
  readonly name: CatalogueQueryName;
  readonly promql: string;
  /**
   * `scalar`: a one-sample vector. `byGateway`: one sample per `instance`. `instances`: the `instance` of
   * each series (none is an answer too). `builds`: gateways counted per `service_name` and `service_version`.
   */
  readonly shape: 'scalar' | 'byGateway' | 'instances' | 'builds';
  /** The collector metric(s) it reads, for "missing" reasons and docs. */
  readonly metrics: string;
}

/** The gateways' Deployment, whose kube-state-metrics status says how many gateways should exist. */
export interface DeploymentRef {
  readonly namespace: string;
  readonly name: string;
}

/** What the catalogue needs from a target (TargetSettings satisfies it, without the Deployment). */
export type CatalogueInput = Pick<TargetSettings, 'gatewaySelector' | 'rateWindowSeconds'> & Partial<Pick<TargetSettings, 'agentSelector'>> & { readonly deployment?: DeploymentRef };

/** The catalogue input of a target: its settings, and its Deployment when `deploymentName` is set (same namespace as the ScaledObject, as KEDA requires). */
export function catalogueInputOf(target: { readonly namespace: string }, settings: TargetSettings): CatalogueInput {
  if (settings.deploymentName === undefined) return settings;
  return { ...settings, deployment: { namespace: target.namespace, name: settings.deploymentName } };
}

/** A PromQL double-quoted string literal. */
export function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Optional `__<unit>_` infix that v0.130.0 alone added (opentelemetry-go#7039), e.g. `_spans__spans__total`. */
const UNIT_INFIX = '(__[a-z]+_)?';

/** Name regex of a counter family: bare (≤ v0.118, ≥ v0.152), `_total` (v0.119–v0.151) or with the v0.130 infix. */
export function counterNamePattern(base: string): string {
  return `${base}${UNIT_INFIX}(_total)?`;
}

/** Name regex of a gauge family with a `{unit}` unit: bare or with the v0.130 infix. */
export function gaugeNamePattern(base: string): string {
  return `${base}${UNIT_INFIX}`;
}

/** Process uptime (unit s): `otelcol_process_uptime`, or `otelcol_process_uptime_seconds_total` with suffixes. */
export const UPTIME_NAME_PATTERN = 'otelcol_process_uptime(_seconds)?(_total)?';

export const DECISION_TIMER_BASE = 'otelcol_processor_tail_sampling_sampling_decision_timer_latency';

/**
 * Collector versions whose decision-timer histogram is in µs: before v0.122 (contrib's tail sampling
 * processor switched the unit to ms in v0.122). Matched against the `service_version` label, which
 * every series carries up to v0.148; a series without it is from v0.149 or later, hence ms.
 * Written for a PromQL raw (backtick) string, where backslashes need no escaping.
 */
export const MICROSECOND_VERSIONS_PATTERN = String.raw`v?0\.([0-9]|[1-9][0-9]|1[01][0-9]|12[01])(\..*)?`;

/** Bucket series of the decision-timer histogram, and the factor that turns its unit into ms. */
export const DECISION_TIMER_VARIANTS: readonly { readonly description: string; readonly matchers: string; readonly toMs: number }[] = [
  // v0.122–v0.151 with unit suffixes: the name says the unit.
  { description: 'name ends in _milliseconds', matchers: `__name__="${DECISION_TIMER_BASE}_milliseconds_bucket"`, toMs: 1 },
  { description: 'name ends in _microseconds', matchers: `__name__="${DECISION_TIMER_BASE}_microseconds_bucket"`, toMs: 0.001 },
  // No suffix: the collector version decides.
  { description: 'no unit suffix, service_version before v0.122', matchers: `__name__="${DECISION_TIMER_BASE}_bucket", service_version=~\`${MICROSECOND_VERSIONS_PATTERN}\``, toMs: 0.001 },
  { description: 'no unit suffix, service_version v0.122 or later, or absent (v0.149+)', matchers: `__name__="${DECISION_TIMER_BASE}_bucket", service_version!~\`${MICROSECOND_VERSIONS_PATTERN}\``, toMs: 1 },
];

/** Refused-span counters in order of preference; per gateway the first one present wins, so nothing is counted twice. */
export const REFUSED_FAMILIES = [
  // Counted at the receiver for every refusal downstream (memory_limiter included): recommended.
  'otelcol_receiver_refused_spans',
  // v0.155+: the memory_limiter's own counter.
  'otelcol_processor_memory_limiter_refused_spans',
  // ≤ v0.110 every processor, v0.111–v0.154 the memory_limiter only.
  'otelcol_processor_refused_spans',
] as const;

/**
 * Gateways per collector build (`service_name`, `service_version`): on `target_info` from the OTel SDK's
 * exposition on, and on every series up to v0.148 (OpenCensus-era collectors have no `target_info`), so
 * the process's own uptime carries it there. A gateway is counted once however many series say it.
 */
export function collectorBuildsExpression(selector: string): string {
  const labelled = selectorOf(`target_info|${UPTIME_NAME_PATTERN}`, selector, ', service_version!=""');
  return `count by (service_name, service_version) (max by (instance, service_name, service_version) (${labelled}))`;
}

/** `{__name__=~"pattern", extra, gatewaySelector}`: one metric family of the target's gateways. */
export function selectorOf(namePattern: string, gatewaySelector: string, extra = ''): string {
  return `{__name__=~"${namePattern}"${extra}, ${gatewaySelector}}`;
}

/**
 * Checks the input and returns the selector as Prometheus gets it (re-written from the parsed matchers);
 * throws ScalerError INVALID_METADATA naming the key.
 */
export function checkedSelector(input: CatalogueInput): string {
  if (!(Number.isFinite(input.rateWindowSeconds) && input.rateWindowSeconds > 0)) {
    throw new ScalerError('INVALID_METADATA', `scalerMetadata.rateWindow must be a positive duration such as "2m", got ${input.rateWindowSeconds} s`);
  }
  return checkedMatchers('gatewaySelector', input.gatewaySelector);
}

/** A trigger key's label matchers as Prometheus gets them; throws ScalerError INVALID_METADATA naming the key. */
export function checkedMatchers(key: 'gatewaySelector' | 'agentSelector', matchers: string): string {
  const parsed = parseLabelMatchers(matchers);
  if (parsed.kind === 'invalid') throw new ScalerError('INVALID_METADATA', `scalerMetadata.${key} ${parsed.reason}`);
  return parsed.selector;
}

function rateByGateway(family: string, selector: string, window: string, extra = ''): string {
  return `rate(${selectorOf(counterNamePattern(family), selector, extra)}[${window}])`;
}

/** Per gateway: spans accepted per second. */
export function acceptedByGatewayExpression(selector: string, window: string): string {
  return `sum by (instance) (${rateByGateway('otelcol_receiver_accepted_spans', selector, window)})`;
}

/**
 * Per gateway: the fullest trace exporter queue. data_type is on queue_size from v0.106 but on
 * queue_capacity only from v0.119, hence ignoring(data_type) and capacity collapsed over data_type.
 * `data_type=~"traces|"` keeps trace queues and queues of versions that do not label them. `offset`:
 * the fill that long before the read.
 */
export function queueFillByGatewayExpression(selector: string, offset?: string): string {
  const traceQueues = ', data_type=~"traces|"';
  const at = offset === undefined ? '' : ` offset ${offset}`;
  return (
    `max by (instance) (${selectorOf(gaugeNamePattern('otelcol_exporter_queue_size'), selector, traceQueues)}${at}` +
    ` / ignoring(data_type) group_left max without(data_type) (${selectorOf(gaugeNamePattern('otelcol_exporter_queue_capacity'), selector, traceQueues)}${at} > 0))`
  );
}

/** Refused spans/s per gateway, the first refused family present (REFUSED_FAMILIES) so nothing counts twice. */
export function refusedByGatewayExpression(selector: string, window: string): string {
  return REFUSED_FAMILIES.map((family) => `sum by (instance) (${rateByGateway(family, selector, window)})`).join(' or ');
}

/**
 * Spans/s the agents took in: accepted plus refused at their receivers, one family at a time (rate()
 * drops the name, and the two families' series would share a labelset). Refused has no series until the
 * first refusal: none is 0, not a missing offered load.
 */
export function offeredByAgentsExpression(agentSelector: string, window: string): string {
  const rate = (family: string) => `sum(rate(${selectorOf(counterNamePattern(family), agentSelector)}[${window}]))`;
  return `(${rate('otelcol_receiver_accepted_spans')} + (${rate('otelcol_receiver_refused_spans')} or vector(0)))`;
}

/** p99 decision-tick latency per gateway in that gateway's unit, scaled to ms. */
export function decisionLatencyByGatewayExpression(selector: string, window: string): string {
  return DECISION_TIMER_VARIANTS.map((variant) => {
    const quantile = `histogram_quantile(0.99, sum by (instance, le) (rate({${variant.matchers}, ${selector}}[${window}])))`;
    return variant.toMs === 1 ? quantile : `${quantile} * ${variant.toMs}`;
  }).join(' or ');
}

/**
 * Builds every query of one read for a target. Rates use the target's rateWindow; one gateway is one
 * scrape target (`instance`); sums and maxima run over the gateways the selector picks.
 */
export function buildSignalQueries(input: CatalogueInput): SignalQueries {
  const selector = checkedSelector(input);
  const window = formatDuration(input.rateWindowSeconds);
  const rateOf = (family: string, extra = '') => rateByGateway(family, selector, window, extra);
  const sumRate = (family: string) => `sum(${rateOf(family)})`;
  // A failure counter exists only from its first increment (v0.161.0 exposes no send_failed or
  // enqueue_failed series on a healthy gateway). Where the component it belongs to is seen working
  // (`witness` has series), no failure series means 0 failures; with no witness it stays missing.
  const sumRateOrZero = (family: string, witness: string) => `${sumRate(family)} or (0 * count(${selectorOf(witness, selector)}))`;

  const queueFillByGateway = queueFillByGatewayExpression(selector);
  const refusedByGateway = refusedByGatewayExpression(selector, window);
  const latencyByGateway = decisionLatencyByGatewayExpression(selector, window);

  // Gateways reporting: a collector's own process metric exists from start-up (pipeline counters
  // appear only after the first span) and goes stale as soon as a scrape fails.
  const reporting = `count(count by (instance) (${selectorOf(UPTIME_NAME_PATTERN, selector)}))`;
  // Gateways that should exist: scrape targets whether up or down (a gateway Prometheus cannot scrape
  // still exists and still holds traces), the Deployment's status replicas when kube-state-metrics is
  // there (pods Prometheus has not discovered yet), and never fewer than report. The largest wins.
  const countedFrom = (promql: string, from: string) => `label_replace(${promql}, "counted_from", "${from}", "", "")`;
  const expectedParts = [countedFrom(`count(up{${selector}})`, 'targets')];
  if (input.deployment !== undefined) {
    const { namespace, name } = input.deployment;
    expectedParts.push(countedFrom(`max(kube_deployment_status_replicas{namespace=${quoted(namespace)}, deployment=${quoted(name)}})`, 'deployment'));
  }
  expectedParts.push(countedFrom(reporting, 'reporting'));

  const queries: CatalogueQuery[] = [
    {
      name: 'currentReplicas',
      promql: `max(${expectedParts.join(' or ')})`,
      shape: 'scalar',
      metrics: input.deployment === undefined ? 'up' : 'up | kube_deployment_status_replicas',
    },
    { name: 'reportingReplicas', promql: reporting, shape: 'scalar', metrics: 'otelcol_process_uptime' },
    { name: 'unscrapedGateways', promql: `up{${selector}} == 0`, shape: 'instances', metrics: 'up' },
    { name: 'collectorBuilds', promql: collectorBuildsExpression(selector), shape: 'builds', metrics: 'target_info | otelcol_process_uptime (service_name, service_version)' },
    { name: 'queueFillMax', promql: `max(${queueFillByGateway})`, shape: 'scalar', metrics: 'otelcol_exporter_queue_size / otelcol_exporter_queue_capacity' },
    { name: 'queueFillMean', promql: `avg(${queueFillByGateway})`, shape: 'scalar', metrics: 'otelcol_exporter_queue_size / otelcol_exporter_queue_capacity' },
    {
      name: 'queueFillMaxWindowAgo',
      promql: `max(${queueFillByGatewayExpression(selector, window)})`,
      shape: 'scalar',
      metrics: 'otelcol_exporter_queue_size / otelcol_exporter_queue_capacity',
    },
    { name: 'refusedSpansPerSecond', promql: `sum(${refusedByGateway})`, shape: 'scalar', metrics: REFUSED_FAMILIES.join(' | ') },
    { name: 'enqueueFailedSpansPerSecond', promql: sumRateOrZero('otelcol_exporter_enqueue_failed_spans', counterNamePattern('otelcol_exporter_sent_spans')), shape: 'scalar', metrics: 'otelcol_exporter_enqueue_failed_spans' },
    { name: 'sendFailedSpansPerSecond', promql: sumRateOrZero('otelcol_exporter_send_failed_spans', counterNamePattern('otelcol_exporter_sent_spans')), shape: 'scalar', metrics: 'otelcol_exporter_send_failed_spans' },
    { name: 'sentSpansPerSecond', promql: sumRate('otelcol_exporter_sent_spans'), shape: 'scalar', metrics: 'otelcol_exporter_sent_spans' },
    { name: 'decisionLatencyP99Ms', promql: `max(${latencyByGateway})`, shape: 'scalar', metrics: `${DECISION_TIMER_BASE}_bucket` },
    { name: 'decisionLatencyP99MsByGateway', promql: latencyByGateway, shape: 'byGateway', metrics: `${DECISION_TIMER_BASE}_bucket` },
    {
      name: 'tracesOnMemory',
      promql: `sum(${selectorOf(gaugeNamePattern('otelcol_processor_tail_sampling_sampling_traces_on_memory'), selector)})`,
      shape: 'scalar',
      metrics: 'otelcol_processor_tail_sampling_sampling_traces_on_memory',
    },
    {
      name: 'droppedTooEarlyTracesPerSecond',
      promql: sumRateOrZero('otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', gaugeNamePattern('otelcol_processor_tail_sampling_sampling_traces_on_memory')),
      shape: 'scalar',
      metrics: 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early',
    },
    { name: 'acceptedSpansPerSecond', promql: sumRate('otelcol_receiver_accepted_spans'), shape: 'scalar', metrics: 'otelcol_receiver_accepted_spans' },
    {
      name: 'acceptedSpansPerSecondByGateway',
      promql: acceptedByGatewayExpression(selector, window),
      shape: 'byGateway',
      metrics: 'otelcol_receiver_accepted_spans',
    },
  ];
  if (input.agentSelector !== undefined) {
    queries.push({
      name: 'offeredSpansPerSecond',
      promql: offeredByAgentsExpression(checkedMatchers('agentSelector', input.agentSelector), window),
      shape: 'scalar',
      metrics: "the agents' otelcol_receiver_accepted_spans + otelcol_receiver_refused_spans",
    });
  }
  return Object.freeze(Object.fromEntries(queries.map((query) => [query.name, Object.freeze(query)]))) as SignalQueries;
}
