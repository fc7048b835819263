// The alert state machine, pure: (previous state, one observation, now) → (next state, transitions).
// An alert is pending while its condition holds for less than `for`, firing after, and resolves once
// the condition has stayed clear for `keepFiringFor`; a single bad or good sample changes nothing a
// person sees. "Unknown" (inputs missing) neither advances nor resolves an alert.
import type { TargetRef } from '../signals/signal-snapshot.ts';
import type { ResolvedRule } from './rule-settings.ts';
import type { AlertDetails, AlertInput, AlertRuleName, AlertSeverity, RuleObservation } from './rules/alert-rule.ts';
import { describeFailedEvaluation, describeScalerAction } from './rules/scaler-action.ts';

/**
 * Two active samples further apart than this (or than `for`, if longer) do not make a continuous
 * condition: after a long gap without a decision, one bad sample restarts the pending period.
 */
export const MIN_CONTINUITY_GAP_SECONDS = 60;

export interface AlertState {
  /** Stable across restarts and decisions: "namespace/name:rule". */
  readonly key: string;
  readonly rule: AlertRuleName;
  readonly title: string;
  readonly severity: AlertSeverity;
  readonly target: TargetRef;
  readonly advisory: boolean;
  readonly phase: 'pending' | 'firing';
  /** When the condition started to hold (continuously). */
  readonly activeSinceMs: number;
  readonly lastActiveAtMs: number;
  readonly firedAtMs: number | undefined;
  /** Firing, but the condition has been clear since then (waiting for keepFiringFor). */
  readonly clearSinceMs: number | undefined;
  readonly forSeconds: number;
  /** From the latest observation where the condition held. */
  readonly details: AlertDetails;
}

export type AlertTransition =
  | { readonly kind: 'firing'; readonly alert: AlertState; readonly atMs: number }
  | {
      readonly kind: 'resolved';
      readonly alert: AlertState;
      readonly atMs: number;
      /** What the scaler does now, or why the alert ended without a decision. */
      readonly currentAction: string;
    };

/** The stable key of one target's alert of one rule. */
export function alertKey(target: TargetRef, rule: AlertRuleName): string {
  return `${target.namespace}/${target.name}:${rule}`;
}

interface StepContext {
  readonly rule: ResolvedRule;
  readonly target: TargetRef;
  readonly advisory: boolean;
  /** What the scaler did at this observation, for resolved messages. */
  readonly currentAction: string;
}

/** One rule's alert after one observation. */
export function stepAlert(
  previous: AlertState | undefined,
  observation: RuleObservation,
  context: StepContext,
  nowMs: number,
): { readonly next: AlertState | undefined; readonly transition: AlertTransition | undefined } {
  const { rule } = context;
  const forMs = rule.forSeconds * 1000;
  if (observation.status === 'unknown') return { next: previous, transition: undefined };
  if (observation.status === 'clear') {
    if (previous === undefined || previous.phase === 'pending') return { next: undefined, transition: undefined };
    const clearSinceMs = previous.clearSinceMs ?? nowMs;
    if (nowMs - clearSinceMs >= rule.keepFiringForSeconds * 1000) {
      return { next: undefined, transition: { kind: 'resolved', alert: previous, atMs: nowMs, currentAction: context.currentAction } };
    }
    return { next: { ...previous, clearSinceMs }, transition: undefined };
  }
  const { status: _status, severity, ...details } = observation;
  const maxGapMs = Math.max(forMs, MIN_CONTINUITY_GAP_SECONDS * 1000);
  const continuous = previous !== undefined && (previous.phase === 'firing' || nowMs - previous.lastActiveAtMs <= maxGapMs);
  const activeSinceMs = continuous ? previous.activeSinceMs : nowMs;
  const base = {
    key: alertKey(context.target, rule.rule.name),
    rule: rule.rule.name,
    title: rule.rule.title,
    severity: severity ?? rule.rule.severity,
    target: context.target,
    advisory: context.advisory,
    activeSinceMs,
    lastActiveAtMs: nowMs,
    clearSinceMs: undefined,
    forSeconds: rule.forSeconds,
    details,
  };
  if (continuous && previous.phase === 'firing') {
    return { next: { ...base, phase: 'firing', firedAtMs: previous.firedAtMs }, transition: undefined };
  }
  if (nowMs - activeSinceMs >= forMs) {
    const next: AlertState = { ...base, phase: 'firing', firedAtMs: nowMs };
    return { next, transition: { kind: 'firing', alert: next, atMs: nowMs } };
  }
  return { next: { ...base, phase: 'pending', firedAtMs: undefined }, transition: undefined };
}

/** One target's alerts, by rule; only pending and firing alerts are kept. */
export type TargetAlerts = ReadonlyMap<AlertRuleName, AlertState>;

/** What the scaler did at this observation, in one sentence. */
export function describeObservation(input: AlertInput): string {
  const { observation } = input;
  return observation.kind === 'decision'
    ? describeScalerAction(observation.decision, input.advisory)
    : describeFailedEvaluation(observation.error, input.advisory);
}

/** Every enabled rule on one observation of a target. */
export function evaluateTargetAlerts(
  previous: TargetAlerts,
  input: AlertInput,
  rules: readonly ResolvedRule[],
  nowMs: number,
): { readonly next: TargetAlerts; readonly transitions: readonly AlertTransition[]; readonly conditions: readonly RuleCondition[] } {
  const next = new Map<AlertRuleName, AlertState>();
  const transitions: AlertTransition[] = [];
  const conditions: RuleCondition[] = [];
  const context = { target: input.target, advisory: input.advisory, currentAction: describeObservation(input) };
  for (const rule of rules) {
    const observation = rule.rule.evaluate(input, { threshold: rule.threshold });
    const step = stepAlert(previous.get(rule.rule.name), observation, { ...context, rule }, nowMs);
    if (step.next) next.set(rule.rule.name, step.next);
    if (step.transition) transitions.push(step.transition);
    if (observation.status !== 'unknown') {
      conditions.push({ rule: rule.rule.name, severity: observation.status === 'active' ? (observation.severity ?? rule.rule.severity) : rule.rule.severity, holds: observation.status === 'active' });
    }
  }
  return { next, transitions, conditions };
}

/**
 * Whether a rule's condition holds at this observation, before any `for` wait: what the scaler exports
 * (otel_gateway_scaler_alert_condition) for the PrometheusRule to wait and alert on. Rules that cannot
 * tell ("unknown") report nothing, so the exported value stays where it was.
 */
export interface RuleCondition {
  readonly rule: AlertRuleName;
  readonly severity: AlertSeverity;
  readonly holds: boolean;
}

/** A target no longer evaluated (forgotten by the advisor): its firing alerts resolve with that reason. */
export function forgetTargetAlerts(previous: TargetAlerts, nowMs: number): readonly AlertTransition[] {
  const transitions: AlertTransition[] = [];
  for (const alert of previous.values()) {
    if (alert.phase !== 'firing') continue;
    transitions.push({ kind: 'resolved', alert, atMs: nowMs, currentAction: 'The target is no longer evaluated (its ScaledObject stopped polling or was removed).' });
  }
  return transitions;
}
