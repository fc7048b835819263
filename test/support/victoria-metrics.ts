// A second query engine for the signal catalogue: Debian's single-node VictoriaMetrics on 127.0.0.1,
// scraping with the same scrape config as the real Prometheus of the tests, behind a path prefix and
// basic auth as a Prometheus-compatible store in front of a fleet would be.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { onProcessExit } from './on-process-exit.ts';
import { type PrometheusOptions, scrapeConfigYaml } from './prometheus.ts';

export const VICTORIA_METRICS_BINARY = process.env.VICTORIA_METRICS_BINARY ?? '/usr/bin/victoria-metrics';

export interface VictoriaMetricsOptions extends Pick<PrometheusOptions, 'scrapeJobs' | 'scrapeIntervalSeconds'> {
  /** Serves every path below this prefix (`-http.pathPrefix`), e.g. `/prometheus`. */
  readonly pathPrefix: string;
  /** Requires this user and password on every request (`-httpAuth.*`). */
  readonly basicAuth: { readonly username: string; readonly password: string };
}

export interface RunningVictoriaMetrics {
  /** Base URL without the path prefix, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

export async function startVictoriaMetrics(options: VictoriaMetricsOptions): Promise<RunningVictoriaMetrics> {
  const dir = mkdtempSync(join(tmpdir(), 'victoria-metrics-test-'));
  const configFile = join(dir, 'scrape.yml');
  writeFileSync(configFile, scrapeConfigYaml(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    VICTORIA_METRICS_BINARY,
    [
      `-storageDataPath=${join(dir, 'data')}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      `-promscrape.config=${configFile}`,
      // The file is Prometheus' own, with fields VictoriaMetrics does not read (evaluation_interval).
      '-promscrape.config.strictParse=false',
      `-http.pathPrefix=${options.pathPrefix}`,
      `-httpAuth.username=${options.basicAuth.username}`,
      `-httpAuth.password=${options.basicAuth.password}`,
      // Answer with the newest samples, as Prometheus does (the default hides the last 30 s).
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-retentionPeriod=1d',
      '-loggerLevel=ERROR',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const record = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const forgetOnExit = onProcessExit(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const stop = async () => {
    forgetOnExit();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const authorization = `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError) {
      await stop();
      throw new Error(`cannot start ${VICTORIA_METRICS_BINARY}: ${spawnError.message} (install it with: apt-get install victoria-metrics)`);
    }
    if (child.exitCode !== null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      break;
    }
    const healthy = await fetch(`${url}${options.pathPrefix}/health`, { headers: { authorization }, signal: AbortSignal.timeout(1000) }).then(
      async (response) => (await response.text()).trim() === 'OK',
      () => false,
    );
    if (healthy) return { url, output: () => lines.join('\n'), stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`VictoriaMetrics at ${url} was not ready within ${READY_TIMEOUT_MS} ms:\n${lines.join('\n')}`);
}
