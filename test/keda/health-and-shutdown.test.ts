import { type ServiceError, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EXTERNAL_SCALER_SERVICE_NAME } from '../../src/keda/proto.ts';
import { ScalerGrpcServer } from '../../src/keda/scaler-grpc-server.ts';
import { healthClient, scalerClient } from './support/grpc-client.ts';
import { ScriptedEvaluator } from './support/scripted-evaluator.ts';
import { type StartedScaler, startScaler } from './support/start-scaler.ts';

const GATEWAY = { namespace: 'observability', name: 'otel-gateway' };
const REF = { ...GATEWAY, scalerMetadata: { gatewaySelector: 'job="otel-gateway"' } };

describe('grpc.health.v1 and graceful shutdown', () => {
  let scaler: StartedScaler | undefined;
  const closers: (() => void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await scaler?.server.stop();
  });

  const services: { name: string; input: string }[] = [
    { name: 'the whole server', input: '' },
    { name: 'the ExternalScaler service', input: EXTERNAL_SCALER_SERVICE_NAME },
  ];
  for (const row of services) {
    it(`Check reports SERVING for ${row.name} once started`, async () => {
      scaler = await startScaler({ evaluator: new ScriptedEvaluator() });
      const health = healthClient(scaler.address);
      closers.push(health.close);
      expect(await health.check(row.input)).toEqual({ status: 'SERVING' });
    });
  }

  it('Check answers NOT_FOUND for a service it does not serve', async () => {
    scaler = await startScaler({ evaluator: new ScriptedEvaluator() });
    const health = healthClient(scaler.address);
    closers.push(health.close);
    const error = await health.check('some.Other').then(
      () => undefined,
      (caught: ServiceError) => caught,
    );
    expect(error?.code).toBe(status.NOT_FOUND);
  });

  it('Watch sends SERVING at once, NOT_SERVING when shutdown starts, then ends', async () => {
    scaler = await startScaler({ evaluator: new ScriptedEvaluator() });
    const health = healthClient(scaler.address);
    closers.push(health.close);
    const watch = health.watch(EXTERNAL_SCALER_SERVICE_NAME);
    expect(await watch.waitFor(1)).toEqual([{ status: 'SERVING' }]);
    await scaler.server.stop();
    expect(watch.messages).toEqual([{ status: 'SERVING' }, { status: 'NOT_SERVING' }]);
    expect((await watch.ended).code).toBe(status.UNAVAILABLE);
  });

  it('Watch of an unknown service says SERVICE_UNKNOWN instead of failing', async () => {
    scaler = await startScaler({ evaluator: new ScriptedEvaluator() });
    const health = healthClient(scaler.address);
    closers.push(health.close);
    const watch = health.watch('some.Other');
    expect(await watch.waitFor(1)).toEqual([{ status: 'SERVICE_UNKNOWN' }]);
    watch.cancel();
  });

  it('keeps answering during the shutdown drain, health NOT_SERVING, then refuses calls', async () => {
    const evaluator = new ScriptedEvaluator();
    evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 4, active: true });
    scaler = await startScaler({ evaluator, shutdownDrainMs: 600 });
    const health = healthClient(scaler.address);
    const client = scalerClient(scaler.address);
    closers.push(health.close, client.close);
    expect(await health.check('')).toEqual({ status: 'SERVING' });
    const stopped = scaler.server.stop();
    expect(await health.check('')).toEqual({ status: 'NOT_SERVING' });
    expect(await health.check(EXTERNAL_SCALER_SERVICE_NAME)).toEqual({ status: 'NOT_SERVING' });
    expect(scaler.server.serving).toBe(false);
    expect((await client.getMetrics({ scaledObjectRef: REF, metricName: 'm' })).metricValues[0]?.metricValue).toBe(4);
    await stopped;
    const refused = await health.check('').then(
      () => undefined,
      (caught: ServiceError) => caught,
    );
    expect(refused?.code).toBe(status.UNAVAILABLE);
  });

  it('finishes an in-flight GetMetrics before stopping, then refuses new calls', async () => {
    const evaluator = new ScriptedEvaluator();
    evaluator.answer(GATEWAY, { kind: 'delay', ms: 400, replicas: 6, active: true });
    scaler = await startScaler({ evaluator });
    const client = scalerClient(scaler.address);
    closers.push(client.close);
    const inFlight = client.getMetrics({ scaledObjectRef: REF, metricName: 'otel-gateway-replicas' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await scaler.server.stop();
    expect((await inFlight).metricValues[0]?.metricValue).toBe(6);
    const late = scalerClient(scaler.address, undefined, { 'grpc.initial_reconnect_backoff_ms': 50 });
    closers.push(late.close);
    const refused = await late.getMetricSpec(REF).then(
      () => undefined,
      (caught: ServiceError) => caught,
    );
    expect(refused?.code).toBe(status.UNAVAILABLE);
  });

  it('forces the shutdown after the grace period when a call never finishes', async () => {
    const evaluator = new ScriptedEvaluator();
    evaluator.answer(GATEWAY, { kind: 'hang' });
    // The evaluation timeout is longer than the grace period, so only the forced shutdown ends the call.
    scaler = await startScaler({ evaluator, evaluationTimeoutMs: 60_000, shutdownGraceMs: 300 });
    const client = scalerClient(scaler.address);
    closers.push(client.close);
    const stuck = client.getMetrics({ scaledObjectRef: REF, metricName: 'm' }).then(
      () => undefined,
      (caught: ServiceError) => caught,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedMs = Date.now();
    await scaler.server.stop();
    expect(Date.now() - startedMs).toBeLessThan(2000);
    // The connection is cut: grpc-js reports CANCELLED or UNAVAILABLE depending on timing.
    expect([status.CANCELLED, status.UNAVAILABLE]).toContain((await stuck)?.code);
  });

  it('reports a port it cannot bind instead of starting', async () => {
    scaler = await startScaler({ evaluator: new ScriptedEvaluator() });
    const taken = new ScalerGrpcServer({ host: '127.0.0.1', port: scaler.server.port!, targetDefaults: {}, evaluator: new ScriptedEvaluator(), logger: pino({ level: 'silent' }) });
    await expect(taken.start()).rejects.toThrow(/cannot listen for gRPC on 127\.0\.0\.1:\d+/);
  });
});
