// What flows through the notification pipeline: one alert's firing or resolved notice, and the
// per-target group that becomes one Slack message.
import type { TargetRef } from '../../signals/signal-snapshot.ts';
import type { AlertState } from '../alert-state.ts';

/** A firing alert (first notice or a reminder after the repeat interval), or a resolved one. */
export type AlertNotice =
  | { readonly kind: 'firing'; readonly repeat: boolean; readonly alert: AlertState; readonly atMs: number }
  | { readonly kind: 'resolved'; readonly alert: AlertState; readonly atMs: number; readonly currentAction: string };

/** Notices of one target that went out together (within the group wait). */
export interface NotificationGroup {
  readonly target: TargetRef;
  readonly notices: readonly AlertNotice[];
}

/** Why a delivery attempt failed; each reason is a label value of the delivery-failure metric. */
export const DELIVERY_FAILURE_REASONS = ['rate-limited', 'client-error', 'server-error', 'timeout', 'network'] as const;
export type DeliveryFailureReason = (typeof DELIVERY_FAILURE_REASONS)[number];

/** One send attempt's outcome, as the sender reports it. */
export type SendOutcome =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'failed';
      readonly reason: DeliveryFailureReason;
      /** Safe to log: never contains the webhook URL. */
      readonly detail: string;
      readonly status: number | undefined;
      /** From a 429's Retry-After header. */
      readonly retryAfterMs: number | undefined;
    };

/** Sends one group; the notifier knows nothing of Slack. */
export type GroupSender = (group: NotificationGroup, options: { readonly timeoutMs: number; readonly signal: AbortSignal }) => Promise<SendOutcome>;
