import { type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Advisor } from '../../src/advisor/advisor.ts';
import type { TargetSettings } from '../../src/config/target-metadata.ts';
import { ScalerError } from '../../src/errors.ts';
import { type SignalSnapshot, type SignalSource, type TargetRef, targetKey } from '../../src/signals/signal-snapshot.ts';
import { type ScalerClient, scalerClient } from './support/grpc-client.ts';
import { type StartedScaler, startScaler } from './support/start-scaler.ts';

// The seam the production handlers sit on: the real Advisor and decide(), fed by a SignalSource that
// answers what each test prepared for its target (a Prometheus read, minus Prometheus).
type Prepared = { readonly kind: 'snapshot'; readonly acceptedSpansPerSecond: number; readonly currentReplicas: number | undefined } | { readonly kind: 'unavailable' };

class PreparedSource implements SignalSource {
  readonly prepared = new Map<string, Prepared>();

  async read(target: TargetRef, _settings: TargetSettings): Promise<SignalSnapshot> {
    const prepared = this.prepared.get(targetKey(target));
    if (!prepared || prepared.kind === 'unavailable') throw new ScalerError('PROMETHEUS_UNAVAILABLE', 'Prometheus "default" is not reachable: connection refused');
    const ok = <T>(value: T) => ({ kind: 'ok', value }) as const;
    const replicas = prepared.currentReplicas;
    return {
      observedAtMs: Date.now(),
      signals: {
        currentReplicas: replicas === undefined ? { kind: 'missing', reason: 'no gateway matched the selector' } : ok(replicas),
        reportingReplicas: replicas === undefined ? { kind: 'missing', reason: 'no gateway matched the selector' } : ok(replicas),
        queueFillMax: ok(0.1),
        queueFillMean: ok(0.05),
        refusedSpansPerSecond: ok(0),
        enqueueFailedSpansPerSecond: ok(0),
        sendFailedSpansPerSecond: ok(0),
        sentSpansPerSecond: ok(prepared.acceptedSpansPerSecond / 10),
        decisionLatencyP99Ms: ok(20),
        tracesOnMemory: ok(1000),
        droppedTooEarlyTracesPerSecond: ok(0),
        acceptedSpansPerSecond: ok(prepared.acceptedSpansPerSecond),
      },
      acceptedSpansPerSecondByGateway: { kind: 'missing', reason: 'not needed here' },
    };
  }
}

const METADATA = { gatewaySelector: 'job="otel-gateway"', capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60' };

describe('ExternalScaler through the real Advisor', () => {
  const source = new PreparedSource();
  const advisor = new Advisor({
    sourceFor: (name) => (name === 'default' ? source : undefined),
    targetDefaults: {},
    forgetAfterSeconds: 3600,
    maxTargets: 100,
    historyLength: 100,
  });
  let scaler: StartedScaler;
  let client: ScalerClient;
  beforeAll(async () => {
    scaler = await startScaler({ evaluator: advisor, decisionLog: advisor, prometheusNames: ['default'] });
    client = scalerClient(scaler.address);
  });
  afterAll(async () => {
    client.close();
    await scaler.server.stop();
  });

  let next = 0;
  /** A fresh target per case, so no policy state carries over between rows. */
  function target(prepared: Prepared) {
    const ref = { namespace: 'observability', name: `gateway-${next++}` };
    source.prepared.set(targetKey(ref), prepared);
    return ref;
  }

  // Throughput proposal: ceil(accepted / (capacitySpansPerReplica × targetUtilization)) = ceil(accepted / 14000).
  const scaleOut: { name: string; input: { acceptedSpansPerSecond: number; currentReplicas: number; mode: string }; want: number }[] = [
    { name: 'enforce: answers the recommended count', input: { acceptedSpansPerSecond: 280_000, currentReplicas: 10, mode: 'enforce' }, want: 20 },
    { name: 'dry-run: answers the current count whatever it recommends', input: { acceptedSpansPerSecond: 280_000, currentReplicas: 10, mode: 'dry-run' }, want: 10 },
  ];
  for (const row of scaleOut) {
    it(`GetMetrics ${row.name}`, async () => {
      const ref = target({ kind: 'snapshot', acceptedSpansPerSecond: row.input.acceptedSpansPerSecond, currentReplicas: row.input.currentReplicas });
      const response = await client.getMetrics({ scaledObjectRef: { ...ref, scalerMetadata: { ...METADATA, mode: row.input.mode } }, metricName: 'gateway-replicas' });
      expect(response.metricValues).toEqual([{ metricName: 'gateway-replicas', metricValue: row.want, metricValueFloat: row.want }]);
      const recorded = advisor.target(ref)?.latest;
      expect(recorded?.replicas).toBe(row.want);
      expect(recorded?.recommended).toBe(20);
    });
  }

  it('IsActive follows activationSpansPerSecond', async () => {
    const ref = target({ kind: 'snapshot', acceptedSpansPerSecond: 1000, currentReplicas: 2 });
    const isActive = (threshold: string) => client.isActive({ ...ref, scalerMetadata: { ...METADATA, activationSpansPerSecond: threshold } });
    expect(await isActive('500')).toEqual({ result: true });
    expect(await isActive('5000')).toEqual({ result: false });
  });

  const failures: { name: string; input: { prepared: Prepared; metadata: Record<string, string> }; want: { code: status; details: RegExp } }[] = [
    {
      name: 'Prometheus down is UNAVAILABLE (KEDA fallback applies)',
      input: { prepared: { kind: 'unavailable' }, metadata: METADATA },
      want: { code: status.UNAVAILABLE, details: /Prometheus "default" is not reachable/ },
    },
    {
      name: 'an unknown Prometheus name is INVALID_ARGUMENT',
      input: { prepared: { kind: 'unavailable' }, metadata: { ...METADATA, prometheus: 'elsewhere' } },
      want: { code: status.INVALID_ARGUMENT, details: /scalerMetadata\.prometheus "elsewhere"/ },
    },
    {
      name: 'bad metadata is INVALID_ARGUMENT naming the key',
      input: { prepared: { kind: 'snapshot', acceptedSpansPerSecond: 1000, currentReplicas: 2 }, metadata: { ...METADATA, scaleInStep: '0' } },
      want: { code: status.INVALID_ARGUMENT, details: /scalerMetadata\.scaleInStep must be an integer ≥ 1/ },
    },
  ];
  for (const row of failures) {
    it(`GetMetrics: ${row.name}`, async () => {
      const ref = target(row.input.prepared);
      const error = await client.getMetrics({ scaledObjectRef: { ...ref, scalerMetadata: row.input.metadata }, metricName: 'm' }).then(
        () => undefined,
        (caught: ServiceError) => caught,
      );
      expect(error?.code).toBe(row.want.code);
      expect(error?.details).toMatch(row.want.details);
    });
  }

  it('unknown current replicas is an error, never a value KEDA could scale in on', async () => {
    const ref = target({ kind: 'snapshot', acceptedSpansPerSecond: 1000, currentReplicas: undefined });
    const outcome = await client.getMetrics({ scaledObjectRef: { ...ref, scalerMetadata: METADATA }, metricName: 'm' }).then(
      (response) => response.metricValues[0]?.metricValue,
      (caught: ServiceError) => caught.code,
    );
    expect(outcome).toBe(status.UNAVAILABLE);
  });
});
