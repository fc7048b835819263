// The contract every alert rule honours: a pure function from one observation of a target (a
// Decision, or a failed evaluation) to "the condition holds, with this evidence", "it does not", or
// "cannot tell". Rules know nothing of time, state, Slack or config files.
import type { TargetSettings } from '../../config/target-metadata.ts';
import type { ErrorCode } from '../../errors.ts';
import type { Decision, ForecastUse } from '../../policy/decision.ts';
import type { TargetRef } from '../../signals/signal-snapshot.ts';

/** Rule names as config spells them under `alerts.rules`; messages list alerts in this order. */
export const ALERT_RULE_NAMES = [
  'backendBottleneck',
  'backendCeiling',
  'dataMissing',
  'atMaxUnderPressure',
  'refusedSpans',
  'tracesDroppedTooEarly',
  'decisionLatencyHigh',
  'routingImbalance',
  'drainTooShort',
  'forecastMiss',
] as const;
export type AlertRuleName = (typeof ALERT_RULE_NAMES)[number];

/** critical: someone should look now; warning: look today. */
export type AlertSeverity = 'critical' | 'warning';

/** A forecast made earlier for the current moment (made at `madeAtMs` for `madeAtMs + leadTimeSeconds`). */
export interface ForecastDueNow {
  readonly madeAtMs: number;
  readonly forecast: ForecastUse;
}

/** The evaluation failure a DecisionLog record carries (`lastError`), as the rules see it. */
export interface EvaluationFailure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly atMs: number;
  /** The error catalogue's remedy for the code, looked up by the edge (rules import nothing with side effects). */
  readonly remedy: string;
}

/** What happened to the target at one moment: a decision was made, or the evaluation failed. */
export type TargetObservation =
  | { readonly kind: 'decision'; readonly decision: Decision; readonly forecastDueNow: ForecastDueNow | undefined }
  | { readonly kind: 'error'; readonly error: EvaluationFailure };

/** Everything a rule may look at; built by the alerting edge from a DecisionLog record. */
export interface AlertInput {
  readonly target: TargetRef;
  readonly settings: TargetSettings;
  /** Dry-run targets and advisory (config-declared) targets: the scaler only recommends. */
  readonly advisory: boolean;
  readonly observation: TargetObservation;
}

export type EvidenceUnit = 'spans/s' | 'traces/s' | 'traces' | 'replicas' | 'ms' | 'seconds' | 'ratio' | 'factor' | 'text';

/**
 * One number an alert shows: `threshold` when this rule compared it to one (its own config), or a
 * `reference` that puts it in context (a target setting, a capacity), in the same unit.
 */
export interface EvidenceItem {
  readonly label: string;
  readonly value: number | string;
  readonly unit: EvidenceUnit;
  readonly threshold?: { readonly comparison: '>' | '≥' | '<'; readonly value: number };
  readonly reference?: { readonly label: string; readonly value: number };
}

/** What a person reads about an active alert: what happened, the numbers, what the scaler did, what to check. */
export interface AlertDetails {
  readonly summary: string;
  readonly evidence: readonly EvidenceItem[];
  readonly scalerAction: string;
  readonly checks: readonly string[];
}

export type RuleObservation =
  /** `severity` overrides the rule's when the same rule covers situations of different urgency. */
  | ({ readonly status: 'active'; readonly severity?: AlertSeverity } & AlertDetails)
  | { readonly status: 'clear' }
  /** The inputs this rule needs were missing: keep the alert where it is (neither advance nor resolve). */
  | { readonly status: 'unknown'; readonly reason: string };

/** A rule's tunables after config overrides; `threshold` is undefined for rules that take none. */
export interface RuleThreshold {
  readonly threshold: number | undefined;
}

export interface AlertRule {
  readonly name: AlertRuleName;
  /** Title in messages, e.g. "Backend bottleneck". */
  readonly title: string;
  readonly severity: AlertSeverity;
  readonly defaultForSeconds: number;
  /**
   * Threshold semantics for config and docs/alerts.md; undefined when the rule takes no threshold
   * (then setting one in config is an error). `defaultValue` undefined = derived from the target.
   * Config values must be above `above` (or equal to it when `orEqual`).
   */
  readonly threshold:
    | { readonly meaning: string; readonly defaultValue: number | undefined; readonly above: number; readonly orEqual: boolean }
    | undefined;
  evaluate(input: AlertInput, tuning: RuleThreshold): RuleObservation;
}
