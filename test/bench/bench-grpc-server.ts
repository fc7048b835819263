// The server side of `npm run bench:grpc`, started by bench-grpc.ts as a child process: the real
// ScalerGrpcServer on 127.0.0.1, the real Advisor and decide(), and a SignalSource that answers from a
// prepared snapshot — what a PrometheusSignalSource cache hit returns, without Prometheus. Beside it a
// bare grpc-js server on the same proto answers GetMetrics with a constant: the floor a call costs on
// this machine whatever the scaler does. Reports both addresses and, when asked, its memory over the
// IPC channel.
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Advisor } from '../../src/advisor/advisor.ts';
import type { TargetSettings } from '../../src/config/target-metadata.ts';
import type { SignalSnapshot, SignalSource, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { externalScalerService } from '../../src/keda/proto.ts';
import { ScalerGrpcServer } from '../../src/keda/scaler-grpc-server.ts';

/** Like the Prometheus source's default cacheTtlMs: a cached snapshot is at most this old. */
const CACHE_TTL_MS = 10_000;

/** A busy, healthy gateway tier of 10 replicas (every signal present, nothing failing). */
function preparedSnapshot(observedAtMs: number): SignalSnapshot {
  const ok = <T>(value: T) => ({ kind: 'ok', value }) as const;
  const byGateway = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`10.0.0.${index + 1}:8888`, 14_000]));
  return {
    observedAtMs,
    signals: {
      currentReplicas: ok(10),
      reportingReplicas: ok(10),
      queueFillMax: ok(0.32),
      queueFillMean: ok(0.21),
      refusedSpansPerSecond: ok(0),
      enqueueFailedSpansPerSecond: ok(0),
      sendFailedSpansPerSecond: ok(0),
      sentSpansPerSecond: ok(14_000),
      decisionLatencyP99Ms: ok(40),
      tracesOnMemory: ok(210_000),
      droppedTooEarlyTracesPerSecond: ok(0),
      acceptedSpansPerSecond: ok(140_000),
    },
    acceptedSpansPerSecondByGateway: ok(byGateway),
  };
}

/** Serves the prepared snapshot, refreshed once per cache TTL, like a warm cache. */
class PreparedSignalSource implements SignalSource {
  #snapshot = preparedSnapshot(Date.now());

  read(_target: TargetRef, _settings: TargetSettings): Promise<SignalSnapshot> {
    const nowMs = Date.now();
    if (nowMs - this.#snapshot.observedAtMs >= CACHE_TTL_MS) this.#snapshot = preparedSnapshot(nowMs);
    return Promise.resolve(this.#snapshot);
  }
}

function startBareServer(): Promise<{ server: Server; address: string }> {
  const server = new Server();
  server.addService(externalScalerService().service, {
    GetMetrics: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
      callback(null, { metricValues: [{ metricName: 'bare', metricValue: 1, metricValueFloat: 1 }] }),
  });
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve({ server, address: `127.0.0.1:${port}` })));
  });
}

async function serve(): Promise<void> {
  const source = new PreparedSignalSource();
  const advisor = new Advisor({
    sourceFor: (prometheusName: string) => (prometheusName === 'default' ? source : undefined),
    targetDefaults: {},
    forgetAfterSeconds: 3600,
    maxTargets: 100_000,
    historyLength: 2880,
  });
  // Server-side time of each GetMetrics (handler entry to answer handed to gRPC), since the last report.
  let getMetricsMs: number[] = [];
  let cpuSince = process.cpuUsage();
  const server = new ScalerGrpcServer({
    host: '127.0.0.1',
    port: 0,
    evaluator: advisor,
    decisionLog: advisor,
    targetDefaults: {},
    prometheusNames: ['default'],
    logger: pino({ level: 'warn' }),
    observer: {
      callFinished: (event) => {
        if (event.method === 'GetMetrics') getMetricsMs.push(event.durationMs);
      },
    },
  });
  const address = await server.start();
  const bare = await startBareServer();
  process.on('message', (message: { kind: string }) => {
    if (message.kind === 'report') {
      const decisionsRecorded = advisor.targets().reduce((sum, record) => sum + advisor.history(record.ref, 0).length, 0);
      const memory = process.memoryUsage();
      process.send?.({
        kind: 'report',
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        decisionsRecorded,
        getMetricsServerMs: getMetricsMs,
        cpuMs: (() => {
          const used = process.cpuUsage(cpuSince);
          return (used.user + used.system) / 1000;
        })(),
      });
      getMetricsMs = [];
      cpuSince = process.cpuUsage();
    } else if (message.kind === 'stop') {
      bare.server.forceShutdown();
      void server.stop().then(() => process.exit(0));
    }
  });
  process.send?.({ kind: 'listening', address, bareAddress: bare.address });
}

serve().catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
