// End to end through the real parts: the Advisor (as the DecisionLog) running the real decide(),
// alerting subscribed to it, and a local HTTP receiver standing in for Slack.
import { afterEach, describe, expect, it } from 'vitest';
import { Advisor } from '../../src/advisor/advisor.ts';
import { type Alerting, createAlerting } from '../../src/alerts/create-alerting.ts';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { ScalerError } from '../../src/errors.ts';
import type { SignalName, SignalSnapshot, SignalSource } from '../../src/signals/signal-snapshot.ts';
import { captureLog, recordingObserver } from './capture.ts';
import { snapshot, TARGET } from './decision-fixture.ts';
import { type SlackReceiver, startSlackReceiver } from './slack-receiver.ts';

const start = Date.parse('2024-05-06T08:00:00Z');
const metadata = { gatewaySelector: 'job="otel-gateway"' };

/** What the gateways report at the moment of the next read. */
let reading: { atMs: number; signals: Partial<Record<SignalName, number>> } | 'prometheus-down' = { atMs: start, signals: {} };
const source: SignalSource = {
  async read(): Promise<SignalSnapshot> {
    if (reading === 'prometheus-down') throw new ScalerError('PROMETHEUS_UNAVAILABLE', 'Prometheus "default" at http://prometheus:9090 did not answer within 2000 ms');
    return snapshot({ at: reading.atMs, signals: reading.signals });
  },
};

let receiver: SlackReceiver | undefined;
let alerting: Alerting | undefined;
afterEach(async () => {
  await alerting?.stop();
  await receiver?.close();
});

async function poll(advisor: Advisor, atMs: number, signals: Partial<Record<SignalName, number>> | 'prometheus-down'): Promise<void> {
  reading = signals === 'prometheus-down' ? signals : { atMs, signals };
  await advisor.evaluate(TARGET, metadata, atMs).catch((error: unknown) => {
    if (!(error instanceof ScalerError)) throw error;
  });
}

describe('Advisor → alerting → Slack', () => {
  it('the policy holding on a failing backend pages once; Prometheus going away pages as missing data', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const advisor = new Advisor({ sourceFor: () => source, targetDefaults: {}, forgetAfterSeconds: 3600, maxTargets: 10, historyLength: 100 });
    alerting = createAlerting({
      config: parseServerConfig({ alerts: { slack: { webhookUrlEnv: 'SLACK_URL', groupWait: '20ms' }, rules: { backendBottleneck: { for: '1m' }, dataMissing: { for: '1m' } } } }).alerts,
      decisionLog: advisor,
      logger: captureLog().logger,
      observer: recordingObserver(),
      dashboardBaseUrl: undefined,
      clock: () => Date.now(),
      random: () => 0.5,
      env: { SLACK_URL: receiver.url },
      timing: { errorSweepIntervalMs: 5, minSendIntervalMs: 0 },
    });
    const failingBackend = { sendFailedSpansPerSecond: 16_000, sentSpansPerSecond: 34_000, queueFillMax: 0.9, queueFillMean: 0.85 };
    for (let step = 0; step <= 3; step++) await poll(advisor, start + step * 30_000, failingBackend);
    await alerting.idle();
    expect(advisor.target(TARGET)?.latest?.guards.map((guard) => guard.name)).toContain('backendBottleneck');
    expect(receiver.requests.map((request) => request.body.text)).toEqual(['observability/otel-gateway: firing: Backend bottleneck: scaling suppressed (critical)']);

    for (let step = 4; step <= 7; step++) {
      const atMs = start + step * 30_000;
      await poll(advisor, atMs, 'prometheus-down');
      await new Promise<void>((resolve) => {
        const check = () => (alerting!.activeAlerts().some((alert) => alert.rule === 'dataMissing' && alert.lastActiveAtMs === atMs) ? resolve() : setTimeout(check, 5));
        check();
      });
    }
    await alerting.idle();
    expect(receiver.requests.map((request) => request.body.text)).toEqual([
      'observability/otel-gateway: firing: Backend bottleneck: scaling suppressed (critical)',
      'observability/otel-gateway: firing: Signals missing or Prometheus unreachable (critical)',
    ]);
    // The backend alert neither resolved nor re-sent while there were no decisions to judge it by.
    expect(alerting.activeAlerts().find((alert) => alert.rule === 'backendBottleneck')?.phase).toBe('firing');
  });
});
