// The notification pipeline end to end: real sender, real Block Kit messages, a real HTTP receiver
// on 127.0.0.1 standing in for Slack.
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/alerts/alert-state.ts';
import { createNotifier, type NoticeCandidate, type Notifier, type NotifierTuning } from '../../../src/alerts/notify/notifier.ts';
import { webhookRedactor } from '../../../src/alerts/redact.ts';
import { buildSlackMessage } from '../../../src/alerts/slack/slack-message.ts';
import { createSlackSender } from '../../../src/alerts/slack/slack-sender.ts';
import { freePort } from '../../support/free-port.ts';
import { captureLog, recordingObserver } from '../capture.ts';
import { firingAlerts, TARGET } from '../decision-fixture.ts';
import { type ReceiverAnswer, SECRET_PATH, type SlackReceiver, startSlackReceiver } from '../slack-receiver.ts';

const at = Date.parse('2024-05-06T08:42:00Z');
const fast: NotifierTuning = {
  groupWaitMs: 20,
  repeatIntervalMs: 4 * 3_600_000,
  queueCapacity: 100,
  minSendIntervalMs: 0,
  retry: { attemptTimeoutMs: 2000, deadlineMs: 10_000, baseDelayMs: 20, maxDelayMs: 200 },
};

let receiver: SlackReceiver | undefined;
let notifier: Notifier | undefined;
afterEach(async () => {
  await notifier?.stop();
  await receiver?.close();
  notifier = undefined;
  receiver = undefined;
});

function pipeline(url: string, tuning: Partial<NotifierTuning> = {}, clock: () => number = () => Date.now()) {
  const log = captureLog();
  const observer = recordingObserver();
  const send = createSlackSender(url, webhookRedactor(url), () => Date.now());
  // When each attempt starts: what the rate limiter controls, unlike arrival times at the receiver,
  // which a busy machine delays by different amounts.
  const attemptStartsMs: number[] = [];
  notifier = createNotifier(
    { ...fast, ...tuning },
    {
      send: (group, options) => {
        attemptStartsMs.push(Date.now());
        return send(buildSlackMessage(group, { dashboardBaseUrl: 'https://scaler.example.com' }), options);
      },
      logger: log.logger,
      observer,
      clock,
      random: () => 0.5,
    },
  );
  return { notifier, log, observer, attemptStartsMs };
}

async function withReceiver(script: readonly ReceiverAnswer[]): Promise<SlackReceiver> {
  receiver = await startSlackReceiver(script);
  return receiver;
}

function firing(alerts: readonly AlertState[], atMs = at): NoticeCandidate[] {
  return alerts.map((alert) => ({ kind: 'firing', alert, atMs }));
}

describe('notifier against a local Slack receiver', () => {
  it('200: one message per target with every alert that fired together', async () => {
    const slack = await withReceiver([{ status: 200 }]);
    const { notifier, observer } = pipeline(slack.url);
    notifier.offer(firing(firingAlerts(TARGET, at)));
    await notifier.idle();
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.body.text).toBe('observability/otel-gateway: firing: Backend bottleneck: scaling suppressed (critical); firing: Gateways refusing spans (warning)');
    expect(observer.of('onNotification')).toEqual([{ outcome: 'delivered', reason: undefined, attempts: 1, alerts: 2 }]);
  });

  it('429 with Retry-After: waits the given time before the next attempt, and tells why', async () => {
    const slack = await withReceiver([{ status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } }, { status: 200 }]);
    const { notifier, observer, log } = pipeline(slack.url);
    notifier.offer(firing(firingAlerts(TARGET, at)));
    await notifier.idle();
    expect(slack.requests).toHaveLength(2);
    // Timer resolution allows a millisecond or two early; the backoff alone would have been 15 ms.
    expect(slack.requests[1]!.atMs - slack.requests[0]!.atMs).toBeGreaterThanOrEqual(990);
    expect(observer.of('onDeliveryAttemptFailure')).toEqual([{ reason: 'rate-limited', status: 429 }]);
    expect(observer.of('onNotification')).toEqual([{ outcome: 'delivered', reason: undefined, attempts: 2, alerts: 2 }]);
    expect(log.entries().find((entry) => entry.msg.includes('retrying'))).toMatchObject({ reason: 'rate-limited', retryInMs: 1000, detail: 'HTTP 429: rate_limited' });
  });

  it('500s then success: retried with backoff, each failure counted as a server error', async () => {
    const slack = await withReceiver([{ status: 500 }, { status: 503 }, { status: 200 }]);
    const { notifier, observer } = pipeline(slack.url);
    notifier.offer(firing(firingAlerts(TARGET, at)));
    await notifier.idle();
    expect(slack.requests).toHaveLength(3);
    expect(observer.of('onDeliveryAttemptFailure')).toEqual([
      { reason: 'server-error', status: 500 },
      { reason: 'server-error', status: 503 },
    ]);
    expect(observer.of('onNotification')).toEqual([{ outcome: 'delivered', reason: undefined, attempts: 3, alerts: 2 }]);
  });

  it('timeouts: attempts are cut at the attempt timeout and the message is given up at the deadline', async () => {
    const slack = await withReceiver(['hang']);
    const { notifier, observer, log } = pipeline(slack.url, { retry: { attemptTimeoutMs: 150, deadlineMs: 1500, baseDelayMs: 20, maxDelayMs: 40 } });
    notifier.offer(firing(firingAlerts(TARGET, at)));
    await notifier.idle();
    expect(slack.requests.length).toBeGreaterThanOrEqual(2);
    expect(new Set(observer.of('onDeliveryAttemptFailure').map((event) => event.reason))).toEqual(new Set(['timeout']));
    expect(observer.of('onNotification')).toEqual([{ outcome: 'failed', reason: 'timeout', attempts: slack.requests.length, alerts: 2 }]);
    expect(log.entries().find((entry) => entry.msg === 'alert notification not delivered')).toMatchObject({ reason: 'timeout', gaveUp: 'deadline' });
  });

  it('a receiver that is down: network failures, given up, and offered again on the next evaluation', async () => {
    const url = `http://127.0.0.1:${await freePort()}${SECRET_PATH}`;
    // Waits of 1.5 s (random 0.5) against a 2.25 s deadline: exactly two attempts, the second with
    // 0.75 s left. A deadline that left the last attempt a few milliseconds cut a refused connection
    // short as a timeout whenever the machine was busy.
    const { notifier, observer } = pipeline(url, { retry: { attemptTimeoutMs: 1000, deadlineMs: 2250, baseDelayMs: 2000, maxDelayMs: 2000 } });
    const alerts = firingAlerts(TARGET, at);
    notifier.offer(firing(alerts));
    await notifier.idle();
    const [outcome] = observer.of('onNotification');
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'network', alerts: 2 });
    expect(outcome!.attempts).toBeGreaterThan(1);
    // The dedupe record was rolled back: the next evaluation's offer sends again.
    notifier.offer(firing(alerts, at + 30_000));
    await notifier.idle();
    expect(observer.of('onNotification')).toHaveLength(2);
  });

  it('a client error (revoked webhook) is not retried', async () => {
    const slack = await withReceiver([{ status: 404, body: 'no_service' }, { status: 200 }]);
    const { notifier, observer } = pipeline(slack.url);
    notifier.offer(firing(firingAlerts(TARGET, at)));
    await notifier.idle();
    expect(slack.requests).toHaveLength(1);
    expect(observer.of('onNotification')).toEqual([{ outcome: 'failed', reason: 'client-error', attempts: 1, alerts: 2 }]);
  });

  it('sends at most one message per second', async () => {
    const slack = await withReceiver([{ status: 200 }]);
    const { notifier, attemptStartsMs } = pipeline(slack.url, { minSendIntervalMs: 1000 });
    for (const name of ['gw-a', 'gw-b', 'gw-c']) notifier.offer(firing(firingAlerts({ namespace: 'obs', name }, at)));
    await notifier.idle();
    expect(slack.requests).toHaveLength(3);
    const times = attemptStartsMs;
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(990);
  });

  it('the queue is bounded: the oldest messages are dropped, counted and logged', async () => {
    const slack = await withReceiver([{ status: 200 }]);
    // The clock stands still while five targets are offered, so all five groups fall due in one flush.
    let nowMs = Date.now();
    const { notifier, observer, log } = pipeline(slack.url, { queueCapacity: 2 }, () => nowMs);
    const names = ['gw-1', 'gw-2', 'gw-3', 'gw-4', 'gw-5'];
    for (const name of names) notifier.offer(firing(firingAlerts({ namespace: 'obs', name }, at)));
    nowMs += fast.groupWaitMs;
    await notifier.idle();
    expect(observer.of('onQueueDrop')).toEqual([{ droppedTotal: 1 }, { droppedTotal: 2 }, { droppedTotal: 3 }]);
    expect(slack.requests.map((request) => request.body.text?.split(':')[0])).toEqual(['obs/gw-4', 'obs/gw-5']);
    expect(log.entries().filter((entry) => entry.msg.startsWith('alert queue full')).map((entry) => entry.target)).toEqual(['obs/gw-1', 'obs/gw-2', 'obs/gw-3']);
  });

  it('dedupes: a firing alert is sent once, reminded after the repeat interval, and resolved once', async () => {
    const slack = await withReceiver([{ status: 200 }]);
    const { notifier } = pipeline(slack.url, { repeatIntervalMs: 3_600_000 });
    const alerts = firingAlerts(TARGET, at);
    for (const offsetMs of [0, 30_000, 60_000]) {
      notifier.offer(firing(alerts, at + offsetMs));
      await notifier.idle();
    }
    notifier.offer(firing(alerts, at + 3_600_000));
    await notifier.idle();
    const resolved: NoticeCandidate[] = alerts.map((alert) => ({ kind: 'resolved', alert, atMs: at + 3_700_000, currentAction: 'Asked KEDA for 9 replicas (running 6).' }));
    notifier.offer(resolved);
    await notifier.idle();
    notifier.offer(resolved);
    await notifier.idle();
    expect(slack.requests.map((request) => request.body.text)).toEqual([
      'observability/otel-gateway: firing: Backend bottleneck: scaling suppressed (critical); firing: Gateways refusing spans (warning)',
      'observability/otel-gateway: still firing: Backend bottleneck: scaling suppressed (critical); still firing: Gateways refusing spans (warning)',
      'observability/otel-gateway: resolved: Backend bottleneck: scaling suppressed (critical); resolved: Gateways refusing spans (warning)',
    ]);
  });

  it('groups alerts of one target that fire within the group wait', async () => {
    const slack = await withReceiver([{ status: 200 }]);
    const { notifier } = pipeline(slack.url, { groupWaitMs: 1000 });
    const [backend, refused] = firingAlerts(TARGET, at);
    notifier.offer(firing([backend!]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    notifier.offer(firing([refused!]));
    await notifier.idle();
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.body.text).toContain('Backend bottleneck');
    expect(slack.requests[0]!.body.text).toContain('Gateways refusing spans');
  });

  it('stop() cancels a send that hangs instead of waiting for it', async () => {
    const slack = await withReceiver(['hang']);
    const { notifier, log } = pipeline(slack.url, { retry: { attemptTimeoutMs: 60_000, deadlineMs: 120_000, baseDelayMs: 20, maxDelayMs: 20 } });
    notifier.offer(firing(firingAlerts(TARGET, at)));
    await slack.waitForRequests(1);
    await notifier.stop();
    expect(log.entries().map((entry) => entry.msg)).toContain('alert notification cancelled: alerting is stopping');
  });
});
