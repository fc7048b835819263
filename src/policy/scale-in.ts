// Guard 3, stateful scale-in: every ring change splits in-flight traces, so the tier steps in slowly.
// A step is taken only after every proposal has stayed below current for scaleInWindow; it is at most
// scaleInStep replicas; it is repeated until the HPA carries it out; and the next step waits a full
// window after that ring change. A gap in evaluations longer than staleAfter restarts the window
// (nobody watched the load in between), as does any proposal reaching current.
import type { PolicyContext } from './policy-context.ts';
import { NO_SCALE_IN, type PolicyState, type ScaleInState } from './policy-state.ts';
import type { GuardAction } from './decision.ts';
import { formatSeconds } from './format.ts';
import type { GuardResult } from './guards.ts';

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
export function isContinuous(ctx: PolicyContext, previous: PolicyState | undefined): previous is PolicyState {
  return previous !== undefined && ctx.nowMs - previous.evaluatedAtMs <= ctx.settings.staleAfterSeconds * 1000;
}

function stepsLeft(current: number, floor: number, scaleInStep: number): number {
  return Math.ceil((current - floor) / scaleInStep);
}

function stepAction(desired: number, to: number, reason: string): GuardAction {
  return { name: 'scaleInStep', effect: to === desired ? 'note' : 'limit', from: desired, to, reason };
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

  if (pending !== undefined && current === pending.fromReplicas && prior.windowStartMs !== undefined) {
    const to = Math.max(pending.toReplicas, floor);
    const progress = { step: prior.stepsTaken, of: prior.stepsTaken - 1 + stepsLeft(current, floor, settings.scaleInStep), belowForSeconds: (nowMs - prior.windowStartMs) / 1000 };
    const reason = `Step ${progress.step} of ${progress.of} (${current} → ${to}) repeats until the HPA carries it out.`;
    return {
      result: { replicas: to, action: stepAction(desired, to, reason) },
      state: { windowStartMs: prior.windowStartMs, pendingStep: { fromReplicas: current, toReplicas: to }, stepsTaken: prior.stepsTaken },
      progress,
    };
  }

  if (pending !== undefined && current <= pending.toReplicas) {
    const cause = `load fits ${floor}; the next scale-in step waits a full ${window} after the ring changed to ${current}`;
    const reason = `Ring changed to ${current}: the next step waits a full ${window} window so traces in flight are decided first.`;
    return {
      result: { replicas: current, action: { name: 'scaleInWindow', effect: 'hold', from: desired, to: current, reason }, cause },
      state: { windowStartMs: nowMs, pendingStep: undefined, stepsTaken: prior.stepsTaken },
      progress: undefined,
    };
  }

  // No step in progress, or the replica count moved some other way: (re)start or continue the window.
  const stepsTaken = pending === undefined ? prior.stepsTaken : 0;
  const windowStartMs = pending === undefined && prior.windowStartMs !== undefined ? prior.windowStartMs : nowMs;
  const elapsedMs = Math.max(0, nowMs - windowStartMs);
  if (elapsedMs < windowMs) {
    const target = Math.max(floor, current - settings.scaleInStep);
    const cause = `load fits ${floor}; scale-in waits ${formatSeconds((windowMs - elapsedMs) / 1000)} more of its ${window} window`;
    const reason = `Every proposal has stayed below ${current} for ${formatSeconds(elapsedMs / 1000)} of ${window}; then a step to ${target}.`;
    return {
      result: { replicas: current, action: { name: 'scaleInWindow', effect: 'hold', from: desired, to: current, reason }, cause },
      state: { windowStartMs, pendingStep: undefined, stepsTaken },
      progress: undefined,
    };
  }
  const to = Math.max(floor, current - settings.scaleInStep);
  const progress = { step: stepsTaken + 1, of: stepsTaken + stepsLeft(current, floor, settings.scaleInStep), belowForSeconds: elapsedMs / 1000 };
  const perStep = `${settings.scaleInStep} replica${settings.scaleInStep === 1 ? '' : 's'}`;
  const reason = `Step ${progress.step} of ${progress.of}: at most ${perStep} per ${window} window (${current} → ${to}, load fits ${floor}).`;
  return {
    result: { replicas: to, action: stepAction(desired, to, reason) },
    state: { windowStartMs, pendingStep: { fromReplicas: current, toReplicas: to }, stepsTaken: stepsTaken + 1 },
    progress,
  };
}
