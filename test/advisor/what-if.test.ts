import { describe, expect, it } from 'vitest';
import { MAX_LISTED_SCALE_ACTIONS, offeredSpansPerSecond, ReadyReplicas, replayWhatIf, withReplayedReplicas } from '../../src/advisor/what-if.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { ScalerError } from '../../src/errors.ts';
import type { Reading, SignalName, SignalSnapshot } from '../../src/signals/signal-snapshot.ts';
import { LOAD_SAMPLES } from '../../src/policy/load-variation.ts';

const START_MS = Date.parse('2024-05-01T00:00:00Z');
const STEP_SECONDS = 60;

// 1,000 spans/s per replica at 100 %, 500 at the target utilization; a replica asked for takes traffic
// 40 s + the agents' re-resolve (5 s DNS interval + 30 s TTL) = 75 s later, so two 60 s steps later
// (without the TTL it would be the next step).
const settings = parseTargetMetadata({
  gatewaySelector: 'job="gw"',
  capacitySpansPerReplica: '1000',
  targetUtilization: '0.5',
  minReplicas: '1',
  maxReplicas: '40',
  podStartup: '40s',
});

const ok = (value: number): Reading => ({ kind: 'ok', value });
const missing: Reading = { kind: 'missing', reason: 'no data in the window' };

/** A quiet, healthy tier where only throughput sizes the fleet: empty queues, no refusals, no failures. */
function snapshot(step: number, load: number | undefined, replicas: number | undefined, extra: Partial<Record<SignalName, Reading>> = {}): SignalSnapshot {
  const signals: Record<SignalName, Reading> = {
    currentReplicas: replicas === undefined ? missing : ok(replicas),
    reportingReplicas: replicas === undefined ? missing : ok(replicas),
    queueFillMax: ok(0),
    queueFillMean: ok(0),
    refusedSpansPerSecond: ok(0),
    enqueueFailedSpansPerSecond: ok(0),
    sendFailedSpansPerSecond: ok(0),
    sentSpansPerSecond: ok(load ?? 0),
    decisionLatencyP99Ms: ok(1),
    tracesOnMemory: ok(0),
    droppedTooEarlyTracesPerSecond: ok(0),
    acceptedSpansPerSecond: load === undefined ? missing : ok(load),
    ...extra,
  };
  const gateways = replicas ?? 2;
  const byGateway: SignalSnapshot['acceptedSpansPerSecondByGateway'] =
    load === undefined ? { kind: 'missing', reason: 'no data in the window' } : { kind: 'ok', value: Object.fromEntries(Array.from({ length: gateways }, (_, index) => [`gw-${index}`, load / gateways])) };
  return { observedAtMs: START_MS + step * STEP_SECONDS * 1000, signals, acceptedSpansPerSecondByGateway: byGateway };
}

function run(loads: readonly (number | undefined)[], actual: readonly (number | undefined)[]) {
  return replayWhatIf({ settings, snapshots: loads.map((load, step) => snapshot(step, load, actual[step])), stepSeconds: STEP_SECONDS });
}

describe('replayWhatIf on a known window', () => {
  // Load triples at step 2 while the gateways stayed at 2 (they needed 6 at the target utilization).
  const result = run([1000, 1000, 3000, 3000, 3000], [2, 2, 2, 2, 2]);

  it('scales out at once when the load calls for it, never delayed by a window', () => {
    expect(result.series.replayedReplicas).toEqual([2, 2, 6, 6, 6]);
    expect(result.series.replayedReadyReplicas).toEqual([2, 2, 2, 2, 6]);
    expect(result.scaleActions.map(({ from, to }) => ({ from, to }))).toEqual([{ from: 2, to: 6 }]);
    expect(result.scaleActions[0]!.atMs).toBe(START_MS + 2 * STEP_SECONDS * 1000);
  });

  it('counts replica-hours as replicas asked for × step', () => {
    expect(result.replay.replicaHours).toBeCloseTo(((2 + 2 + 6 + 6 + 6) * 60) / 3600, 10);
    expect(result.actual.replicaHours).toBeCloseTo((5 * 2 * 60) / 3600, 10);
  });

  it('estimates lost spans from the load above what the ready replicas can process', () => {
    // Replay: steps 2 and 3 (6 asked, 2 ready): 2 × (3000 − 2 × 1000) × 60 s. Actual: steps 2–4 at 2 replicas.
    expect(result.replay.estimatedLostSpans).toBe(2 * 1000 * 60);
    expect(result.actual.estimatedLostSpans).toBe(3 * 1000 * 60);
  });

  it('counts scale actions and peaks for both runs', () => {
    expect(result.replay).toMatchObject({ scaleActions: 1, scaleOuts: 1, scaleIns: 0, peakReplicas: 6 });
    expect(result.actual).toMatchObject({ scaleActions: 0, scaleOuts: 0, scaleIns: 0, peakReplicas: 2 });
    expect(result.steps).toBe(5);
    expect(result.comparedSteps).toBe(5);
  });
});

describe('replayWhatIf edges', () => {
  it('holds a change inside the HPA tolerance, as the HPA would ignore it', () => {
    // 10,250 spans/s needs 21 replicas at 500 per replica: +5 % of 20 is inside the HPA's 0.1 tolerance.
    const result = run([10_250, 10_250, 10_250], [20, 20, 20]);
    expect(result.series.replayedReplicas).toEqual([20, 20, 20]);
    expect(result.replay.scaleActions).toBe(0);
  });

  it('sums both runs over the same steps only: load or replicas missing leaves a step out of both', () => {
    const result = run([1000, undefined, 1000, 1000], [2, 2, undefined, 2]);
    expect(result.comparedSteps).toBe(2);
    expect(result.actual.replicaHours).toBeCloseTo((2 * 2 * 60) / 3600, 10);
    expect(result.replay.replicaHours).toBeCloseTo((2 * 2 * 60) / 3600, 10);
    expect(result.series.offeredSpansPerSecond).toEqual([1000, null, 1000, 1000]);
    expect(result.series.actualReplicas).toEqual([2, 2, null, 2]);
  });

  it('never scales in on missing data', () => {
    const result = run([100, undefined, undefined], [4, 4, 4]);
    expect(Math.min(...result.series.replayedReplicas.slice(1))).toBeGreaterThanOrEqual(result.series.replayedReplicas[0]!);
  });

  it('starts from the first replica count the gateways reported', () => {
    const result = run([1000, 1000], [undefined, 3]);
    expect(result.series.replayedReplicas[0]).toBeGreaterThanOrEqual(2);
    expect(result.actual.peakReplicas).toBe(3);
  });

  it('refuses a window where no step reports the replica count', () => {
    let caught: unknown;
    try {
      run([1000, 1000], [undefined, undefined]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScalerError);
    expect((caught as ScalerError).code).toBe('CURRENT_REPLICAS_UNKNOWN');
  });

  it('lists at most MAX_LISTED_SCALE_ACTIONS actions but counts them all', () => {
    // 500 and 2,000 spans/s (1 and 4 replicas), each for longer than the LOAD_SAMPLES readings the scale-in
    // dead band remembers: out at each rise, in once the high readings are gone and the window has passed.
    const steps = 6000;
    const result = run(
      Array.from({ length: steps }, (_, step) => (Math.floor(step / (LOAD_SAMPLES + 4)) % 2 === 0 ? 500 : 2000)),
      Array.from({ length: steps }, () => 2),
    );
    expect(result.replay.scaleActions).toBeGreaterThan(MAX_LISTED_SCALE_ACTIONS);
    expect(result.scaleActions).toHaveLength(MAX_LISTED_SCALE_ACTIONS);
    expect(result.scaleActionsTruncated).toBe(true);
  });
});

describe('withReplayedReplicas', () => {
  const cases: { name: string; input: { fill: Reading; actual: Reading; replayed: number }; want: Reading }[] = [
    { name: 'twice the replicas halve the fill', input: { fill: ok(0.6), actual: ok(4), replayed: 8 }, want: ok(0.3) },
    { name: 'fewer replicas fill up, capped at full', input: { fill: ok(0.6), actual: ok(4), replayed: 2 }, want: ok(1) },
    { name: 'unknown actual count keeps the observed fill', input: { fill: ok(0.6), actual: missing, replayed: 8 }, want: ok(0.6) },
    { name: 'a missing fill stays missing', input: { fill: missing, actual: ok(4), replayed: 8 }, want: missing },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const observed = snapshot(0, 1000, 4, { queueFillMax: row.input.fill, queueFillMean: row.input.fill, currentReplicas: row.input.actual });
      // The fill a rate window before spreads alike, so a replayed drain is judged against its own course.
      const base = row.input.fill.kind === 'ok' ? { ...observed, queueFillMaxWindowAgo: row.input.fill.value } : observed;
      const replayed = withReplayedReplicas(base, row.input.replayed);
      expect(replayed.signals.queueFillMax).toEqual(row.want);
      expect(replayed.signals.queueFillMean).toEqual(row.want);
      expect(replayed.queueFillMaxWindowAgo).toBe(row.want.kind === 'ok' ? row.want.value : undefined);
      expect(replayed.signals.currentReplicas).toEqual(ok(row.input.replayed));
      expect(replayed.signals.acceptedSpansPerSecond).toEqual(base.signals.acceptedSpansPerSecond);
    });
  }
});

describe('offeredSpansPerSecond', () => {
  const cases: { name: string; input: Partial<Record<SignalName, Reading>>; want: number | undefined }[] = [
    { name: 'accepted plus refused', input: { acceptedSpansPerSecond: ok(900), refusedSpansPerSecond: ok(100) }, want: 1000 },
    { name: 'accepted alone when refused is missing', input: { acceptedSpansPerSecond: ok(900), refusedSpansPerSecond: missing }, want: 900 },
    { name: 'unknown when accepted is missing', input: { acceptedSpansPerSecond: missing, refusedSpansPerSecond: ok(100) }, want: undefined },
  ];
  for (const row of cases) {
    it(row.name, () => {
      expect(offeredSpansPerSecond(snapshot(0, 1, 1, row.input))).toBe(row.want);
    });
  }
});

describe('ReadyReplicas', () => {
  const JOIN_MS = 60_000;
  const cases: { name: string; input: { atMs: number; asked: number }[]; want: number[] }[] = [
    { name: 'new replicas are ready only after their join', input: [{ atMs: 0, asked: 5 }, { atMs: 30_000, asked: 5 }, { atMs: 60_000, asked: 5 }], want: [2, 2, 5] },
    { name: 'removals take capacity away at once', input: [{ atMs: 0, asked: 1 }], want: [1] },
    { name: 'pods still starting are removed before ready ones', input: [{ atMs: 0, asked: 5 }, { atMs: 10_000, asked: 3 }, { atMs: 60_000, asked: 3 }], want: [2, 2, 3] },
    { name: 'removing more than are starting reaches ready pods', input: [{ atMs: 0, asked: 4 }, { atMs: 10_000, asked: 1 }, { atMs: 60_000, asked: 1 }], want: [2, 1, 1] },
    { name: 'batches become ready in the order they were asked for', input: [{ atMs: 0, asked: 3 }, { atMs: 30_000, asked: 4 }, { atMs: 60_000, asked: 4 }, { atMs: 90_000, asked: 4 }], want: [2, 2, 3, 4] },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const ready = new ReadyReplicas(2, JOIN_MS);
      expect(row.input.map((step) => ready.advance(step.atMs, step.asked))).toEqual(row.want);
    });
  }
});
