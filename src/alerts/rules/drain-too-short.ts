// A removed gateway that stops before it has decided what it holds breaks those traces on every
// scale-in, whichever autoscaler asked for it. The policy compares the drain the trigger states
// (`scaleInDrain`, the gateways' preStop sleep) with decision_wait + the agents' DNS interval and notes
// `drainTooShort`; this alert carries the preStop value to set.
import { DNS_RESOLVER_INTERVAL_SECONDS } from '../../config/target-metadata.ts';
import type { AlertRule } from './alert-rule.ts';
import { NO_DECISION } from './rule-inputs.ts';
import { describeGuardedAction, guardActed } from './scaler-action.ts';

export const drainTooShortRule: AlertRule = {
  name: 'drainTooShort',
  title: 'Scale-in drain shorter than decision_wait',
  severity: 'warning',
  // A configuration fault: it does not come and go with load, so there is nothing to wait out.
  defaultForSeconds: 0,
  threshold: undefined,
  evaluate(input) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const { drain } = decision;
    if (!drain.tooShort || drain.drainSeconds === undefined) return { status: 'clear' };
    return {
      status: 'active',
      summary: `Removed gateways stop after ${drain.drainSeconds} s, before the traces they hold are decided (decision_wait + DNS interval = ${drain.neededSeconds} s). Every scale-in breaks those traces. Set the gateways' preStop sleep to ${drain.preStopSeconds} s.`,
      evidence: [
        { label: 'Scale-in drain (scaleInDrain)', value: drain.drainSeconds, unit: 'seconds', threshold: { comparison: '<', value: drain.neededSeconds } },
        { label: 'decision_wait', value: drain.decisionWaitSeconds, unit: 'seconds' },
        { label: "Agents' DNS resolver interval", value: DNS_RESOLVER_INTERVAL_SECONDS, unit: 'seconds' },
        { label: 'preStop sleep to set', value: drain.preStopSeconds, unit: 'seconds' },
      ],
      scalerAction: describeGuardedAction(decision, input.advisory, guardActed(decision, 'drainTooShort')),
      checks: [
        `The gateway Deployment's \`lifecycle.preStop.sleep.seconds\`: at least ${drain.preStopSeconds}, and \`terminationGracePeriodSeconds\` above it so the collector can shut down after the sleep.`,
        "The trigger's `scaleInDrain`: the same value as the preStop sleep, so this check reads what the pods do.",
        "The trigger's `decisionWait`: the tail-sampling processor's `decision_wait`; a longer decision_wait needs a longer drain.",
      ],
    };
  },
};
