// The alert rules as a Prometheus rule group, built from the same rule catalogue the scaler evaluates
// in process. Each alert reads otel_gateway_scaler_alert_condition, which every scaler replica exports
// for every target: `max by` folds the replicas into one series per target, so Prometheus raises one
// alert and Alertmanager sends one notification however many replicas run. The `for` and
// `keep_firing_for` are the catalogue's defaults (per-rule overrides in a server config apply to the
// in-process alerts only). Pure: `npm run rules:generate` writes the result to the Helm chart.
import { formatDuration } from '../config/duration.ts';
import { ALERT_RULE_NAMES, type AlertRuleName } from './rules/alert-rule.ts';
import { ALERT_RULES } from './rules/rule-catalogue.ts';

/** The series the rules read; defined in dashboard/self-metrics.ts. */
export const ALERT_CONDITION_METRIC = 'otel_gateway_scaler_alert_condition';

/** In-process alerts resolve once the condition stayed clear this long, at most (alerts.rules.*.keepFiringFor). */
const MAX_KEEP_FIRING_SECONDS = 300;

export interface PrometheusAlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly keep_firing_for?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PrometheusRuleFile {
  readonly groups: readonly { readonly name: string; readonly rules: readonly PrometheusAlertingRule[] }[];
}

/** `backendBottleneck` → `OtelGatewayScalerBackendBottleneck`. */
export function prometheusAlertName(rule: AlertRuleName): string {
  return `OtelGatewayScaler${rule[0]!.toUpperCase()}${rule.slice(1)}`;
}

function alertingRule(name: AlertRuleName): PrometheusAlertingRule {
  const rule = ALERT_RULES[name];
  const forSeconds = rule.defaultForSeconds;
  return {
    alert: prometheusAlertName(name),
    expr: `max by (namespace, name, severity, advisory) (${ALERT_CONDITION_METRIC}{rule="${name}"}) == 1`,
    ...(forSeconds > 0 ? { for: formatDuration(forSeconds), keep_firing_for: formatDuration(Math.min(forSeconds, MAX_KEEP_FIRING_SECONDS)) } : {}),
    labels: { rule: name },
    annotations: {
      summary: `${rule.title}: {{ $labels.namespace }}/{{ $labels.name }}`,
      description: `The scaler's ${name} rule holds for {{ $labels.namespace }}/{{ $labels.name }}${forSeconds > 0 ? ` for ${formatDuration(forSeconds)}` : ''}; its dashboard shows the evidence and what the scaler did.`,
      runbook: `docs/alerts.md#rules (${name})`,
    },
  };
}

/** Every catalogue rule as one Prometheus rule group. */
export function buildPrometheusRules(): PrometheusRuleFile {
  return { groups: [{ name: 'otel-gateway-scaler', rules: ALERT_RULE_NAMES.map(alertingRule) }] };
}
