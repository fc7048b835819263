// Every signal read through the real Prometheus from simulated gateways in each collector spelling.
// Expected values are computed from what the gateways were told to expose, not copied from output.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata, type TargetSettings } from '../../src/config/target-metadata.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import type { SignalName, SignalSnapshot } from '../../src/signals/signal-snapshot.ts';
import {
  type CollectorExporter,
  type CollectorSpelling,
  DECISION_TIMER_BUCKETS,
  type DecisionLatencyUnit,
  startCollectorExporter,
} from '../support/collector-exporter.ts';
import { type RunningPrometheus, startPrometheus, waitForScrapeHistory } from '../support/prometheus.ts';
import { okSignal } from '../support/signal-reading.ts';

const RATE_WINDOW_SECONDS = 15;
const RATE_TOLERANCE = 0.03;

/** What each simulated gateway is told to expose; index i of every array is gateway i. */
const FLEET = {
  acceptedSpansPerSecond: [1200, 2400],
  sentSpansPerSecond: [1100, 2000],
  sendFailedSpansPerSecond: [6, 9],
  enqueueFailedSpansPerSecond: [2, 5],
  droppedTooEarlyTracesPerSecond: [1, 3],
  // Gateway 0 reports refusals at the receiver AND at the memory_limiter (the same spans twice);
  // gateway 1 only at the memory_limiter. Receiver wins where present, so 4 + 7 is expected, not 4 + 7 + 7.
  receiverRefusedSpansPerSecond: [4, undefined],
  processorRefusedSpansPerSecond: [7, 7],
  queueSize: [200, 600],
  queueCapacity: [800, 1000],
  tracesOnMemory: [15_000, 25_000],
  decisionLatencyMs: [12, 3.5],
} as const;

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/**
 * p99 as Prometheus' histogram_quantile computes it when every tick took `latencyMs`: linear
 * interpolation inside the bucket holding the value, in the histogram's own unit, then in ms.
 */
function expectedP99Ms(latencyMs: number, unit: DecisionLatencyUnit): number {
  const value = unit === 'us' ? latencyMs * 1000 : latencyMs;
  const upperIndex = DECISION_TIMER_BUCKETS.findIndex((bound) => value <= bound);
  const upper = DECISION_TIMER_BUCKETS[upperIndex]!;
  const lower = upperIndex === 0 ? 0 : DECISION_TIMER_BUCKETS[upperIndex - 1]!;
  const inUnit = lower + (upper - lower) * 0.99;
  return unit === 'us' ? inUnit / 1000 : inUnit;
}

function expectedSignals(unit: DecisionLatencyUnit): Record<SignalName, { value: number; relativeTolerance: number }> {
  const fills = FLEET.queueSize.map((size, index) => size / FLEET.queueCapacity[index]!);
  const refused = FLEET.receiverRefusedSpansPerSecond.map((receiver, index) => receiver ?? FLEET.processorRefusedSpansPerSecond[index]!);
  const exact = (value: number) => ({ value, relativeTolerance: 1e-9 });
  const rate = (value: number) => ({ value, relativeTolerance: RATE_TOLERANCE });
  return {
    currentReplicas: exact(2),
    reportingReplicas: exact(2),
    queueFillMax: exact(Math.max(...fills)),
    queueFillMean: exact(sum(fills) / fills.length),
    refusedSpansPerSecond: rate(sum(refused)),
    enqueueFailedSpansPerSecond: rate(sum(FLEET.enqueueFailedSpansPerSecond)),
    sendFailedSpansPerSecond: rate(sum(FLEET.sendFailedSpansPerSecond)),
    sentSpansPerSecond: rate(sum(FLEET.sentSpansPerSecond)),
    decisionLatencyP99Ms: exact(Math.max(...FLEET.decisionLatencyMs.map((latencyMs) => expectedP99Ms(latencyMs, unit)))),
    tracesOnMemory: exact(sum(FLEET.tracesOnMemory)),
    droppedTooEarlyTracesPerSecond: rate(sum(FLEET.droppedTooEarlyTracesPerSecond)),
    acceptedSpansPerSecond: rate(sum(FLEET.acceptedSpansPerSecond)),
  };
}

function configureFleet(exporter: CollectorExporter): void {
  exporter.gateways.forEach((gateway, index) => {
    gateway.setRate('acceptedSpans', FLEET.acceptedSpansPerSecond[index]!);
    gateway.setRate('sentSpans', FLEET.sentSpansPerSecond[index]!);
    gateway.setRate('sendFailedSpans', FLEET.sendFailedSpansPerSecond[index]!);
    gateway.setRate('enqueueFailedSpans', FLEET.enqueueFailedSpansPerSecond[index]!);
    gateway.setRate('droppedTooEarlyTraces', FLEET.droppedTooEarlyTracesPerSecond[index]!);
    const receiverRefused = FLEET.receiverRefusedSpansPerSecond[index];
    if (receiverRefused !== undefined) gateway.setRate('refusedSpans', receiverRefused);
    gateway.setRate('processorRefusedSpans', FLEET.processorRefusedSpansPerSecond[index]!);
    gateway.setGauge('queueSize', FLEET.queueSize[index]!);
    gateway.setGauge('queueCapacity', FLEET.queueCapacity[index]!);
    gateway.setGauge('tracesOnMemory', FLEET.tracesOnMemory[index]!);
    gateway.setDecisionTicks(2, FLEET.decisionLatencyMs[index]!);
  });
}

const SPELLINGS: readonly CollectorSpelling[] = ['legacy', 'suffixed', 'modern'];
const jobOf = (spelling: CollectorSpelling) => `gw-${spelling}`;
const settingsFor = (selector: string): TargetSettings => parseTargetMetadata({ gatewaySelector: selector, rateWindow: `${RATE_WINDOW_SECONDS}s` });

describe('PrometheusSignalSource against a real Prometheus', () => {
  const exporters = new Map<CollectorSpelling, CollectorExporter>();
  let bare: CollectorExporter;
  let prometheus: RunningPrometheus;
  let source: PrometheusSignalSource;

  beforeAll(async () => {
    for (const spelling of SPELLINGS) {
      const exporter = await startCollectorExporter({ spelling, gateways: 2 });
      configureFleet(exporter);
      exporters.set(spelling, exporter);
    }
    // A gateway that only exposes what an idle collector shows (process and queue gauges from the fixture).
    bare = await startCollectorExporter({ spelling: 'legacy', gateways: 1 });
    prometheus = await startPrometheus({
      scrapeJobs: [
        ...SPELLINGS.map((spelling) => ({ jobName: jobOf(spelling), targets: exporters.get(spelling)!.targets, labels: { namespace: 'observability' } })),
        { jobName: 'gw-idle', targets: bare.targets },
      ],
    });
    source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    await waitForScrapeHistory(prometheus.url, 'job=~"gw-.*"', RATE_WINDOW_SECONDS + 1);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([...exporters.values(), bare].filter(Boolean).map((exporter) => exporter.stop()));
  });

  for (const spelling of SPELLINGS) {
    describe(`${spelling} spelling`, () => {
      let snapshot: SignalSnapshot;
      beforeAll(async () => {
        snapshot = await source.read({ namespace: 'observability', name: spelling }, settingsFor(`job="${jobOf(spelling)}",namespace="observability"`));
      });

      for (const [signal, want] of Object.entries(expectedSignals(spelling === 'legacy' ? 'us' : 'ms')) as [SignalName, { value: number; relativeTolerance: number }][]) {
        it(`reads ${signal}`, () => {
          const value = okSignal(snapshot, signal);
          expect(Math.abs(value - want.value)).toBeLessThanOrEqual(Math.abs(want.value) * want.relativeTolerance + 1e-9);
        });
      }

      it('reads accepted spans/s per gateway, keyed by instance', () => {
        const exporter = exporters.get(spelling)!;
        const reading = snapshot.acceptedSpansPerSecondByGateway;
        if (reading.kind !== 'ok') throw new Error(reading.reason);
        expect(Object.keys(reading.value).sort()).toEqual([...exporter.targets].sort());
        exporter.gateways.forEach((gateway, index) => {
          const want = FLEET.acceptedSpansPerSecond[index]!;
          expect(Math.abs(reading.value[gateway.target]! - want)).toBeLessThanOrEqual(want * RATE_TOLERANCE);
        });
      });

      it('reads the fullest queue a rate window before the read', () => {
        // The fleet's queues hold their size, and the history is longer than the window.
        const fills = FLEET.queueSize.map((size, index) => size / FLEET.queueCapacity[index]!);
        expect(snapshot.queueFillMaxWindowAgo).toBeCloseTo(Math.max(...fills), 9);
      });

      it("reads the gateways' collector build once per gateway, from target_info or from every series", () => {
        const exporter = exporters.get(spelling)!;
        expect(snapshot.collectorBuilds).toEqual([{ name: 'otelcol-contrib', version: exporter.collectorVersion, gateways: 2 }]);
      });

      it('reads the decision-tick p99 per gateway in ms, keyed by instance', () => {
        const exporter = exporters.get(spelling)!;
        const latency = snapshot.decisionLatencyP99MsByGateway;
        expect(latency, 'decisionLatencyP99MsByGateway').toBeDefined();
        expect(Object.keys(latency!).sort()).toEqual([...exporter.targets].sort());
        exporter.gateways.forEach((gateway, index) => {
          expect(latency![gateway.target]).toBeCloseTo(expectedP99Ms(FLEET.decisionLatencyMs[index]!, spelling === 'legacy' ? 'us' : 'ms'), 6);
        });
      });
    });
  }

  it('reports signals without data as missing with a reason naming the metric, never 0', async () => {
    const snapshot = await source.read({ namespace: 'observability', name: 'idle' }, settingsFor('job="gw-idle"'));
    expect(okSignal(snapshot, 'currentReplicas')).toBe(1);
    expect(snapshot.signals.queueFillMax.kind).toBe('ok');
    const wantMissing: { signal: SignalName; metric: string }[] = [
      { signal: 'acceptedSpansPerSecond', metric: 'otelcol_receiver_accepted_spans' },
      { signal: 'refusedSpansPerSecond', metric: 'otelcol_receiver_refused_spans' },
      { signal: 'sentSpansPerSecond', metric: 'otelcol_exporter_sent_spans' },
      { signal: 'sendFailedSpansPerSecond', metric: 'otelcol_exporter_send_failed_spans' },
      { signal: 'enqueueFailedSpansPerSecond', metric: 'otelcol_exporter_enqueue_failed_spans' },
      { signal: 'decisionLatencyP99Ms', metric: 'otelcol_processor_tail_sampling_sampling_decision_timer_latency' },
      { signal: 'tracesOnMemory', metric: 'otelcol_processor_tail_sampling_sampling_traces_on_memory' },
      { signal: 'droppedTooEarlyTracesPerSecond', metric: 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early' },
    ];
    for (const { signal, metric } of wantMissing) {
      const reading = snapshot.signals[signal];
      expect(reading.kind, signal).toBe('missing');
      if (reading.kind === 'missing') expect(reading.reason, signal).toContain(metric);
    }
    expect(snapshot.acceptedSpansPerSecondByGateway.kind).toBe('missing');
  });

  it('reports current replicas as missing when the selector matches no gateway', async () => {
    const snapshot = await source.read({ namespace: 'observability', name: 'nothing' }, settingsFor('job="no-such-gateway"'));
    const reading = snapshot.signals.currentReplicas;
    expect(reading.kind).toBe('missing');
    if (reading.kind === 'missing') expect(reading.reason).toContain('job="no-such-gateway"');
  });

  it('does not pick up gateways outside the selector', async () => {
    const snapshot = await source.read({ namespace: 'observability', name: 'all' }, settingsFor('namespace="observability"'));
    expect(okSignal(snapshot, 'currentReplicas')).toBe(SPELLINGS.length * 2);
  });

  it('reads past signals per step and the accepted-spans history from range queries', async () => {
    const settings = settingsFor(`job="${jobOf('suffixed')}"`);
    const endMs = Date.now();
    const window = { startMs: endMs - 4000, endMs, stepSeconds: 1 };
    const snapshots = await source.readRange({ namespace: 'observability', name: 'suffixed' }, settings, window);
    expect(snapshots.map((snapshot) => snapshot.observedAtMs)).toEqual([0, 1, 2, 3, 4].map((step) => window.startMs + step * 1000));
    for (const snapshot of snapshots) expect(okSignal(snapshot, 'currentReplicas')).toBe(2);
    const last = snapshots[snapshots.length - 1]!;
    const wantAccepted = sum(FLEET.acceptedSpansPerSecond);
    expect(Math.abs(okSignal(last, 'acceptedSpansPerSecond') - wantAccepted)).toBeLessThanOrEqual(wantAccepted * RATE_TOLERANCE);

    const history = await source.readAcceptedSpansHistory({ namespace: 'observability', name: 'suffixed' }, settings, window);
    expect(history.map((sample) => sample.timestampMs)).toEqual(snapshots.map((snapshot) => snapshot.observedAtMs));
    expect(Math.abs(history[history.length - 1]!.value - wantAccepted)).toBeLessThanOrEqual(wantAccepted * RATE_TOLERANCE);
  });

  it('reads the fullest queue as it was a rate window before, not as it is now, once a queue fills', async () => {
    const settings = settingsFor(`job="${jobOf('modern')}",namespace="observability"`);
    const before = Math.max(...FLEET.queueSize.map((size, index) => size / FLEET.queueCapacity[index]!));
    const fuller = FLEET.queueCapacity[1]! * 0.95;
    const changedAtMs = Date.now();
    exporters.get('modern')!.gateways[1]!.setGauge('queueSize', fuller);
    let snapshot = await source.read({ namespace: 'observability', name: 'modern' }, settings);
    while (okSignal(snapshot, 'queueFillMax') !== 0.95 && Date.now() - changedAtMs < 5000) {
      await sleep(250);
      snapshot = await source.read({ namespace: 'observability', name: 'modern' }, settings);
    }
    expect(okSignal(snapshot, 'queueFillMax')).toBe(0.95);
    // Less than a rate window since the change: the offset read still sees the queue as it was.
    expect(snapshot.observedAtMs - changedAtMs).toBeLessThan(RATE_WINDOW_SECONDS * 1000 - 2000);
    expect(snapshot.queueFillMaxWindowAgo).toBeCloseTo(before, 9);
  });
});
