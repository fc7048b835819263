// The forecast path end to end: two weeks of accepted-span counters written into a real Prometheus
// through its remote-write receiver, refitted through the Prometheus source's range query, read at
// now + lead time and fed to decide().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForecastRefresher, refitStepSeconds } from '../../src/advisor/forecast-refresher.ts';
import { ScalerError } from '../../src/errors.ts';
import { decide } from '../../src/policy/decide.ts';
import type { ForecastInput } from '../../src/policy/decide-input.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { settings as settingsFor, snapshot } from '../policy/policy-fixtures.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { type RemoteWriteSeries, remoteWrite } from '../support/remote-write.ts';
import { silentLogger as silent } from '../support/recording-logger.ts';
import { startupInUse } from '../../src/policy/startup-in-use.ts';

const DAY_S = 86_400;
const HOUR_MS = 3_600_000;
// History ends a few hours in the past, as it would at a refit a little later.
const END_MS = Math.floor((Date.now() - 3 * HOUR_MS) / HOUR_MS) * HOUR_MS;
const HISTORY_DAYS = 15;
const SHORT_HISTORY_HOURS = 12;

/** The true accepted spans/s: a daily cycle between 50k and 150k. */
function rate(tSeconds: number): number {
  return 100_000 + 50_000 * Math.sin((2 * Math.PI * (tSeconds % DAY_S)) / DAY_S);
}

/** The counter whose derivative is `rate`, counted from `startSeconds`. */
function counter(tSeconds: number, startSeconds: number): number {
  const phase = (t: number) => Math.cos((2 * Math.PI * t) / DAY_S);
  return 100_000 * (tSeconds - startSeconds) + ((50_000 * DAY_S) / (2 * Math.PI)) * (phase(startSeconds) - phase(tSeconds));
}

/** One counter series scraped every minute over [startSeconds, endSeconds]. */
function series(labels: Record<string, string>, startSeconds: number, endSeconds: number): RemoteWriteSeries {
  const samples: { timestampMs: number; value: number }[] = [];
  for (let t = startSeconds; t <= endSeconds; t += 60) samples.push({ timestampMs: t * 1000, value: counter(t, startSeconds) });
  return { labels: { __name__: 'otelcol_receiver_accepted_spans_total', ...labels }, samples };
}

const ref = { namespace: 'observability', name: 'otel-gateway' };
const shortRef = { namespace: 'observability', name: 'young-gateway' };
const settings = settingsFor({ gatewaySelector: 'job="otel-gateway"' });
/** The lead time of a startup not learned yet: the trigger's podStartup and re-resolve, the poll, the HPA's sync. */
const TRIGGER_LEAD_S = startupInUse(settings, undefined).leadTimeSeconds;
const shortSettings = settingsFor({ gatewaySelector: 'job="young-gateway"' });

let prometheus: RunningPrometheus;
let source: PrometheusSignalSource;

beforeAll(async () => {
  prometheus = await startPrometheus({ extraFlags: ['--web.enable-remote-write-receiver'] });
  const endSeconds = END_MS / 1000;
  await remoteWrite(prometheus.url, [
    series({ job: 'otel-gateway', instance: 'gw-0:8888' }, endSeconds - HISTORY_DAYS * DAY_S, endSeconds),
    series({ job: 'young-gateway', instance: 'young-0:8888' }, endSeconds - SHORT_HISTORY_HOURS * 3600, endSeconds),
  ]);
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

function available(input: ForecastInput): Extract<ForecastInput, { kind: 'available' }> {
  if (input.kind !== 'available') throw new Error(`expected a forecast, got: ${input.reason}`);
  return input;
}

describe('forecast refits from a real Prometheus', () => {
  it('uses one range query at 2-minute steps for the default 14-day history', () => {
    expect(refitStepSeconds(settings.forecastHistorySeconds)).toBe(120);
    expect(refitStepSeconds(28 * DAY_S)).toBe(225);
    expect(refitStepSeconds(90 * DAY_S)).toBe(720);
  });

  it('refits through the range query and gives the band at now + lead time, close to the true load', async () => {
    const refresher = new ForecastRefresher({ history: source, schedule: '0 * * * *', forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_MS;
    expect(refresher.forecastFor(ref, settings, nowMs, TRIGGER_LEAD_S)).toEqual({ kind: 'unavailable', reason: 'the first forecast refit for this target is still running' });
    await refresher.refit(ref, settings, nowMs);
    const { band } = available(refresher.forecastFor(ref, settings, nowMs, TRIGGER_LEAD_S));
    const truth = rate(nowMs / 1000 + TRIGGER_LEAD_S);
    expect(band.leadTimeSeconds).toBe(TRIGGER_LEAD_S);
    expect(Math.abs(band.pointSpansPerSecond - truth) / truth).toBeLessThan(0.03);
    expect(band.upperSpansPerSecond).toBeGreaterThanOrEqual(band.pointSpansPerSecond);
    // The same fit's point for now, which the proposal takes the season's change from.
    const truthNow = rate(nowMs / 1000);
    expect(Math.abs(band.nowPointSpansPerSecond! - truthNow) / truthNow).toBeLessThan(0.03);
    expect(band.quantile).toBe(0.9);
    expect(band.fittedAtMs).toBe(nowMs);
    // Half an hour later the same fit answers for the later time, following the daily cycle.
    const later = available(refresher.forecastFor(ref, settings, nowMs + 30 * 60_000, TRIGGER_LEAD_S)).band;
    const laterTruth = rate(nowMs / 1000 + 1800 + TRIGGER_LEAD_S);
    expect(Math.abs(later.pointSpansPerSecond - laterTruth) / laterTruth).toBeLessThan(0.03);
    // A join learned slower than the trigger says looks further ahead with the same fit.
    const learnedLeadS = TRIGGER_LEAD_S + 20 * 60;
    const further = available(refresher.forecastFor(ref, settings, nowMs, learnedLeadS)).band;
    const furtherTruth = rate(nowMs / 1000 + learnedLeadS);
    expect(further.leadTimeSeconds).toBe(learnedLeadS);
    expect(Math.abs(further.pointSpansPerSecond - furtherTruth) / furtherTruth).toBeLessThan(0.03);
  });

  it('feeds the policy: the forecast proposal takes the fit’s change over the lead time on the load measured now, at the target utilization', async () => {
    const refresher = new ForecastRefresher({ history: source, schedule: '0 * * * *', forgetAfterSeconds: 3600, logger: silent });
    await refresher.refit(ref, settings, END_MS);
    const forecast = refresher.forecastFor(ref, settings, END_MS, TRIGGER_LEAD_S);
    const { band } = available(forecast);
    const current = rate(END_MS / 1000);
    const { decision } = decide({ nowMs: END_MS, snapshot: snapshot({ observedAtMs: END_MS, signals: { acceptedSpansPerSecond: current } }), forecast }, settings);
    const proposal = decision.proposals.find((candidate) => candidate.name === 'forecast')!;
    const expected = (current * band.pointSpansPerSecond) / band.nowPointSpansPerSecond!;
    expect(proposal.replicas).toBe(Math.ceil(expected / (settings.capacitySpansPerReplica * settings.targetUtilization)));
    expect(decision.forecast).toEqual(band);
    expect(decision.recommended).toBeGreaterThanOrEqual(proposal.replicas!);
  });

  it('a target with 12 hours of data has no forecast, and the decision says why', async () => {
    const refresher = new ForecastRefresher({ history: source, schedule: '0 * * * *', forgetAfterSeconds: 3600, logger: silent });
    await refresher.refit(shortRef, shortSettings, END_MS);
    const forecast = refresher.forecastFor(shortRef, shortSettings, END_MS, startupInUse(shortSettings, undefined).leadTimeSeconds);
    expect(forecast.kind).toBe('unavailable');
    expect(forecast.kind === 'unavailable' && forecast.reason).toMatch(/^not enough history at the refit of .*: only 0 of the \d+ steps before the backtest window have data/);
    const { decision } = decide({ nowMs: END_MS, snapshot: snapshot({ observedAtMs: END_MS }), forecast }, shortSettings);
    const proposal = decision.proposals.find((candidate) => candidate.name === 'forecast')!;
    expect(proposal.replicas).toBeUndefined();
    expect(proposal.reason).toMatch(/no forecast: not enough history/);
    expect(decision.forecast).toBeUndefined();
  });

  it('keeps the last fit when Prometheus is down for a refit, and says the refit failed once the fit runs out', async () => {
    const refresher = new ForecastRefresher({ history: source, schedule: '0 * * * *', forgetAfterSeconds: 7 * DAY_S, logger: silent });
    await refresher.refit(ref, settings, END_MS);
    await prometheus.pause();
    try {
      await expect(refresher.refit(ref, settings, END_MS + HOUR_MS)).rejects.toBeInstanceOf(ScalerError);
    } finally {
      await prometheus.resume();
    }
    expect(refresher.forecastFor(ref, settings, END_MS + HOUR_MS, TRIGGER_LEAD_S).kind).toBe('available');
    const stale = refresher.forecastFor(ref, settings, END_MS + 2 * DAY_S * 1000, TRIGGER_LEAD_S);
    expect(stale.kind === 'unavailable' && stale.reason).toMatch(/covers until .*, not now \+ lead time; the last refit failed: /);
  });
});
