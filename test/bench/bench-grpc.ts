// `npm run bench:grpc`: how fast the real gRPC server answers KEDA when signals are cached. The server
// runs in a child process as in production (real ScalerGrpcServer, real Advisor and decide(), signals
// from a prepared snapshot — the cache-hit path, no Prometheus), this process plays KEDA with a real
// grpc-js client over one connection. Two phases:
//   paced      every target polls like KEDA (GetMetricSpec, GetMetrics, IsActive) once per --interval,
//              at a random phase: latency at a load far above KEDA's default 30 s polling;
//   saturated  one caller per target sends GetMetrics back to back: the most calls/s the server takes.
// During the paced phase a probe in a third process sends GetMetrics on a fixed schedule on its own
// connection: the latency a caller sees from outside the load generator, whose own event loop pauses
// (tens of ms at 600 calls/s) would otherwise be counted as the server's.
// Prints calls/s, GetMetrics p50/p99/max for both, and the server's RSS. Not a test: no assertion.
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { type CommandIo, type CommandSpec, type OptionValues, processIo, progressLine, runCommand, UsageError } from '../../src/cli/command-line.ts';
import { benchTargetRef } from './bench-grpc-targets.ts';
import { PRODUCTION_MALLOC_ARENA_MAX, PRODUCTION_NODE_OPTIONS } from '../../src/keda/production-runtime.ts';
import { externalScalerService } from '../../src/keda/proto.ts';

export const BENCH_GRPC_COMMAND: CommandSpec = {
  name: 'bench:grpc',
  usage: ['npm run bench:grpc -- [--targets N] [--duration SECONDS] [--interval SECONDS]'],
  summary: 'How fast the real gRPC server answers KEDA with cached signals: a floor (bare grpc-js), a paced\nphase (KEDA-like polling) and a saturated phase, each client in a process of its own.',
  options: {
    targets: { value: 'N', description: 'targets (ScaledObjects) polled concurrently (default 200)' },
    duration: { value: 'SECONDS', description: 'length of each phase (default 10)' },
    interval: { value: 'SECONDS', description: "paced phase: each target's polling interval (default 1; KEDA's default is 30)" },
  },
  footer: 'Exit codes: 0 done; 1 the server or the probe failed; 2 bad command line. Progress is shown on a terminal only.',
};

/** The probe's schedule during the paced phase: enough calls for a p99, too few to load anything. */
const PROBE_CALLS_PER_SECOND = 50;

/** Goals from the issue: GetMetrics p99 with cached signals, and the server's memory. */
const GOAL_P99_MS = 5;
const GOAL_RSS_BYTES = 120 * 1024 * 1024;

interface BenchOptions {
  readonly targets: number;
  readonly durationSeconds: number;
  readonly intervalSeconds: number;
}

function positive(text: OptionValues[string], flag: string, fallback: number, integer: boolean): number {
  if (typeof text !== 'string') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return value;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

interface PhaseResult {
  calls: number;
  errors: number;
  seconds: number;
  readonly getMetricsMs: number[];
  /** This process's CPU time during the phase. */
  clientCpuMs?: number;
  /** This process's event-loop delay p99 during the phase: how long a finished call may wait to be seen. */
  clientLoopDelayP99Ms?: number;
}

interface ProbeResult {
  readonly kind: 'probe';
  readonly latenciesMs: number[];
  readonly errors: number;
}

type Unary = (request: unknown, callback: (error: ServiceError | null, response: unknown) => void) => void;

function call(client: Client, method: string, request: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    ((client as unknown as Record<string, Unary>)[method] as Unary).call(client, request, (error) => (error ? reject(error) : resolve()));
  });
}

async function timedGetMetrics(client: Client, index: number, into: number[]): Promise<void> {
  const startedNs = process.hrtime.bigint();
  await call(client, 'GetMetrics', { scaledObjectRef: benchTargetRef(index), metricName: `gateway-${index}-replicas` });
  into.push(Number(process.hrtime.bigint() - startedNs) / 1e6);
}

/** Every target runs KEDA's poll (GetMetricSpec, GetMetrics, IsActive) once per interval at its own phase. */
async function pacedPhase(client: Client, options: BenchOptions): Promise<PhaseResult> {
  const result: PhaseResult = { calls: 0, errors: 0, seconds: options.durationSeconds, getMetricsMs: [] };
  const endAtMs = Date.now() + options.durationSeconds * 1000;
  const intervalMs = options.intervalSeconds * 1000;
  const poll = async (index: number) => {
    try {
      await call(client, 'GetMetricSpec', benchTargetRef(index));
      await timedGetMetrics(client, index, result.getMetricsMs);
      await call(client, 'IsActive', benchTargetRef(index));
      result.calls += 3;
    } catch {
      result.errors += 1;
    }
  };
  await Promise.all(
    Array.from({ length: options.targets }, async (_, index) => {
      let nextAtMs = Date.now() + Math.random() * intervalMs;
      while (nextAtMs < endAtMs) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextAtMs - Date.now())));
        await poll(index);
        nextAtMs += intervalMs;
      }
    }),
  );
  return result;
}

/** One caller per target, GetMetrics back to back. */
async function saturatedPhase(client: Client, options: BenchOptions): Promise<PhaseResult> {
  const result: PhaseResult = { calls: 0, errors: 0, seconds: options.durationSeconds, getMetricsMs: [] };
  const startedMs = Date.now();
  const endAtMs = startedMs + options.durationSeconds * 1000;
  await Promise.all(
    Array.from({ length: options.targets }, async (_, index) => {
      while (Date.now() < endAtMs) {
        try {
          await timedGetMetrics(client, index, result.getMetricsMs);
          result.calls += 1;
        } catch {
          result.errors += 1;
        }
      }
    }),
  );
  return { ...result, seconds: (Date.now() - startedMs) / 1000 };
}

interface ServerReport {
  readonly kind: 'report';
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly maxRssBytes: number;
  readonly decisionsRecorded: number;
  /** Server-side GetMetrics times since the previous report (handler entry to answer handed to gRPC). */
  readonly getMetricsServerMs: number[];
  /** Server CPU time (user + system) since the previous report. */
  readonly cpuMs: number;
}

function describePhase(name: string, result: PhaseResult, report: ServerReport): string {
  const sorted = [...result.getMetricsMs].sort((a, b) => a - b);
  const server = [...report.getMetricsServerMs].sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const busy = (cpuMs: number | undefined) => `${Math.round(((cpuMs ?? Number.NaN) / (result.seconds * 1000)) * 100)} %`;
  return [
    `${name.padEnd(10)} ${Math.round(result.calls / result.seconds).toLocaleString('en-US')} calls/s (${result.calls} calls, ${result.errors} errors)`,
    `           GetMetrics as the client sees it: p50 ${ms(percentile(sorted, 0.5))}, p99 ${ms(percentile(sorted, 0.99))}, max ${ms(sorted.at(-1) ?? Number.NaN)}`,
    `           GetMetrics inside the server (handler to answer): p50 ${ms(percentile(server, 0.5))}, p99 ${ms(percentile(server, 0.99))}`,
    `           CPU busy: server ${busy(report.cpuMs)}, client ${busy(result.clientCpuMs)} of one core; client event-loop delay p99 ${ms(result.clientLoopDelayP99Ms ?? Number.NaN)}`,
  ].join('\n');
}

function describeProbe(result: ProbeResult): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, max ${(sorted.at(-1) ?? Number.NaN).toFixed(2)} ms (${sorted.length} calls, ${result.errors} errors)`;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function run(values: OptionValues, io: CommandIo): Promise<number> {
  const options: BenchOptions = {
    targets: positive(values.targets, 'targets', 200, true),
    durationSeconds: positive(values.duration, 'duration', 10, false),
    intervalSeconds: positive(values.interval, 'interval', 1, false),
  };
  const progress = progressLine(io);

  const serverFile = fileURLToPath(new URL('./bench-grpc-server.ts', import.meta.url));
  const child = fork(serverFile, [], {
    execArgv: [...PRODUCTION_NODE_OPTIONS, '--import', 'tsx'],
    env: { ...process.env, MALLOC_ARENA_MAX: PRODUCTION_MALLOC_ARENA_MAX },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: { resolve: (message: unknown) => void; reject: (error: Error) => void }[] = [];
  child.on('message', (message) => waiting.shift()?.resolve(message));
  child.once('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the bench server exited with code ${code}`));
  });
  const nextMessage = <T>() => new Promise<T>((resolve, reject) => waiting.push({ resolve: (message) => resolve(message as T), reject }));
  // A plain client process: the probe stands in for KEDA, not for the server's runtime settings.
  const probeChild = fork(fileURLToPath(new URL('./bench-grpc-probe.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { address, bareAddress } = await nextMessage<{ kind: 'listening'; address: string; bareAddress: string }>();
    const runProbe = (probeAddress: string) => {
      const result = new Promise<ProbeResult>((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the bench probe exited with code ${code}`));
        probeChild.once('exit', onExit);
        probeChild.once('message', (message) => {
          probeChild.off('exit', onExit);
          resolve(message as ProbeResult);
        });
      });
      probeChild.send({ kind: 'start', address: probeAddress, targets: options.targets, callsPerSecond: PROBE_CALLS_PER_SECOND, durationSeconds: options.durationSeconds });
      return result;
    };
    const Service = externalScalerService();
    const client = new Service(address, credentials.createInsecure());

    // Warm-up: every target known to the advisor and every code path compiled before measuring.
    for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: options.targets }, (_, index) => call(client, 'GetMetrics', { scaledObjectRef: benchTargetRef(index), metricName: 'm' })));

    const serverReport = () => {
      child.send({ kind: 'report' });
      return nextMessage<ServerReport>();
    };
    const measured = async (phase: () => Promise<PhaseResult>) => {
      const cpuSince = process.cpuUsage();
      const loopDelay = monitorEventLoopDelay({ resolution: 1 });
      loopDelay.enable();
      const result = await phase();
      loopDelay.disable();
      const used = process.cpuUsage(cpuSince);
      result.clientCpuMs = (used.user + used.system) / 1000;
      result.clientLoopDelayP99Ms = loopDelay.percentile(99) / 1e6;
      return result;
    };
    progress.update(`floor: probing a bare grpc-js server for ${options.durationSeconds} s…`);
    const floor = await runProbe(bareAddress);
    const idle = await serverReport();
    progress.update(`paced: ${options.targets} targets every ${options.intervalSeconds} s for ${options.durationSeconds} s…`);
    const probeResult = runProbe(address);
    const paced = await measured(() => pacedPhase(client, options));
    const probed = await probeResult;
    const afterPaced = await serverReport();
    progress.update(`saturated: ${options.targets} callers back to back for ${options.durationSeconds} s…`);
    const saturated = await measured(() => saturatedPhase(client, options));
    progress.done();
    const afterSaturated = await serverReport();
    client.close();

    const probedP99 = percentile([...probed.latenciesMs].sort((a, b) => a - b), 0.99);
    const floorP99 = percentile([...floor.latenciesMs].sort((a, b) => a - b), 0.99);
    const memory = (report: ServerReport) => `RSS ${mib(report.rssBytes)} (heap used ${mib(report.heapUsedBytes)}, peak RSS so far ${mib(report.maxRssBytes)})`;
    io.out(
      [
        `bench:grpc — ${options.targets} targets; server in a child process (real ScalerGrpcServer, Advisor and decide(), signals from a prepared snapshot = cache hit); one grpc-js client connection`,
        `floor      the probe against a bare grpc-js server (constant answer, same proto) with nothing else running: ${describeProbe(floor)}`,
        `paced: each target polls GetMetricSpec + GetMetrics + IsActive every ${options.intervalSeconds} s for ${options.durationSeconds} s; saturated: ${options.targets} callers send GetMetrics back to back for ${options.durationSeconds} s`,
        describePhase('paced', paced, afterPaced),
        `           GetMetrics from the probe (${PROBE_CALLS_PER_SECOND} calls/s on its own connection): ${describeProbe(probed)}`,
        describePhase('saturated', saturated, afterSaturated),
        `server memory: after warm-up ${memory(idle)}; after paced ${memory(afterPaced)}; after saturated ${memory(afterSaturated)}; ${afterSaturated.decisionsRecorded.toLocaleString('en-US')} decisions in the advisor's history`,
        `goals: GetMetrics p99 seen by the probe under the paced load ≤ ${GOAL_P99_MS} ms — ${probedP99 <= GOAL_P99_MS ? 'met' : `NOT met (the floor's p99 on this machine: ${floorP99.toFixed(2)} ms)`}; RSS ≤ ${mib(GOAL_RSS_BYTES)} through the paced phase — ${afterPaced.maxRssBytes <= GOAL_RSS_BYTES ? 'met' : 'NOT met'}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    progress.done();
    if (probeChild.exitCode === null && probeChild.signalCode === null) probeChild.kill('SIGTERM');
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.connected) child.send({ kind: 'stop' });
      else child.kill('SIGTERM');
      await exited;
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const io = processIo();
  process.exitCode = await runCommand(BENCH_GRPC_COMMAND, process.argv.slice(2), io, async (values) => {
    try {
      return await run(values, io);
    } catch (error) {
      // The server or probe process failing is a failure of the run (exit 1), with its cause printed.
      io.err(`bench:grpc failed: ${(error as Error).stack ?? String(error)}\n`);
      return 1;
    }
  });
}
