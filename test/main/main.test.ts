import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthClient, scalerClient } from '../keda/support/grpc-client.ts';
import { startPrometheus, waitForQuery } from '../support/prometheus.ts';
import { DEMO_TRIGGER, demoReplicas, logLine, type ScalerProcess, spawnScaler } from '../support/scaler-process.ts';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Starts `node --import tsx src/main.ts`, with a clean environment. Not through the tsx CLI: it relays
 * a signal only if the child confirms it within 30 ms and otherwise kills it, which on a busy machine
 * turns a graceful SIGTERM into exit 143.
 */
function runMain(args: string[], env: Record<string, string> = {}): ScalerProcess {
  return spawnScaler(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: PROJECT_ROOT, env });
}

describe('npm start (src/main.ts as a process)', () => {
  let dir: string;
  let configFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scaler-main-'));
    configFile = join(dir, 'scaler.yaml');
    // Prometheus need not be reachable for start-up; port 9 (discard) on loopback refuses at once.
    writeFileSync(
      configFile,
      ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', '  port: 0', 'prometheus:', '  default:', '    url: http://127.0.0.1:9', ''].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts, serves gRPC and HTTP, and exits 0 within 10 s of SIGTERM with a stream open', async () => {
    const run = runMain(['--config', configFile]);
    try {
      const started = await logLine(run, 'otel-gateway-scaler started');
      const grpcAddress = String(started.grpc);
      expect(grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(started.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const health = healthClient(grpcAddress);
      expect(await health.check('')).toEqual({ status: 'SERVING' });
      health.close();
      expect((await fetch(`${started.http}/healthz`)).status).toBe(200);

      const client = scalerClient(grpcAddress);
      const spec = client.streamMetricSpec({ namespace: 'observability', name: 'otel-gateway', scalerMetadata: { gatewaySelector: 'job="otel-gateway"' } });
      await spec.waitFor(1);

      const signalledAtMs = Date.now();
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalledAtMs).toBeLessThan(10_000);
      expect((await spec.ended).code).toBe(status.UNAVAILABLE);
      client.close();
      expect(run.stdout()).toContain('"msg":"stopped"');
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('answers gRPC health NOT_SERVING (not a refused call) between SIGTERM and exit', async () => {
    const run = runMain(['--config', configFile]);
    try {
      const started = await logLine(run, 'otel-gateway-scaler started');
      const health = healthClient(String(started.grpc));
      expect(await health.check('')).toEqual({ status: 'SERVING' });
      let exitedAtMs: number | undefined;
      void run.exited.then(() => {
        exitedAtMs = Date.now();
      });
      run.child.kill('SIGTERM');
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      // Checks every 100 ms until the process is gone, on the connection opened before SIGTERM.
      const answers: string[] = [];
      for (let check = 0; check < 100 && exitedAtMs === undefined; check++) {
        answers.push(
          await health.check('').then(
            (response) => response.status,
            (error: { code: number }) => `error ${status[error.code]}`,
          ),
        );
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
      health.close();
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(answers[0]).toBe('NOT_SERVING');
      expect(answers).not.toContain('SERVING');
      // Once the drain ends the server stops taking calls; only then may a check fail, just before exit.
      const firstError = answers.findIndex((answer) => answer.startsWith('error'));
      expect(firstError === -1 || answers.slice(firstError).every((answer) => answer.startsWith('error'))).toBe(true);
      expect(answers.filter((answer) => answer === 'NOT_SERVING').length).toBeGreaterThanOrEqual(5);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('runs the embedded demo when no Prometheus is configured, says how to give one, and answers KEDA from it', async () => {
    const demoConfig = join(dir, 'demo.yaml');
    writeFileSync(demoConfig, ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', '  port: 0', ''].join('\n'));
    const run = runMain(['--config', demoConfig]);
    try {
      const started = await logLine(run, 'otel-gateway-scaler started');
      expect(started.prometheus).toBe('embedded demo');
      expect(run.stdout()).toMatch(/running the embedded demo.*--prometheus-url.*PROMETHEUS_URL.*--config FILE/);
      const replicas = await demoReplicas(String(started.grpc));
      expect(Number.isInteger(replicas) && replicas >= DEMO_TRIGGER.minReplicas && replicas <= DEMO_TRIGGER.maxReplicas).toBe(true);
      run.child.kill('SIGTERM');
      expect(await run.exited).toEqual({ code: 0, signal: null });
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it("serves the demo's simulated gateways at /demo/gateways/metrics, and a real Prometheus scrapes them", async () => {
    const demoConfig = join(dir, 'demo-scrape.yaml');
    writeFileSync(demoConfig, ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', '  port: 0', ''].join('\n'));
    const run = runMain(['--config', demoConfig]);
    let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
    try {
      const started = await logLine(run, 'otel-gateway-scaler started');
      const scrapeUrl = new URL(String(started.demoGatewayMetrics));
      expect(scrapeUrl.href).toBe(`${started.http}/demo/gateways/metrics`);
      const direct = await fetch(scrapeUrl);
      expect(direct.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await direct.text()).toMatch(/^otelcol_receiver_accepted_spans\{.*instance="otel-gateway-\d+".*\} \d+$/m);
      prometheus = await startPrometheus({ scrapeJobs: [{ jobName: 'otel-gateway', targets: [scrapeUrl.host], metricsPath: scrapeUrl.pathname, honorLabels: true }] });
      const series = await waitForQuery(prometheus.url, 'otelcol_receiver_accepted_spans{job="otel-gateway"}', (samples) => samples.length >= 2, 15_000);
      const instances = series.map((sample) => sample.labels.instance);
      expect(instances.every((instance) => /^otel-gateway-\d+$/.test(instance ?? ''))).toBe(true);
      expect(new Set(instances).size).toBe(series.length);
      run.child.kill('SIGTERM');
      expect(await run.exited).toEqual({ code: 0, signal: null });
    } finally {
      await prometheus?.stop();
      run.child.kill('SIGKILL');
    }
  });

  it('exits 0 on SIGINT as well', async () => {
    const run = runMain(['--config', configFile]);
    try {
      await logLine(run, 'otel-gateway-scaler started');
      run.child.kill('SIGINT');
      expect(await run.exited).toEqual({ code: 0, signal: null });
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  const refusals: { name: string; input: { args: string[]; env?: Record<string, string> }; want: { code: number; stderr: RegExp } }[] = [
    { name: 'an unknown flag: exit 2 naming it', input: { args: ['--grpc-prot', '7000'] }, want: { code: 2, stderr: /unknown option --grpc-prot[\s\S]*--help/ } },
    { name: 'a bad port from the environment: exit 2 naming the variable', input: { args: [], env: { GRPC_PORT: 'sixty' } }, want: { code: 2, stderr: /GRPC_PORT must be a port number/ } },
    { name: 'a config file that does not exist: exit 1 naming it', input: { args: ['--config', '/nonexistent/scaler.yaml'] }, want: { code: 1, stderr: /cannot read config file \/nonexistent\/scaler\.yaml/ } },
  ];
  for (const row of refusals) {
    it(`refuses to start with ${row.name}`, async () => {
      const run = runMain(row.input.args, row.input.env);
      expect((await run.exited).code).toBe(row.want.code);
      expect(run.stderr()).toMatch(row.want.stderr);
    });
  }

  const badConfigs: { name: string; input: string[]; want: RegExp }[] = [
    { name: 'an advisory schedule that is not cron', input: ['advisor:', '  schedule: every minute'], want: /advisor\.schedule "every minute" is not a cron expression/ },
    { name: 'a refit schedule that is not cron', input: ['forecast:', '  refitSchedule: hourly'], want: /forecast\.refitSchedule "hourly"/ },
    { name: 'a key the schema does not know', input: ['grpc:', '  prot: 6000'], want: /grpc/ },
  ];
  for (const row of badConfigs) {
    it(`exits 1 naming the field for ${row.name}`, async () => {
      const file = join(dir, `bad-${badConfigs.indexOf(row)}.yaml`);
      writeFileSync(file, [...row.input, 'prometheus:', '  default:', '    url: http://127.0.0.1:9', ''].join('\n'));
      const run = runMain(['--config', file]);
      expect((await run.exited).code).toBe(1);
      expect(run.stderr()).toMatch(/Invalid configuration/);
      expect(run.stderr()).toMatch(row.want);
    });
  }

  it('exits 1 naming the address when the HTTP port is taken, after stopping what had started', async () => {
    const blocker = createServer();
    await new Promise<void>((resolveListen) => blocker.listen(0, '127.0.0.1', resolveListen));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = runMain(['--config', configFile, '--http-port', String(port)]);
      expect((await run.exited).code).toBe(1);
      expect(run.stderr()).toMatch(new RegExp(`Could not start: .*${port}`));
    } finally {
      blocker.close();
    }
  });

  it('--help prints every flag and exits 0', async () => {
    const run = runMain(['--help']);
    expect((await run.exited).code).toBe(0);
    for (const flag of ['--config', '--prometheus-url', '--grpc-port', '--http-port']) expect(run.stdout()).toContain(flag);
  });
});
