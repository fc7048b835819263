// The list of alert rules, in the order messages show them (most urgent situations first).
import type { AlertRule, AlertRuleName } from './alert-rule.ts';
import { atMaxUnderPressureRule } from './at-max-under-pressure.ts';
import { backendBottleneckRule } from './backend-bottleneck.ts';
import { backendCeilingRule } from './backend-ceiling.ts';
import { dataMissingRule } from './data-missing.ts';
import { decisionLatencyHighRule } from './decision-latency-high.ts';
import { drainTooShortRule } from './drain-too-short.ts';
import { forecastMissRule } from './forecast-miss.ts';
import { refusedSpansRule } from './refused-spans.ts';
import { routingImbalanceRule } from './routing-imbalance.ts';
import { tracesDroppedTooEarlyRule } from './traces-dropped-too-early.ts';

/** Every rule, keyed by the name config uses under `alerts.rules`. */
export const ALERT_RULES: Readonly<Record<AlertRuleName, AlertRule>> = {
  backendBottleneck: backendBottleneckRule,
  backendCeiling: backendCeilingRule,
  dataMissing: dataMissingRule,
  atMaxUnderPressure: atMaxUnderPressureRule,
  refusedSpans: refusedSpansRule,
  tracesDroppedTooEarly: tracesDroppedTooEarlyRule,
  decisionLatencyHigh: decisionLatencyHighRule,
  routingImbalance: routingImbalanceRule,
  drainTooShort: drainTooShortRule,
  forecastMiss: forecastMissRule,
};
