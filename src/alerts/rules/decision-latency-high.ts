// A tail-sampling decision tick that takes too long delays every keep/drop decision and grows the
// traces held; often a CPU or policy-cost problem that replicas fix only partly.
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { missingSignal, NO_DECISION, signalValue } from './rule-inputs.ts';
import { describeScalerAction } from './scaler-action.ts';

/** Fires while the p99 decision tick stays above the threshold (default: the target's decisionLatencyBudget). */
export const decisionLatencyHighRule: AlertRule = {
  name: 'decisionLatencyHigh',
  title: 'Tail-sampling decision latency high',
  severity: 'warning',
  defaultForSeconds: 300,
  threshold: { meaning: 'p99 decision-tick latency in ms; default the target\'s decisionLatencyBudget', defaultValue: undefined, above: 0, orEqual: false },
  evaluate(input, { threshold }) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const latencyMs = signalValue(decision, 'decisionLatencyP99Ms');
    if (latencyMs === undefined) return missingSignal('decisionLatencyP99Ms');
    const limitMs = threshold ?? input.settings.decisionLatencyBudgetMs;
    if (latencyMs <= limitMs) return { status: 'clear' };
    const evidence: EvidenceItem[] = [{ label: 'Decision tick p99', value: latencyMs, unit: 'ms', threshold: { comparison: '>', value: limitMs } }];
    const held = signalValue(decision, 'tracesOnMemory');
    if (held !== undefined) evidence.push({ label: 'Traces on memory (all gateways)', value: held, unit: 'traces' });
    const proposal = decision.proposals.find((candidate) => candidate.name === 'decisionLatency');
    if (proposal?.replicas !== undefined) evidence.push({ label: 'Replicas the latency proposal asks for', value: proposal.replicas, unit: 'replicas' });
    evidence.push({ label: 'Replicas running', value: decision.current, unit: 'replicas' });
    return {
      status: 'active',
      summary: 'Each tail-sampling decision tick takes longer than its budget, so keep/drop decisions lag behind decision_wait and the gateways hold more traces than planned.',
      evidence,
      scalerAction: describeScalerAction(decision, input.advisory),
      checks: [
        'CPU throttling on the gateway pods (`container_cpu_cfs_throttled_periods_total`).',
        'Cost of the sampling policies: many policies, regex or OTTL conditions on every span.',
        'Traces held: a large num_traces makes every tick walk more traces.',
      ],
    };
  },
};
