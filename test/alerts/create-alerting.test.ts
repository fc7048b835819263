// Alerting as main.ts wires it: a DecisionLog feeding decisions and failed evaluations, the server
// config schema, real pino, and a local HTTP receiver standing in for Slack.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Alerting, type AlertingOptions, createAlerting } from '../../src/alerts/create-alerting.ts';
import { parseServerConfig } from '../../src/config/server-config.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { ScalerError } from '../../src/errors.ts';
import { freePort } from '../support/free-port.ts';
import { captureLog, recordingObserver } from './capture.ts';
import { BACKEND_GUARD, decision, SETTINGS, TARGET } from './decision-fixture.ts';
import { MemoryDecisionLog } from './memory-decision-log.ts';
import { SECRET_PATH, type SlackReceiver, startSlackReceiver } from './slack-receiver.ts';

const start = Date.parse('2024-05-06T08:00:00Z');
const ENV_NAME = 'ALERTS_TEST_SLACK_WEBHOOK_URL';

let receiver: SlackReceiver | undefined;
let alerting: Alerting | undefined;
const tempDirs: string[] = [];
afterEach(async () => {
  await alerting?.stop();
  await receiver?.close();
  alerting = undefined;
  receiver = undefined;
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function alertsConfig(raw: Record<string, unknown>) {
  return parseServerConfig({ alerts: raw }).alerts;
}

function startAlerting(options: Partial<AlertingOptions> & Pick<AlertingOptions, 'config'>) {
  const log = captureLog();
  const observer = recordingObserver();
  const decisionLog = new MemoryDecisionLog();
  alerting = createAlerting({
    decisionLog,
    logger: log.logger,
    observer,
    dashboardBaseUrl: 'https://scaler.example.com',
    clock: () => Date.now(),
    random: () => 0.5,
    timing: { errorSweepIntervalMs: 10, minSendIntervalMs: 0, retry: { baseDelayMs: 20, maxDelayMs: 40 } },
    ...options,
  });
  return { alerting, log, observer, decisionLog };
}

/** Waits until `predicate` holds, checking every 5 ms. */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const slackConfig = (extra: Record<string, unknown> = {}) => ({ slack: { webhookUrlEnv: ENV_NAME, groupWait: '20ms', ...extra } });

describe('createAlerting', () => {
  it('a backend bottleneck held for `for` reaches Slack once, and its resolution once', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const { alerting, decisionLog, observer } = startAlerting({ config: alertsConfig({ ...slackConfig(), rules: { backendBottleneck: { for: '1m' } } }), env: { [ENV_NAME]: receiver.url } });
    for (let step = 0; step <= 4; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();
    for (let step = 5; step <= 10; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, recommended: 9 }));
    await alerting.idle();
    expect(receiver.requests.map((request) => request.body.text)).toEqual([
      'observability/otel-gateway: firing: Backend bottleneck: scaling suppressed (critical)',
      'observability/otel-gateway: resolved: Backend bottleneck: scaling suppressed (critical)',
    ]);
    expect(observer.of('onAlertTransition')).toEqual([
      { rule: 'backendBottleneck', severity: 'critical', state: 'firing', advisory: false },
      { rule: 'backendBottleneck', severity: 'critical', state: 'resolved', advisory: false },
    ]);
    expect(JSON.stringify(receiver.requests[0]!.body.blocks)).toContain('https://scaler.example.com/#/targets/observability/otel-gateway');
  });

  it('failed evaluations (Prometheus unreachable) reach the dataMissing rule through the sweep', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const { alerting, decisionLog } = startAlerting({ config: alertsConfig({ ...slackConfig(), rules: { dataMissing: { for: '1m' } } }), env: { [ENV_NAME]: receiver.url } });
    decisionLog.record(TARGET, SETTINGS, decision({ at: start }));
    for (let step = 1; step <= 3; step++) {
      const atMs = start + step * 30_000;
      decisionLog.fail(TARGET, SETTINGS, { code: 'PROMETHEUS_UNAVAILABLE', message: 'Prometheus "default" did not answer within 2000 ms', atMs });
      await until(() => alerting.activeAlerts().some((alert) => alert.rule === 'dataMissing' && alert.lastActiveAtMs === atMs));
    }
    await alerting.idle();
    expect(receiver.requests.map((request) => request.body.text)).toEqual(['observability/otel-gateway: firing: Signals missing or Prometheus unreachable (critical)']);
    expect(JSON.stringify(receiver.requests[0]!.body.blocks)).toContain('Check that Prometheus is up and reachable from the scaler');
  });

  it('dry-run targets alert too, marked advisory', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const { alerting, decisionLog, observer } = startAlerting({ config: alertsConfig({ ...slackConfig(), rules: { refusedSpans: { for: '1m' } } }), env: { [ENV_NAME]: receiver.url } });
    const dryRun = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', mode: 'dry-run' });
    for (let step = 0; step <= 2; step++) {
      decisionLog.record(TARGET, dryRun, decision({ at: start + step * 30_000, mode: 'dry-run', recommended: 8, signals: { refusedSpansPerSecond: 500 } }));
    }
    await alerting.idle();
    expect(receiver.requests.map((request) => request.body.text)).toEqual(['[advisory] observability/otel-gateway: firing: Gateways refusing spans (warning)']);
    expect(JSON.stringify(receiver.requests[0]!.body.blocks)).toContain('Advisory only: recommends 8 replicas (running 6); nothing was changed.');
    expect(observer.of('onAlertTransition')).toEqual([{ rule: 'refusedSpans', severity: 'warning', state: 'firing', advisory: true }]);
  });

  it('forecast miss compares the load with the forecast made lead-time earlier for this moment', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const { alerting, decisionLog } = startAlerting({ config: alertsConfig({ ...slackConfig(), rules: { forecastMiss: { for: '2m' } } }), env: { [ENV_NAME]: receiver.url } });
    const forecast = { leadTimeSeconds: 90, pointSpansPerSecond: 40_000, upperSpansPerSecond: 45_000, quantile: 0.9, fittedAtMs: start, model: 'seasonal' };
    for (let step = 0; step <= 10; step++) {
      decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, forecast, signals: { acceptedSpansPerSecond: step < 3 ? 44_000 : 60_000 } }));
    }
    await alerting.idle();
    // Steps 0–2 have no earlier forecast for their moment; from step 3 one exists and the load exceeds it; 2m later (step 7) it fires.
    expect(alerting.activeAlerts().find((alert) => alert.rule === 'forecastMiss')).toMatchObject({ phase: 'firing', activeSinceMs: start + 90_000, firedAtMs: start + 210_000 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('a target the advisor forgot resolves its firing alerts', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const { alerting, decisionLog } = startAlerting({ config: alertsConfig({ ...slackConfig(), rules: { backendBottleneck: { for: '1m' } } }), env: { [ENV_NAME]: receiver.url } });
    for (let step = 0; step <= 2; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();
    decisionLog.forget(TARGET);
    await until(() => alerting.activeAlerts().length === 0);
    await alerting.idle();
    expect(receiver.requests.map((request) => request.body.text)).toEqual([
      'observability/otel-gateway: firing: Backend bottleneck: scaling suppressed (critical)',
      'observability/otel-gateway: resolved: Backend bottleneck: scaling suppressed (critical)',
    ]);
    expect(JSON.stringify(receiver.requests[1]!.body.blocks)).toContain('The target is no longer evaluated');
  });

  it('without a webhook: Slack is disabled cleanly, rules still run and report through logs and the observer', async () => {
    const { alerting, decisionLog, observer, log } = startAlerting({ config: alertsConfig({ rules: { backendBottleneck: { for: '1m' } } }), env: {} });
    for (let step = 0; step <= 2; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();
    expect(log.entries().find((entry) => entry.msg.startsWith('Slack alerts disabled'))).toMatchObject({ reason: 'alerts.slack.webhookUrlEnv and alerts.slack.webhookUrlFile are not set' });
    expect(observer.of('onAlertTransition')).toEqual([{ rule: 'backendBottleneck', severity: 'critical', state: 'firing', advisory: false }]);
    expect(log.entries().find((entry) => entry.msg === 'alert firing')).toMatchObject({ alert: 'observability/otel-gateway:backendBottleneck', severity: 'critical' });
  });

  it('with sender: false the replica sends nothing to Slack, and still exports every rule condition', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const { alerting, decisionLog, observer, log } = startAlerting({
      config: alertsConfig({ ...slackConfig({ sender: false }), rules: { backendBottleneck: { for: '1m' } } }),
      env: { [ENV_NAME]: receiver.url },
    });
    for (let step = 0; step <= 4; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();
    expect(receiver.requests).toHaveLength(0);
    expect(log.entries().find((entry) => entry.msg.startsWith('Slack alerts sent by another replica'))).toMatchObject({ reason: 'alerts.slack.sender is false' });
    expect(observer.of('onAlertTransition')).toEqual([{ rule: 'backendBottleneck', severity: 'critical', state: 'firing', advisory: false }]);
    const latest = observer.of('onRuleConditions').at(-1)!;
    expect(latest.target).toEqual(TARGET);
    expect(latest.conditions.find((condition) => condition.rule === 'backendBottleneck')).toEqual({ rule: 'backendBottleneck', severity: 'critical', holds: true });
  });

  it('reads the webhook URL from a file (a mounted Secret)', async () => {
    receiver = await startSlackReceiver([{ status: 200 }]);
    const dir = mkdtempSync(join(tmpdir(), 'alerts-'));
    tempDirs.push(dir);
    writeFileSync(join(dir, 'url'), `${receiver.url}\n`);
    const { alerting, decisionLog } = startAlerting({ config: alertsConfig({ slack: { webhookUrlFile: join(dir, 'url'), groupWait: '20ms' }, rules: { backendBottleneck: { for: '1m' } } }), env: {} });
    for (let step = 0; step <= 2; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();
    expect(receiver.requests.map((request) => request.path)).toEqual([SECRET_PATH]);
  });

  const misconfigured: { name: string; input: { slack: Record<string, unknown>; env?: Record<string, string>; fileContent?: string }; want: RegExp }[] = [
    { name: 'env var named but not set', input: { slack: { webhookUrlEnv: ENV_NAME } }, want: /alerts\.slack\.webhookUrlEnv names environment variable ALERTS_TEST_SLACK_WEBHOOK_URL, which is not set/ },
    { name: 'env var holding something that is not a URL', input: { slack: { webhookUrlEnv: ENV_NAME }, env: { [ENV_NAME]: `hooks.slack.com${SECRET_PATH}` } }, want: /alerts\.slack\.webhookUrlEnv names environment variable .*, whose content is not an http\(s\) URL/ },
    { name: 'file that does not exist', input: { slack: { webhookUrlFile: '/nonexistent/slack-url' } }, want: /alerts\.slack\.webhookUrlFile names file \/nonexistent\/slack-url, which cannot be read \(ENOENT\)/ },
    { name: 'file holding something that is not a URL', input: { slack: {}, fileContent: `ftp://hooks.slack.com${SECRET_PATH}` }, want: /alerts\.slack\.webhookUrlFile names file .*, whose content is not an http\(s\) URL/ },
    { name: 'an unknown rule', input: { slack: { webhookUrlEnv: ENV_NAME }, env: { [ENV_NAME]: `https://hooks.slack.com${SECRET_PATH}` } }, want: /alerts\.rules\.backendBottlenek is not an alert rule/ },
  ];
  for (const row of misconfigured) {
    it(`refuses to start, without quoting the secret: ${row.name}`, () => {
      const slack = { ...row.input.slack };
      if (row.input.fileContent !== undefined) {
        const dir = mkdtempSync(join(tmpdir(), 'alerts-'));
        tempDirs.push(dir);
        writeFileSync(join(dir, 'url'), row.input.fileContent);
        slack.webhookUrlFile = join(dir, 'url');
      }
      const rules = row.name === 'an unknown rule' ? { backendBottlenek: {} } : {};
      let caught: unknown;
      try {
        startAlerting({ config: alertsConfig({ slack, rules }), env: row.input.env ?? {} });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScalerError);
      expect((caught as ScalerError).code).toBe('INVALID_SERVER_CONFIG');
      expect((caught as ScalerError).message).toMatch(row.want);
      expect((caught as ScalerError).message).not.toContain(SECRET_PATH);
    });
  }

  it('the config schema refuses both an env var and a file', () => {
    expect(() => alertsConfig({ slack: { webhookUrlEnv: ENV_NAME, webhookUrlFile: '/etc/slack/url' } })).toThrow(/alerts\.slack set webhookUrlEnv or webhookUrlFile, not both/);
  });
});

describe('the webhook URL never appears in logs, metrics or errors', () => {
  it('through rejections that echo it, a receiver that goes down, and timeouts', async () => {
    receiver = await startSlackReceiver([{ status: 400, body: 'invalid_token: {url}' }, { status: 500, body: 'error at {url}' }, 'hang']);
    const url = receiver.url;
    const { alerting, decisionLog, log, observer } = startAlerting({
      config: alertsConfig({ ...slackConfig({ sendTimeout: '100ms', deliveryDeadline: '400ms' }), rules: { backendBottleneck: { for: '1m' }, refusedSpans: { for: '1m' } } }),
      env: { [ENV_NAME]: url },
    });
    // 400 (not retried), then for the next target: 500, then hangs until the deadline.
    for (let step = 0; step <= 2; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();
    const other = { namespace: 'observability', name: 'otel-gateway-eu' };
    for (let step = 0; step <= 2; step++) decisionLog.record(other, SETTINGS, decision({ at: start + step * 30_000, signals: { refusedSpansPerSecond: 10 } }));
    await alerting.idle();
    await receiver.close();
    receiver = undefined;
    // Receiver down: the next evaluation offers the failed alerts again.
    decisionLog.record(TARGET, SETTINGS, decision({ at: start + 90_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();

    const reasons = new Set(observer.of('onDeliveryAttemptFailure').map((event) => event.reason));
    expect(reasons).toEqual(new Set(['client-error', 'server-error', 'timeout', 'network']));
    const everything = [...log.lines, JSON.stringify(observer.events)].join('\n');
    expect(everything).toContain('[redacted webhook URL]');
    for (const secret of [url, SECRET_PATH, encodeURIComponent(SECRET_PATH), 'xoxSecretToken123']) expect(everything).not.toContain(secret);
  });

  it('a port nobody listens on: the connection error names host and port only', async () => {
    const url = `http://127.0.0.1:${await freePort()}${SECRET_PATH}`;
    const { alerting, decisionLog, log } = startAlerting({
      config: alertsConfig({ ...slackConfig({ deliveryDeadline: '100ms' }), rules: { backendBottleneck: { for: '1m' } } }),
      env: { [ENV_NAME]: url },
    });
    for (let step = 0; step <= 2; step++) decisionLog.record(TARGET, SETTINGS, decision({ at: start + step * 30_000, guards: [BACKEND_GUARD] }));
    await alerting.idle();
    expect(log.entries().find((entry) => entry.msg === 'alert notification not delivered')).toMatchObject({ reason: 'network' });
    expect(log.lines.join('\n')).not.toContain('xoxSecretToken123');
  });
});
