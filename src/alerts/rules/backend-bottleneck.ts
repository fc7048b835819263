// The scaler's most valuable message: "I am not scaling, and here is why." The policy's backend
// bottleneck guard held the replica count because the backend, not the gateways, is failing.
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { NO_DECISION, signalValue } from './rule-inputs.ts';
import { describeGuardedAction, guardActed } from './scaler-action.ts';

/** Fires while the backendBottleneck guard acts on the target's decisions. */
export const backendBottleneckRule: AlertRule = {
  name: 'backendBottleneck',
  title: 'Backend bottleneck: scaling suppressed',
  severity: 'critical',
  defaultForSeconds: 120,
  threshold: undefined,
  evaluate(input) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const guard = guardActed(decision, 'backendBottleneck');
    if (!guard) {
      const sendFailed = signalValue(decision, 'sendFailedSpansPerSecond');
      const sent = signalValue(decision, 'sentSpansPerSecond');
      // Without the send counters the policy could not have seen a failing backend.
      if (sendFailed === undefined || sent === undefined) return { status: 'unknown', reason: 'send counters were missing' };
      return { status: 'clear' };
    }
    const sendFailed = signalValue(decision, 'sendFailedSpansPerSecond');
    const sent = signalValue(decision, 'sentSpansPerSecond');
    const queueFillMax = signalValue(decision, 'queueFillMax');
    const evidence: EvidenceItem[] = [];
    if (sendFailed !== undefined && sent !== undefined && sendFailed + sent > 0) {
      evidence.push({
        label: 'Send-failed ratio',
        value: sendFailed / (sendFailed + sent),
        unit: 'ratio',
        reference: { label: 'backendFailureRatio', value: input.settings.backendFailureRatio },
      });
    }
    if (sendFailed !== undefined) evidence.push({ label: 'Spans failing to send', value: sendFailed, unit: 'spans/s' });
    if (sent !== undefined) evidence.push({ label: 'Spans sent', value: sent, unit: 'spans/s' });
    if (queueFillMax !== undefined) {
      evidence.push({ label: 'Fullest exporter queue', value: queueFillMax, unit: 'ratio', reference: { label: 'target', value: input.settings.targetQueueFill } });
    }
    evidence.push({ label: 'Replicas the load alone would need', value: guard.from, unit: 'replicas' });
    return {
      status: 'active',
      summary: 'The backend is rejecting or failing sends while the exporter queues fill. More gateways would only push harder on a backend that is already the bottleneck, so the scaler is not scaling.',
      evidence,
      scalerAction: describeGuardedAction(decision, input.advisory, guard),
      checks: [
        'Backend health: ingest errors, 429/503 answers, authentication failures, a lowered quota.',
        'Gateway exporter logs and `otelcol_exporter_send_failed_spans` by `exporter`: which exporter fails and with what error.',
        'Agents: once gateway queues overflow, spans are refused upstream and lost; check agent sending queues.',
        'Do not raise replicas by hand: it adds load to the failing backend.',
      ],
    };
  },
};
