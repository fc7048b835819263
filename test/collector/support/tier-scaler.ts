// The scaler as KEDA meets it, reading the tier's Prometheus: the Prometheus signal source, the
// Advisor with decide(), and the real gRPC ExternalScaler server, called over a socket.
import { Advisor, type AdvisorOptions } from '../../../src/advisor/advisor.ts';
import type { GetMetricsRequestMessage } from '../../../src/keda/proto.ts';
import type { Decision } from '../../../src/policy/decision.ts';
import { PrometheusSignalSource } from '../../../src/signals/prometheus-source.ts';
import { type ScalerClient, scalerClient } from '../../keda/support/grpc-client.ts';
import { type StartedScaler, startScaler } from '../../keda/support/start-scaler.ts';
import { GATEWAY_SELECTOR } from './gateway-tier.ts';

export interface TierScaler {
  readonly source: PrometheusSignalSource;
  readonly advisor: Advisor;
  /** One KEDA poll (GetMetrics): the replica count the scaler answers. */
  poll(): Promise<number>;
  /** The Decision behind the last poll. */
  latest(): Decision;
  stop(): Promise<void>;
}

/** `learned` adds the Advisor's hooks for learned figures, read through the scaler's own signal source. */
export async function startTierScaler(
  prometheusUrl: string,
  metadata: Readonly<Record<string, string>>,
  learned: (source: PrometheusSignalSource) => Partial<AdvisorOptions> = () => ({}),
): Promise<TierScaler> {
  const source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheusUrl, queryTimeoutMs: 2500, cacheTtlMs: 500 } });
  const advisor = new Advisor({
    sourceFor: (name) => (name === 'default' ? source : undefined),
    targetDefaults: {},
    forgetAfterSeconds: 3600,
    maxTargets: 10,
    historyLength: 200,
    ...learned(source),
  });
  const scaler: StartedScaler = await startScaler({ evaluator: advisor, decisionLog: advisor, prometheusNames: ['default'] });
  const client: ScalerClient = scalerClient(scaler.address);
  const request: GetMetricsRequestMessage = {
    scaledObjectRef: { namespace: 'observability', name: 'otel-gateway', scalerMetadata: { gatewaySelector: GATEWAY_SELECTOR, ...metadata } },
    metricName: 'otel-gateway',
  };
  return {
    source,
    advisor,
    poll: async () => (await client.getMetrics(request)).metricValues[0]!.metricValueFloat,
    latest: () => {
      const decision = advisor.target(request.scaledObjectRef!)?.latest;
      if (!decision) throw new Error('the scaler has not decided yet: poll() first');
      return decision;
    },
    stop: async () => {
      client.close();
      await scaler.server.stop();
    },
  };
}
