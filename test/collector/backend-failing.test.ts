// Backend failing: the sink answers every export with UNAVAILABLE. The gateways' queues fill,
// enqueue-failed and send-failed rise at the real collector's pace, and the scaler holds the tier
// at its size with the backend as the reason, although load alone would warrant more gateways.
// Once the sink recovers, the same load scales the tier out.
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterNamePattern, selectorOf } from '../../src/signals/promql-catalogue.ts';
import { queryVector, waitForQuery } from '../support/prometheus.ts';
import { okSignal } from '../support/signal-reading.ts';
import { GATEWAY_SELECTOR, type GatewayTier } from './support/gateway-tier.ts';
import type { TierScaler } from './support/tier-scaler.ts';
import { startTierScenario, type TierScenario } from './support/tier-scenario.ts';

const RATE_WINDOW_SECONDS = 15;
const GATEWAYS = 2;
const TRACES_PER_SECOND = 150;
const SPANS_PER_TRACE = 10;
/** Small queues and a short retry budget so a failing backend shows within seconds, as it would within minutes at the defaults. */
const QUEUE_BATCHES = 30;
const RETRY_MAX_ELAPSED_SECONDS = 8;
/** Capacity the trigger claims per gateway: the load (1,500 spans/s) warrants ceil(1500 / (600 × 0.7)) = 4 gateways. */
const METADATA = { rateWindow: `${RATE_WINDOW_SECONDS}s`, decisionWait: '2s', capacitySpansPerReplica: '600', minReplicas: '2', maxReplicas: '10' };
const WARRANTED = Math.ceil((TRACES_PER_SECOND * SPANS_PER_TRACE) / (600 * 0.7));

describe('a failing backend under a real collector tier', () => {
  let scenario: TierScenario;
  let tier: GatewayTier;
  let scaler: TierScaler;

  beforeAll(async () => {
    scenario = await startTierScenario({
      tier: { gateways: GATEWAYS, gatewaySettings: { decisionWaitSeconds: 2, queueSize: QUEUE_BATCHES, retryMaxElapsedSeconds: RETRY_MAX_ELAPSED_SECONDS } },
      load: { tracesPerSecond: TRACES_PER_SECOND, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000 },
      metadata: METADATA,
      rateWindowSeconds: RATE_WINDOW_SECONDS,
    });
    ({ tier, scaler } = scenario);
  }, 240_000);

  afterAll(() => scenario?.stop(), 60_000);

  it('holds at the running count with the backend as the reason while sends fail, then scales out after recovery', async () => {
    const failingSinceMs = Date.now();
    tier.sink.behave({ kind: 'fail', code: status.UNAVAILABLE });
    // Queues fill within seconds (the fullest first: the ring does not split traffic evenly); then poll like KEDA for a while.
    await waitForQuery(tier.prometheus.url, `max(otelcol_exporter_queue_size{${GATEWAY_SELECTOR}} / ignoring(data_type) otelcol_exporter_queue_capacity)`, (samples) => (samples[0]?.value ?? 0) >= 0.9, 60_000);
    const answersWhileFailing: number[] = [];
    const reasons = new Set<string>();
    const pollUntil = Date.now() + (RATE_WINDOW_SECONDS + RETRY_MAX_ELAPSED_SECONDS) * 1000;
    while (Date.now() < pollUntil) {
      answersWhileFailing.push(await scaler.poll());
      const decision = scaler.latest();
      for (const guard of decision.guards) if (guard.name === 'backendBottleneck') reasons.add(guard.reason);
      await sleep(2000);
    }
    expect(answersWhileFailing.filter((replicas) => replicas !== GATEWAYS)).toEqual([]);
    const held = scaler.latest();
    expect(held.guards.map((guard) => guard.name)).toContain('backendBottleneck');
    expect(held.summary).toMatch(/backend/);
    expect(held.proposals.find((proposal) => proposal.name === 'throughput')?.replicas).toBe(WARRANTED);
    expect(reasons.size).toBeGreaterThan(0);

    // The collector's own pace: with queues full, every accepted span ends enqueue-failed (queue full)
    // or send-failed (retries exhausted); none reaches the sink. Within one rate window the retries
    // that expire can free a queue as fast as spans arrive, so its enqueue failures are counted over
    // the whole failure.
    const snapshot = held.snapshot;
    const accepted = okSignal(snapshot, 'acceptedSpansPerSecond');
    const enqueueFailed = okSignal(snapshot, 'enqueueFailedSpansPerSecond');
    const sendFailed = okSignal(snapshot, 'sendFailedSpansPerSecond');
    expect(okSignal(snapshot, 'queueFillMax')).toBeGreaterThanOrEqual(0.9);
    expect(sendFailed).toBeGreaterThan(0);
    const failingSeconds = Math.ceil((Date.now() - failingSinceMs) / 1000);
    const enqueueFailedWhileFailing = await queryVector(tier.prometheus.url, `sum(increase(${selectorOf(counterNamePattern('otelcol_exporter_enqueue_failed_spans'), GATEWAY_SELECTOR)}[${failingSeconds}s]))`);
    expect(enqueueFailedWhileFailing[0]?.value ?? 0).toBeGreaterThan(0);
    expect(Math.abs((enqueueFailed + sendFailed) / accepted - 1), `enqueue-failed ${enqueueFailed} + send-failed ${sendFailed} vs accepted ${accepted}`).toBeLessThanOrEqual(0.25);
    const sentNow = await queryVector(tier.prometheus.url, `sum(rate(otelcol_exporter_sent_spans{${GATEWAY_SELECTOR}}[5s]))`);
    expect(sentNow[0]?.value ?? 0).toBe(0);

    tier.sink.behave({ kind: 'accept' });
    const answersAfterRecovery: number[] = [];
    const recoveryDeadline = Date.now() + (RATE_WINDOW_SECONDS * 2 + 20) * 1000;
    while (Date.now() < recoveryDeadline) {
      const replicas = await scaler.poll();
      answersAfterRecovery.push(replicas);
      if (replicas > GATEWAYS) break;
      await sleep(2000);
    }
    expect(answersAfterRecovery.at(-1)).toBe(WARRANTED);
    expect(scaler.latest().guards.map((guard) => guard.name)).not.toContain('backendBottleneck');
  });
});
