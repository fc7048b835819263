// A backend slow at the peak under a real collector tier: the sink takes no more than 1,000 spans/s
// however many gateways send, while the agents bring 1,500. Queues fill, the scaler adds gateways for
// them, finds that they did not raise the sent rate, and holds; that hold is exported on the scaler's
// /metrics, which the tier's Prometheus scrapes. After the load falls and the queues drain, the next
// filling holds from its first poll once the ceiling is read back, where a scaler without it grows
// the tier again.
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarlierPeaksRefresher } from '../../src/advisor/earlier-peaks-refresher.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { createSelfMetrics, type SelfMetrics } from '../../src/dashboard/self-metrics.ts';
import { ceilingHeldBy } from '../../src/policy/backend-ceiling.ts';
import type { Decision } from '../../src/policy/decision.ts';
import { BACKEND_CEILING_SENT_METRIC } from '../../src/signals/decision-series.ts';
import { freePort } from '../support/free-port.ts';
import { waitForQuery } from '../support/prometheus.ts';
import { silentLogger } from '../support/recording-logger.ts';
import { GATEWAY_SELECTOR, type GatewayTier } from './support/gateway-tier.ts';
import { startTierScenario, type TierScenario } from './support/tier-scenario.ts';
import { startTierScaler, type TierScaler } from './support/tier-scaler.ts';

const RATE_WINDOW_SECONDS = 15;
const POLLING_INTERVAL_SECONDS = 5;
const GATEWAYS = 2;
const MAX_GATEWAYS = 8;
const SPANS_PER_TRACE = 10;
/** The peak: 1,500 spans/s against a backend that takes 1,000. */
const PEAK_TRACES_PER_SECOND = 150;
const BACKEND_SPANS_PER_SECOND = 1000;
/**
 * Before and between peaks: less than the backend takes, so it is healthy and the queues drain. The
 * peak then grows past the backend, as a daily peak does; a backend that suddenly takes less than it
 * did is a stalled one, which the bottleneck guard holds for without asking the queues.
 */
const QUIET_TRACES_PER_SECOND = 50;
/** Small queues, so a peak fills them within seconds as it would within minutes at the defaults. */
const QUEUE_BATCHES = 30;
/**
 * Each gateway's ten queue consumers each hold a batch (up to 512 spans) in flight at the backend,
 * which answers them in turn at its rate: several seconds per call, more than the collector's 5 s
 * default. A slow backend's operator sets the timeout above its answer time, or every call is retried.
 */
const EXPORT_TIMEOUT_SECONDS = 30;
/** A capacity no load here comes near: the queues are what asks for gateways. */
const METADATA = { decisionWait: '2s', capacitySpansPerReplica: '20000', minReplicas: '2', maxReplicas: '10', gatewaySelector: GATEWAY_SELECTOR };
const TARGET = { namespace: 'observability', name: 'otel-gateway' };

const queueReason = (decision: Decision) => decision.proposals.find((proposal) => proposal.name === 'queue')?.reason ?? '(no queue proposal)';
const queueFillMax = (decision: Decision) => decision.proposals.find((proposal) => proposal.name === 'queue')?.inputs.queueFillMax ?? Number.NaN;

/** The scaler's /metrics on 127.0.0.1, as its dashboard serves it. */
async function serveSelfMetrics(metrics: SelfMetrics): Promise<{ readonly target: string; readonly server: Server }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    void metrics.registry.metrics().then((text) => {
      response.writeHead(request.url === '/metrics' ? 200 : 404, { 'Content-Type': metrics.registry.contentType });
      response.end(request.url === '/metrics' ? text : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { target: `127.0.0.1:${port}`, server };
}

describe('a backend slow at the peak under a real collector tier', () => {
  const metrics = createSelfMetrics();
  let metricsServer: Server | undefined;
  let scenario: TierScenario;
  let tier: GatewayTier;
  let refresher: EarlierPeaksRefresher;
  let withoutCeiling: TierScaler | undefined;

  beforeAll(async () => {
    const served = await serveSelfMetrics(metrics);
    metricsServer = served.server;
    scenario = await startTierScenario({
      tier: {
        gateways: GATEWAYS,
        gatewaySettings: { decisionWaitSeconds: 2, queueSize: QUEUE_BATCHES, exportTimeoutSeconds: EXPORT_TIMEOUT_SECONDS },
        extraScrapeJobs: [{ jobName: 'otel-gateway-scaler', targets: [served.target] }],
      },
      load: { tracesPerSecond: QUIET_TRACES_PER_SECOND, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000 },
      metadata: METADATA,
      rateWindowSeconds: RATE_WINDOW_SECONDS,
      learned: (source) => {
        refresher = new EarlierPeaksRefresher({ history: source, forgetAfterSeconds: 3600, logger: silentLogger });
        return { earlierPeaksFor: (ref, settings, nowMs) => refresher.earlierPeaksFor(ref, settings, nowMs) };
      },
    });
    tier = scenario.tier;
    metrics.trackDecisionLog(scenario.scaler.advisor);
    tier.sink.behave({ kind: 'capped', spansPerSecond: BACKEND_SPANS_PER_SECOND });
  }, 240_000);

  afterAll(async () => {
    await withoutCeiling?.stop();
    await scenario?.stop();
    await new Promise((resolve) => metricsServer?.close(resolve));
  }, 60_000);

  it('holds once the gateways it added for the queues did not raise the sent rate, and the next peak holds at once', async () => {
    const { scaler, load } = scenario;
    await scaler.poll();
    // The first peak, scaled as KEDA and the HPA would: any answer above what runs adds gateways.
    load.setTracesPerSecond(PEAK_TRACES_PER_SECOND);
    const trail: string[] = [];
    let held: Decision | undefined;
    for (const deadline = Date.now() + 180_000; held === undefined && Date.now() < deadline; ) {
      const answer = await scaler.poll();
      const decision = scaler.latest();
      trail.push(`${tier.gateways().length} → ${answer}: ${decision.summary} | ${queueReason(decision)}`);
      if (/did not raise the sent rate/.test(queueReason(decision))) held = decision;
      while (tier.gateways().length < Math.min(answer, MAX_GATEWAYS)) await tier.addGateway();
      await sleep(POLLING_INTERVAL_SECONDS * 1000);
    }
    expect(held, trail.join('\n')).toBeDefined();
    const running = tier.gateways().length;
    expect(held!.recommended, trail.join('\n')).toBe(held!.current);
    expect(running).toBeGreaterThan(GATEWAYS);
    expect(running, trail.join('\n')).toBeLessThan(MAX_GATEWAYS);
    // Grown from the count the queues first asked more of: the tier's own answer that more did not help.
    const grewFrom = ceilingHeldBy(held!)!.fromReplicas;
    expect(grewFrom, trail.join('\n')).toBeGreaterThanOrEqual(GATEWAYS);
    expect(grewFrom, trail.join('\n')).toBeLessThan(running);
    await waitForQuery(tier.prometheus.url, `max(${BACKEND_CEILING_SENT_METRIC}{namespace="${TARGET.namespace}", name="${TARGET.name}"})`, (samples) => (samples[0]?.value ?? 0) > 0, 30_000);

    // Between peaks the queues drain; the filling that made the tier grow is over.
    load.setTracesPerSecond(QUIET_TRACES_PER_SECOND);
    await waitForQuery(tier.prometheus.url, `max(otelcol_exporter_queue_size{${GATEWAY_SELECTOR}} / ignoring(data_type) otelcol_exporter_queue_capacity)`, (samples) => (samples[0]?.value ?? 1) < 0.1, 120_000);
    await sleep(RATE_WINDOW_SECONDS * 1000);
    await scaler.poll();
    expect(queueReason(scaler.latest())).not.toMatch(/held at/);

    // The ceiling read back from Prometheus, as the refresher does every five minutes.
    const settings = parseTargetMetadata({ ...METADATA, rateWindow: `${RATE_WINDOW_SECONDS}s` }, {});
    const { backendCeiling: ceiling } = await refresher.refresh(TARGET, settings, Date.now());
    expect(ceiling?.fromReplicas).toBe(grewFrom);
    expect(ceiling!.sentSpansPerSecond / BACKEND_SPANS_PER_SECOND).toBeGreaterThan(0.8);
    expect(ceiling!.sentSpansPerSecond / BACKEND_SPANS_PER_SECOND).toBeLessThan(1.15);

    // The next peak: a scaler without the ceiling grows the tier for the queues again; this one holds.
    withoutCeiling = await startTierScaler(tier.prometheus.url, { ...METADATA, rateWindow: `${RATE_WINDOW_SECONDS}s` });
    await withoutCeiling.poll();
    load.setTracesPerSecond(PEAK_TRACES_PER_SECOND);
    const peak: string[] = [];
    let compared = false;
    for (const deadline = Date.now() + 90_000; !compared && Date.now() < deadline; ) {
      await sleep(POLLING_INTERVAL_SECONDS * 1000);
      // The two read Prometheus one after the other while the queues fill: the one with the ceiling
      // reads second, and is compared only where it read at least the fill that asked the other for more.
      const answerWithout = await withoutCeiling.poll();
      const answer = await scaler.poll();
      peak.push(`${running}: with ${answer} (${queueReason(scaler.latest())}); without ${answerWithout} (${queueReason(withoutCeiling.latest())})`);
      expect(answer, peak.join('\n')).toBeLessThanOrEqual(running);
      if (answerWithout > running && queueFillMax(scaler.latest()) >= queueFillMax(withoutCeiling.latest())) {
        compared = true;
        expect(answer, peak.join('\n')).toBe(running);
        expect(queueReason(scaler.latest()), peak.join('\n')).toMatch(new RegExp(`held at ${running}: on a peak within the last week, gateways added beyond ${grewFrom} did not raise the sent rate`));
      }
    }
    expect(compared, `the queues never asked the scaler without the ceiling for more where the one with it read as full:\n${peak.join('\n')}`).toBe(true);
  }, 600_000);
});
