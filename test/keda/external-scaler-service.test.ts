import { type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorCode, ScalerError } from '../../src/errors.ts';
import type { GrpcCallEvent } from '../../src/keda/call-observer.ts';
import { ERROR_CODE_TRAILER } from '../../src/keda/grpc-error.ts';
import { type ScalerClient, scalerClient } from './support/grpc-client.ts';
import { ScriptedEvaluator } from './support/scripted-evaluator.ts';
import { type StartedScaler, startScaler } from './support/start-scaler.ts';

const GATEWAY = { namespace: 'observability', name: 'otel-gateway' };
const METADATA = { gatewaySelector: 'job="otel-gateway"', scalerAddress: 'scaler:6000' };
const ref = (metadata: Record<string, string> = METADATA, target = GATEWAY) => ({ ...target, scalerMetadata: metadata });
const NOW_MS = Date.parse('2026-03-02T08:00:00Z');

async function failure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the call succeeded but was expected to fail');
}

describe('ExternalScaler over a real socket', () => {
  const evaluator = new ScriptedEvaluator();
  const events: GrpcCallEvent[] = [];
  let scaler: StartedScaler;
  let client: ScalerClient;

  beforeAll(async () => {
    scaler = await startScaler({
      evaluator,
      targetDefaults: { maxReplicas: '40' },
      prometheusNames: ['default', 'long-term'],
      evaluationTimeoutMs: 300,
      observer: { callFinished: (event) => events.push(event) },
      nowMs: () => NOW_MS,
    });
    client = scalerClient(scaler.address);
  });
  afterAll(async () => {
    client.close();
    await scaler.server.stop();
  });
  afterEach(() => {
    evaluator.calls.length = 0;
    evaluator.answers.clear();
    events.length = 0;
  });

  describe('GetMetricSpec', () => {
    it('announces one metric named after the target with targetSize 1, without evaluating', async () => {
      const response = await client.getMetricSpec(ref());
      expect(response).toEqual({ metricSpecs: [{ metricName: 'otel-gateway-replicas', targetSize: 1, targetSizeFloat: 1 }] });
      expect(evaluator.calls).toEqual([]);
    });

    it('derives the metric name from the ScaledObject name only', async () => {
      const other = await client.getMetricSpec(ref({ ...METADATA, minReplicas: '5' }, { namespace: 'team-a', name: 'Edge.Gateway' }));
      expect(other.metricSpecs.map((spec) => spec.metricName)).toEqual(['edge-gateway-replicas']);
    });

    const badMetadata: { name: string; input: Record<string, string>; want: RegExp }[] = [
      { name: 'an unknown key', input: { ...METADATA, targetCPU: '70' }, want: /scalerMetadata\.targetCPU is not a known key/ },
      { name: 'a bad number', input: { ...METADATA, maxReplicas: 'ten' }, want: /scalerMetadata\.maxReplicas must be an integer/ },
      { name: 'min above max', input: { ...METADATA, minReplicas: '9', maxReplicas: '4' }, want: /scalerMetadata\.minReplicas \(9\) must be ≤ maxReplicas \(4\)/ },
      { name: 'a missing selector', input: { scalerAddress: 'scaler:6000' }, want: /scalerMetadata\.gatewaySelector is required/ },
      { name: 'min above the server default max', input: { ...METADATA, minReplicas: '41' }, want: /minReplicas \(41\) must be ≤ maxReplicas \(40\)/ },
      { name: 'a selector Prometheus would refuse', input: { ...METADATA, gatewaySelector: 'job=~"(a|b"' }, want: /scalerMetadata\.gatewaySelector has job=~"\(a\|b", whose regex is not a valid regular expression/ },
      { name: 'a selector matching every job', input: { ...METADATA, gatewaySelector: 'job!~""' }, want: /scalerMetadata\.gatewaySelector has job!~"", which matches every job/ },
      { name: 'a 1 MiB value', input: { ...METADATA, gatewaySelector: `job="${'g'.repeat(1 << 20)}"` }, want: /^scalerMetadata\.gatewaySelector holds 1048582 bytes; a metadata value may hold at most 4096 bytes \(4 KiB\)$/ },
      { name: 'a 1 MiB unknown key', input: { ...METADATA, ['k'.repeat(1 << 20)]: '1' }, want: /^scalerMetadata holds 10486\d\d bytes in all; .* its largest entry is k{200}… \(1048376 more characters\) \(1048577 bytes\)$/ },
      { name: 'an unconfigured Prometheus', input: { ...METADATA, prometheus: 'other' }, want: /scalerMetadata\.prometheus "other" is not a Prometheus server .* configured: default, long-term/ },
    ];
    for (const row of badMetadata) {
      it(`answers INVALID_ARGUMENT naming the key for ${row.name}`, async () => {
        const error = await failure(client.getMetricSpec(ref(row.input)));
        expect(error.code).toBe(status.INVALID_ARGUMENT);
        expect(error.details).toMatch(row.want);
        // Echoed values are cut: the status stays far below any client's metadata limit.
        expect(error.details.length).toBeLessThan(1000);
      });
    }

    it('rejects a ref without a name', async () => {
      const error = await failure(client.getMetricSpec(ref(METADATA, { namespace: 'observability', name: '' })));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe('ScaledObjectRef.name is empty');
    });
  });

  describe('GetMetrics', () => {
    it('answers decision.replicas as int and float under the requested metric name', async () => {
      evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 7, active: true });
      const response = await client.getMetrics({ scaledObjectRef: ref(), metricName: 'otel-gateway-replicas' });
      expect(response).toEqual({ metricValues: [{ metricName: 'otel-gateway-replicas', metricValue: 7, metricValueFloat: 7 }] });
    });

    it('passes the target, the metadata as KEDA sent it and the clock to the evaluator', async () => {
      await client.getMetrics({ scaledObjectRef: ref(), metricName: 'otel-gateway-replicas' });
      expect(evaluator.calls).toEqual([{ target: GATEWAY, metadata: METADATA, nowMs: NOW_MS }]);
    });

    it('answers under whatever name KEDA asks for (it strips its own prefix)', async () => {
      evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 12, active: true });
      const response = await client.getMetrics({ scaledObjectRef: ref(), metricName: 'renamed-metric' });
      expect(response.metricValues.map((value) => value.metricName)).toEqual(['renamed-metric']);
    });

    it('reports the call to the observer with method, status and duration', async () => {
      await client.getMetrics({ scaledObjectRef: ref(), metricName: 'otel-gateway-replicas' });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ method: 'GetMetrics', code: 'OK' });
      expect(events[0]!.durationMs).toBeGreaterThanOrEqual(0);
    });

    it('refuses to send a non-finite replica count (KEDA would read it as 0)', async () => {
      evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: Number.NaN, active: true });
      const error = await failure(client.getMetrics({ scaledObjectRef: ref(), metricName: 'otel-gateway-replicas' }));
      expect(error.code).toBe(status.INTERNAL);
    });
  });

  describe('IsActive', () => {
    for (const active of [true, false]) {
      it(`answers result=${active} when the evaluation says active=${active}`, async () => {
        evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 2, active });
        expect(await client.isActive(ref())).toEqual({ result: active });
      });
    }
  });

  describe('errors', () => {
    const scalerErrors: { name: string; input: ErrorCode; want: status }[] = [
      { name: 'invalid metadata is INVALID_ARGUMENT', input: 'INVALID_METADATA', want: status.INVALID_ARGUMENT },
      { name: 'an unknown Prometheus is INVALID_ARGUMENT', input: 'UNKNOWN_PROMETHEUS', want: status.INVALID_ARGUMENT },
      { name: 'Prometheus down is UNAVAILABLE', input: 'PROMETHEUS_UNAVAILABLE', want: status.UNAVAILABLE },
      { name: 'unknown current replicas is UNAVAILABLE', input: 'CURRENT_REPLICAS_UNKNOWN', want: status.UNAVAILABLE },
      { name: 'a bad server config is FAILED_PRECONDITION', input: 'INVALID_SERVER_CONFIG', want: status.FAILED_PRECONDITION },
      { name: 'an evaluation timeout is DEADLINE_EXCEEDED', input: 'EVALUATION_TIMEOUT', want: status.DEADLINE_EXCEEDED },
    ];
    for (const row of scalerErrors) {
      it(`maps ScalerError: ${row.name}, keeping the message and the code trailer`, async () => {
        evaluator.answer(GATEWAY, { kind: 'error', error: new ScalerError(row.input, `scripted ${row.input} failure`) });
        for (const call of [client.getMetrics({ scaledObjectRef: ref(), metricName: 'm' }), client.isActive(ref())]) {
          const error = await failure(call);
          expect(error.code).toBe(row.want);
          expect(error.details).toBe(`scripted ${row.input} failure`);
          expect(error.metadata.get(ERROR_CODE_TRAILER)).toEqual([row.input]);
        }
      });
    }

    it('answers INTERNAL with a generic message for an unexpected error, without its details', async () => {
      evaluator.answer(GATEWAY, { kind: 'error', error: new TypeError('cannot read properties of undefined (secret internals)') });
      const error = await failure(client.getMetrics({ scaledObjectRef: ref(), metricName: 'm' }));
      expect(error.code).toBe(status.INTERNAL);
      expect(error.details).toMatch(/internal error in the scaler \(GetMetrics\)/);
      expect(error.details).not.toContain('secret internals');
      expect(events.map((event) => [event.method, event.code])).toEqual([['GetMetrics', 'INTERNAL']]);
    });

    it('never hangs: an evaluation that does not finish answers DEADLINE_EXCEEDED after the evaluation timeout', async () => {
      evaluator.answer(GATEWAY, { kind: 'hang' });
      const startedMs = Date.now();
      const error = await failure(client.getMetrics({ scaledObjectRef: ref(), metricName: 'm' }));
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
      expect(error.details).toBe('evaluating observability/otel-gateway did not finish within 300 ms');
      expect(Date.now() - startedMs).toBeLessThan(3000);
    });

    it('rejects GetMetrics without a scaledObjectRef', async () => {
      const error = await failure(client.getMetrics({ scaledObjectRef: null, metricName: 'm' }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toBe('GetMetricsRequest.scaledObjectRef is missing');
    });
  });
});
