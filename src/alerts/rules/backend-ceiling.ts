// A backend that is slow at peaks takes no more than some sent rate without failing a send, so the
// backendBottleneck guard does not act. The queue proposal finds that ceiling itself (gateways it added
// did not raise the sent rate) and holds; that is the right answer, but while it holds the exporter
// queues overflow and spans are lost, and someone has to raise the backend or the queues.
import { ceilingHoldOf } from '../../policy/backend-ceiling.ts';
import { formatCount, formatSpansPerSecond } from '../../policy/format.ts';
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { missingSignal, NO_DECISION, signalValue } from './rule-inputs.ts';
import { describeScalerAction } from './scaler-action.ts';

/** Fires while the queue proposal holds at the backend's ceiling and spans overflow the exporter queues. */
export const backendCeilingRule: AlertRule = {
  name: 'backendCeiling',
  title: 'Backend at its ceiling: spans lost',
  severity: 'critical',
  defaultForSeconds: 120,
  threshold: undefined,
  evaluate(input) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const hold = ceilingHoldOf(decision);
    if (hold === undefined) return { status: 'clear' };
    const { ceiling, lostSpansPerSecond: lost } = hold;
    if (lost === undefined) return missingSignal('enqueueFailedSpansPerSecond');
    if (lost <= 0) return { status: 'clear' };
    const sent = signalValue(decision, 'sentSpansPerSecond');
    const queueFillMax = signalValue(decision, 'queueFillMax');
    const evidence: EvidenceItem[] = [{ label: 'Spans lost (not enqueued)', value: lost, unit: 'spans/s' }];
    if (sent !== undefined) {
      evidence.push({ label: 'Spans sent', value: sent, unit: 'spans/s', reference: { label: 'ceiling', value: ceiling.sentSpansPerSecond } });
    }
    evidence.push({ label: 'Replicas running', value: decision.current, unit: 'replicas' });
    evidence.push({ label: 'Replicas the ceiling was shown from', value: ceiling.fromReplicas, unit: 'replicas' });
    if (queueFillMax !== undefined) {
      evidence.push({ label: 'Fullest exporter queue', value: queueFillMax, unit: 'ratio', reference: { label: 'target', value: input.settings.targetQueueFill } });
    }
    // Another proposal may still grow the tier; the queues then add nothing beyond the count running.
    const action = decision.recommended > decision.current ? `adds no gateways for the queues beyond ${decision.current}` : `holds at ${decision.current}`;
    const queue = decision.proposals.find((proposal) => proposal.name === 'queue');
    return {
      status: 'active',
      summary: `The backend takes no more than ${formatSpansPerSecond(ceiling.sentSpansPerSecond)} (gateways added beyond ${formatCount(ceiling.fromReplicas)} did not raise the sent rate), so the scaler ${action} while the exporter queues overflow and ${formatSpansPerSecond(lost)} are lost. More gateways would only add senders to a backend that is already full.`,
      evidence,
      scalerAction: queue ? `${describeScalerAction(decision, input.advisory)} The queue proposal said: “${queue.reason}”` : describeScalerAction(decision, input.advisory),
      checks: [
        "The backend's ingest capacity, quotas and rate limits: raise them, or the backend's replicas, so it takes the peak.",
        "The gateways' exporter `sending_queue` (`queue_size`, or persistent storage with `storage`): large enough that a peak's overflow is queued and sent after it rather than lost.",
        'Volume upstream: a sampling policy that keeps fewer traces, or services sending spans nobody reads.',
        'Do not raise replicas by hand: more gateways only add senders to a backend that is already full.',
      ],
    };
  },
};
