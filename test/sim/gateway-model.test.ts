// The simulator's gateway model against the real collector tier: its functions evaluated at the
// operating points `npm run collector:calibrate` measured (test/collector/calibration.json) and at
// the CPU-quota points `npm run collector:saturate` measured (test/collector/saturation.json), within
// the tolerances docs/collector-tier.md states. The ring-change model is held to the real tier in
// test/collector/ring-change.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Fleet } from '../../src/sim/fleet.ts';
import { loadExampleScaledObject } from '../../src/sim/example-scaled-object.ts';
import { DEFAULT_FLEET_SETTINGS, type FleetSettings } from '../../src/sim/fleet-settings.ts';
import { decisionTickLatencyMs, decisionTickWorkMs, movedRingShare, ringChangeSplitTraces } from '../../src/sim/gateway-model.ts';
import { simulatedTargetSettings } from '../../src/sim/simulated-target.ts';
import { docSection } from '../support/docs.ts';
import { MEMORY_PER_SPAN_MAX_FACTOR, QUEUE_OUTAGE_TOLERANCE, RING_CHANGE_TOLERANCE, TICK_UNTHROTTLED_TOLERANCE_MS } from '../support/model-tolerances.ts';

interface Calibration {
  readonly load: { readonly spansPerTrace: number };
  readonly spansPerCpuSecond: number;
  readonly throughput: readonly { readonly acceptedSpansPerSecond: number; readonly cpuSecondsPerSecond: number; readonly tracesHeld: number; readonly meanDecisionTickMs: number }[];
  readonly decisionTick: { readonly msPerTracePerSecond: number };
  readonly memory: { readonly rssBytesPerHeldSpan: number };
}

const calibration = JSON.parse(readFileSync(new URL('../collector/calibration.json', import.meta.url), 'utf8')) as Calibration;
const section = docSection('docs/collector-tier.md', 'The simulator against the real tier');

interface SaturatedStep {
  readonly cpus: number;
  readonly offeredSpansPerSecond: number;
  /** Exports the load generator gave up on: 0 when the gateway took everything it was offered. */
  readonly agentFailedSpansPerSecond: number;
  readonly tracesHeld: number;
  readonly p99DecisionTickMs: number;
}

const saturation = JSON.parse(readFileSync(new URL('../collector/saturation.json', import.meta.url), 'utf8')) as {
  readonly load: { readonly spansPerTrace: number };
  readonly steps: readonly SaturatedStep[];
};
/** The latency budget the benchmark's scaler runs with: the example ScaledObject's (the default, 500 ms). */
const LATENCY_BUDGET_MS = simulatedTargetSettings(loadExampleScaledObject()).decisionLatencyBudgetMs;

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

  it('keeps a CPU-quota gateway that takes all it is offered within the scaler’s latency budget, as the real one was', () => {
    const keptUp = saturation.steps.filter((step) => step.agentFailedSpansPerSecond === 0);
    // The sweep must have both kinds of step, or it says nothing about a quota.
    expect(keptUp.length).toBeGreaterThan(0);
    expect(keptUp.length).toBeLessThan(saturation.steps.length);
    for (const step of keptUp) {
      const settings = replicaOf(step.cpus, saturation.load.spansPerTrace);
      const model = modelTickMs(settings, step.offeredSpansPerSecond, step.tracesHeld, Math.min(step.offeredSpansPerSecond / settings.capacitySpansPerSecond, 1));
      expect(step.p99DecisionTickMs, JSON.stringify(step)).toBeLessThanOrEqual(LATENCY_BUDGET_MS);
      expect(model, `${JSON.stringify(step)}: model ${model.toFixed(0)} ms`).toBeLessThanOrEqual(LATENCY_BUDGET_MS);
    }
  });

  it('puts a CPU-quota gateway offered more than its quota processes over the budget', () => {
    const past = saturation.steps.filter((step) => step.offeredSpansPerSecond > replicaOf(step.cpus, saturation.load.spansPerTrace).capacitySpansPerSecond);
    expect(past.length).toBeGreaterThan(0);
    for (const step of past) {
      const settings = replicaOf(step.cpus, saturation.load.spansPerTrace);
      const model = modelTickMs(settings, step.offeredSpansPerSecond, step.tracesHeld, 1);
      expect(model, `${JSON.stringify(step)}: model ${model.toFixed(0)} ms`).toBeGreaterThan(LATENCY_BUDGET_MS);
    }
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
    expect(section).toContain(`${LATENCY_BUDGET_MS} ms budget`);
    expect(section).toContain(`±${RING_CHANGE_TOLERANCE * 100} %`);
    expect(section).toContain(`${MEMORY_PER_SPAN_MAX_FACTOR}×`);
    expect(section).toContain(`±${QUEUE_OUTAGE_TOLERANCE * 100} %`);
  });
});
