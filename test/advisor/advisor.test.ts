import { describe, expect, it } from 'vitest';
import { Advisor, type AdvisorOptions } from '../../src/advisor/advisor.ts';
import { estimateDecisionBytes } from '../../src/advisor/decision-ring.ts';
import { HPA_SYNC_SECONDS, parseTargetMetadata, type TargetSettings } from '../../src/config/target-metadata.ts';
import { ScalerError } from '../../src/errors.ts';
import type { SignalHistory, SignalSnapshot, SignalSource, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { learnedCapacity, T0_MS, snapshot, type SnapshotOptions } from '../policy/policy-fixtures.ts';
import { RecordingLogger } from '../support/recording-logger.ts';

const METADATA = { gatewaySelector: 'job="otel-gateway"' };
const ref = (name: string): TargetRef => ({ namespace: 'observability', name });
const MINUTE_MS = 60_000;

/** A signal source answering from a function of the target and the read count; records every read. */
class ScriptedSource implements SignalSource {
  readonly reads: string[] = [];
  constructor(private readonly answer: (target: TargetRef, settings: TargetSettings) => SignalSnapshot | Error) {}

  async read(target: TargetRef, settings: TargetSettings): Promise<SignalSnapshot> {
    this.reads.push(target.name);
    const answer = this.answer(target, settings);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

function advisorWith(source: SignalSource, options: Partial<AdvisorOptions> = {}): Advisor {
  return new Advisor({
    sourceFor: (name) => (name === 'default' ? source : undefined),
    targetDefaults: {},
    forgetAfterSeconds: 3600,
    maxTargets: 100,
    historyLength: 10,
    ...options,
  });
}

/** A fresh snapshot per read, observed at the time it is read for. */
function freshSnapshots(options: (atMs: number) => SnapshotOptions = () => ({})) {
  let atMs = T0_MS;
  return {
    source: new ScriptedSource(() => snapshot({ ...options(atMs), observedAtMs: atMs })),
    at(ms: number) {
      atMs = ms;
      return ms;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<ScalerError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ScalerError);
    return error as ScalerError;
  }
  throw new Error('expected a rejection');
}

describe('Advisor: evaluate and record', () => {
  it('decides, records the decision as the target’s latest and history, and answers IsActive', async () => {
    const clock = freshSnapshots();
    const advisor = advisorWith(clock.source);
    const evaluation = await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS));
    expect(evaluation.decision.current).toBe(6);
    expect(evaluation.active).toBe(true);
    const record = advisor.target(ref('gw'))!;
    expect(record).toMatchObject({ ref: ref('gw'), origin: 'keda', lastSeenMs: T0_MS, latest: evaluation.decision, lastError: undefined });
    expect(record.settings.gatewaySelector).toBe('job="otel-gateway"');
    expect(advisor.history(ref('gw'), 0)).toEqual([evaluation.decision]);
  });

  it('carries each target’s policy state between evaluations (the scale-in window advances per target)', async () => {
    const clock = freshSnapshots(() => ({ signals: { currentReplicas: 10, acceptedSpansPerSecond: 5 * 14_000 } }));
    const advisor = advisorWith(clock.source);
    const replicas: number[] = [];
    for (const seconds of [0, 30, 60, 90]) {
      replicas.push((await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS + seconds * 1000))).decision.replicas);
    }
    expect(replicas).toEqual([10, 10, 10, 8]);
    const other = await advisor.evaluate(ref('other'), METADATA, clock.at(T0_MS + 120_000));
    expect(other.decision.replicas).toBe(10);
  });

  it('answers a repeated call on the same cached snapshot with the same decision, recorded once', async () => {
    const shared = snapshot({ observedAtMs: T0_MS });
    const advisor = advisorWith(new ScriptedSource(() => shared));
    let notified = 0;
    advisor.onDecision(() => notified++);
    const first = await advisor.evaluate(ref('gw'), METADATA, T0_MS);
    const second = await advisor.evaluate(ref('gw'), METADATA, T0_MS + 50);
    expect(second.decision).toBe(first.decision);
    expect(advisor.history(ref('gw'), 0)).toHaveLength(1);
    expect(notified).toBe(1);
    expect(advisor.target(ref('gw'))!.lastSeenMs).toBe(T0_MS + 50);
  });

  it('decides again when the metadata changed, even on the same cached snapshot', async () => {
    const shared = snapshot({ observedAtMs: T0_MS });
    const advisor = advisorWith(new ScriptedSource(() => shared));
    const first = await advisor.evaluate(ref('gw'), METADATA, T0_MS);
    const second = await advisor.evaluate(ref('gw'), { ...METADATA, mode: 'dry-run' }, T0_MS + 50);
    expect(second.decision).not.toBe(first.decision);
    expect(second.decision.mode).toBe('dry-run');
  });

  it('records advisory evaluations with origin advisory', async () => {
    const clock = freshSnapshots();
    const advisor = advisorWith(clock.source);
    await advisor.evaluateAdvisory({ ...ref('batch'), metadata: METADATA }, clock.at(T0_MS));
    expect(advisor.target(ref('batch'))!.origin).toBe('advisory');
  });

  it('passes the forecast and calendar hooks’ inputs to the decision', async () => {
    const clock = freshSnapshots();
    const advisor = advisorWith(clock.source, {
      forecastFor: (_target, settings, nowMs) => ({
        kind: 'available',
        band: { leadTimeSeconds: 95, pointSpansPerSecond: 150_000, upperSpansPerSecond: 200_000, quantile: settings.forecastQuantile, fittedAtMs: nowMs - 1000, model: 'seasonal' },
      }),
      calendarFor: () => ({ activeWindows: [{ name: 'release', minReplicas: 20 }] }),
    });
    const { decision } = await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS));
    expect(decision.forecast?.upperSpansPerSecond).toBe(200_000);
    expect(decision.recommended).toBe(20);
  });

  it('plans the forecast lead time with the learned pod startup, judges the drain by the learned re-resolve, and sizes with the learned capacity', async () => {
    const clock = freshSnapshots();
    const leads: number[] = [];
    const advisor = advisorWith(clock.source, {
      replicaHistoryFor: () => ({
        startup: { kind: 'learned', seconds: 120, medianSeconds: 100, observations: 9, fromMs: T0_MS - 86_400_000, toMs: T0_MS, joinSeenBy: 'reporting' },
        reresolve: { kind: 'learned', seconds: 50, medianSeconds: 45, observations: 4, fromMs: T0_MS - 86_400_000, toMs: T0_MS },
      }),
      capacityFor: () => learnedCapacity(25_000, 'kube-state-metrics limits'),
      forecastFor: (_target, _settings, _nowMs, leadTimeSeconds) => {
        leads.push(leadTimeSeconds);
        return undefined;
      },
    });
    const { decision } = await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS));
    // Learned from gateways reporting: the trigger's re-resolve (5 s + 30 s) still comes before the agents send to them.
    expect(decision.startup).toMatchObject({ seconds: 120, source: 'learned', triggerSeconds: 45, joinSeconds: 120 + 5 + 30 });
    expect(leads).toEqual([decision.startup.leadTimeSeconds]);
    expect(decision.startup.leadTimeSeconds).toBe(decision.startup.joinSeconds + parseTargetMetadata(METADATA).pollingIntervalSeconds + HPA_SYNC_SECONDS);
    expect(decision.drain).toMatchObject({ reresolveSeconds: 50, reresolveSource: 'learned', learnedReresolve: { seconds: 50, observations: 4 } });
    expect(decision.capacity).toMatchObject({ spansPerReplica: 25_000, source: 'learned' });
    expect(decision.proposals.find((proposal) => proposal.name === 'throughput')!.inputs.capacitySpansPerReplica).toBe(25_000);
  });

  it('folds the state from Prometheus with the learned capacity it sizes with: a tier the learned figure finds too large steps in once the window has passed', async () => {
    // 80k spans/s on 6 gateways for the whole fold: 6 at the trigger's 20k × 0.7, 4 at a learned 30k.
    const steady = (atMs: number): SnapshotOptions => ({ observedAtMs: atMs, signals: { currentReplicas: 6, acceptedSpansPerSecond: 80_000 } });
    const clock = freshSnapshots(steady);
    const stateHistory: SignalHistory = {
      async readRange(_target, _settings, window) {
        const steps = Math.floor((window.endMs - window.startMs) / (window.stepSeconds * 1000)) + 1;
        return Array.from({ length: steps }, (_, step) => snapshot(steady(window.startMs + step * window.stepSeconds * 1000)));
      },
      async readAcceptedSpansHistory() {
        return [];
      },
    };
    const advisor = advisorWith(clock.source, {
      stateHistory,
      capacityFor: () => learnedCapacity(30_000),
    });
    const { decision } = await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS));
    expect(decision.recommended, decision.summary).toBe(5);
    expect(decision.guards.map((guard) => guard.name)).toContain('scaleInStep');
  });

  it("sizes a hot gateway the ring's history shows more gateways spread", async () => {
    // Three gateways, gateway-0 at twice the others' mean.
    const clock = freshSnapshots(() => ({ byGateway: { 'gateway-0': 40_000, 'gateway-1': 20_000, 'gateway-2': 20_000 }, signals: { currentReplicas: 3, acceptedSpansPerSecond: 80_000 } }));
    const grew = { before: { gateways: 2, hottestShare: 0.75, atMs: T0_MS - 7_200_000 }, after: { gateways: 3, hottestShare: 0.5, atMs: T0_MS - 600_000 } };
    const spreading = advisorWith(clock.source, { ringSpreadFor: () => ({ kind: 'follows-ring', ...grew }) });
    const sized = (await spreading.evaluate(ref('gw'), METADATA, clock.at(T0_MS))).decision;
    expect(sized.proposals.find((proposal) => proposal.name === 'throughput')!.inputs.busiestGatewayShareMultiple).toBeCloseTo(1.5, 9);
    const kept = advisorWith(clock.source, { ringSpreadFor: () => ({ kind: 'stays', ...grew }) });
    const unsized = (await kept.evaluate(ref('gw'), METADATA, clock.at(T0_MS))).decision;
    expect(unsized.proposals.find((proposal) => proposal.name === 'throughput')!.inputs.busiestGatewayShareMultiple).toBeUndefined();
    expect(unsized.replicas).toBeLessThan(sized.replicas);
  });

  it('a failing forecast hook degrades to "no forecast" with the reason, and is logged', async () => {
    const clock = freshSnapshots();
    const logger = new RecordingLogger();
    const advisor = advisorWith(clock.source, {
      logger,
      forecastFor: () => {
        throw new Error('model not fitted');
      },
    });
    const { decision } = await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS));
    expect(decision.proposals.find((proposal) => proposal.name === 'forecast')!.reason).toBe('no forecast: forecast failed: model not fitted');
    expect(logger.lines.map((line) => line.level)).toEqual(['warn']);
  });
});

describe('Advisor: errors are recorded and rethrown', () => {
  const failures: { name: string; input: { metadata: Record<string, string>; answer: SignalSnapshot | Error }; want: { code: string; message: RegExp } }[] = [
    {
      name: 'invalid metadata',
      input: { metadata: { ...METADATA, maxReplicas: 'lots' }, answer: snapshot() },
      want: { code: 'INVALID_METADATA', message: /scalerMetadata\.maxReplicas must be an integer/ },
    },
    {
      name: 'a Prometheus name the server config does not define',
      input: { metadata: { ...METADATA, prometheus: 'eu-west' }, answer: snapshot() },
      want: { code: 'UNKNOWN_PROMETHEUS', message: /"eu-west" is not a Prometheus server in the server config/ },
    },
    {
      name: 'Prometheus unreachable',
      input: { metadata: METADATA, answer: new ScalerError('PROMETHEUS_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:9090') },
      want: { code: 'PROMETHEUS_UNAVAILABLE', message: /ECONNREFUSED/ },
    },
    {
      name: 'no gateway reporting (current replicas unknown)',
      input: { metadata: METADATA, answer: snapshot({ signals: { currentReplicas: 'missing' } }) },
      want: { code: 'CURRENT_REPLICAS_UNKNOWN', message: /current gateway replicas unknown/ },
    },
    {
      name: 'an unexpected failure of the source',
      input: { metadata: METADATA, answer: new TypeError('cannot read properties of undefined') },
      want: { code: 'INTERNAL_ERROR', message: /cannot read properties/ },
    },
  ];
  for (const row of failures) {
    it(`${row.name}: rejects, keeps the last good decision and records ${row.want.code} until the next success`, async () => {
      let answer: SignalSnapshot | Error = snapshot({ observedAtMs: T0_MS });
      const advisor = advisorWith(new ScriptedSource(() => answer));
      const good = await advisor.evaluate(ref('gw'), METADATA, T0_MS);
      answer = row.input.answer;
      const error = await advisor.evaluate(ref('gw'), row.input.metadata, T0_MS + MINUTE_MS).then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error?.message).toMatch(row.want.message);
      const record = advisor.target(ref('gw'))!;
      expect(record.lastError).toEqual({ code: row.want.code, message: error!.message, atMs: T0_MS + MINUTE_MS });
      expect(record.latest).toBe(good.decision);
      answer = snapshot({ observedAtMs: T0_MS + 2 * MINUTE_MS });
      await advisor.evaluate(ref('gw'), METADATA, T0_MS + 2 * MINUTE_MS);
      expect(advisor.target(ref('gw'))!.lastError).toBeUndefined();
    });
  }

  it('a new target with invalid metadata is not recorded (there are no settings to show)', async () => {
    const advisor = advisorWith(new ScriptedSource(() => snapshot()));
    const error = await rejection(advisor.evaluate(ref('gw'), { gatewaySelector: 'otel' }, T0_MS));
    expect(error.code).toBe('INVALID_METADATA');
    expect(advisor.targets()).toEqual([]);
  });

  it('UNKNOWN_PROMETHEUS is raised before any read', async () => {
    const source = new ScriptedSource(() => snapshot());
    const advisor = advisorWith(source);
    const error = await rejection(advisor.evaluate(ref('gw'), { ...METADATA, prometheus: 'eu-west' }, T0_MS));
    expect(error.code).toBe('UNKNOWN_PROMETHEUS');
    expect(source.reads).toEqual([]);
  });
});

describe('Advisor: bounded memory', () => {
  it('keeps at most historyLength decisions per target, oldest first, filtered by time', async () => {
    const clock = freshSnapshots();
    const advisor = advisorWith(clock.source, { historyLength: 3 });
    for (let i = 0; i < 5; i++) await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS + i * MINUTE_MS));
    expect(advisor.history(ref('gw'), 0).map((decision) => decision.at)).toEqual([2, 3, 4].map((i) => T0_MS + i * MINUTE_MS));
    expect(advisor.history(ref('gw'), T0_MS + 3 * MINUTE_MS).map((decision) => decision.at)).toEqual([3, 4].map((i) => T0_MS + i * MINUTE_MS));
    expect(advisor.history(ref('unknown'), 0)).toEqual([]);
  });

  it('keeps each target within its share of historyBytes, the newest decision always kept', async () => {
    const clock = freshSnapshots();
    const first = await advisorWith(clock.source).evaluate(ref('probe'), METADATA, clock.at(T0_MS));
    const decisionBytes = estimateDecisionBytes(first.decision);
    // Room for about four decisions in all: two each for two targets, four for one alone.
    const advisor = advisorWith(clock.source, { historyLength: 100, historyBytes: Math.floor(4.5 * decisionBytes) });
    for (let i = 0; i < 6; i++) await advisor.evaluate(ref('alone'), METADATA, clock.at(T0_MS + i * MINUTE_MS));
    expect(advisor.history(ref('alone'), 0)).toHaveLength(4);
    for (let i = 6; i < 12; i++) {
      await advisor.evaluate(ref('alone'), METADATA, clock.at(T0_MS + i * MINUTE_MS));
      await advisor.evaluate(ref('second'), METADATA, clock.at(T0_MS + i * MINUTE_MS));
    }
    expect(advisor.history(ref('alone'), 0)).toHaveLength(2);
    expect(advisor.history(ref('second'), 0)).toHaveLength(2);
    expect(advisor.history(ref('alone'), 0).at(-1)!.at).toBe(T0_MS + 11 * MINUTE_MS);
    // A share smaller than one decision still keeps the latest one for the dashboard.
    const tiny = advisorWith(clock.source, { historyBytes: 1 });
    for (let i = 0; i < 3; i++) await tiny.evaluate(ref('gw'), METADATA, clock.at(T0_MS + (20 + i) * MINUTE_MS));
    expect(tiny.history(ref('gw'), 0).map((decision) => decision.at)).toEqual([T0_MS + 22 * MINUTE_MS]);
  });

  it('forgets targets not seen for forgetAfterSeconds, keeping the ones seen since', async () => {
    const clock = freshSnapshots();
    const advisor = advisorWith(clock.source, { forgetAfterSeconds: 3600 });
    await advisor.evaluate(ref('old'), METADATA, clock.at(T0_MS));
    await advisor.evaluate(ref('recent'), METADATA, clock.at(T0_MS + 50 * MINUTE_MS));
    await advisor.evaluate(ref('new'), METADATA, clock.at(T0_MS + 61 * MINUTE_MS));
    expect(advisor.targets().map((record) => record.ref.name)).toEqual(['recent', 'new']);
    expect(advisor.history(ref('old'), 0)).toEqual([]);
  });

  it('keeps at most maxTargets, evicting the least recently seen', async () => {
    const clock = freshSnapshots();
    const advisor = advisorWith(clock.source, { maxTargets: 3 });
    for (const [i, name] of ['a', 'b', 'c', 'a', 'd'].entries()) await advisor.evaluate(ref(name), METADATA, clock.at(T0_MS + i * 1000));
    expect(advisor.targets().map((record) => record.ref.name).sort()).toEqual(['a', 'c', 'd']);
  });

  it('a forgotten target starts afresh: no window carried over', async () => {
    const clock = freshSnapshots(() => ({ signals: { currentReplicas: 10, acceptedSpansPerSecond: 5 * 14_000 } }));
    const advisor = advisorWith(clock.source, { maxTargets: 1 });
    for (const seconds of [0, 30, 60]) await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS + seconds * 1000));
    await advisor.evaluate(ref('other'), METADATA, clock.at(T0_MS + 70_000));
    const back = await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS + 90_000));
    expect(back.decision.replicas).toBe(10);
    expect(back.decision.summary).toMatch(/waits 90s more/);
  });

  it('rejects options that would make memory unbounded or nothing kept', () => {
    expect(() => advisorWith(new ScriptedSource(() => snapshot()), { maxTargets: 0 })).toThrow(/maxTargets must be a positive number/);
    expect(() => advisorWith(new ScriptedSource(() => snapshot()), { historyLength: Number.NaN })).toThrow(/historyLength/);
  });
});

describe('Advisor: onDecision', () => {
  it('tells every listener about every recorded decision, until it unsubscribes', async () => {
    const clock = freshSnapshots();
    const advisor = advisorWith(clock.source);
    const seen: string[] = [];
    const unsubscribe = advisor.onDecision((record, decision) => seen.push(`${record.ref.name}@${decision.at}`));
    await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS));
    unsubscribe();
    await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS + 1000));
    expect(seen).toEqual([`gw@${T0_MS}`]);
  });

  it('a throwing or rejecting listener does not break the evaluation nor the other listeners, and is logged', async () => {
    const clock = freshSnapshots();
    const logger = new RecordingLogger();
    const advisor = advisorWith(clock.source, { logger });
    let reached = 0;
    advisor.onDecision(() => {
      throw new Error('slack is down');
    });
    advisor.onDecision((() => Promise.reject(new Error('async listener failed'))) as () => void);
    advisor.onDecision(() => reached++);
    const evaluation = await advisor.evaluate(ref('gw'), METADATA, clock.at(T0_MS));
    await new Promise((resolve) => setImmediate(resolve));
    expect(evaluation.decision.current).toBe(6);
    expect(reached).toBe(1);
    expect(logger.lines.filter((line) => line.level === 'error').map((line) => (line.fields.err as Error).message)).toEqual(['slack is down', 'async listener failed']);
  });
});
