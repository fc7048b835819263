// Per-rule settings after the server config's `alerts.rules` overrides: validated once at start-up,
// with errors that name the field, and never a silent default for a value that was set.
import type { ServerConfig } from '../config/server-config.ts';
import { parseDurationSeconds } from '../config/duration.ts';
import { ScalerError } from '../errors.ts';
import { ALERT_RULE_NAMES, type AlertRule, type AlertRuleName } from './rules/alert-rule.ts';
import { ALERT_RULES } from './rules/rule-catalogue.ts';

/** Default upper bound of keepFiringFor when it follows `for` (a 15m `for` need not keep a fixed alert 15m). */
const MAX_DEFAULT_KEEP_FIRING_SECONDS = 300;

/** One enabled rule with its timing and threshold, as the state machine uses it. */
export interface ResolvedRule {
  readonly rule: AlertRule;
  /** The condition must hold this long before the alert fires. */
  readonly forSeconds: number;
  /** The condition must stay clear this long before a firing alert resolves. */
  readonly keepFiringForSeconds: number;
  /** Override ?? the rule's default; undefined for rules without a threshold or with a per-target default. */
  readonly threshold: number | undefined;
}

function invalid(field: string, message: string): ScalerError {
  return new ScalerError('INVALID_SERVER_CONFIG', `alerts.rules.${field} ${message}`);
}

function seconds(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const value = parseDurationSeconds(text);
  if (value === undefined) throw invalid(field, `must be a duration like "30s", "5m" or "1h", got "${text}"`);
  return value;
}

/** Enabled rules in message order. Throws ScalerError INVALID_SERVER_CONFIG naming the field to fix. */
export function resolveRuleSettings(overrides: ServerConfig['alerts']['rules']): readonly ResolvedRule[] {
  for (const name of Object.keys(overrides)) {
    if (!(ALERT_RULE_NAMES as readonly string[]).includes(name)) {
      throw invalid(name, `is not an alert rule; rules are: ${ALERT_RULE_NAMES.join(', ')}`);
    }
  }
  const resolved: ResolvedRule[] = [];
  for (const name of ALERT_RULE_NAMES) {
    const rule = ALERT_RULES[name];
    const override = overrides[name] ?? {};
    if (override.enabled === false) continue;
    const forSeconds = seconds(override.for, `${name}.for`) ?? rule.defaultForSeconds;
    const keepFiringForSeconds = seconds(override.keepFiringFor, `${name}.keepFiringFor`) ?? Math.min(forSeconds, MAX_DEFAULT_KEEP_FIRING_SECONDS);
    resolved.push({ rule, forSeconds, keepFiringForSeconds, threshold: resolveThreshold(name, rule, override.threshold) });
  }
  return resolved;
}

function resolveThreshold(name: AlertRuleName, rule: AlertRule, value: number | undefined): number | undefined {
  const spec = rule.threshold;
  if (spec === undefined) {
    if (value !== undefined) throw invalid(`${name}.threshold`, 'is not used by this rule (it follows the policy\'s own decision); remove it');
    return undefined;
  }
  if (value === undefined) return spec.defaultValue;
  const allowed = spec.orEqual ? value >= spec.above : value > spec.above;
  if (!Number.isFinite(value) || !allowed) {
    throw invalid(`${name}.threshold`, `must be a number ${spec.orEqual ? '≥' : '>'} ${spec.above} (${spec.meaning}), got ${value}`);
  }
  return value;
}
