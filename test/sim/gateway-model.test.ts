// The simulator's gateway model against the real collector tier: its functions evaluated at the
// operating points `npm run collector:calibrate` measured (test/collector/calibration.json) and at
// the CPU-throttled overload point of test/collector/overload.test.ts, within the tolerances
// docs/collector-tier.md states. The ring-change model is held to the real tier in
// test/collector/ring-change.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fleet } from '../../src/sim/fleet.ts';
import { DEFAULT_FLEET_SETTINGS, type FleetSettings } from '../../src/sim/fleet-settings.ts';
import { decisionTickLatencyMs, decisionTickWorkMs, movedRingShare, ringChangeSplitTraces } from '../../src/sim/gateway-model.ts';
import { docSection } from '../support/docs.ts';
import { MEMORY_PER_SPAN_MAX_FACTOR, QUEUE_OUTAGE_TOLERANCE, RING_CHANGE_TOLERANCE, TICK_THROTTLED_TOLERANCE_FACTOR, TICK_UNTHROTTLED_TOLERANCE_MS } from '../support/model-tolerances.ts';

interface Calibration {
  readonly load: { readonly spansPerTrace: number };
  readonly spansPerCpuSecond: number;
  readonly throughput: readonly { readonly acceptedSpansPerSecond: number; readonly cpuSecondsPerSecond: number; readonly tracesHeld: number; readonly meanDecisionTickMs: number }[];
  readonly decisionTick: { readonly msPerTracePerSecond: number };
  readonly memory: { readonly rssBytesPerHeldSpan: number };
}

const calibration = JSON.parse(readFileSync(new URL('../collector/calibration.json', import.meta.url), 'utf8')) as Calibration;
const section = docSection('docs/collector-tier.md', 'The simulator against the real tier');

/**
 * overload.test.ts as first run, on the calibration's kernel: gateways at GOMAXPROCS=1 and 0.04 core,
 * each offered 2,000 spans/s (200 traces/s of 10 spans); their decision-tick p99 was about 395 ms
 * (docs/collector-tier.md), over the test's 250 ms budget, and under it once more gateways shared the
 * load. The test now runs at 0.1 core, where a newer kernel's throttling no longer costs many times
 * the CPU; the model has no term for that cost.
 */
const THROTTLED = { cores: 0.04, offeredSpansPerSecond: 2000, spansPerTrace: 10, measuredTickP99Ms: 395, budgetMs: 250 };

/** A replica of `cores` of the calibration machine's CPU: μ is what that share of a core processes. */
function replicaOf(cores: number, spansPerTrace: number): FleetSettings {
  return { ...DEFAULT_FLEET_SETTINGS, capacitySpansPerSecond: cores * calibration.spansPerCpuSecond, spansPerTrace };
}

/** The model's tick latency for a replica offered `offeredSpansPerSecond`: it ingests at most μ, and contention follows its CPU use. */
function modelTickMs(settings: FleetSettings, offeredSpansPerSecond: number, tracesHeld: number, utilization: number): number {
  const ingested = Math.min(offeredSpansPerSecond, settings.capacitySpansPerSecond);
  return decisionTickLatencyMs(decisionTickWorkMs(settings, ingested / settings.spansPerTrace, tracesHeld), utilization);
}

describe('the simulator’s decision-tick model against the real tier', () => {
  it('cites the calibration it was fitted to', () => {
    expect(DEFAULT_FLEET_SETTINGS.decisionTickMsPerTracePerSecond).toBe(calibration.decisionTick.msPerTracePerSecond);
    expect(DEFAULT_FLEET_SETTINGS.decisionTickMeasuredSpansPerCpuSecond).toBe(calibration.spansPerCpuSecond);
  });

  it(`predicts the mean tick at every unthrottled calibration point within ±${TICK_UNTHROTTLED_TOLERANCE_MS} ms`, () => {
    const settings = replicaOf(1, calibration.load.spansPerTrace);
    for (const point of calibration.throughput) {
      const model = modelTickMs(settings, point.acceptedSpansPerSecond, point.tracesHeld, point.cpuSecondsPerSecond);
      expect(Math.abs(model - point.meanDecisionTickMs), `${JSON.stringify(point)}: model ${model.toFixed(2)} ms`).toBeLessThanOrEqual(TICK_UNTHROTTLED_TOLERANCE_MS);
    }
  });

  it(`predicts a CPU-throttled gateway's tick within a factor of ${TICK_THROTTLED_TOLERANCE_FACTOR}, over the budget when overloaded and under it once relieved`, () => {
    const settings = replicaOf(THROTTLED.cores, THROTTLED.spansPerTrace);
    const held = (THROTTLED.offeredSpansPerSecond / THROTTLED.spansPerTrace) * 2;
    const overloaded = modelTickMs(settings, THROTTLED.offeredSpansPerSecond, held, THROTTLED.offeredSpansPerSecond / settings.capacitySpansPerSecond);
    const ratio = overloaded / THROTTLED.measuredTickP99Ms;
    expect(ratio, `model ${overloaded.toFixed(0)} ms`).toBeLessThanOrEqual(TICK_THROTTLED_TOLERANCE_FACTOR);
    expect(ratio, `model ${overloaded.toFixed(0)} ms`).toBeGreaterThanOrEqual(1 / TICK_THROTTLED_TOLERANCE_FACTOR);
    expect(overloaded).toBeGreaterThan(THROTTLED.budgetMs);
    const relievedLoad = THROTTLED.offeredSpansPerSecond / 2;
    const relieved = modelTickMs(settings, relievedLoad, (relievedLoad / THROTTLED.spansPerTrace) * 2, relievedLoad / settings.capacitySpansPerSecond);
    expect(relieved).toBeLessThan(THROTTLED.budgetMs);
  });
});

describe('the simulator’s other gateway constants against the real tier', () => {
  it(`charges more memory per span held than measured, by at most ${MEMORY_PER_SPAN_MAX_FACTOR}×`, () => {
    const factor = DEFAULT_FLEET_SETTINGS.memoryBytesPerSpan / calibration.memory.rssBytesPerHeldSpan;
    expect(factor).toBeGreaterThanOrEqual(1);
    expect(factor).toBeLessThanOrEqual(MEMORY_PER_SPAN_MAX_FACTOR);
  });

  it('keeps μ a scenario parameter below what the measured gateway does with lighter spans', () => {
    expect(DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond).toBeLessThan(calibration.spansPerCpuSecond);
  });
});

describe('the exporter-queue model under a failing backend', () => {
  it(`once the queue is full, fails what it accepts (enqueue-failed + send-failed = accepted ±${QUEUE_OUTAGE_TOLERANCE * 100} %), send-failed only after max_elapsed_time`, () => {
    const settings = DEFAULT_FLEET_SETTINGS;
    const fleet = new Fleet(settings, { initialReplicas: 4 });
    const offered = Math.round(0.7 * settings.capacitySpansPerSecond * 4 * settings.stepSeconds);
    const stepsToMaxElapsed = settings.retryMaxElapsedSeconds / settings.stepSeconds;
    for (let i = 0; i < stepsToMaxElapsed; i++) fleet.step(offered, 0, true);
    expect(fleet.totals.sendFailed).toBe(0);
    expect(fleet.totals.enqueueFailed).toBeGreaterThan(0);
    const before = { ...fleet.totals };
    for (let i = 0; i < 60; i++) fleet.step(offered, 0, true);
    const failed = fleet.totals.enqueueFailed - before.enqueueFailed + fleet.totals.sendFailed - before.sendFailed;
    const accepted = fleet.totals.accepted - before.accepted;
    expect(fleet.totals.sendFailed).toBeGreaterThan(0);
    expect(Math.abs(failed / accepted - 1)).toBeLessThanOrEqual(QUEUE_OUTAGE_TOLERANCE);
    expect(fleet.totals.sent).toBe(0);
  });
});

describe('the ring-change model', () => {
  it('splits the traces still receiving spans whose route moved, not the traces held for decision_wait', () => {
    expect(movedRingShare(2, 3)).toBeCloseTo(1 / 3, 12);
    expect(movedRingShare(3, 2)).toBeCloseTo(1 / 3, 12);
    expect(movedRingShare(0, 0)).toBe(0);
    // 100 traces/s whose spans arrive over 1.5 s: 150 receiving, a third of them moved.
    expect(ringChangeSplitTraces(100, 1.5, 2, 3)).toBeCloseTo(50, 9);
    expect(ringChangeSplitTraces(100, 1.5, 4, 4)).toBe(0);
  });
});

describe('the tolerances', () => {
  it('are the ones docs/collector-tier.md states', () => {
    expect(section).toContain(`±${TICK_UNTHROTTLED_TOLERANCE_MS} ms`);
    expect(section).toContain(`factor of ${TICK_THROTTLED_TOLERANCE_FACTOR}`);
    expect(section).toContain(`±${RING_CHANGE_TOLERANCE * 100} %`);
    expect(section).toContain(`${MEMORY_PER_SPAN_MAX_FACTOR}×`);
    expect(section).toContain(`±${QUEUE_OUTAGE_TOLERANCE * 100} %`);
  });
});
