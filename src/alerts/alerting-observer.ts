// The two outward hooks of alerting: an observer for self-metrics (the dashboard's prom-client
// subscribes) and a minimal logger (pino satisfies it). Both are injected; alerting owns neither.
import type { TargetRef } from '../signals/signal-snapshot.ts';
import type { RuleCondition } from './alert-state.ts';
import type { AlertRuleName, AlertSeverity } from './rules/alert-rule.ts';
import type { DeliveryFailureReason } from './notify/alert-notice.ts';

/**
 * Self-metrics of alerting. Suggested series: alerts_transitions_total{rule,severity,state,advisory},
 * alerts_notifications_total{outcome,reason}, alerts_delivery_attempt_failures_total{reason},
 * alerts_queue_dropped_total, alerts_queue_depth.
 */
export interface AlertingObserver {
  /** An alert started firing or resolved (before dedupe: every transition counts). */
  onAlertTransition(event: { readonly rule: AlertRuleName; readonly severity: AlertSeverity; readonly state: 'firing' | 'resolved'; readonly advisory: boolean }): void;
  /** One message's final outcome; `reason` is the last failure's when it was not delivered. */
  onNotification(event: { readonly outcome: 'delivered' | 'failed'; readonly reason: DeliveryFailureReason | undefined; readonly attempts: number; readonly alerts: number }): void;
  /** One HTTP attempt to Slack failed. */
  onDeliveryAttemptFailure(event: { readonly reason: DeliveryFailureReason; readonly status: number | undefined }): void;
  /** The queue was full and its oldest message was dropped. */
  onQueueDrop(event: { readonly droppedTotal: number }): void;
  onQueueDepth(depth: number): void;
  /** The rules' conditions at a target's latest observation, for the exported series the PrometheusRule reads. */
  onRuleConditions(event: { readonly target: TargetRef; readonly advisory: boolean; readonly conditions: readonly RuleCondition[] }): void;
}

/** An observer that records nothing, for callers without self-metrics. */
export const NOOP_ALERTING_OBSERVER: AlertingObserver = {
  onAlertTransition() {},
  onNotification() {},
  onDeliveryAttemptFailure() {},
  onQueueDrop() {},
  onQueueDepth() {},
  onRuleConditions() {},
};

/** Fields first, message second, as pino logs them. */
export type LogMethod = (fields: Readonly<Record<string, unknown>>, message: string) => void;

export interface AlertLogger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
}
