// The range queries capacity is learned from, per gateway (`instance`): CPU used, spans accepted now and
// a decision_wait earlier, the CPU the pod may use (kube-state-metrics), and the steps where the gateway
// was saturated, the agents ran ahead of the tier, or its exporter was disturbed. Pure: PromQL text only; the Prometheus source runs them.
import { formatDuration } from '../config/duration.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { AGENT_SHORTFALL_TOLERANCE } from '../policy/capacity-estimate.ts';
import type { CpuLoadSample, CpuLoadSamples } from './cpu-load-history.ts';
import {
  checkedMatchers,
  checkedSelector,
  counterNamePattern,
  decisionLatencyByGatewayExpression,
  offeredByAgentsExpression,
  queueFillByGatewayExpression,
  refusedByGatewayExpression,
  selectorOf,
  UPTIME_NAME_PATTERN,
} from './promql-catalogue.ts';

/** How far back capacity is learned from: long enough to span a load swing, short enough to follow a new config within hours. */
export const CAPACITY_LOOKBACK_SECONDS = 6 * 3600;
/** Step of the range queries: one sample per gateway per minute (or per rate window if longer), so neighbouring samples share no scrape. */
export const CAPACITY_MIN_STEP_SECONDS = 60;

export const CAPACITY_QUERY_NAMES = ['cpuCores', 'acceptedSpansPerSecond', 'acceptedSpansPerSecondDecisionWaitAgo', 'cpuLimitCores', 'cpuRequestCores', 'saturated', 'agentsAhead', 'exportDisturbed'] as const;
export type CapacityQueryName = (typeof CAPACITY_QUERY_NAMES)[number];

export interface CapacityQuery {
  readonly name: CapacityQueryName;
  /** One series per `instance`; for the flag queries a series present at a step means "yes". */
  readonly promql: string;
}

/** Step of the capacity range queries for a target. */
export function capacityStepSeconds(settings: Pick<TargetSettings, 'rateWindowSeconds'>): number {
  return Math.max(CAPACITY_MIN_STEP_SECONDS, settings.rateWindowSeconds);
}

type CapacityQueryInput = Pick<TargetSettings, 'gatewaySelector' | 'agentSelector' | 'rateWindowSeconds' | 'decisionWaitSeconds' | 'targetQueueFill' | 'decisionLatencyBudgetMs'>;

/**
 * kube-state-metrics labels pods by `namespace` and `pod`; the gateways' own series carry the same
 * labels when scraped through a PodMonitor or Kubernetes service discovery, which is what joins a
 * container's CPU limit to a gateway. Summed over the pod's containers (a sidecar's share counts too).
 */
function allotmentByGateway(selector: string, kind: 'limits' | 'requests'): string {
  const gateways = `count by (instance, namespace, pod) (${selectorOf(UPTIME_NAME_PATTERN, selector)})`;
  return `max by (instance) (${gateways} * on (namespace, pod) group_left () sum by (namespace, pod) (kube_pod_container_resource_${kind}{resource="cpu"}))`;
}

/**
 * Every gateway at the steps where the agents took in more than (1 + AGENT_SHORTFALL_TOLERANCE) × what
 * the gateways accepted: the gateways were falling behind. The agents' receivers count each span as it
 * arrives from the applications, accepted while their sending queue has room and refused once it is
 * full, so the two together are the load offered to the tier whatever the gateways did with it. Not
 * where a gateway's scrape target was down: the gateways' sum would miss its spans.
 */
function agentsAheadByGateway(agentSelector: string, gatewaySelector: string, acceptedByGateway: string, window: string): string {
  const offered = offeredByAgentsExpression(agentSelector, window);
  return `(${acceptedByGateway} and on () (${offered} > ${1 + AGENT_SHORTFALL_TOLERANCE} * sum(${acceptedByGateway})) unless on () (up{${gatewaySelector}} == 0))`;
}

/** Every capacity query of a target; throws ScalerError INVALID_METADATA as the signal catalogue does. */
export function buildCapacityQueries(input: CapacityQueryInput): readonly CapacityQuery[] {
  const selector = checkedSelector(input);
  const window = formatDuration(input.rateWindowSeconds);
  const rateByGateway = (family: string, offset = '') => `sum by (instance) (rate(${selectorOf(counterNamePattern(family), selector)}[${window}]${offset}))`;
  const accepted = rateByGateway('otelcol_receiver_accepted_spans');
  const queueFilling = `(${queueFillByGatewayExpression(selector)} > ${input.targetQueueFill})`;
  const refusing = `(${refusedByGatewayExpression(selector, window)}) > 0`;
  // The agents are read only where the trigger selects them.
  const agentsAhead: readonly CapacityQuery[] =
    input.agentSelector === undefined
      ? []
      : [{ name: 'agentsAhead', promql: `${agentsAheadByGateway(checkedMatchers('agentSelector', input.agentSelector), selector, accepted, window)} unless on (instance) ${queueFilling}` }];
  return [
    // Seconds of CPU per second = cores. The unit suffix (_seconds) and _total vary by version.
    { name: 'cpuCores', promql: `sum by (instance) (rate({__name__=~"otelcol_process_cpu(_seconds)?(_total)?", ${selector}}[${window}]))` },
    { name: 'acceptedSpansPerSecond', promql: accepted },
    // A gateway with no series a decision_wait ago had accepted nothing then: 0, not missing.
    {
      name: 'acceptedSpansPerSecondDecisionWaitAgo',
      promql: `${rateByGateway('otelcol_receiver_accepted_spans', ` offset ${formatDuration(input.decisionWaitSeconds)}`)} or (${accepted} * 0)`,
    },
    { name: 'cpuLimitCores', promql: allotmentByGateway(selector, 'limits') },
    { name: 'cpuRequestCores', promql: allotmentByGateway(selector, 'requests') },
    {
      name: 'saturated',
      promql: `(${decisionLatencyByGatewayExpression(selector, window)}) > ${input.decisionLatencyBudgetMs} or ((${refusing}) unless on (instance) ${queueFilling})`,
    },
    ...agentsAhead,
    { name: 'exportDisturbed', promql: `(${rateByGateway('otelcol_exporter_send_failed_spans')} > 0) or ${queueFilling}` },
  ];
}

/** Step index → instance → value, as a range result indexed by the Prometheus source. */
export type GatewayMatrix = ReadonlyMap<number, ReadonlyMap<string, number>>;

/**
 * Pairs the capacity queries' results into samples: one per gateway and step that has both CPU and
 * accepted spans. The CPU limit is the allotment where kube-state-metrics has one, else the request.
 */
export function assembleCpuLoadSamples(results: ReadonlyMap<CapacityQueryName, GatewayMatrix>, window: { readonly startMs: number; readonly stepSeconds: number }): CpuLoadSamples {
  const empty: GatewayMatrix = new Map();
  const of = (name: CapacityQueryName) => results.get(name) ?? empty;
  const cpu = of('cpuCores');
  const accepted = of('acceptedSpansPerSecond');
  let limits = false;
  let requests = false;
  const samples: CpuLoadSample[] = [];
  for (const [stepIndex, byGateway] of [...cpu].sort((a, b) => a[0] - b[0])) {
    const atMs = window.startMs + stepIndex * window.stepSeconds * 1000;
    for (const [gateway, cpuCores] of byGateway) {
      const spans = accepted.get(stepIndex)?.get(gateway);
      if (spans === undefined) continue;
      const limit = of('cpuLimitCores').get(stepIndex)?.get(gateway);
      const request = of('cpuRequestCores').get(stepIndex)?.get(gateway);
      if (limit !== undefined) limits = true;
      else if (request !== undefined) requests = true;
      samples.push({
        atMs,
        gateway,
        cpuCores,
        acceptedSpansPerSecond: spans,
        acceptedSpansPerSecondDecisionWaitAgo: of('acceptedSpansPerSecondDecisionWaitAgo').get(stepIndex)?.get(gateway),
        allotmentCores: limit ?? request,
        saturated: of('saturated').get(stepIndex)?.has(gateway) ?? false,
        agentsAhead: of('agentsAhead').get(stepIndex)?.has(gateway) ?? false,
        exportDisturbed: of('exportDisturbed').get(stepIndex)?.has(gateway) ?? false,
      });
    }
  }
  const allotmentSource = limits ? 'kube-state-metrics limits' : requests ? 'kube-state-metrics requests' : undefined;
  return { samples, allotmentSource };
}
