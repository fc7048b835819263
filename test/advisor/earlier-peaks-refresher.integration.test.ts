// What earlier peaks showed, end to end: a decision whose queue proposal held, or whose capacity read
// window showed the agents ahead for longer than a rate window, is exported on the scaler's /metrics,
// the exported samples are kept by a real Prometheus (written through its remote-write receiver as two
// scaler replicas' scrapes days ago), read back at one instant, and given to decide(), which then holds
// at the first poll of the next filling, or sizes with the load the gateways fell behind at. A figure
// older than a week, a target that showed neither, and a Prometheus that stops answering each leave
// what they should.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarlierPeaksRefresher } from '../../src/advisor/earlier-peaks-refresher.ts';
import type { TargetRecord } from '../../src/advisor/decision-log.ts';
import { createSelfMetrics, type TrackedDecisions } from '../../src/dashboard/self-metrics.ts';
import type { CapacityEstimate } from '../../src/policy/capacity-estimate.ts';
import { EARLIER_PEAK_LOOKBACK_SECONDS } from '../../src/policy/earlier-peaks.ts';
import { decide } from '../../src/policy/decide.ts';
import type { Decision } from '../../src/policy/decision.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { BACKEND_CEILING_FROM_REPLICAS_METRIC, BACKEND_CEILING_SENT_METRIC, FELL_BEHIND_AT_METRIC, FELL_BEHIND_SPANS_METRIC } from '../../src/signals/decision-series.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import type { TargetRef } from '../../src/signals/signal-snapshot.ts';
import { settings as settingsFor, snapshot } from '../policy/policy-fixtures.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { silentLogger as silent } from '../support/recording-logger.ts';
import { historyEndSeconds, type RemoteWriteSeries, remoteWrite } from '../support/remote-write.ts';

const DAY_S = 86_400;
const SCRAPE_S = 15;
const END_S = historyEndSeconds();
const settings = settingsFor({ capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60' });

const TARGETS = {
  /** Held at 200k from 18 two days ago, and at 150k from 12 five days ago. */
  recent: { namespace: 'observability', name: 'gateway-recent' },
  /** Held only eight days ago: outside the week. */
  old: { namespace: 'observability', name: 'gateway-old' },
  /** Its queue proposal grew the tier and never held. */
  grown: { namespace: 'observability', name: 'gateway-grown' },
  /** Its agents ran ahead of it at 16k spans/s per gateway a day ago. */
  behind: { namespace: 'observability', name: 'gateway-behind' },
} satisfies Record<string, TargetRef>;

/** When the agents were last ahead of gateway-behind, and at what load per gateway. */
const FELL_BEHIND = { atS: END_S - DAY_S, spansPerReplica: 16_000 };

/** A decision whose capacity read window shows the agents ahead of the gateways for longer than a rate window. */
function decisionFallingBehind(): Decision {
  const witness = { medianSpansPerSecond: FELL_BEHIND.spansPerReplica, samples: 12, cause: 'falling behind' as const, atMs: FELL_BEHIND.atS * 1000 };
  const capacity: CapacityEstimate = { kind: 'insufficient', reason: 'only 20 min of CPU samples', saturation: witness, lastingShortfall: witness };
  const nowMs = FELL_BEHIND.atS * 1000;
  const signals = { currentReplicas: 18, acceptedSpansPerSecond: 288_000, sentSpansPerSecond: 288_000, queueFillMax: 0.1, queueFillMean: 0.1 };
  return decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }), capacity }, settings).decision;
}

/** Two polls 90 s apart: queues above target at `fromReplicas` gateways sending `sentBefore`, then at `second` sending `sentAfter`. */
function decisionAfterGrowth(fromReplicas: number, sentBefore: number, second: number, sentAfter = sentBefore): Decision {
  let state: PolicyState | undefined;
  let decision: Decision | undefined;
  const polls = [
    { replicas: fromReplicas, sentSpansPerSecond: sentBefore },
    { replicas: second, sentSpansPerSecond: sentAfter },
  ];
  for (const [i, { replicas, sentSpansPerSecond }] of polls.entries()) {
    const nowMs = (END_S - 3 * DAY_S) * 1000 + i * 90_000;
    const signals = { currentReplicas: replicas, acceptedSpansPerSecond: sentSpansPerSecond * 1.02, sentSpansPerSecond, queueFillMax: 0.58, queueFillMean: 0.55 };
    ({ decision, state } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }) }, settings, state));
  }
  return decision!;
}

/** A DecisionLog holding each target's latest decision, as the Advisor's does. */
function logOf(latest: readonly (readonly [TargetRef, Decision])[]): TrackedDecisions {
  const records: TargetRecord[] = latest.map(([ref, decision]) => ({ ref, origin: 'keda', settings, lastSeenMs: decision.at, latest: decision, lastError: undefined }));
  return { targets: () => records, onDecision: () => () => undefined };
}

/** Each exported sample of the earlier-peak gauges, as `name{namespace,name}` → value, from /metrics text. */
async function exportedPeaks(latest: readonly (readonly [TargetRef, Decision])[]): Promise<Map<string, number>> {
  const metrics = createSelfMetrics();
  metrics.trackDecisionLog(logOf(latest));
  const text = await metrics.registry.metrics();
  const exported = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(otel_gateway_scaler_(?:backend_ceiling|fell_behind)_\w+)\{namespace="([^"]*)",name="([^"]*)"\} (\S+)$/.exec(line);
    if (match) exported.set(`${match[1]}{${match[2]}/${match[3]}}`, Number(match[4]));
  }
  return exported;
}

/** What two scaler replicas' scrapes of the exported `metrics` leave in Prometheus for `minutes` ending `endS`. */
function scraped(ref: TargetRef, exported: Map<string, number>, endS: number, minutes: number, metrics = [BACKEND_CEILING_SENT_METRIC, BACKEND_CEILING_FROM_REPLICAS_METRIC]): RemoteWriteSeries[] {
  return ['scaler-0', 'scaler-1'].flatMap((replica) =>
    metrics.map((metric) => {
      const value = exported.get(`${metric}{${ref.namespace}/${ref.name}}`);
      if (value === undefined) throw new Error(`${metric} was not exported for ${ref.name}`);
      const samples = [];
      for (let tS = endS - minutes * 60; tS <= endS; tS += SCRAPE_S) samples.push({ timestampMs: tS * 1000, value });
      return { labels: { __name__: metric, namespace: ref.namespace, name: ref.name, job: 'otel-gateway-scaler', instance: `${replica}:8080` }, samples };
    }),
  );
}

let prometheus: RunningPrometheus;
let source: PrometheusSignalSource;
let exportedByHold: { readonly recent: Map<string, number>; readonly older: Map<string, number>; readonly grown: Map<string, number>; readonly behind: Map<string, number> };

beforeAll(async () => {
  const grown = decisionAfterGrowth(18, 200_000, 20, 220_000);
  exportedByHold = {
    recent: await exportedPeaks([
      [TARGETS.recent, decisionAfterGrowth(18, 200_000, 20)],
      [TARGETS.old, decisionAfterGrowth(18, 200_000, 20)],
      [TARGETS.grown, grown],
    ]),
    older: await exportedPeaks([[TARGETS.recent, decisionAfterGrowth(12, 150_000, 14)]]),
    grown: await exportedPeaks([[TARGETS.grown, grown]]),
    behind: await exportedPeaks([[TARGETS.behind, decisionFallingBehind()]]),
  };
  prometheus = await startPrometheus({ extraFlags: ['--web.enable-remote-write-receiver'] });
  await remoteWrite(prometheus.url, [
    ...scraped(TARGETS.old, exportedByHold.recent, END_S - 8 * DAY_S, 40),
    ...scraped(TARGETS.recent, exportedByHold.older, END_S - 5 * DAY_S, 40),
    ...scraped(TARGETS.recent, exportedByHold.recent, END_S - 2 * DAY_S, 40),
    ...scraped(TARGETS.behind, exportedByHold.behind, FELL_BEHIND.atS, 40, [FELL_BEHIND_SPANS_METRIC, FELL_BEHIND_AT_METRIC]),
  ]);
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('what earlier peaks showed, read back from a real Prometheus', () => {
  it('is exported only for a decision whose queue proposal held', () => {
    expect(exportedByHold.recent.get(`${BACKEND_CEILING_SENT_METRIC}{observability/gateway-recent}`)).toBe(200_000);
    expect(exportedByHold.recent.get(`${BACKEND_CEILING_FROM_REPLICAS_METRIC}{observability/gateway-recent}`)).toBe(18);
    expect(exportedByHold.older.get(`${BACKEND_CEILING_SENT_METRIC}{observability/gateway-recent}`)).toBe(150_000);
    expect(exportedByHold.grown.size).toBe(0);
    expect([...exportedByHold.behind.keys()].some((key) => key.startsWith('otel_gateway_scaler_backend_ceiling'))).toBe(false);
  });

  it('exports the load the agents ran ahead at, and when, only for a decision whose read window showed it', () => {
    expect(exportedByHold.behind.get(`${FELL_BEHIND_SPANS_METRIC}{observability/gateway-behind}`)).toBe(16_000);
    expect(exportedByHold.behind.get(`${FELL_BEHIND_AT_METRIC}{observability/gateway-behind}`)).toBe(FELL_BEHIND.atS);
    expect([...exportedByHold.recent.keys()].some((key) => key.startsWith('otel_gateway_scaler_fell_behind'))).toBe(false);
  });

  it('reads the newest hold within the week, days after its series went stale, and nothing for a target without one', async () => {
    const nowMs = END_S * 1000;
    expect(await source.readEarlierPeaks(TARGETS.recent, settings, nowMs)).toEqual({ backendCeiling: { sentSpansPerSecond: 200_000, fromReplicas: 18 } });
    // Read as of four days ago, the newest hold is the one five days before the end.
    expect(await source.readEarlierPeaks(TARGETS.recent, settings, nowMs - 4 * DAY_S * 1000)).toEqual({ backendCeiling: { sentSpansPerSecond: 150_000, fromReplicas: 12 } });
    expect(await source.readEarlierPeaks(TARGETS.old, settings, nowMs)).toEqual({});
    // The old hold is read while it is within the week.
    expect(await source.readEarlierPeaks(TARGETS.old, settings, nowMs - (8 * DAY_S - EARLIER_PEAK_LOOKBACK_SECONDS + 60) * 1000)).toEqual({ backendCeiling: { sentSpansPerSecond: 200_000, fromReplicas: 18 } });
    expect(await source.readEarlierPeaks(TARGETS.grown, settings, nowMs)).toEqual({});
  });

  it('holds the next filling at once through the refresher, and keeps the ceiling while Prometheus does not answer', async () => {
    const refresher = new EarlierPeaksRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const peaks = await refresher.refresh(TARGETS.recent, settings, nowMs);
    const ceiling = peaks.backendCeiling;
    expect(ceiling).toEqual({ sentSpansPerSecond: 200_000, fromReplicas: 18 });
    const signals = { currentReplicas: 18, acceptedSpansPerSecond: 204_000, sentSpansPerSecond: 199_000, queueFillMax: 0.6, queueFillMean: 0.55 };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }), backendCeiling: ceiling }, settings);
    expect(decision.recommended).toBe(18);
    expect(decision.proposals.find((proposal) => proposal.name === 'queue')!.reason).toMatch(/held at 18: on a peak within the last week/);
    await prometheus.pause();
    try {
      expect(await refresher.refresh(TARGETS.recent, settings, nowMs + 600_000)).toEqual(peaks);
    } finally {
      await prometheus.resume();
    }
  });

  it('sizes the next peak with the load the gateways fell behind at, from its first poll, for a week', async () => {
    const nowMs = END_S * 1000;
    const { fellBehind } = await source.readEarlierPeaks(TARGETS.behind, settings, nowMs);
    expect(fellBehind).toEqual({ spansPerReplica: FELL_BEHIND.spansPerReplica, atMs: FELL_BEHIND.atS * 1000 });
    // The CPU says 20k per gateway; 288k spans/s takes 18 gateways at 16k, 15 at 20k (both at 90 %).
    const signals = { currentReplicas: 15, acceptedSpansPerSecond: 288_000, sentSpansPerSecond: 288_000, queueFillMax: 0.1, queueFillMean: 0.1 };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }), fellBehind }, settings);
    const without = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }) }, settings).decision;
    expect(decision.recommended).toBeGreaterThan(without.recommended);
    expect(decision.capacity.source).toBe('saturation');
    expect(decision.capacity.spansPerReplica).toBe(FELL_BEHIND.spansPerReplica);
    expect(decision.capacity.sentence).toMatch(/on a peak within the last week the agents took in over 1\.05 × what the gateways accepted at that load/);
    // Read from more than a week after it, there is none.
    expect((await source.readEarlierPeaks(TARGETS.behind, settings, (FELL_BEHIND.atS + EARLIER_PEAK_LOOKBACK_SECONDS + 3600) * 1000)).fellBehind).toBeUndefined();
  });
});
