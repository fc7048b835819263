// Refused spans are lost data: the memory_limiter rejected them at the gateway's receiver. The
// collector community alerts on `rate(otelcol_receiver_refused_spans[5m]) > 0`; we say the same with
// what the scaler did about it.
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { missingSignal, NO_DECISION, signalValue } from './rule-inputs.ts';
import { describeScalerAction } from './scaler-action.ts';

/** Any refusal is lost or retried data. */
const DEFAULT_REFUSED_SPANS_PER_SECOND = 0;

/** Fires while refused spans/s stay above the threshold (default 0: any refusal). */
export const refusedSpansRule: AlertRule = {
  name: 'refusedSpans',
  title: 'Gateways refusing spans',
  severity: 'warning',
  defaultForSeconds: 120,
  threshold: { meaning: 'refused spans per second, summed over gateways', defaultValue: DEFAULT_REFUSED_SPANS_PER_SECOND, above: 0, orEqual: true },
  evaluate(input, { threshold }) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const refused = signalValue(decision, 'refusedSpansPerSecond');
    if (refused === undefined) return missingSignal('refusedSpansPerSecond');
    const limit = threshold ?? DEFAULT_REFUSED_SPANS_PER_SECOND;
    if (refused <= limit) return { status: 'clear' };
    const evidence: EvidenceItem[] = [{ label: 'Spans refused', value: refused, unit: 'spans/s', threshold: { comparison: '>', value: limit } }];
    const accepted = signalValue(decision, 'acceptedSpansPerSecond');
    if (accepted !== undefined && accepted + refused > 0) {
      evidence.push({ label: 'Share of incoming spans refused', value: refused / (accepted + refused), unit: 'ratio' });
    }
    const queueFillMax = signalValue(decision, 'queueFillMax');
    if (queueFillMax !== undefined) {
      evidence.push({ label: 'Fullest exporter queue', value: queueFillMax, unit: 'ratio', reference: { label: 'target', value: input.settings.targetQueueFill } });
    }
    evidence.push({ label: 'Replicas running', value: decision.current, unit: 'replicas' });
    return {
      status: 'active',
      summary: 'Gateways are refusing incoming spans (memory_limiter above its limit). Agents retry refused spans until their own queues overflow; beyond that the spans are lost.',
      evidence,
      scalerAction: describeScalerAction(decision, input.advisory),
      checks: [
        'memory_limiter `limit_mib` / `spike_limit_mib` against the pod memory limit.',
        'Whether one gateway refuses and the others do not (a routing imbalance) or all of them do (capacity).',
        'Memory held by tail sampling: traces on memory × spans per trace × ~1 KB, plus exporter queues.',
      ],
    };
  },
};
