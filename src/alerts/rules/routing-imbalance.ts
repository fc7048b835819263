// One gateway hot while the others idle is a routing problem (the agents' loadbalancing exporter,
// its resolver, or the routing key), not a capacity problem: adding replicas does not cool the hot
// one. The policy reports it as a `routingImbalance` note; the per-gateway rates show it directly.
// A hot spot the ring's history shows gateways joining spread (a hash arc on a small ring) the policy
// sizes instead, and the alert says so. A gateway whose decision ticks are slower than the hottest
// one's takes less because it falls behind, so that spread is no routing problem and does not fire.
import { slowerThanBusiest } from '../../policy/policy-context.ts';
import { formatPercent } from '../../policy/format.ts';
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { NO_DECISION } from './rule-inputs.ts';
import { describeGuardedAction, guardActed } from './scaler-action.ts';

/** Below this the tier is idle and ratios between gateways mean nothing. */
const IDLE_SPANS_PER_SECOND = 1;

export interface RoutingSkew {
  readonly hottestGateway: string;
  readonly hottestSpansPerSecond: number;
  readonly othersMeanSpansPerSecond: number;
  /** hottest ÷ mean of the others; Infinity when the others are idle. */
  readonly ratio: number;
  readonly gateways: number;
}

/** How much more the hottest gateway accepts than the rest; undefined with fewer than two gateways or an idle tier. */
export function routingSkew(acceptedByGateway: Readonly<Record<string, number>>): RoutingSkew | undefined {
  const entries = Object.entries(acceptedByGateway).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length < 2) return undefined;
  let hottest = entries[0]!;
  for (const entry of entries) if (entry[1] > hottest[1]) hottest = entry;
  if (hottest[1] < IDLE_SPANS_PER_SECOND) return undefined;
  const othersMean = (entries.reduce((sum, [, rate]) => sum + rate, 0) - hottest[1]) / (entries.length - 1);
  return {
    hottestGateway: hottest[0],
    hottestSpansPerSecond: hottest[1],
    othersMeanSpansPerSecond: othersMean,
    ratio: othersMean > 0 ? hottest[1] / othersMean : Number.POSITIVE_INFINITY,
    gateways: entries.length,
  };
}

/** Consistent hashing on a small ring is uneven by ~1.3×; twice the others' mean is not hashing noise. */
const DEFAULT_SKEW_RATIO = 2;

/** Fires while the policy notes a routing imbalance, or the hottest gateway takes more than `threshold` × the others' mean. */
export const routingImbalanceRule: AlertRule = {
  name: 'routingImbalance',
  title: 'Routing imbalance across gateways',
  severity: 'warning',
  defaultForSeconds: 600,
  threshold: { meaning: 'accepted spans/s of the hottest gateway ÷ the mean of the others', defaultValue: DEFAULT_SKEW_RATIO, above: 1, orEqual: false },
  evaluate(input, { threshold }) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const guard = guardActed(decision, 'routingImbalance');
    const byGateway = decision.snapshot.acceptedSpansPerSecondByGateway;
    const skew = byGateway.kind === 'ok' ? routingSkew(byGateway.value) : undefined;
    const limit = threshold ?? DEFAULT_SKEW_RATIO;
    // A gateway slower than the hottest one accepts less because it falls behind: not a routing problem.
    const skewed = skew !== undefined && skew.ratio > limit && slowerThanBusiest(skew.hottestGateway, decision.snapshot.decisionLatencyP99MsByGateway) === undefined;
    if (!guard && !skewed) {
      return byGateway.kind === 'missing' ? { status: 'unknown', reason: `per-gateway accepted spans were missing: ${byGateway.reason}` } : { status: 'clear' };
    }
    const evidence: EvidenceItem[] = [];
    if (skew) {
      evidence.push({ label: `Hottest gateway (${skew.hottestGateway})`, value: skew.hottestSpansPerSecond, unit: 'spans/s' });
      evidence.push({ label: 'Mean of the other gateways', value: skew.othersMeanSpansPerSecond, unit: 'spans/s' });
      evidence.push({ label: 'Hottest ÷ others', value: skew.ratio, unit: 'factor', threshold: { comparison: '>', value: limit } });
      evidence.push({ label: 'Gateways reporting accepted spans', value: skew.gateways, unit: 'replicas' });
    }
    evidence.push({ label: 'Replicas running', value: decision.current, unit: 'replicas' });
    // The throughput proposal records the utilization it sized the busiest gateway at only when it did.
    const busiestSizedAt = decision.proposals.find((proposal) => proposal.name === 'throughput')?.inputs.peakUtilization;
    const busiestSized = busiestSizedAt !== undefined;
    return {
      status: 'active',
      summary: busiestSized
        ? 'One gateway receives much more than the others. The ring shows gateways joining spread it (a wide arc of the traceID hash ring), so the scaler sizes the tier for that gateway.'
        : 'One gateway receives much more than the others. Spans are routed by traceID on the agents, so this is a routing problem; more replicas would not cool the hot gateway.',
      evidence,
      scalerAction: busiestSized
        ? `${describeGuardedAction(decision, input.advisory, guard)} The scaler keeps the busiest gateway at no more than ${formatPercent(busiestSizedAt)} of its capacity.`
        : `${describeGuardedAction(decision, input.advisory, guard)} The scaler does not add replicas for an imbalance.`,
      checks: [
        'Agents\' loadbalancing exporter: the DNS resolver must point at the headless Service of the gateways (or use the k8s resolver).',
        '`otelcol_loadbalancer_num_backends` on the agents: every agent should see every gateway.',
        '`routing_key`: routing by `service` concentrates a big service on one gateway; tail sampling needs `traceID`.',
      ],
    };
  },
};
