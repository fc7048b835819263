import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScalerError } from '../../src/errors.ts';
import { type ScalerClient, scalerClient } from './support/grpc-client.ts';
import { decisionWith, ScriptedEvaluator } from './support/scripted-evaluator.ts';
import { eventually, type StartedScaler, startScaler } from './support/start-scaler.ts';

const GATEWAY = { namespace: 'observability', name: 'otel-gateway' };
// pollingInterval is the stream's re-evaluation interval; 1 s is the smallest the metadata allows.
const METADATA = { gatewaySelector: 'job="otel-gateway"', pollingInterval: '1s' };
const REF = { ...GATEWAY, scalerMetadata: METADATA };

describe('server streams over a real socket', () => {
  let evaluator: ScriptedEvaluator;
  let scaler: StartedScaler;
  let client: ScalerClient;

  async function start(withDecisionLog: boolean) {
    evaluator = new ScriptedEvaluator();
    evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 2, active: false });
    scaler = await startScaler({ evaluator, ...(withDecisionLog ? { decisionLog: evaluator } : {}) });
    client = scalerClient(scaler.address);
  }
  beforeEach(() => start(false));
  afterEach(async () => {
    client.close();
    await scaler.server.stop();
  });

  describe('StreamIsActive', () => {
    it('sends the current state as soon as the stream opens', async () => {
      const stream = client.streamIsActive(REF);
      expect(await stream.waitFor(1, 800)).toEqual([{ result: false }]);
      stream.cancel();
    });

    it('pushes a change found by its own re-evaluation every pollingInterval', async () => {
      const stream = client.streamIsActive(REF);
      await stream.waitFor(1);
      evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 4, active: true });
      expect(await stream.waitFor(2, 2500)).toEqual([{ result: false }, { result: true }]);
      stream.cancel();
    });

    it('pushes a change seen by a KEDA poll of the same target at once, without re-evaluating', async () => {
      const stream = client.streamIsActive(REF);
      await stream.waitFor(1);
      const callsBefore = evaluator.calls.length;
      evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 4, active: true });
      await client.isActive(REF);
      expect(await stream.waitFor(2, 500)).toEqual([{ result: false }, { result: true }]);
      expect(evaluator.calls.length).toBe(callsBefore + 1);
      stream.cancel();
    });

    it('sends nothing while the state does not change', async () => {
      const stream = client.streamIsActive(REF);
      await stream.waitFor(1);
      await client.isActive(REF);
      await eventually(() => evaluator.calls.length >= 3, 'the stream re-evaluated once more');
      expect(stream.messages).toEqual([{ result: false }]);
      stream.cancel();
    });

    it('ends with INVALID_ARGUMENT naming the key when the metadata is bad', async () => {
      const stream = client.streamIsActive({ ...GATEWAY, scalerMetadata: { ...METADATA, pollingInterval: 'often' } });
      const ended = await stream.ended;
      expect(ended.code).toBe(status.INVALID_ARGUMENT);
      expect(ended.details).toMatch(/scalerMetadata\.pollingInterval must be a duration/);
      expect(evaluator.calls).toEqual([]);
    });

    it('ends with the error status when the first evaluation fails, so KEDA reconnects', async () => {
      evaluator.answer(GATEWAY, { kind: 'error', error: new ScalerError('PROMETHEUS_UNAVAILABLE', 'Prometheus "default" did not answer') });
      const ended = await client.streamIsActive(REF).ended;
      expect(ended).toMatchObject({ code: status.UNAVAILABLE, details: 'Prometheus "default" did not answer' });
      await eventually(() => scaler.server.openStreamCount === 0, 'the failed stream was released');
    });

    it('keeps the last state when a later evaluation fails (never flips on missing data)', async () => {
      const stream = client.streamIsActive(REF);
      await stream.waitFor(1);
      evaluator.answer(GATEWAY, { kind: 'error', error: new ScalerError('PROMETHEUS_UNAVAILABLE', 'down') });
      await eventually(() => evaluator.calls.length >= 2, 'the stream re-evaluated');
      evaluator.answer(GATEWAY, { kind: 'evaluation', replicas: 4, active: true });
      expect(await stream.waitFor(2, 2500)).toEqual([{ result: false }, { result: true }]);
      stream.cancel();
    });

    it('cleans up when the client cancels: no stream, no subscription, no timer left', async () => {
      const stream = client.streamIsActive(REF);
      await stream.waitFor(1);
      expect(scaler.server.openStreamCount).toBe(1);
      stream.cancel();
      expect((await stream.ended).code).toBe(status.CANCELLED);
      await eventually(() => scaler.server.openStreamCount === 0, 'the server released the stream');
      const callsAfterCancel = evaluator.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect(evaluator.calls.length).toBe(callsAfterCancel);
    });
  });

  describe('StreamIsActive with a DecisionLog', () => {
    beforeEach(async () => {
      client.close();
      await scaler.server.stop();
      await start(true);
    });

    it('follows a decision recorded elsewhere at once, judged by the policy isActive, without evaluating', async () => {
      const stream = client.streamIsActive({ ...REF, scalerMetadata: { ...METADATA, pollingInterval: '1h', activationSpansPerSecond: '100' } });
      await stream.waitFor(1);
      const callsBefore = evaluator.calls.length;
      evaluator.recordElsewhere(GATEWAY, decisionWith(4, Date.now(), 5000), { ...METADATA, activationSpansPerSecond: '100' });
      expect(await stream.waitFor(2, 500)).toEqual([{ result: false }, { result: true }]);
      evaluator.recordElsewhere(GATEWAY, decisionWith(4, Date.now(), 50), { ...METADATA, activationSpansPerSecond: '100' });
      expect(await stream.waitFor(3, 500)).toEqual([{ result: false }, { result: true }, { result: false }]);
      expect(evaluator.calls.length).toBe(callsBefore);
      stream.cancel();
    });

    it('ignores decisions of other targets', async () => {
      const stream = client.streamIsActive({ ...REF, scalerMetadata: { ...METADATA, pollingInterval: '1h' } });
      await stream.waitFor(1);
      evaluator.recordElsewhere({ namespace: 'observability', name: 'other-gateway' }, decisionWith(9, Date.now(), 5000));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stream.messages).toEqual([{ result: false }]);
      stream.cancel();
    });

    it('unsubscribes from the DecisionLog when the stream ends', async () => {
      const stream = client.streamIsActive(REF);
      await stream.waitFor(1);
      expect(evaluator.listenerCount).toBe(1);
      stream.cancel();
      await eventually(() => evaluator.listenerCount === 0, 'the stream unsubscribed');
    });
  });

  describe('StreamMetricSpec', () => {
    it('sends the same spec as GetMetricSpec at once and stays open', async () => {
      const stream = client.streamMetricSpec(REF);
      const [first] = await stream.waitFor(1, 800);
      expect(first).toEqual(await client.getMetricSpec(REF));
      expect(first).toEqual({ metricSpecs: [{ metricName: 'otel-gateway-replicas', targetSize: 1, targetSizeFloat: 1 }] });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(scaler.server.openStreamCount).toBe(1);
      stream.cancel();
      expect((await stream.ended).code).toBe(status.CANCELLED);
      await eventually(() => scaler.server.openStreamCount === 0, 'the server released the stream');
    });

    it('ends with INVALID_ARGUMENT for bad metadata', async () => {
      const ended = await client.streamMetricSpec({ ...GATEWAY, scalerMetadata: { gatewaySelector: 'job="gw"', mode: 'yolo' } }).ended;
      expect(ended.code).toBe(status.INVALID_ARGUMENT);
      expect(ended.details).toMatch(/scalerMetadata\.mode must be one of enforce \| dry-run/);
    });
  });

  it('shutdown ends open streams with UNAVAILABLE instead of waiting for them', async () => {
    const active = client.streamIsActive(REF);
    const spec = client.streamMetricSpec(REF);
    await active.waitFor(1);
    await spec.waitFor(1);
    const startedMs = Date.now();
    await scaler.server.stop();
    expect(Date.now() - startedMs).toBeLessThan(2000);
    for (const stream of [active, spec]) {
      expect(await stream.ended).toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/shutting down/) });
    }
    expect(scaler.server.openStreamCount).toBe(0);
  });
});
