// The alert path across replicas: the rule file generated from the catalogue, evaluated by a real
// Prometheus over the /metrics of two scaler processes, sent to a real Alertmanager (Debian's
// prometheus-alertmanager), which posts to a local Slack stand-in. Both replicas export the same
// condition; one message per alert must come out.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { PROMETHEUS_RULES_FILE, prometheusRulesYaml } from '../../src/alerts/prometheus-rules-file.ts';
import type { PrometheusRuleFile } from '../../src/alerts/prometheus-rules.ts';
import { ALERT_RULE_NAMES } from '../../src/alerts/rules/alert-rule.ts';
import { freePort } from '../support/free-port.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { logLine, type ScalerProcess, spawnScaler } from '../support/scaler-process.ts';
import { type SlackReceiver, startSlackReceiver } from './slack-receiver.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ALERTMANAGER_BINARY = process.env.ALERTMANAGER_BINARY ?? '/usr/bin/prometheus-alertmanager';

async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
}

describe('generated PrometheusRule → Prometheus → Alertmanager → Slack, two scaler replicas', () => {
  let dir: string;
  let slack: SlackReceiver;
  let alertmanager: ChildProcess;
  let prometheus: RunningPrometheus;
  const scalers: ScalerProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alert-path-'));
    slack = await startSlackReceiver([{ status: 200, body: 'ok' }]);

    const alertmanagerPort = await freePort();
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      toYaml({
        route: { receiver: 'slack', group_by: ['alertname', 'namespace', 'name'], group_wait: '1s', group_interval: '1m', repeat_interval: '4h' },
        receivers: [{ name: 'slack', slack_configs: [{ api_url: slack.url, channel: '#gateways', send_resolved: false, title: '{{ .CommonLabels.alertname }} {{ .CommonLabels.namespace }}/{{ .CommonLabels.name }}' }] }],
      }),
    );
    alertmanager = spawn(
      ALERTMANAGER_BINARY,
      [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'alertmanager')}`, `--web.listen-address=127.0.0.1:${alertmanagerPort}`, '--cluster.listen-address=', '--log.level=warn'],
      { stdio: 'ignore' },
    );
    await until(async () => ((await fetch(`http://127.0.0.1:${alertmanagerPort}/-/ready`)).ok ? true : undefined), 'Alertmanager is ready', 30_000);

    // The generated rules as shipped, with every wait cut to 1 s so the test need not wait minutes.
    const rules = parseYaml(prometheusRulesYaml()) as PrometheusRuleFile;
    const quick = { groups: rules.groups.map((group) => ({ ...group, rules: group.rules.map((rule) => ({ ...rule, ...(rule.for ? { for: '1s', keep_firing_for: '1s' } : {}) })) })) };
    writeFileSync(join(dir, 'rules.yml'), toYaml(quick));

    const httpPorts = [await freePort(), await freePort()];
    prometheus = await startPrometheus({
      scrapeJobs: [{ jobName: 'otel-gateway-scaler', targets: httpPorts.map((port) => `127.0.0.1:${port}`) }],
      ruleFiles: [join(dir, 'rules.yml')],
      alertmanagers: [`127.0.0.1:${alertmanagerPort}`],
    });
    // Both replicas read that Prometheus, which has no gateway series: the target's current replicas
    // are unknown, so dataMissing holds on both.
    for (const [index, port] of httpPorts.entries()) {
      const configFile = join(dir, `scaler-${index}.yaml`);
      writeFileSync(
        configFile,
        toYaml({
          grpc: { host: '127.0.0.1', port: 0 },
          http: { host: '127.0.0.1', port },
          prometheus: { default: { url: prometheus.url } },
          advisoryTargets: [{ namespace: 'observability', name: 'otel-gateway', metadata: { gatewaySelector: 'job="otel-gateway"' } }],
          advisor: { schedule: '* * * * * *' },
          forecast: { enabled: false },
        }),
      );
      const scaler = spawnScaler(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configFile], { cwd: ROOT });
      scalers.push(scaler);
      await logLine(scaler, 'otel-gateway-scaler started', 30_000);
    }
  }, 120_000);

  afterAll(async () => {
    for (const scaler of scalers) scaler.child.kill('SIGTERM');
    await Promise.all(scalers.map((scaler) => scaler.exited));
    await prometheus?.stop();
    // Alertmanager writes its silences and notification log on shutdown: the directory is removed after it exits.
    if (alertmanager && alertmanager.exitCode === null && alertmanager.signalCode === null) {
      const exited = new Promise<void>((resolve) => alertmanager.once('exit', () => resolve()));
      alertmanager.kill('SIGTERM');
      const timer = setTimeout(() => alertmanager.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await slack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the shipped rule file is what the catalogue generates, and promtool accepts it', () => {
    expect(readFileSync(join(ROOT, PROMETHEUS_RULES_FILE), 'utf8'), 'run `npm run rules:generate`').toBe(prometheusRulesYaml());
    const alerts = (parseYaml(prometheusRulesYaml()) as PrometheusRuleFile).groups.flatMap((group) => group.rules.map((rule) => rule.labels.rule));
    expect(alerts).toEqual([...ALERT_RULE_NAMES]);
    const check = spawnSync('promtool', ['check', 'rules', join(ROOT, PROMETHEUS_RULES_FILE)], { encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toContain(`SUCCESS: ${ALERT_RULE_NAMES.length} rules found`);
  });

  it('sends one Slack message for the alert both replicas see', async () => {
    const query = async (promql: string) => {
      const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      return ((await response.json()) as { data: { result: { value: [number, string] }[] } }).data.result;
    };
    // Both replicas export the condition …
    await until(
      async () => ((await query('count(otel_gateway_scaler_alert_condition{rule="dataMissing"} == 1)'))[0]?.value[1] === '2' ? true : undefined),
      'both replicas export dataMissing = 1',
      60_000,
    );
    // … Prometheus raises one alert, and Slack gets one message.
    await slack.waitForRequests(1);
    await new Promise((resolveWait) => setTimeout(resolveWait, 5000));
    const firing = (await query('ALERTS{alertstate="firing"}')) as unknown as { metric: Record<string, string> }[];
    expect(firing.map((alert) => `${alert.metric.alertname} ${alert.metric.namespace}/${alert.metric.name}`)).toEqual(['OtelGatewayScalerDataMissing observability/otel-gateway']);
    expect(slack.requests).toHaveLength(1);
    expect(JSON.stringify(slack.requests[0]!.body)).toContain('OtelGatewayScalerDataMissing observability/otel-gateway');
  }, 120_000);
});
