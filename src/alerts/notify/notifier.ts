// The notification pipeline: dedupe → group (per target, group wait) → bounded queue → rate limit →
// retry → send. `offer` is all the decision path calls: synchronous, no I/O, no waiting on Slack.
import { targetKey } from '../../signals/signal-snapshot.ts';
import type { AlertingObserver, AlertLogger } from '../alerting-observer.ts';
import type { AlertState } from '../alert-state.ts';
import type { AlertNotice, GroupSender, NotificationGroup, SendOutcome } from './alert-notice.ts';
import { BoundedQueue } from './bounded-queue.ts';
import { addToGroups, type GroupBuffer, nextDueAtMs, takeDueGroups } from './group-buffer.ts';
import { needsNotify, type NotifyRecord } from './needs-notify.ts';
import { type RateLimitState, rateLimitWaitMs } from './rate-limit.ts';
import { type DeliveryResult, deliverWithRetry, type RetryPolicy } from './retry.ts';
import { abortableSleep } from './sleep.ts';

export interface NotifierTuning {
  readonly groupWaitMs: number;
  readonly repeatIntervalMs: number;
  readonly queueCapacity: number;
  readonly minSendIntervalMs: number;
  readonly retry: RetryPolicy;
}

export interface NotifierDeps {
  readonly send: GroupSender;
  readonly logger: AlertLogger;
  readonly observer: AlertingObserver;
  readonly clock: () => number;
  readonly random: () => number;
}

/** An alert's current status, offered after every evaluation; dedupe decides whether it is sent. */
export type NoticeCandidate =
  | { readonly kind: 'firing'; readonly alert: AlertState; readonly atMs: number }
  | { readonly kind: 'resolved'; readonly alert: AlertState; readonly atMs: number; readonly currentAction: string };

export interface Notifier {
  /** Decision path: dedupe and buffer. Never throws, never waits. */
  offer(candidates: readonly NoticeCandidate[]): void;
  /** Resolves when nothing is buffered, queued or being sent. */
  idle(): Promise<void>;
  /** Stops timers and in-flight sends; undelivered messages are logged and discarded. */
  stop(): Promise<void>;
}

interface RecordWrite {
  readonly key: string;
  readonly written: NotifyRecord;
  readonly previous: NotifyRecord | undefined;
}

interface QueuedMessage {
  readonly group: NotificationGroup;
  readonly writes: readonly RecordWrite[];
}

function describeGroup(group: NotificationGroup): Record<string, unknown> {
  return { target: targetKey(group.target), alerts: group.notices.map((notice) => `${notice.alert.rule}:${notice.kind}`) };
}

/** Builds the pipeline; nothing runs until something is offered. */
export function createNotifier(tuning: NotifierTuning, deps: NotifierDeps): Notifier {
  const { logger, observer, clock } = deps;
  const notifyLog = new Map<string, NotifyRecord>();
  /** Notify-log writes of notices still in the group buffer, per alert key, oldest first. */
  const bufferedWrites = new Map<string, RecordWrite[]>();
  const queue = new BoundedQueue<QueuedMessage>(tuning.queueCapacity);
  const stopping = new AbortController();
  let groups: GroupBuffer = new Map();
  let groupTimer: ReturnType<typeof setTimeout> | undefined;
  let draining: Promise<void> | undefined;
  let rateState: RateLimitState = { lastAttemptAtMs: undefined, pausedUntilMs: undefined };
  let idleWaiters: (() => void)[] = [];

  function isIdle(): boolean {
    return groups.size === 0 && queue.size === 0 && draining === undefined;
  }

  function settleIdle(): void {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Undo this message's log writes (those not overwritten since) so the next evaluation offers them again. */
  function rollback(message: QueuedMessage): void {
    for (const write of [...message.writes].reverse()) {
      if (notifyLog.get(write.key) !== write.written) continue;
      if (write.previous === undefined) notifyLog.delete(write.key);
      else notifyLog.set(write.key, write.previous);
    }
  }

  function scheduleFlush(): void {
    if (groupTimer !== undefined || stopping.signal.aborted) return;
    const dueAtMs = nextDueAtMs(groups, tuning.groupWaitMs);
    if (dueAtMs === undefined) return;
    groupTimer = setTimeout(flush, Math.max(0, dueAtMs - clock()));
  }

  function flush(): void {
    groupTimer = undefined;
    const { due, remaining } = takeDueGroups(groups, clock(), tuning.groupWaitMs);
    groups = remaining;
    for (const group of due) {
      const writes = group.notices.flatMap((notice) => bufferedWrites.get(notice.alert.key) ?? []);
      for (const notice of group.notices) bufferedWrites.delete(notice.alert.key);
      const dropped = queue.push({ group: { target: group.target, notices: group.notices }, writes });
      if (dropped) {
        rollback(dropped);
        observer.onQueueDrop({ droppedTotal: queue.droppedTotal });
        logger.warn({ ...describeGroup(dropped.group), droppedTotal: queue.droppedTotal, queueCapacity: tuning.queueCapacity }, 'alert queue full: dropped the oldest message');
      }
    }
    observer.onQueueDepth(queue.size);
    scheduleFlush();
    startDraining();
    settleIdle();
  }

  function startDraining(): void {
    if (draining !== undefined || queue.size === 0 || stopping.signal.aborted) return;
    draining = drain().finally(() => {
      draining = undefined;
      settleIdle();
    });
  }

  async function attempt(group: NotificationGroup, timeoutMs: number): Promise<SendOutcome> {
    const waitMs = rateLimitWaitMs(rateState, clock(), tuning.minSendIntervalMs);
    if (waitMs > 0) await abortableSleep(waitMs, stopping.signal);
    rateState = { ...rateState, lastAttemptAtMs: clock() };
    return deps.send(group, { timeoutMs, signal: stopping.signal });
  }

  function finish(message: QueuedMessage, result: DeliveryResult): void {
    const fields = { ...describeGroup(message.group), attempts: result.attempts };
    if (result.kind === 'delivered') {
      observer.onNotification({ outcome: 'delivered', reason: undefined, attempts: result.attempts, alerts: message.group.notices.length });
      logger.info(fields, 'alert notification delivered');
      return;
    }
    rollback(message);
    if (result.kind === 'cancelled') {
      logger.warn(fields, 'alert notification cancelled: alerting is stopping');
      return;
    }
    observer.onNotification({ outcome: 'failed', reason: result.reason, attempts: result.attempts, alerts: message.group.notices.length });
    logger.error({ ...fields, reason: result.reason, gaveUp: result.gaveUp, detail: result.detail }, 'alert notification not delivered');
  }

  async function drain(): Promise<void> {
    for (let message = queue.shift(); message !== undefined; message = queue.shift()) {
      observer.onQueueDepth(queue.size);
      const current = message;
      const result = await deliverWithRetry((timeoutMs) => attempt(current.group, timeoutMs), tuning.retry, {
        clock,
        random: deps.random,
        sleep: abortableSleep,
        signal: stopping.signal,
        onAttemptFailed(outcome, attemptNumber, retryInMs) {
          if (outcome.reason === 'rate-limited' && outcome.retryAfterMs !== undefined) {
            rateState = { ...rateState, pausedUntilMs: clock() + outcome.retryAfterMs };
          }
          observer.onDeliveryAttemptFailure({ reason: outcome.reason, status: outcome.status });
          if (retryInMs !== undefined) {
            logger.warn({ ...describeGroup(current.group), attempt: attemptNumber, reason: outcome.reason, detail: outcome.detail, retryInMs }, 'alert notification attempt failed; retrying');
          }
        },
      });
      finish(current, result);
      if (stopping.signal.aborted) return;
    }
  }

  function offerOne(candidate: NoticeCandidate): void {
    const { key } = candidate.alert;
    const verdict = needsNotify(notifyLog.get(key), candidate.kind, candidate.atMs, tuning.repeatIntervalMs);
    if (!verdict.send) return;
    const written: NotifyRecord = { status: candidate.kind, atMs: candidate.atMs };
    const write: RecordWrite = { key, written, previous: notifyLog.get(key) };
    notifyLog.set(key, written);
    bufferedWrites.set(key, [...(bufferedWrites.get(key) ?? []), write]);
    const notice: AlertNotice =
      candidate.kind === 'firing'
        ? { kind: 'firing', repeat: verdict.why === 'repeat', alert: candidate.alert, atMs: candidate.atMs }
        : { kind: 'resolved', alert: candidate.alert, atMs: candidate.atMs, currentAction: candidate.currentAction };
    groups = addToGroups(groups, notice, clock());
  }

  return {
    offer(candidates) {
      if (stopping.signal.aborted) return;
      try {
        for (const candidate of candidates) offerOne(candidate);
        scheduleFlush();
      } catch (error) {
        logger.error({ error: (error as Error).message }, 'alert notification could not be queued');
      }
    },
    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopping.abort();
      if (groupTimer !== undefined) clearTimeout(groupTimer);
      groupTimer = undefined;
      await draining;
      const undelivered = [...groups.values()].length + queue.drain().length;
      groups = new Map();
      bufferedWrites.clear();
      if (undelivered > 0) logger.warn({ undelivered }, 'alerting stopped with undelivered messages');
      settleIdle();
    },
  };
}
