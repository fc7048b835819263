// Dedupe stage (Alertmanager's needsUpdate): an alert is announced once when it fires, reminded
// after the repeat interval, and announced once more when it resolves, and only if its firing was.

/** What was last sent (or handed to the queue) for one alert key. */
export interface NotifyRecord {
  readonly status: 'firing' | 'resolved';
  readonly atMs: number;
}

export type NotifyVerdict =
  | { readonly send: true; readonly why: 'new' | 'repeat' | 'resolved' }
  | { readonly send: false; readonly why: 'already-notified' | 'never-notified' };

/** Whether the alert's current status needs a message, given what was last notified for its key. */
export function needsNotify(previous: NotifyRecord | undefined, current: 'firing' | 'resolved', nowMs: number, repeatIntervalMs: number): NotifyVerdict {
  if (current === 'resolved') {
    if (previous === undefined) return { send: false, why: 'never-notified' };
    return previous.status === 'firing' ? { send: true, why: 'resolved' } : { send: false, why: 'already-notified' };
  }
  if (previous === undefined || previous.status === 'resolved') return { send: true, why: 'new' };
  return nowMs - previous.atMs >= repeatIntervalMs ? { send: true, why: 'repeat' } : { send: false, why: 'already-notified' };
}
