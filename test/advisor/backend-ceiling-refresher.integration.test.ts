// The backend ceiling end to end: a decision whose queue proposal held is exported on the scaler's
// /metrics, the exported samples are kept by a real Prometheus (written through its remote-write
// receiver as two scaler replicas' scrapes days ago), read back at one instant, and given to decide(),
// which then holds at the first poll of the next filling. A hold older than a week, a target whose
// queue proposal never held, and a Prometheus that stops answering each leave what they should.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendCeilingRefresher } from '../../src/advisor/backend-ceiling-refresher.ts';
import type { TargetRecord } from '../../src/advisor/decision-log.ts';
import { createSelfMetrics, type TrackedDecisions } from '../../src/dashboard/self-metrics.ts';
import { BACKEND_CEILING_LOOKBACK_SECONDS } from '../../src/policy/backend-ceiling.ts';
import { decide } from '../../src/policy/decide.ts';
import type { Decision } from '../../src/policy/decision.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { BACKEND_CEILING_FROM_REPLICAS_METRIC, BACKEND_CEILING_SENT_METRIC } from '../../src/signals/decision-series.ts';
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
} satisfies Record<string, TargetRef>;

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

/** Each exported sample of the two ceiling gauges, as `name{namespace,name}` → value, from /metrics text. */
async function exportedCeilings(latest: readonly (readonly [TargetRef, Decision])[]): Promise<Map<string, number>> {
  const metrics = createSelfMetrics();
  metrics.trackDecisionLog(logOf(latest));
  const text = await metrics.registry.metrics();
  const exported = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(otel_gateway_scaler_backend_ceiling_\w+)\{namespace="([^"]*)",name="([^"]*)"\} (\S+)$/.exec(line);
    if (match) exported.set(`${match[1]}{${match[2]}/${match[3]}}`, Number(match[4]));
  }
  return exported;
}

/** What two scaler replicas' scrapes of the exported gauges leave in Prometheus for a hold of `minutes` ending `endS`. */
function scrapedHold(ref: TargetRef, exported: Map<string, number>, endS: number, minutes: number): RemoteWriteSeries[] {
  return ['scaler-0', 'scaler-1'].flatMap((replica) =>
    [BACKEND_CEILING_SENT_METRIC, BACKEND_CEILING_FROM_REPLICAS_METRIC].map((metric) => {
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
let exportedByHold: { readonly recent: Map<string, number>; readonly older: Map<string, number>; readonly grown: Map<string, number> };

beforeAll(async () => {
  const grown = decisionAfterGrowth(18, 200_000, 20, 220_000);
  exportedByHold = {
    recent: await exportedCeilings([
      [TARGETS.recent, decisionAfterGrowth(18, 200_000, 20)],
      [TARGETS.old, decisionAfterGrowth(18, 200_000, 20)],
      [TARGETS.grown, grown],
    ]),
    older: await exportedCeilings([[TARGETS.recent, decisionAfterGrowth(12, 150_000, 14)]]),
    grown: await exportedCeilings([[TARGETS.grown, grown]]),
  };
  prometheus = await startPrometheus({ extraFlags: ['--web.enable-remote-write-receiver'] });
  await remoteWrite(prometheus.url, [
    ...scrapedHold(TARGETS.old, exportedByHold.recent, END_S - 8 * DAY_S, 40),
    ...scrapedHold(TARGETS.recent, exportedByHold.older, END_S - 5 * DAY_S, 40),
    ...scrapedHold(TARGETS.recent, exportedByHold.recent, END_S - 2 * DAY_S, 40),
  ]);
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('the backend ceiling read back from a real Prometheus', () => {
  it('is exported only for a decision whose queue proposal held', () => {
    expect(exportedByHold.recent.get(`${BACKEND_CEILING_SENT_METRIC}{observability/gateway-recent}`)).toBe(200_000);
    expect(exportedByHold.recent.get(`${BACKEND_CEILING_FROM_REPLICAS_METRIC}{observability/gateway-recent}`)).toBe(18);
    expect(exportedByHold.older.get(`${BACKEND_CEILING_SENT_METRIC}{observability/gateway-recent}`)).toBe(150_000);
    expect(exportedByHold.grown.size).toBe(0);
  });

  it('reads the newest hold within the week, days after its series went stale, and nothing for a target without one', async () => {
    const nowMs = END_S * 1000;
    expect(await source.readBackendCeiling(TARGETS.recent, settings, nowMs)).toEqual({ sentSpansPerSecond: 200_000, fromReplicas: 18 });
    // Read as of four days ago, the newest hold is the one five days before the end.
    expect(await source.readBackendCeiling(TARGETS.recent, settings, nowMs - 4 * DAY_S * 1000)).toEqual({ sentSpansPerSecond: 150_000, fromReplicas: 12 });
    expect(await source.readBackendCeiling(TARGETS.old, settings, nowMs)).toBeUndefined();
    // The old hold is read while it is within the week.
    expect(await source.readBackendCeiling(TARGETS.old, settings, nowMs - (8 * DAY_S - BACKEND_CEILING_LOOKBACK_SECONDS + 60) * 1000)).toEqual({ sentSpansPerSecond: 200_000, fromReplicas: 18 });
    expect(await source.readBackendCeiling(TARGETS.grown, settings, nowMs)).toBeUndefined();
  });

  it('holds the next filling at once through the refresher, and keeps the ceiling while Prometheus does not answer', async () => {
    const refresher = new BackendCeilingRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const ceiling = await refresher.refresh(TARGETS.recent, settings, nowMs);
    expect(ceiling).toEqual({ sentSpansPerSecond: 200_000, fromReplicas: 18 });
    const signals = { currentReplicas: 18, acceptedSpansPerSecond: 204_000, sentSpansPerSecond: 199_000, queueFillMax: 0.6, queueFillMean: 0.55 };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }), backendCeiling: ceiling }, settings);
    expect(decision.recommended).toBe(18);
    expect(decision.proposals.find((proposal) => proposal.name === 'queue')!.reason).toMatch(/held at 18: on a peak within the last week/);
    await prometheus.pause();
    try {
      expect(await refresher.refresh(TARGETS.recent, settings, nowMs + 600_000)).toEqual(ceiling);
    } finally {
      await prometheus.resume();
    }
  });
});
