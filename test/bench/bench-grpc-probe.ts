// The latency probe of `npm run bench:grpc`, started by bench-grpc.ts as a child process: one caller
// on its own connection sends GetMetrics on a fixed schedule while the load generator polls every
// target. Its event loop is otherwise idle, so what it measures is the server's answer time under
// that load, as a KEDA operator (one goroutine per ScaledObject) would see it, without the load
// generator's own pauses. Run once more against the bare server while nothing else runs, it measures the
// floor of a grpc-js call on this machine. Reports its latencies over the IPC channel.
import { type Client, credentials } from '@grpc/grpc-js';
import { externalScalerService } from '../../src/keda/proto.ts';
import { benchTargetRef } from './bench-grpc-targets.ts';

interface ProbeStart {
  readonly kind: 'start';
  readonly address: string;
  readonly targets: number;
  readonly callsPerSecond: number;
  readonly durationSeconds: number;
}

function getMetrics(client: Client, index: number): Promise<void> {
  const method = (client as unknown as Record<string, (request: unknown, callback: (error: Error | null) => void) => void>).GetMetrics!;
  return new Promise((resolve, reject) => {
    method.call(client, { scaledObjectRef: benchTargetRef(index), metricName: `gateway-${index}-replicas` }, (error) => (error ? reject(error) : resolve()));
  });
}

async function probe(start: ProbeStart): Promise<{ latenciesMs: number[]; errors: number }> {
  const Service = externalScalerService();
  const client = new Service(start.address, credentials.createInsecure());
  const latenciesMs: number[] = [];
  let errors = 0;
  // Connect and compile this path before the schedule starts.
  for (let call = 0; call < 20; call++) await getMetrics(client, call % start.targets);
  const periodMs = 1000 / start.callsPerSecond;
  const startedMs = performance.now();
  for (let call = 0; call * periodMs < start.durationSeconds * 1000; call++) {
    const dueMs = startedMs + call * periodMs;
    const waitMs = dueMs - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    const sentMs = performance.now();
    try {
      await getMetrics(client, call % start.targets);
      latenciesMs.push(performance.now() - sentMs);
    } catch {
      errors += 1;
    }
  }
  client.close();
  return { latenciesMs, errors };
}

// One run per start message; the parent kills this process when it is done.
process.on('message', (message: ProbeStart) => {
  probe(message).then(
    (result) => process.send?.({ kind: 'probe', ...result }),
    (error: unknown) => {
      process.stderr.write(`bench:grpc probe failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
});
