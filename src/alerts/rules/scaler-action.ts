// Every alert says what the scaler did about the situation; these sentences come from the Decision
// (or the failed evaluation) so a message never claims an action the scaler did not take.
import type { Decision, GuardAction, GuardName } from '../../policy/decision.ts';
import { insideHpaTolerance } from '../../policy/guards.ts';
import type { EvaluationFailure } from './alert-rule.ts';

/** "1 replica", "6 replicas". */
export function replicasText(count: number): string {
  return `${count} ${count === 1 ? 'replica' : 'replicas'}`;
}

/** The guard of this name in the decision, if it acted. */
export function guardActed(decision: Decision, name: GuardName): GuardAction | undefined {
  return decision.guards.find((guard) => guard.name === name);
}

/** One sentence: what the scaler answered, in the words of its mode (advisory targets only recommend). */
export function describeScalerAction(decision: Decision, advisory: boolean): string {
  const { recommended, current } = decision;
  // A change the HPA ignores changes nothing: say it held, and why, as the decision's summary does.
  if (decision.withinHpaTolerance) {
    const why = insideHpaTolerance(recommended);
    return advisory ? `Advisory only: recommends keeping ${replicasText(current)} (${why}); nothing was changed.` : `Held at ${replicasText(current)}: ${why}, so the HPA does not act on it.`;
  }
  if (advisory) {
    return recommended === current
      ? `Advisory only: recommends keeping ${replicasText(current)}; nothing was changed.`
      : `Advisory only: recommends ${replicasText(recommended)} (running ${current}); nothing was changed.`;
  }
  if (recommended > current) return `Asked KEDA for ${replicasText(recommended)} (running ${current}).`;
  if (recommended < current) return `Asked KEDA to scale in to ${replicasText(recommended)} (running ${current}).`;
  return `Held at ${replicasText(current)}.`;
}

/** The same sentence followed by the reason of the guard that shaped it. */
export function describeGuardedAction(decision: Decision, advisory: boolean, guard: GuardAction | undefined): string {
  const action = describeScalerAction(decision, advisory);
  return guard ? `${action} The policy said: “${guard.reason}”` : action;
}

/** What happens when there is no decision at all. */
export function describeFailedEvaluation(error: EvaluationFailure, advisory: boolean): string {
  if (advisory) return `No recommendation: the evaluation failed with ${error.code}.`;
  return `No decision: GetMetrics answered KEDA with ${error.code}, so KEDA applies the ScaledObject's fallback replicas if one is set and otherwise keeps the current count.`;
}
