// The scaler as a child process (`npm start`'s tsx or the built `node dist/main.js`), with its output
// collected and its JSON log lines searchable.
import { type ChildProcess, spawn } from 'node:child_process';
import { scalerClient } from '../keda/support/grpc-client.ts';

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
