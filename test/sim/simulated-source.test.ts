import { describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { SIGNAL_NAMES, type SignalName } from '../../src/signals/signal-snapshot.ts';
import { SimulatedSignalSource } from '../../src/signals/simulated-source.ts';
import { Fleet } from '../../src/sim/fleet.ts';
import { DECISION_TIMER_BUCKETS_MS, FleetRecorder } from '../../src/sim/fleet-recorder.ts';
import { fleetRoster } from '../../src/sim/fleet-roster.ts';
import { DEFAULT_FLEET_SETTINGS } from '../../src/sim/fleet-settings.ts';
import { SIMULATED_TARGET } from '../../src/sim/simulated-target.ts';
import { okSignal } from '../support/signal-reading.ts';

const settings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', rateWindow: '1m' });
const startMs = Date.parse('2026-01-05T00:00:00Z');
const dt = DEFAULT_FLEET_SETTINGS.stepSeconds;
const offeredPerSecond = 40_000;

function simulate(
  steps: number,
  options: {
    outageFromStep?: number;
    retentionSeconds?: number;
    replicasFromStep?: { step: number; replicas: number };
    unscrapedFromStep?: { step: number; targets: number };
    hotGatewayLoadMultiple?: number;
  } = {},
) {
  const fleet = new Fleet({ ...DEFAULT_FLEET_SETTINGS, hotGatewayLoadMultiple: options.hotGatewayLoadMultiple ?? 1 }, { initialReplicas: 4 });
  const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds: options.retentionSeconds ?? 3600 });
  recorder.record(fleet.observed);
  const source = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster: fleetRoster(fleet, recorder), nowMs: () => startMs + fleet.stepIndex * dt * 1000 });
  for (let i = 0; i < steps; i++) {
    if (i === options.replicasFromStep?.step) fleet.setReplicas(options.replicasFromStep.replicas);
    if (i === options.unscrapedFromStep?.step) fleet.unscrapedTargets = options.unscrapedFromStep.targets;
    fleet.step(offeredPerSecond * dt, 420_000, options.outageFromStep !== undefined && i >= options.outageFromStep);
    recorder.record(fleet.observed);
  }
  return { fleet, recorder, source, nowMs: startMs + steps * dt * 1000 };
}

describe('SimulatedSignalSource', () => {
  it('gives the signals Prometheus would: rates over the window, gauges at the last scrape, p99 inside its bucket', async () => {
    const { fleet, source, nowMs } = simulate(120);
    const snapshot = await source.read(SIMULATED_TARGET, settings);
    const value = (name: SignalName) => okSignal(snapshot, name);
    expect(snapshot.observedAtMs).toBe(nowMs);
    expect(value('currentReplicas')).toBe(4);
    expect(value('acceptedSpansPerSecond')).toBeCloseTo(offeredPerSecond, 6);
    expect(value('sentSpansPerSecond')).toBeCloseTo(offeredPerSecond, 6);
    expect(value('refusedSpansPerSecond')).toBe(0);
    expect(value('sendFailedSpansPerSecond')).toBe(0);
    expect(value('queueFillMax')).toBe(0);
    expect(value('tracesOnMemory')).toBeCloseTo(fleet.observed.tracesOnMemory, 6);
    const latency = fleet.observed.decisionLatencyMs;
    const upper = DECISION_TIMER_BUCKETS_MS.find((bound) => latency <= bound)!;
    const lower = DECISION_TIMER_BUCKETS_MS[DECISION_TIMER_BUCKETS_MS.indexOf(upper as never) - 1] ?? 0;
    expect(value('decisionLatencyP99Ms')).toBeGreaterThan(lower);
    expect(value('decisionLatencyP99Ms')).toBeLessThanOrEqual(upper);
    const byGateway = snapshot.acceptedSpansPerSecondByGateway;
    expect(byGateway.kind === 'ok' && Object.values(byGateway.value)).toEqual([10_000, 10_000, 10_000, 10_000]);
  });

  it("reads the ring's shares as Prometheus would: the hot gateway's 1.5 / N, an even ring's 1 / N, and the size change between", async () => {
    const read = async (hotGatewayLoadMultiple: number) => {
      const { source, nowMs } = simulate(240, { hotGatewayLoadMultiple, replicasFromStep: { step: 120, replicas: 6 } });
      return source.readRingShares(SIMULATED_TARGET, settings, { startMs: startMs + 60_000, endMs: nowMs, stepSeconds: 60 });
    };
    const skewed = await read(1.5);
    // Minutes 1–10 at 4 gateways; the two asked for at minute 10 join the ring within the next (45 s startup, 5 s DNS).
    expect(skewed.map((sample) => sample.acceptingGateways)).toEqual([...Array(10).fill(4), ...Array(10).fill(6)]);
    // A minute after each size is reached (the rate window), the share is that size's alone.
    expect(skewed[8]!.hottestShare).toBeCloseTo(1.5 / 4, 9);
    expect(skewed.at(-1)!.hottestShare).toBeCloseTo(1.5 / 6, 9);
    const even = await read(1);
    expect(even[8]!.hottestShare).toBeCloseTo(1 / 4, 9);
    expect(even.at(-1)!.hottestShare).toBeCloseTo(1 / 6, 9);
  });

  it("shows a skewed ring's hot gateway in its own series: the oldest pod's accepted spans, the fullest queue, its slower decision ticks", () => {
    const read = (hotGatewayLoadMultiple: number, outageFromStep?: number) => {
      const { source, nowMs } = simulate(120, { hotGatewayLoadMultiple, ...(outageFromStep === undefined ? {} : { outageFromStep }) });
      return source.snapshotAt(nowMs, settings);
    };
    const readingValue = (reading: { kind: string; value?: number }) => (reading.kind === 'ok' ? reading.value! : Number.NaN);
    const skewed = read(1.5);
    const byGateway = skewed.acceptedSpansPerSecondByGateway;
    if (byGateway.kind !== 'ok') throw new Error('per-gateway rates missing');
    const [hot, ...others] = Object.values(byGateway.value);
    expect(hot).toBeCloseTo((1.5 / 4) * offeredPerSecond, 6);
    for (const rate of others) expect(rate).toBeCloseTo((offeredPerSecond - hot!) / 3, 6);
    expect(readingValue(skewed.signals.acceptedSpansPerSecond)).toBeCloseTo(offeredPerSecond, 6);
    // A quarter of the ticks run on the busier gateway: more than 1 %, so the p99 is its.
    expect(readingValue(skewed.signals.decisionLatencyP99Ms)).toBeGreaterThan(readingValue(read(1).signals.decisionLatencyP99Ms));
    // By instance, the hot gateway's ticks are its own and the slowest, and the tier's p99 is theirs (the catalogue's max by
    // instance, above the pooled ticks' p99); the others tick alike, as an even ring's do.
    const ticks = skewed.decisionLatencyP99MsByGateway!;
    expect(Object.keys(ticks)).toEqual(Object.keys(byGateway.value));
    const [hotTicks, ...otherTicks] = Object.values(ticks);
    expect(readingValue(skewed.signals.decisionLatencyP99Ms)).toBe(hotTicks);
    const skewedRun = simulate(120, { hotGatewayLoadMultiple: 1.5 });
    const pooled = skewedRun.recorder.decisionLatencyQuantileMs(0.99, skewedRun.nowMs, settings.rateWindowSeconds);
    expect(hotTicks).toBeGreaterThan(readingValue(pooled));
    expect(new Set(otherTicks).size).toBe(1);
    expect(otherTicks[0]).toBeLessThan(hotTicks!);
    const even = Object.values(read(1).decisionLatencyP99MsByGateway!);
    expect(new Set(even).size).toBe(1);
    expect(even[0]).toBe(readingValue(read(1).signals.decisionLatencyP99Ms));
    const skewedOutage = read(1.5, 114);
    expect(readingValue(skewedOutage.signals.queueFillMax)).toBeGreaterThan(1.2 * readingValue(skewedOutage.signals.queueFillMean));
    const evenOutage = read(1, 114);
    expect(readingValue(evenOutage.signals.queueFillMax)).toBeCloseTo(readingValue(evenOutage.signals.queueFillMean), 12);
  });

  it('shows scrape targets down as gateways expected but not reporting, whose load and queues are unseen', () => {
    const { source, nowMs } = simulate(120, { unscrapedFromStep: { step: 100, targets: 3 } });
    const snapshot = source.snapshotAt(nowMs, settings);
    expect(snapshot.signals.currentReplicas).toEqual({ kind: 'ok', value: 4 });
    expect(snapshot.signals.reportingReplicas).toEqual({ kind: 'ok', value: 1 });
    expect(snapshot.unscrapedGateways).toHaveLength(3);
    const accepted = snapshot.signals.acceptedSpansPerSecond;
    expect(accepted.kind === 'ok' && accepted.value).toBeCloseTo(offeredPerSecond / 4, 6);
    const byGateway = snapshot.acceptedSpansPerSecondByGateway;
    expect(byGateway.kind === 'ok' && Object.keys(byGateway.value)).toHaveLength(1);
    expect(source.queueBatchesAt(nowMs)).toEqual({ kind: 'ok', value: 0 });
    // KEDA's throughput recipe sums the same series: it sees the scraped gateway's spans only.
    const received = source.receivedSpansPerSecondAt(nowMs, 60);
    expect(received.kind === 'ok' && received.value).toBeCloseTo(offeredPerSecond / 4, 6);
    const receivedBefore = source.receivedSpansPerSecondAt(nowMs - 5 * 60_000, 60);
    expect(receivedBefore.kind === 'ok' && receivedBefore.value).toBeCloseTo(offeredPerSecond, 6);
    const before = source.snapshotAt(nowMs - 5 * 60_000, settings);
    expect(before.signals.reportingReplicas).toEqual({ kind: 'ok', value: 4 });
    expect(before.unscrapedGateways).toBeUndefined();
  });

  it('shows an outage as send failures and rising queues after retries give up', () => {
    const { source, nowMs } = simulate(120, { outageFromStep: 40 });
    const snapshot = source.snapshotAt(nowMs, settings);
    expect(snapshot.signals.sentSpansPerSecond).toEqual({ kind: 'ok', value: 0 });
    const failed = snapshot.signals.sendFailedSpansPerSecond;
    expect(failed.kind === 'ok' && failed.value).toBeGreaterThan(0);
    const fill = snapshot.signals.queueFillMax;
    expect(fill.kind === 'ok' && fill.value).toBe(1);
  });

  it("reads the agents' intake only for a trigger that names them: the load offered, whatever the gateways took", () => {
    const withAgents = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', agentSelector: 'job="otel-agent"', rateWindow: '1m' });
    // One gateway of 20,000 spans/s under 40,000: the agents hold what it cannot take.
    const { source, nowMs } = simulate(120, { replicasFromStep: { step: 0, replicas: 1 } });
    const snapshot = source.snapshotAt(nowMs, withAgents);
    expect(snapshot.offeredSpansPerSecond).toBeCloseTo(offeredPerSecond, 6);
    expect(okSignal(snapshot, 'acceptedSpansPerSecond')).toBeLessThan(offeredPerSecond);
    expect(source.snapshotAt(nowMs, settings).offeredSpansPerSecond).toBeUndefined();
    expect(source.snapshotsOver(SIMULATED_TARGET, withAgents, { startMs: nowMs - 60_000, endMs: nowMs, stepSeconds: 30 }).map((read) => read.offeredSpansPerSecond)).toEqual([
      offeredPerSecond,
      offeredPerSecond,
      offeredPerSecond,
    ]);
  });

  it('reads the fullest queue a rate window before as a read then had it, and has none before a window of history', () => {
    // The queues fill from 200 s (step 40) and are full by 255 s.
    const { source, nowMs } = simulate(54, { outageFromStep: 40 });
    const windowAgo = okSignal(source.snapshotAt(nowMs - 60_000, settings), 'queueFillMax');
    const now = source.snapshotAt(nowMs, settings);
    expect(windowAgo).toBeLessThan(okSignal(now, 'queueFillMax'));
    expect(now.queueFillMaxWindowAgo).toBe(windowAgo);
    expect(source.snapshotAt(startMs + 45_000, settings).queueFillMaxWindowAgo).toBeUndefined();
    expect(source.snapshotAt(startMs + 60_000, settings).queueFillMaxWindowAgo).toBe(0);
  });

  it('reads the last scrape (every 15 s), not the step in progress', () => {
    const { source, nowMs } = simulate(12);
    expect(source.snapshotAt(nowMs + 10_000, settings).observedAtMs).toBe(nowMs);
    expect(source.snapshotAt(nowMs - 5_000, settings).observedAtMs).toBe(nowMs - 15_000);
  });

  it('has no rates before two scrapes fall in the window, and says why', () => {
    const { source } = simulate(2);
    const snapshot = source.snapshotAt(startMs + 10_000, settings);
    expect(snapshot.signals.acceptedSpansPerSecond).toEqual({ kind: 'missing', reason: expect.stringMatching(/fewer than two scrapes/) });
    expect(snapshot.signals.currentReplicas).toEqual({ kind: 'ok', value: 4 });
  });

  it('has no data for other targets, or beyond its retention', async () => {
    const { source, nowMs } = simulate(120, { retentionSeconds: 300 });
    expect(source.snapshotAt(nowMs, settings).signals.currentReplicas.kind).toBe('ok');
    const other = await source.read({ namespace: 'observability', name: 'another-tier' }, settings);
    for (const name of SIGNAL_NAMES) expect(other.signals[name]).toEqual({ kind: 'missing', reason: expect.stringMatching(/no simulated gateways for observability\/another-tier/) });
    const old = source.snapshotAt(nowMs - 400_000, settings);
    expect(old.signals.currentReplicas).toEqual({ kind: 'missing', reason: expect.stringMatching(/retention/) });
  });

  it('serves history: one snapshot per step, and accepted spans/s averaged over each step', async () => {
    const { source, nowMs } = simulate(240);
    const window = { startMs: nowMs - 10 * 60_000, endMs: nowMs, stepSeconds: 60 };
    const snapshots = await source.readRange(SIMULATED_TARGET, settings, window);
    expect(snapshots.map((s) => s.observedAtMs)).toEqual(Array.from({ length: 11 }, (_, i) => window.startMs + i * 60_000));
    const history = await source.readAcceptedSpansHistory(SIMULATED_TARGET, settings, window);
    expect(history).toHaveLength(11);
    for (const sample of history) expect(sample.value).toBeCloseTo(offeredPerSecond, 6);
    const early = await source.readAcceptedSpansHistory(SIMULATED_TARGET, settings, { startMs: startMs - 120_000, endMs: startMs + 120_000, stepSeconds: 60 });
    expect(early.map((s) => s.timestampMs)).toEqual([startMs + 60_000, startMs + 120_000]);
    await expect(source.readRange(SIMULATED_TARGET, settings, { startMs: 0, endMs: nowMs, stepSeconds: 1 })).rejects.toThrow(/needs \d+ points; at most 11000: use stepSeconds ≥ \d+/);
  });

  it('gives past reads every signal and the per-gateway rates of the pods on the ring then', async () => {
    const { fleet, source, nowMs } = simulate(240, { replicasFromStep: { step: 120, replicas: 6 } });
    expect(fleet.ringReplicas).toBe(6);
    const window = { startMs: startMs + 5 * 60_000, endMs: nowMs, stepSeconds: 60 };
    const snapshots = await source.readRange(SIMULATED_TARGET, settings, window);
    for (const snapshot of snapshots) {
      const at = new Date(snapshot.observedAtMs).toISOString();
      for (const name of SIGNAL_NAMES) expect(snapshot.signals[name].kind, `${name} at ${at}`).toBe('ok');
      expect(snapshot.acceptedSpansPerSecondByGateway.kind, `per gateway at ${at}`).toBe('ok');
    }
    const gatewaysAt = (timeMs: number) => {
      const snapshot = snapshots.find((s) => s.observedAtMs === timeMs)!;
      const byGateway = snapshot.acceptedSpansPerSecondByGateway;
      const accepted = snapshot.signals.acceptedSpansPerSecond;
      if (byGateway.kind !== 'ok' || accepted.kind !== 'ok') throw new Error('per-gateway rates missing');
      const ringRates = Object.values(byGateway.value).filter((rate) => rate > 0);
      for (const rate of ringRates) expect(rate).toBeCloseTo(accepted.value / ringRates.length, 6);
      return Object.keys(byGateway.value).sort();
    };
    const before = gatewaysAt(startMs + 9 * 60_000);
    expect(before).toHaveLength(4);
    const after = gatewaysAt(window.endMs);
    expect(after).toHaveLength(6);
    expect(after).toEqual(expect.arrayContaining(before));
  });

  it('reads per-gateway rates when asked between scrapes or ahead of the newest sample', () => {
    const { source, nowMs } = simulate(121);
    for (const timeMs of [nowMs, nowMs + 4_000, nowMs - 7_000]) expect(source.snapshotAt(timeMs, settings).acceptedSpansPerSecondByGateway.kind).toBe('ok');
  });
});
