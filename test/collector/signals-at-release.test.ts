// Signals at this release: a real tier (agents → 2 tail-sampling gateways → backend sink) under known
// load, scraped by a real Prometheus, read by the scaler. Every signal the scaler reads must be
// present under the names this collector release exposes, and agree with what the load generator
// sent and the sink received.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { SIGNAL_NAMES } from '../../src/signals/signal-snapshot.ts';
import { okSignal } from '../support/signal-reading.ts';
import { builtDistribution } from './support/collector-process.ts';
import { GATEWAY_SELECTOR, type GatewayTier } from './support/gateway-tier.ts';
import type { TierScaler } from './support/tier-scaler.ts';
import { startTierScenario, type TierScenario } from './support/tier-scenario.ts';

const RATE_WINDOW_SECONDS = 15;
const DECISION_WAIT_SECONDS = 2;
const TRACES_PER_SECOND = 150;
const SPANS_PER_TRACE = 10;
const METADATA = { rateWindow: `${RATE_WINDOW_SECONDS}s`, decisionWait: `${DECISION_WAIT_SECONDS}s`, minReplicas: '2', maxReplicas: '10' };

/** Metric families the catalogue reads, as collector v0.161.0 spells them (no `_total`, no unit suffix). */
const FAMILIES_READ = [
  'otelcol_process_uptime',
  'otelcol_exporter_queue_size',
  'otelcol_exporter_queue_capacity',
  'otelcol_exporter_sent_spans',
  'otelcol_receiver_accepted_spans',
  'otelcol_receiver_refused_spans',
  'otelcol_processor_tail_sampling_sampling_decision_timer_latency_bucket',
  'otelcol_processor_tail_sampling_sampling_traces_on_memory',
  'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early',
];
/** Counters this release creates only at their first increment: absent from a healthy gateway. */
const FAMILIES_ABSENT_UNTIL_FIRST_FAILURE = ['otelcol_exporter_send_failed_spans', 'otelcol_exporter_enqueue_failed_spans'];

function familiesIn(exposition: string): Set<string> {
  return new Set(
    exposition
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]),
  );
}

describe('signals of a real collector tier at this release', () => {
  let scenario: TierScenario;
  let tier: GatewayTier;
  let scaler: TierScaler;

  beforeAll(async () => {
    scenario = await startTierScenario({
      tier: { gateways: 2, gatewaySettings: { decisionWaitSeconds: DECISION_WAIT_SECONDS } },
      load: { tracesPerSecond: TRACES_PER_SECOND, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000 },
      metadata: METADATA,
      rateWindowSeconds: RATE_WINDOW_SECONDS,
    });
    ({ tier, scaler } = scenario);
    // Rates over a window of steady state only: spans take decision_wait and a batch to cross the tier.
    await new Promise((resolve) => setTimeout(resolve, (DECISION_WAIT_SECONDS + 3) * 1000));
  }, 240_000);

  afterAll(() => scenario?.stop(), 60_000);

  it('exposes every metric family the catalogue reads, under this release’s names', async () => {
    for (const gateway of tier.gateways()) {
      const families = familiesIn(await (await fetch(gateway.metricsUrl)).text());
      expect(FAMILIES_READ.filter((family) => !families.has(family)), gateway.id).toEqual([]);
      expect(FAMILIES_ABSENT_UNTIL_FIRST_FAILURE.filter((family) => families.has(family)), gateway.id).toEqual([]);
    }
  });

  it('reads every signal, and the rates agree with the load generator and the sink within ±10 %', async () => {
    const settings = parseTargetMetadata({ gatewaySelector: GATEWAY_SELECTOR, ...METADATA });
    const snapshot = await scaler.source.read({ namespace: 'observability', name: 'otel-gateway' }, settings);
    const rates = scenario.timeline.rates(RATE_WINDOW_SECONDS);
    const missing = SIGNAL_NAMES.filter((name) => snapshot.signals[name].kind !== 'ok').map((name) => `${name}: ${JSON.stringify(snapshot.signals[name])}`);
    expect(missing).toEqual([]);

    expect(okSignal(snapshot, 'currentReplicas')).toBe(2);
    const planned = TRACES_PER_SECOND * SPANS_PER_TRACE;
    expect(rates.generatorSpansPerSecond / planned).toBeGreaterThan(0.9);
    const accepted = okSignal(snapshot, 'acceptedSpansPerSecond');
    expect(Math.abs(accepted / rates.generatorSpansPerSecond - 1), `accepted ${accepted} vs generator ${rates.generatorSpansPerSecond}`).toBeLessThanOrEqual(0.1);
    const sent = okSignal(snapshot, 'sentSpansPerSecond');
    expect(Math.abs(sent / rates.sinkSpansPerSecond - 1), `sent ${sent} vs sink ${rates.sinkSpansPerSecond}`).toBeLessThanOrEqual(0.1);
    const byGateway = snapshot.acceptedSpansPerSecondByGateway;
    expect(byGateway.kind).toBe('ok');
    // A distribution of one's own reports its manifest's name and version on target_info; the drain
    // check reads releases of the upstream distributions only, so it keeps to the trigger here.
    expect(snapshot.collectorBuilds).toEqual([{ ...builtDistribution(), gateways: 2 }]);
    if (byGateway.kind === 'ok') expect(Object.keys(byGateway.value)).toHaveLength(2);

    // Healthy backend, light load: nothing refused, failed, overflowing or evicted early.
    expect(okSignal(snapshot, 'refusedSpansPerSecond')).toBe(0);
    expect(okSignal(snapshot, 'sendFailedSpansPerSecond')).toBe(0);
    expect(okSignal(snapshot, 'enqueueFailedSpansPerSecond')).toBe(0);
    expect(okSignal(snapshot, 'droppedTooEarlyTracesPerSecond')).toBe(0);
    expect(okSignal(snapshot, 'queueFillMax')).toBeLessThan(0.05);

    // Little's law: a trace is held from its first span until the tick that decides its batch, on
    // average decision_wait + 0.5 s; the gauge is recorded right after a tick has removed its batch,
    // i.e. at the low point of that sawtooth: traces/s × decision_wait.
    const tracesOnMemory = okSignal(snapshot, 'tracesOnMemory');
    const expectedHeld = (rates.generatorSpansPerSecond / SPANS_PER_TRACE) * DECISION_WAIT_SECONDS;
    expect(tracesOnMemory, `traces on memory ${tracesOnMemory}, expected about ${expectedHeld}`).toBeGreaterThan(expectedHeld * 0.75);
    expect(tracesOnMemory).toBeLessThan(expectedHeld * 1.25);

    // A tick over a few hundred held traces needs a millisecond of CPU; on a busy machine it may wait
    // for a core, but a lightly loaded tier stays within the default decision-latency budget (500 ms).
    const latency = okSignal(snapshot, 'decisionLatencyP99Ms');
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(500);
  });

  it('answers KEDA with the gateways that run, with no signal missing', async () => {
    expect(await scaler.poll()).toBe(2);
    const decision = scaler.latest();
    expect(decision.guards.filter((guard) => guard.name === 'missingData')).toEqual([]);
    expect(decision.proposals.find((proposal) => proposal.name === 'throughput')?.replicas).toBeLessThanOrEqual(2);
    expect(decision.drain).toMatchObject({ dropsPendingTraces: false, droppingBuild: undefined });
  });
});
