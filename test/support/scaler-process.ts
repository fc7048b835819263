// The scaler as a child process (`npm start`'s tsx or the built `node dist/main.js`), with its output
// collected and its JSON log lines searchable.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ScalerClient, scalerClient } from '../keda/support/grpc-client.ts';

export interface ScalerProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `command args` in `cwd` with a clean environment (PATH and HOME, plus `env`). */
export function spawnScaler(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): ScalerProcess {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits for a JSON log line with this message; returns the entry. */
export async function logLine(run: ScalerProcess, message: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of run.stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === message) return entry;
    }
    if (run.child.exitCode !== null) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  throw new Error(`no "${message}" log line; stdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`);
}

/** The embedded demo's target as KEDA would name it, with the bounds its answer must respect. */
export const DEMO_TRIGGER = {
  ref: { namespace: 'observability', name: 'otel-gateway', scalerMetadata: { gatewaySelector: 'job="otel-gateway",namespace="observability"', minReplicas: '2', maxReplicas: '60' } },
  minReplicas: 2,
  maxReplicas: 60,
} as const;

/** Asks the scaler at `grpcAddress` for the demo target's replicas over a real gRPC GetMetrics call. */
export async function demoReplicas(grpcAddress: string): Promise<number> {
  const client = scalerClient(grpcAddress);
  try {
    const response = await client.getMetrics({ scaledObjectRef: DEMO_TRIGGER.ref, metricName: 'otel-gateway-replicas' });
    return response.metricValues[0]?.metricValue ?? Number.NaN;
  } finally {
    client.close();
  }
}

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A scaler started as the image starts it, with a gRPC client on its address and its dashboard URL. */
export interface RunningScaler {
  readonly process: ScalerProcess;
  readonly client: ScalerClient;
  readonly http: string;
}

/** Starts `node --import tsx src/main.ts --config <configFile>` and waits until it serves. */
export async function startScalerProcess(configFile: string): Promise<RunningScaler> {
  const scalerProcess = spawnScaler(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', configFile], { cwd: PROJECT_ROOT });
  const started = await logLine(scalerProcess, 'otel-gateway-scaler started', 30_000);
  return { process: scalerProcess, client: scalerClient(String(started.grpc)), http: String(started.http) };
}

/** SIGTERM, and wait for the exit. */
export async function stopScalerProcess(scaler: RunningScaler): Promise<void> {
  scaler.client.close();
  scaler.process.child.kill('SIGTERM');
  await scaler.process.exited;
}

/** The scaler processes a test started, so its afterAll stops whichever still run. */
export class ScalerProcesses {
  private readonly running = new Set<RunningScaler>();

  async start(configFile: string): Promise<RunningScaler> {
    const scaler = await startScalerProcess(configFile);
    this.running.add(scaler);
    return scaler;
  }

  async stop(scaler: RunningScaler): Promise<void> {
    this.running.delete(scaler);
    await stopScalerProcess(scaler);
  }

  async stopAll(): Promise<void> {
    for (const scaler of [...this.running]) await this.stop(scaler);
  }
}

/** The replicas a scaler answers KEDA's GetMetrics for a ScaledObject in `observability`. */
export async function answeredReplicas(scaler: RunningScaler, name: string, metadata: Readonly<Record<string, string>>): Promise<number> {
  const response = await scaler.client.getMetrics({ scaledObjectRef: { name, namespace: 'observability', scalerMetadata: { ...metadata } }, metricName: 'gateway-replicas' });
  return Number(response.metricValues[0]!.metricValueFloat);
}
