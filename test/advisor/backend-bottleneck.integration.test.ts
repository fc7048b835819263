// End to end through every real part: simulated gateways serving collector /metrics, a real Prometheus
// scraping them, the Prometheus signal reader, the Advisor with decide(), and the gRPC server KEDA
// calls. While the backend rejects most sends, full queues must not add gateways (GetMetrics answers
// the current count); once the backend recovers, the same full queues scale the tier out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Advisor } from '../../src/advisor/advisor.ts';
import type { GetMetricsRequestMessage } from '../../src/keda/proto.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { type ScalerClient, scalerClient } from '../keda/support/grpc-client.ts';
import { type StartedScaler, startScaler } from '../keda/support/start-scaler.ts';
import { type CollectorExporter, startCollectorExporter } from '../support/collector-exporter.ts';
import { DEFAULT_GATEWAY_JOB, type RunningPrometheus, startPrometheus, waitForScrapeHistory } from '../support/prometheus.ts';

const GATEWAYS = 4;
const RATE_WINDOW_SECONDS = 15;
const QUEUE_CAPACITY = 1000;
const QUEUE_FILL = 0.82;
const METADATA = {
  gatewaySelector: `job="${DEFAULT_GATEWAY_JOB}"`,
  rateWindow: `${RATE_WINDOW_SECONDS}s`,
  capacitySpansPerReplica: '2000',
  minReplicas: '2',
  maxReplicas: '20',
};
const REQUEST: GetMetricsRequestMessage = {
  scaledObjectRef: { namespace: 'observability', name: 'otel-gateway', scalerMetadata: METADATA },
  metricName: 'otel-gateway',
};
/** What the queue proposal asks for at QUEUE_FILL with the default targetQueueFill of 0.5. */
const WANTED_BY_QUEUES = Math.ceil((GATEWAYS * QUEUE_FILL) / 0.5);

describe('GetMetrics through the real gRPC server and a real Prometheus', () => {
  let exporter: CollectorExporter;
  let prometheus: RunningPrometheus;
  let scaler: StartedScaler;
  let client: ScalerClient;
  let advisor: Advisor;

  beforeAll(async () => {
    exporter = await startCollectorExporter({ spelling: 'modern', gateways: GATEWAYS });
    for (const gateway of exporter.gateways) {
      gateway.setRate('acceptedSpans', 1000);
      gateway.setRate('refusedSpans', 0);
      gateway.setRate('enqueueFailedSpans', 0);
      gateway.setRate('droppedTooEarlyTraces', 0);
      gateway.setGauge('queueCapacity', QUEUE_CAPACITY);
      gateway.setGauge('queueSize', QUEUE_CAPACITY * QUEUE_FILL);
      gateway.setGauge('tracesOnMemory', 5000);
      gateway.setDecisionTicks(1, 20);
      // The backend rejects 90 % of sends.
      gateway.setRate('sentSpans', 10);
      gateway.setRate('sendFailedSpans', 90);
    }
    prometheus = await startPrometheus({ scrapeTargets: exporter.targets });
    const source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 2000, cacheTtlMs: 1000 } });
    advisor = new Advisor({
      sourceFor: (name) => (name === 'default' ? source : undefined),
      targetDefaults: {},
      forgetAfterSeconds: 3600,
      maxTargets: 10,
      historyLength: 100,
    });
    scaler = await startScaler({ evaluator: advisor, decisionLog: advisor, prometheusNames: ['default'] });
    client = scalerClient(scaler.address);
    await waitForScrapeHistory(prometheus.url, `job="${DEFAULT_GATEWAY_JOB}"`, RATE_WINDOW_SECONDS);
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await scaler?.server.stop();
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('holds at the current count while the backend fails, and scales out on the same full queues once it recovers', async () => {
    const failing = await client.getMetrics(REQUEST);
    expect(failing.metricValues[0]?.metricValueFloat).toBe(GATEWAYS);
    const held = advisor.target(REQUEST.scaledObjectRef!)!.latest!;
    expect(held.current).toBe(GATEWAYS);
    expect(held.guards.map((guard) => guard.name)).toContain('backendBottleneck');
    expect(held.summary).toMatch(/^Holding at 4: backend rejects 90% of sends \(limit 5%\); more gateways would not help\.$/);
    expect(held.proposals.find((proposal) => proposal.name === 'queue')?.replicas).toBe(WANTED_BY_QUEUES);

    for (const gateway of exporter.gateways) {
      gateway.setRate('sendFailedSpans', 0);
      gateway.setRate('sentSpans', 100);
    }
    // The failure rate fades out of the rate window; until then every answer must still be a hold.
    const answers: number[] = [];
    const deadline = Date.now() + (RATE_WINDOW_SECONDS + 20) * 1000;
    while (Date.now() < deadline) {
      const response = await client.getMetrics(REQUEST);
      const replicas = response.metricValues[0]!.metricValueFloat;
      answers.push(replicas);
      if (replicas !== GATEWAYS) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(answers.slice(0, -1).filter((replicas) => replicas !== GATEWAYS)).toEqual([]);
    expect(answers.at(-1)).toBe(WANTED_BY_QUEUES);
    const recovered = advisor.target(REQUEST.scaledObjectRef!)!.latest!;
    expect(recovered.guards.map((guard) => guard.name)).not.toContain('backendBottleneck');
    expect(recovered.summary).toBe(`Scaling out 4 → ${WANTED_BY_QUEUES}: queues 82% full (target 50%).`);
    expect((await client.isActive(REQUEST.scaledObjectRef!)).result).toBe(true);
  }, 90_000);
});
