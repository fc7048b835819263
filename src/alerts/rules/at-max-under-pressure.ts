// At maxReplicas the scaler can do nothing more; a person has to raise the ceiling or find out why
// the load is this high. The policy's clamp sets `atMaxUnderPressure`.
import type { Proposal } from '../../policy/decision.ts';
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { NO_DECISION, signalValue } from './rule-inputs.ts';
import { describeGuardedAction, guardActed } from './scaler-action.ts';

function strongestProposal(proposals: readonly Proposal[]): Proposal | undefined {
  let strongest: Proposal | undefined;
  for (const proposal of proposals) {
    if (proposal.replicas === undefined) continue;
    if (strongest === undefined || proposal.replicas > (strongest.replicas ?? 0)) strongest = proposal;
  }
  return strongest;
}

/** Fires while decisions are clamped at maxReplicas with a proposal asking for more. */
export const atMaxUnderPressureRule: AlertRule = {
  name: 'atMaxUnderPressure',
  title: 'At max replicas under pressure',
  severity: 'critical',
  defaultForSeconds: 300,
  threshold: undefined,
  evaluate(input) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    if (!decision.atMaxUnderPressure) return { status: 'clear' };
    const strongest = strongestProposal(decision.proposals);
    const evidence: EvidenceItem[] = [
      { label: 'Replicas running', value: decision.current, unit: 'replicas' },
      { label: 'maxReplicas', value: input.settings.maxReplicas, unit: 'replicas' },
    ];
    if (strongest?.replicas !== undefined) {
      evidence.push({ label: `Replicas wanted (${strongest.name} proposal)`, value: strongest.replicas, unit: 'replicas' });
    }
    const accepted = signalValue(decision, 'acceptedSpansPerSecond');
    if (accepted !== undefined) {
      const capacity = input.settings.maxReplicas * input.settings.capacitySpansPerReplica * input.settings.targetUtilization;
      evidence.push({ label: 'Spans accepted', value: accepted, unit: 'spans/s', reference: { label: 'capacity at maxReplicas', value: capacity } });
    }
    const queueFillMax = signalValue(decision, 'queueFillMax');
    if (queueFillMax !== undefined) {
      evidence.push({ label: 'Fullest exporter queue', value: queueFillMax, unit: 'ratio', reference: { label: 'target', value: input.settings.targetQueueFill } });
    }
    return {
      status: 'active',
      summary: `The tier is at maxReplicas (${input.settings.maxReplicas}) and the load still asks for more${strongest ? ` (${strongest.reason})` : ''}. The scaler cannot add capacity; spans will be refused or queued until load drops or the ceiling rises.`,
      evidence,
      scalerAction: describeGuardedAction(decision, input.advisory, guardActed(decision, 'clamp')),
      checks: [
        'Whether the load is legitimate: a traffic peak, a retry storm, a service sending debug spans.',
        'Raise `maxReplicas` in the trigger metadata if the cluster has room (nodes, quotas, PodDisruptionBudget).',
        '`capacitySpansPerReplica` still matches what one gateway handles at its CPU limit.',
      ],
    };
  },
};
