// Integration tests read signals from a real Prometheus (Debian's /usr/bin/prometheus), not from a
// stand-in: this starts one on 127.0.0.1 with a generated scrape config and a temporary TSDB, and
// can take it down and bring it back on the same port and TSDB to test outages.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { freePort } from './free-port.ts';
import { onProcessExit } from './on-process-exit.ts';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

/** One scrape job; `targets` are host:port of exporters. */
export interface ScrapeJob {
  readonly jobName: string;
  readonly targets: readonly string[];
  /** Extra target labels on every series of this job (e.g. namespace, pod). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly metricsPath?: string;
  /** Keep the scraped series' own `instance`/`job` labels (a target exposing several gateways, like the embedded demo). */
  readonly honorLabels?: boolean;
  /**
   * Read targets from this file_sd JSON file instead (`targets` is then ignored): Prometheus watches
   * it, so a test adds and removes scrape targets by rewriting the file, as service discovery would.
   */
  readonly fileSdPath?: string;
}

export interface PrometheusOptions {
  /** host:port of exporters, scraped under job `otel-gateway` (DEFAULT_GATEWAY_JOB). */
  readonly scrapeTargets?: readonly string[];
  /** More jobs, e.g. a second gateway tier that a selector must not pick up. */
  readonly scrapeJobs?: readonly ScrapeJob[];
  /** Default 1; scrape timeout is 80 % of it. */
  readonly scrapeIntervalSeconds?: number;
  /** Appended to the command line, e.g. `--web.enable-remote-write-receiver`. */
  readonly extraFlags?: readonly string[];
  /** Rule files Prometheus evaluates every scrape interval. */
  readonly ruleFiles?: readonly string[];
  /** host:port of Alertmanagers that firing alerts are sent to. */
  readonly alertmanagers?: readonly string[];
  /** How long to wait for /-/ready after each start; default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Temporary directory holding prometheus.yml and the TSDB (`data/`). */
  readonly dir: string;
  /** Kills the process and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
  /** Takes Prometheus down (connections are refused) but keeps its port and TSDB for `resume`. */
  pause(): Promise<void>;
  /** Starts it again on the same port and TSDB, resolving once /-/ready answers. */
  resume(): Promise<void>;
  /** pause() then resume(). */
  restart(): Promise<void>;
  /** Last lines Prometheus wrote to stdout/stderr, for failure messages. */
  output(): string;
}

export const DEFAULT_GATEWAY_JOB = 'otel-gateway';

const OUTPUT_LINES_KEPT = 60;
const STOP_GRACE_MS = 5000;

function formatSeconds(seconds: number): string {
  return `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/** The scrape config file for these options (Prometheus' format; VictoriaMetrics reads the same). */
export function scrapeConfigYaml(options: PrometheusOptions): string {
  const intervalSeconds = options.scrapeIntervalSeconds ?? 1;
  if (!(intervalSeconds > 0)) throw new Error(`scrapeIntervalSeconds must be > 0, got ${intervalSeconds}`);
  const jobs: ScrapeJob[] = [];
  if (options.scrapeTargets && options.scrapeTargets.length > 0) {
    jobs.push({ jobName: DEFAULT_GATEWAY_JOB, targets: options.scrapeTargets });
  }
  jobs.push(...(options.scrapeJobs ?? []));
  return toYaml({
    global: {
      scrape_interval: formatSeconds(intervalSeconds),
      scrape_timeout: formatSeconds(intervalSeconds * 0.8),
      evaluation_interval: formatSeconds(intervalSeconds),
    },
    ...(options.ruleFiles ? { rule_files: [...options.ruleFiles] } : {}),
    ...(options.alertmanagers ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [...options.alertmanagers] }] }] } } : {}),
    scrape_configs: jobs.map((job) => ({
      job_name: job.jobName,
      ...(job.metricsPath ? { metrics_path: job.metricsPath } : {}),
      ...(job.honorLabels ? { honor_labels: true } : {}),
      ...(job.fileSdPath
        ? { file_sd_configs: [{ files: [job.fileSdPath], refresh_interval: '1s' }] }
        : { static_configs: [{ targets: [...job.targets], ...(job.labels ? { labels: { ...job.labels } } : {}) }] }),
    })),
  });
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts Prometheus on a free 127.0.0.1 port with a temporary TSDB and resolves once /-/ready
 * answers. The process is killed and the directory removed on `stop()` and when the test process exits.
 */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, scrapeConfigYaml(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(options.extraFlags ?? []),
  ];
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  let stopped = false;

  const record = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter((line) => line.trim() !== ''));
    if (lines.length > OUTPUT_LINES_KEPT) lines.splice(0, lines.length - OUTPUT_LINES_KEPT);
  };
  const forgetOnExit = onProcessExit(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const launch = async () => {
    const started = spawn(PROMETHEUS_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout?.on('data', record);
    started.stderr?.on('data', record);
    let exitedWith: string | undefined;
    let spawnError: Error | undefined;
    started.once('error', (error) => {
      spawnError = error;
    });
    started.once('exit', (code, signal) => {
      exitedWith = `code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (spawnError) throw new Error(`cannot start ${PROMETHEUS_BINARY}: ${spawnError.message} (install it with: apt-get install prometheus)`);
      if (exitedWith) throw new Error(`Prometheus exited before it was ready (${exitedWith}):\n${lines.join('\n')}`);
      if (await isReady(url)) return;
      await sleep(100);
    }
    started.kill('SIGKILL');
    throw new Error(`Prometheus at ${url} was not ready within ${readyTimeoutMs} ms:\n${lines.join('\n')}`);
  };

  const halt = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (error) {
    await halt();
    forgetOnExit();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    port,
    dir,
    output: () => lines.join('\n'),
    pause: halt,
    resume: async () => {
      if (stopped) throw new Error('Prometheus was stopped; start a new one');
      if (child) return;
      await launch();
    },
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await halt();
      forgetOnExit();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One sample of an instant-query vector as the HTTP API returns it. */
export interface VectorSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Evaluates an instant query over plain HTTP (independent of the code under test), now or at `atSeconds`. */
export async function queryVector(url: string, promql: string, atSeconds?: number): Promise<VectorSample[]> {
  const params = new URLSearchParams({ query: promql });
  if (atSeconds !== undefined) params.set('time', String(atSeconds));
  const response = await fetch(`${url}/api/v1/query?${params}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
  if (body.data.resultType !== 'vector') throw new Error(`query ${promql} returned ${body.data.resultType}, expected a vector`);
  return body.data.result.map((sample) => ({ labels: sample.metric, value: Number(sample.value[1]) }));
}

/**
 * Polls `promql` until `accept` holds for its result (e.g. every target scraped, a rate window
 * filled); throws with the last result when `timeoutMs` passes.
 */
export async function waitForQuery(
  url: string,
  promql: string,
  accept: (samples: VectorSample[]) => boolean,
  timeoutMs = 30_000,
): Promise<VectorSample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: VectorSample[] | string = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const samples = await queryVector(url, promql);
      if (accept(samples)) return samples;
      last = samples;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`waited ${timeoutMs} ms for ${promql}; last result: ${JSON.stringify(last)}`);
}

/**
 * Waits until every target matching `selector` has been scraped for at least `seconds` (every
 * `scrapeIntervalSeconds`), so that a `rate(…[seconds s])` covers a full window. Prometheus 2.42
 * applies scrape targets about 5 s after start, so this takes seconds + ~6 s after startPrometheus.
 */
export async function waitForScrapeHistory(url: string, selector: string, seconds: number, timeoutMs = (seconds + 30) * 1000, scrapeIntervalSeconds = 1): Promise<void> {
  const wanted = Math.ceil(seconds / scrapeIntervalSeconds) + 1;
  await waitForQuery(url, `min(count_over_time(up{${selector}}[${(wanted + 1) * scrapeIntervalSeconds}s]))`, (samples) => (samples[0]?.value ?? 0) >= wanted, timeoutMs);
}
