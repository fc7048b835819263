// Real pino writing into memory, and an observer that records every event: what tests read to see
// what alerting reported, exactly as an operator's log pipeline and metrics would see it.
import { pino } from 'pino';
import type { AlertingObserver, AlertLogger } from '../../src/alerts/alerting-observer.ts';

export interface CapturedLog {
  readonly logger: AlertLogger;
  /** Raw JSON lines as pino wrote them. */
  readonly lines: string[];
  entries(): { level: number; msg: string; [field: string]: unknown }[];
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line)) };
}

export type ObservedEvent = { readonly kind: keyof AlertingObserver; readonly event: unknown };

export function recordingObserver(): AlertingObserver & { readonly events: ObservedEvent[]; of<K extends keyof AlertingObserver>(kind: K): Parameters<AlertingObserver[K]>[0][] } {
  const events: ObservedEvent[] = [];
  const record =
    (kind: keyof AlertingObserver) =>
    (event: unknown): void => {
      events.push({ kind, event });
    };
  return {
    events,
    onAlertTransition: record('onAlertTransition'),
    onNotification: record('onNotification'),
    onDeliveryAttemptFailure: record('onDeliveryAttemptFailure'),
    onQueueDrop: record('onQueueDrop'),
    onQueueDepth: record('onQueueDepth'),
    onRuleConditions: record('onRuleConditions'),
    of(kind) {
      return events.filter((entry) => entry.kind === kind).map((entry) => entry.event) as never;
    },
  };
}
