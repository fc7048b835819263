// A scaler without data holds (and never scales in); if Prometheus is unreachable it cannot answer
// KEDA at all. Both are silent failures of autoscaling unless someone is told.
import { SIGNAL_NAMES } from '../../signals/signal-snapshot.ts';
import type { AlertRule, EvidenceItem } from './alert-rule.ts';
import { describeFailedEvaluation, describeGuardedAction, guardActed } from './scaler-action.ts';

/**
 * Fires while evaluations fail (Prometheus unreachable, no gateway found) or the policy's missingData
 * guard acts: critical when there is no decision or the guard held the count, warning when it only
 * blocks scale-in (scale-out on the signals present still works).
 */
export const dataMissingRule: AlertRule = {
  name: 'dataMissing',
  title: 'Signals missing or Prometheus unreachable',
  severity: 'critical',
  defaultForSeconds: 180,
  threshold: undefined,
  evaluate(input) {
    const { observation } = input;
    if (observation.kind === 'error') {
      const { error } = observation;
      return {
        status: 'active',
        summary: `The target could not be evaluated: ${error.message.replace(/\.?$/, '.')}`,
        evidence: [{ label: 'Error', value: error.code, unit: 'text' }],
        scalerAction: describeFailedEvaluation(error, input.advisory),
        checks: [
          error.remedy,
          'The scaler logs for this target (`namespace`/`name` fields) for the full error.',
          'Prometheus itself: `up`, query latency, and whether the gateways are scraped.',
        ],
      };
    }
    const { decision } = observation;
    const guard = guardActed(decision, 'missingData');
    if (!guard) return { status: 'clear' };
    const evidence: EvidenceItem[] = [];
    const { currentReplicas: expected, reportingReplicas: reporting } = decision.snapshot.signals;
    if (expected.kind === 'ok' && reporting.kind === 'ok' && reporting.value < expected.value) {
      evidence.push({ label: 'Gateways reporting', value: reporting.value, unit: 'replicas', reference: { label: 'expected', value: expected.value } });
      const names = decision.snapshot.unscrapedGateways ?? [];
      if (names.length > 0) evidence.push({ label: 'Scrape targets down', value: names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', '), unit: 'text' });
    }
    for (const name of SIGNAL_NAMES) {
      const reading = decision.snapshot.signals[name];
      if (reading.kind === 'missing') evidence.push({ label: `${name} missing`, value: reading.reason, unit: 'text' });
    }
    if (decision.snapshot.acceptedSpansPerSecondByGateway.kind === 'missing') {
      evidence.push({ label: 'acceptedSpansPerSecondByGateway missing', value: decision.snapshot.acceptedSpansPerSecondByGateway.reason, unit: 'text' });
    }
    const ageSeconds = Math.max(0, (decision.at - decision.snapshot.observedAtMs) / 1000);
    evidence.push({ label: 'Snapshot age', value: ageSeconds, unit: 'seconds', reference: { label: 'staleAfter', value: input.settings.staleAfterSeconds } });
    const held = guard.effect === 'hold';
    return {
      status: 'active',
      severity: held ? 'critical' : 'warning',
      summary: held
        ? 'The policy is holding the replica count because signals it needs are missing or stale. It never scales in on missing data, and it cannot scale out on data it does not have.'
        : 'Signals are missing or stale. The scaler will not scale in until they are back; it still scales out on the signals it has.',
      evidence,
      scalerAction: describeGuardedAction(decision, input.advisory, guard),
      checks: [
        'That Prometheus scrapes every gateway (`up{<gatewaySelector>} == 0` lists those it cannot) and that `gatewaySelector` matches them.',
        'Metric names for the collector version in use (some need `service::telemetry` readers; see docs/signals.md).',
        'Scrape interval against `rateWindow`: a window shorter than two scrapes has no rate.',
      ],
    };
  },
};
