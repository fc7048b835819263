// What `npm run bench:memory` and the memory test share: the scaler as a process of its own, started
// with the shipped server config (deploy/base/scaler-config.yaml) pointed at a Prometheus stand-in on
// loopback, a real grpc-js client playing KEDA, and the process's resident memory read from /proc as
// the kernel (and a container's memory limit) counts it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { PRODUCTION_MALLOC_ARENA_MAX, PRODUCTION_NODE_OPTIONS } from '../../src/keda/production-runtime.ts';
import { externalScalerService } from '../../src/keda/proto.ts';
import { logLine, type ScalerProcess, spawnScaler } from '../support/scaler-process.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Built outside the repository, as build caches must be. */
export const BENCH_DIST_DIR = join(homedir(), '.cache/otel-gateway-scaler/bench-memory-dist');

/**
 * Answers Prometheus' query API for any number of gateway tiers: a busy, healthy tier of 10 gateways
 * whatever the selector (instant queries), and a few points per series for range queries. Series
 * carry an `instance` label so per-gateway queries see 10 gateways; `up == 0` finds none down.
 */
export async function startPrometheusStandIn(): Promise<{ url: string; queries: () => number; stop: () => Promise<void> }> {
  let queries = 0;
  const valueFor = (promql: string) => (promql.includes('queue_size') ? '0.3' : promql.startsWith('count(') ? '10' : promql.includes('kube_') ? '10' : '14000');
  const server: Server = createServer((request, response) => {
    queries++;
    const url = new URL(request.url ?? '/', 'http://stand-in');
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const params = new URLSearchParams(body);
      for (const [key, value] of url.searchParams) params.set(key, value);
      const promql = params.get('query') ?? '';
      const nowSeconds = Date.now() / 1000;
      const empty = promql.includes('== 0');
      const instances = empty ? [] : Array.from({ length: promql.startsWith('sum by (instance)') ? 10 : 1 }, (_, index) => `10.0.0.${index + 1}:8888`);
      let data: unknown;
      if (url.pathname.endsWith('/query_range')) {
        const start = Number(params.get('start'));
        const end = Number(params.get('end'));
        const step = Math.max(Number(params.get('step')) || 60, (end - start) / 20);
        const values: [number, string][] = [];
        for (let at = start; at <= end; at += step) values.push([at, valueFor(promql)]);
        data = { resultType: 'matrix', result: instances.map((instance) => ({ metric: { instance }, values })) };
      } else {
        data = { resultType: 'vector', result: instances.map((instance) => ({ metric: { instance }, value: [nowSeconds, valueFor(promql)] })) };
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'success', data }));
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queries: () => queries,
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** The shipped server config with loopback addresses, free ports and the stand-in as Prometheus. */
function benchConfig(prometheusUrl: string, cacheTtlMs: number | undefined): string {
  const shipped = parseYaml(readFileSync(join(ROOT, 'deploy/base/scaler-config.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  const servers = shipped.prometheus as Record<string, Record<string, unknown>>;
  return toYaml({
    ...shipped,
    grpc: { ...shipped.grpc, host: '127.0.0.1', port: 0 },
    http: { ...shipped.http, host: '127.0.0.1', port: 0 },
    prometheus: { ...servers, default: { ...servers.default, url: prometheusUrl, ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }) } },
  });
}

export interface RunningScaler {
  readonly process: ScalerProcess;
  readonly grpcAddress: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the scaler: `node dist/main.js` as the image runs it, with the image's memory settings, when
 * `built` (the bench); `node --import tsx src/main.ts` otherwise (tests, where a build is not wanted).
 */
export async function startScalerProcess(options: {
  readonly prometheusUrl: string;
  readonly built: boolean;
  readonly cacheTtlMs?: number;
  readonly maxOldSpaceMiB?: number;
}): Promise<RunningScaler> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-memory-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, benchConfig(options.prometheusUrl, options.cacheTtlMs));
  // A later --max-old-space-size wins over the production one (a test's tighter heap).
  const nodeOptions = [...PRODUCTION_NODE_OPTIONS, ...(options.maxOldSpaceMiB === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMiB}`])];
  const env = { NODE_ENV: 'production', NODE_OPTIONS: nodeOptions.join(' '), MALLOC_ARENA_MAX: PRODUCTION_MALLOC_ARENA_MAX };
  const args = options.built ? [join(BENCH_DIST_DIR, 'main.js'), '--config', configFile] : ['--import', 'tsx', 'src/main.ts', '--config', configFile];
  const scaler = spawnScaler(process.execPath, args, { cwd: ROOT, env });
  try {
    const started = await logLine(scaler, 'otel-gateway-scaler started');
    return {
      process: scaler,
      grpcAddress: String(started.grpc),
      pid: scaler.child.pid!,
      stop: async () => {
        if (scaler.child.exitCode === null) scaler.child.kill('SIGTERM');
        await scaler.exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    scaler.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Builds the scaler as the image does (npm run build), into the cache directory. */
export function buildScaler(): void {
  execFileSync(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/build.ts', '--out-dir', BENCH_DIST_DIR], { cwd: ROOT, stdio: 'ignore' });
  // The build lives outside the repository; the project's dependencies are found through a link.
  symlinkSync(join(ROOT, 'node_modules'), join(BENCH_DIST_DIR, 'node_modules'));
}

/** Resident set size of a process in bytes (VmRSS), as a container's memory limit counts it. */
export function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  if (line === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

/** RSS once it stops falling: sampled every second until two samples in a row are within 1 MiB, at most `maxSeconds`. */
export async function settledResidentBytes(pid: number, maxSeconds = 15): Promise<number> {
  let previous = residentBytes(pid);
  for (let second = 0; second < maxSeconds; second++) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    const current = residentBytes(pid);
    if (Math.abs(current - previous) < 1024 * 1024) return current;
    previous = current;
  }
  return previous;
}

export interface KedaClient {
  /** GetMetricSpec, GetMetrics and IsActive for one ScaledObject, as KEDA polls; resolves with the error codes met. */
  poll(namespace: string, name: string, metadata: Readonly<Record<string, string>>): Promise<number[]>;
  /** GetMetricSpec alone; resolves with the status code (0 = OK) and details. */
  metricSpec(namespace: string, name: string, metadata: Readonly<Record<string, string>>): Promise<{ code: number; details: string }>;
  close(): void;
}

type Unary = (request: unknown, callback: (error: ServiceError | null, response: unknown) => void) => void;

export function kedaClient(address: string): KedaClient {
  const Service = externalScalerService();
  const client: Client = new Service(address, credentials.createInsecure(), { 'grpc.max_send_message_length': 8 * 1024 * 1024 });
  const call = (method: string, request: unknown) =>
    new Promise<{ code: number; details: string }>((resolveCall) => {
      ((client as unknown as Record<string, Unary>)[method] as Unary).call(client, request, (error) =>
        resolveCall(error ? { code: error.code, details: error.details } : { code: 0, details: '' }),
      );
    });
  return {
    async poll(namespace, name, metadata) {
      const ref = { namespace, name, scalerMetadata: metadata };
      const answers = [await call('GetMetricSpec', ref), await call('GetMetrics', { scaledObjectRef: ref, metricName: `${name}-replicas` }), await call('IsActive', ref)];
      return answers.map((answer) => answer.code).filter((code) => code !== 0);
    },
    metricSpec: (namespace, name, metadata) => call('GetMetricSpec', { namespace, name, scalerMetadata: metadata }),
    close: () => client.close(),
  };
}

/** Metadata of bench target `index`: the example trigger's keys, a selector of its own. */
export function targetMetadata(index: number): Record<string, string> {
  return { gatewaySelector: `job="otel-gateway-${index}",namespace="observability"`, scalerAddress: 'otel-gateway-scaler.observability:6000', minReplicas: '2', maxReplicas: '60', rateWindow: '1m' };
}

/**
 * A distinct metadata map near the 32 KiB limit, every value within 4 KiB: what a client that sends a
 * new large map on every call looks like (each one would be a new parse-cache entry).
 */
export function largeMetadata(index: number): Record<string, string> {
  const filler = (key: string) => `${key}-${index}-`.padEnd(4000, 'x');
  return {
    gatewaySelector: `job="gateway-${index}",pod=~"${'p'.repeat(3900)}-${index}"`,
    scalerAddress: filler('address'),
    enableTLS: filler('tls'),
    unsafeSsl: filler('ssl'),
  };
}

/** A map with one 1 MiB value: refused before anything is kept. */
export function oversizedMetadata(index: number): Record<string, string> {
  return { gatewaySelector: `job="gateway-${index}-${'g'.repeat(1024 * 1024)}"` };
}

/** Runs `work` over `count` items with at most `parallel` in flight. */
export async function inParallel(count: number, parallel: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}
