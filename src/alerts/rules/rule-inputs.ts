// Small readers shared by the rules, so each rule states its condition and nothing else.
import type { Decision } from '../../policy/decision.ts';
import type { SignalName } from '../../signals/signal-snapshot.ts';
import type { RuleObservation } from './alert-rule.ts';

/** The measured value of a signal in the decision's snapshot; undefined when it was missing. */
export function signalValue(decision: Decision, name: SignalName): number | undefined {
  const reading = decision.snapshot.signals[name];
  return reading.kind === 'ok' ? reading.value : undefined;
}

/** A rule that needs a decision cannot judge a failed evaluation. */
export const NO_DECISION: RuleObservation = { status: 'unknown', reason: 'the evaluation failed; no decision to judge' };

/** The observation for a rule whose signal had no data. */
export function missingSignal(name: SignalName): RuleObservation {
  return { status: 'unknown', reason: `${name} was missing` };
}
