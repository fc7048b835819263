// Guard 3, stateful scale-in: every ring change splits in-flight traces, so the tier steps in slowly.
// A step is taken only after every proposal has stayed below current for scaleInWindow; it is
// scaleInStep replicas (widened only as far as the HPA's tolerance requires for it to act at all); it
// is repeated, re-planned from the load's current needs, until the HPA carries it out; and the next
// step waits a full window after that ring change. A gap in evaluations longer than staleAfter restarts the window (nobody watched the load in
// between), as does any proposal reaching current.
import type { PolicyContext } from './policy-context.ts';
import { NO_SCALE_IN, type PendingScaleInStep, type PolicyState, type ScaleInState } from './policy-state.ts';
import type { GuardAction } from './decision.ts';
import { formatPercent, formatSeconds } from './format.ts';
import { type GuardResult, withinHpaTolerance } from './guards.ts';
import { HPA_TOLERANCE, nearestCountOutsideTolerance } from './hpa-tolerance.ts';

/** Which step of the current descent this is, counting steps already taken. */
export interface ScaleInProgress {
  readonly step: number;
  readonly of: number;
  /** How long every proposal has stayed below current. */
  readonly belowForSeconds: number;
}

export interface ScaleInOutcome {
  readonly result: GuardResult;
  readonly state: ScaleInState;
  /** Set when the outcome is a step (new or still awaiting the HPA). */
  readonly progress: ScaleInProgress | undefined;
}

/** True when the previous state is recent enough for its windows to continue. */
export function isContinuous(ctx: Pick<PolicyContext, 'nowMs' | 'settings'>, previous: PolicyState | undefined): previous is PolicyState {
  return previous !== undefined && ctx.nowMs - previous.evaluatedAtMs <= ctx.settings.staleAfterSeconds * 1000;
}

function stepsLeft(current: number, floor: number, scaleInStep: number): number {
  return Math.ceil((current - floor) / scaleInStep);
}

function stepAction(desired: number, to: number, reason: string): GuardAction {
  return { name: 'scaleInStep', effect: to === desired ? 'note' : 'limit', from: desired, to, reason };
}

/**
 * The count one step goes to: scaleInStep below current (not below `floor`), made larger when the HPA
 * would ignore it — with its default ±10 % tolerance a one-replica step from 10 or more replicas never
 * happens — as long as the larger step still fits the load.
 */
export function nextStepTarget(current: number, floor: number, scaleInStep: number): { readonly to: number; readonly widened: boolean } {
  const to = Math.max(floor, current - scaleInStep);
  if (!withinHpaTolerance(current, to)) return { to, widened: false };
  const actionable = nearestCountOutsideTolerance(current, to);
  return actionable >= floor ? { to: actionable, widened: true } : { to, widened: false };
}

/**
 * A pending step planned again from the current floor: as wide as the HPA's tolerance requires and the
 * load now allows, never narrower than planned (the HPA may already be carrying it out), never below the floor.
 */
export function replannedStepTarget(pending: PendingScaleInStep, floor: number, scaleInStep: number): number {
  const replanned = nextStepTarget(pending.fromReplicas, floor, scaleInStep).to;
  return Math.max(floor, Math.min(pending.toReplicas, replanned));
}

function holdAction(desired: number, current: number, reason: string): GuardAction {
  return { name: 'scaleInWindow', effect: 'hold', from: desired, to: current, reason };
}

/**
 * Applies the window and step to a desired count below current. `desired` is already past the
 * bottleneck and missing-data guards; below minReplicas counts as minReplicas (the clamp reports it).
 */
export function scaleInGuard(ctx: PolicyContext, desired: number, previous: PolicyState | undefined): ScaleInOutcome {
  const { current, nowMs, settings } = ctx;
  const floor = Math.max(desired, settings.minReplicas);
  if (floor >= current) return { result: { replicas: desired, action: undefined }, state: NO_SCALE_IN, progress: undefined };
  const windowMs = settings.scaleInWindowSeconds * 1000;
  const window = formatSeconds(settings.scaleInWindowSeconds);
  const prior = isContinuous(ctx, previous) ? previous.scaleIn : NO_SCALE_IN;
  const pending = prior.pendingStep;

  // A step decided earlier that the HPA has not finished: keep asking for it, re-planned from what the
  // load needs now (a step the HPA ignored because the load then allowed no wider one widens once the
  // load falls further), unless the HPA moved part of the way and the rest is inside its tolerance (it
  // will go no further: the step is as done as it gets).
  if (pending !== undefined && prior.windowStartMs !== undefined && current <= pending.fromReplicas && current > pending.toReplicas) {
    const to = replannedStepTarget(pending, floor, settings.scaleInStep);
    const stalled = current < pending.fromReplicas && withinHpaTolerance(current, to);
    if (!stalled) {
      const stepSize = pending.fromReplicas - pending.toReplicas;
      const progress = { step: prior.stepsTaken, of: prior.stepsTaken - 1 + stepsLeft(current, floor, stepSize), belowForSeconds: (nowMs - prior.windowStartMs) / 1000 };
      const reason = `Step ${progress.step} of ${progress.of} (${pending.fromReplicas} → ${to}) repeats until the HPA carries it out.`;
      return {
        result: { replicas: to, action: stepAction(desired, to, reason) },
        state: { windowStartMs: prior.windowStartMs, windowReplicas: prior.windowReplicas, pendingStep: { fromReplicas: pending.fromReplicas, toReplicas: to }, stepsTaken: prior.stepsTaken },
        progress,
      };
    }
  }

  if (pending !== undefined && current < pending.fromReplicas) {
    const cause = `load fits ${floor}; the next scale-in step waits a full ${window} after the ring changed to ${current}`;
    const reason = `Ring changed to ${current}: the next step waits a full ${window} window so traces in flight are decided first.`;
    return {
      result: { replicas: current, action: holdAction(desired, current, reason), cause },
      state: { windowStartMs: nowMs, windowReplicas: current, pendingStep: undefined, stepsTaken: prior.stepsTaken },
      progress: undefined,
    };
  }

  // No step in progress: continue the window if it was measured against this same count, else (a ring
  // change: the count rose, or moved without a step of ours) start it again.
  const continues = pending === undefined && prior.windowStartMs !== undefined && prior.windowReplicas === current;
  const stepsTaken = continues ? prior.stepsTaken : 0;
  const windowStartMs = continues ? prior.windowStartMs! : nowMs;
  const elapsedMs = Math.max(0, nowMs - windowStartMs);
  const next = nextStepTarget(current, floor, settings.scaleInStep);
  if (elapsedMs < windowMs) {
    const cause = `load fits ${floor}; scale-in waits ${formatSeconds((windowMs - elapsedMs) / 1000)} more of its ${window} window`;
    const reason = `Every proposal has stayed below ${current} for ${formatSeconds(elapsedMs / 1000)} of ${window}; then a step to ${next.to}.`;
    return {
      result: { replicas: current, action: holdAction(desired, current, reason), cause },
      state: { windowStartMs, windowReplicas: current, pendingStep: undefined, stepsTaken },
      progress: undefined,
    };
  }
  const stepSize = current - next.to;
  const progress = { step: stepsTaken + 1, of: stepsTaken + stepsLeft(current, floor, stepSize), belowForSeconds: elapsedMs / 1000 };
  const perStep = `${settings.scaleInStep} replica${settings.scaleInStep === 1 ? '' : 's'}`;
  const size = next.widened
    ? `a step of ${stepSize} instead of scaleInStep ${settings.scaleInStep}, because the HPA ignores changes within ±${formatPercent(HPA_TOLERANCE)} of ${current}`
    : `at most ${perStep} per ${window} window`;
  const reason = `Step ${progress.step} of ${progress.of} (${current} → ${next.to}, load fits ${floor}): ${size}.`;
  return {
    result: { replicas: next.to, action: stepAction(desired, next.to, reason) },
    state: { windowStartMs, windowReplicas: current, pendingStep: { fromReplicas: current, toReplicas: next.to }, stepsTaken: stepsTaken + 1 },
    progress,
  };
}
