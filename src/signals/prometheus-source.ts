// Reads a target's signals from one Prometheus server (prometheus-query over HTTP). The queries of one
// read run in parallel, each bounded by queryTimeoutMs so KEDA (3 s deadline) gets an answer or an
// error in time; results are cached per target for cacheTtlMs and concurrent reads of a target share
// one flight, because KEDA calls GetMetricSpec, IsActive and GetMetrics back to back.
import { readFile } from 'node:fs/promises';
import { PrometheusDriver, type QueryResult } from 'prometheus-query';
import type { ServerConfig } from '../config/server-config.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import { assembleCpuLoadSamples, buildCapacityQueries, type CapacityQueryName, type GatewayMatrix } from './capacity-queries.ts';
import type { CpuLoadHistory, CpuLoadSamples } from './cpu-load-history.ts';
import { assembleDecisionSeries, buildDecisionSeriesQueries, buildEarlierPeakQueries, type DecisionSeries, type DecisionSeriesQueryName, earlierPeaksOf, type StepMatrix } from './decision-series.ts';
import type { EarlierPeaks } from '../policy/earlier-peaks.ts';
import { buildReplicaCountQueries, type ReplicaCountHistory, type ReplicaCountSample } from './replica-count-history.ts';
import { buildRingShareQueries, type RingShareHistory, type RingShareSample } from './ring-share-history.ts';
import { buildSignalQueries, type CatalogueQuery, type CatalogueQueryName, catalogueInputOf } from './promql-catalogue.ts';
import type { PrometheusQueryObserver, QueryErrorReason, SignalReadEvent } from './query-observer.ts';
import {
  type CollectorBuild,
  type RangeSample,
  type RangeWindow,
  type Reading,
  SIGNAL_NAMES,
  type SignalHistory,
  type SignalName,
  type SignalSnapshot,
  type SignalSource,
  type TargetRef,
  targetKey,
} from './signal-snapshot.ts';
import { keepMostRecent } from '../recent-entries.ts';

/** One entry of the server config's `prometheus:` map. */
export type PrometheusServerSettings = ServerConfig['prometheus'][string];

/** Prometheus refuses range queries of more than 11,000 points per series. */
export const MAX_RANGE_POINTS = 11_000;

/** Range reads feed background jobs (replays, forecast refits), not KEDA's poll: they may take longer. */
export const DEFAULT_RANGE_QUERY_TIMEOUT_MS = 30_000;

export interface PrometheusSourceOptions {
  /** The server's name in the config; errors and metrics use it. */
  readonly serverName: string;
  readonly server: PrometheusServerSettings;
  /** Clock for the cache and `observedAtMs`; default Date.now. */
  readonly nowMs?: () => number;
  readonly observer?: PrometheusQueryObserver;
  readonly rangeQueryTimeoutMs?: number;
  /**
   * Snapshots cached at most (server config `advisor.maxTargets`; default 1,000): beyond it the oldest
   * goes first, so distinct targets or selectors read within `cacheTtlMs` cannot grow the cache.
   */
  readonly maxCachedSnapshots?: number;
}

/** The server config's default `advisor.maxTargets`: one cached snapshot per target it keeps. */
const DEFAULT_MAX_CACHED_SNAPSHOTS = 1000;

type QueryOutcome = { readonly kind: 'ok'; readonly result: QueryResult } | { readonly kind: 'failed'; readonly message: string; readonly reason: QueryErrorReason };

interface CacheEntry {
  readonly snapshot: SignalSnapshot;
  readonly expiresAtMs: number;
}

/** Smallest step (whole seconds) that keeps a range read within Prometheus' points limit. */
export function minRangeStepSeconds(window: Pick<RangeWindow, 'startMs' | 'endMs'>): number {
  return Math.max(1, Math.ceil((window.endMs - window.startMs) / 1000 / (MAX_RANGE_POINTS - 1)));
}

function assertRangeWindow(window: RangeWindow): void {
  const bad = (field: string, message: string) => new ScalerError('BAD_REQUEST', `window.${field} ${message}`);
  if (!Number.isFinite(window.startMs)) throw bad('startMs', `must be a time in ms since the epoch, got ${window.startMs}`);
  if (!Number.isFinite(window.endMs) || window.endMs < window.startMs) throw bad('endMs', `must be ≥ startMs (${window.startMs}), got ${window.endMs}`);
  if (!Number.isFinite(window.stepSeconds) || window.stepSeconds <= 0) throw bad('stepSeconds', `must be > 0, got ${window.stepSeconds}`);
  const points = Math.floor((window.endMs - window.startMs) / 1000 / window.stepSeconds) + 1;
  if (points > MAX_RANGE_POINTS) {
    throw bad(
      'stepSeconds',
      `${window.stepSeconds} over a ${Math.round((window.endMs - window.startMs) / 1000)} s window needs ${points} points; Prometheus answers at most ${MAX_RANGE_POINTS}: use stepSeconds ≥ ${minRangeStepSeconds(window)} or a shorter window`,
    );
  }
}

/** The URL without user:password, for messages. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid url)';
  }
}

function classify(error: unknown): { message: string; reason: QueryErrorReason } {
  // prometheus-query rejects with plain objects: { errorType, error, httpStatus?, code? }.
  if (error && typeof error === 'object' && 'errorType' in error) {
    const failure = error as { errorType?: string; error?: unknown; httpStatus?: number; code?: string };
    const detail = (typeof failure.error === 'string' && failure.error !== '' ? failure.error : failure.code) ?? 'no detail';
    if (failure.errorType === 'timeout_error') return { message: `timed out (${detail})`, reason: 'timeout' };
    if (failure.errorType === 'http_error' && failure.httpStatus !== undefined) {
      return { message: `HTTP ${failure.httpStatus}: ${detail}`, reason: failure.httpStatus >= 500 ? 'http-5xx' : 'http-4xx' };
    }
    if (failure.errorType === 'network_error' || failure.errorType === 'ssl_error') return { message: detail, reason: 'unreachable' };
    return { message: `${failure.errorType}: ${detail}`, reason: 'bad-response' };
  }
  return { message: error instanceof Error ? error.message : String(error), reason: 'bad-response' };
}

function firstSampleValue(result: QueryResult): number | undefined {
  const first = result.result[0] as { value?: { value?: unknown } } | undefined;
  return typeof first?.value?.value === 'number' ? first.value.value : undefined;
}

/** A reading of any catalogue shape: a number, a value per gateway, a list of gateways, or their builds. */
type AnyReading = Reading<number | Readonly<Record<string, number>> | readonly string[] | readonly CollectorBuild[]>;

/** Whether a Prometheus server answers a query at all. */
export type Reachability = { readonly kind: 'reachable' } | { readonly kind: 'unreachable'; readonly reason: string };

const REACHABILITY_QUERY = { name: 'reachability', promql: 'vector(1)' } as const;

/** A Prometheus-backed SignalSource and SignalHistory for one configured server. */
export class PrometheusSignalSource implements SignalSource, SignalHistory, CpuLoadHistory, ReplicaCountHistory, RingShareHistory {
  readonly serverName: string;
  private readonly server: PrometheusServerSettings;
  private readonly nowMs: () => number;
  private readonly observer: PrometheusQueryObserver | undefined;
  private readonly rangeQueryTimeoutMs: number;
  private readonly maxCachedSnapshots: number;
  private readonly instantDriver: PrometheusDriver;
  private readonly rangeDriver: PrometheusDriver;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<SignalSnapshot>>();
  private nextSweepAtMs = 0;
  /** The Authorization header from bearerTokenFile or basicAuth, re-read before every fetch. */
  private authorization: { readonly header: string; readonly secret: string } | undefined;

  constructor(options: PrometheusSourceOptions) {
    this.serverName = options.serverName;
    this.server = options.server;
    this.nowMs = options.nowMs ?? Date.now;
    this.observer = options.observer;
    this.rangeQueryTimeoutMs = options.rangeQueryTimeoutMs ?? DEFAULT_RANGE_QUERY_TIMEOUT_MS;
    this.maxCachedSnapshots = options.maxCachedSnapshots ?? DEFAULT_MAX_CACHED_SNAPSHOTS;
    this.instantDriver = this.createDriver(options.server.queryTimeoutMs);
    this.rangeDriver = this.createDriver(this.rangeQueryTimeoutMs);
  }

  /** One client per timeout, so a request abandoned at its deadline does not hold a socket any longer. */
  private createDriver(timeoutMs: number): PrometheusDriver {
    return new PrometheusDriver({
      endpoint: this.server.url,
      baseURL: `${this.server.pathPrefix ?? ''}/api/v1/`,
      headers: { ...this.server.headers },
      timeout: timeoutMs,
      requestInterceptor: {
        onFulfilled: (config) => {
          if (this.authorization !== undefined) config.headers.set('Authorization', this.authorization.header);
          return config;
        },
      },
    });
  }

  /**
   * Cached for cacheTtlMs per target and every setting the queries are built from (buildSignalQueries),
   * so edited metadata is never answered from old data; concurrent reads share one set of queries.
   */
  read(target: TargetRef, settings: TargetSettings): Promise<SignalSnapshot> {
    const key = [targetKey(target), settings.gatewaySelector, settings.agentSelector ?? '', settings.deploymentName ?? '', settings.rateWindowSeconds].join('\u0000');
    const nowMs = this.nowMs();
    this.sweepCache(nowMs);
    const cached = this.cache.get(key);
    if (cached && nowMs < cached.expiresAtMs) {
      this.notifyRead('cached');
      return Promise.resolve(cached.snapshot);
    }
    const running = this.inFlight.get(key);
    if (running) {
      this.notifyRead('joined');
      return running;
    }
    const flight = (async () => {
      try {
        const snapshot = await this.fetchSnapshot(target, settings);
        if (this.server.cacheTtlMs > 0) this.cacheSnapshot(key, snapshot);
        this.notifyRead('fetched');
        return snapshot;
      } catch (error) {
        this.notifyRead('failed');
        throw error;
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, flight);
    return flight;
  }

  /** One snapshot per step; each reading is the value at that step or missing. */
  async readRange(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly SignalSnapshot[]> {
    assertRangeWindow(window);
    // The builds explain the drain a decision names, never a count, so past steps go without them.
    const queries = Object.values(buildSignalQueries(catalogueInputOf(target, settings))).filter((query) => query.shape !== 'builds');
    await this.refreshCredentials();
    const outcomes = await Promise.all(queries.map((query) => this.runQuery(query, 'range', window)));
    this.rejectIfAllFailed(outcomes);
    const stepMs = window.stepSeconds * 1000;
    const steps: number[] = [];
    for (let atMs = window.startMs; atMs <= window.endMs; atMs += stepMs) steps.push(atMs);
    const byQuery = new Map<CatalogueQueryName, { outcome: QueryOutcome; values: Map<number, Map<string, number>> }>();
    queries.forEach((query, index) => {
      const outcome = outcomes[index]!;
      byQuery.set(query.name, { outcome, values: outcome.kind === 'ok' ? this.indexMatrix(outcome.result, window.startMs, stepMs) : new Map() });
    });
    return steps.map((atMs, stepIndex) => {
      const readingAt = (query: CatalogueQuery): AnyReading => {
        const entry = byQuery.get(query.name)!;
        if (entry.outcome.kind === 'failed') return { kind: 'missing', reason: `query failed: ${entry.outcome.message}` };
        const series = entry.values.get(stepIndex);
        if (query.shape === 'instances') return { kind: 'ok', value: [...(series?.keys() ?? [])].sort() };
        if (!series || series.size === 0) return { kind: 'missing', reason: `no data for ${query.metrics} at this step` };
        if (query.shape === 'byGateway') return { kind: 'ok', value: Object.fromEntries(series) };
        return { kind: 'ok', value: [...series.values()][0]! };
      };
      return this.assemble(queries, atMs, readingAt);
    });
  }

  /** Accepted spans/s summed over gateways, for forecast refits; steps without data are left out. */
  async readAcceptedSpansHistory(_target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RangeSample[]> {
    assertRangeWindow(window);
    const query = buildSignalQueries(settings).acceptedSpansPerSecond;
    await this.refreshCredentials();
    const outcome = await this.runQuery(query, 'range', window);
    this.rejectIfAllFailed([outcome]);
    if (outcome.kind !== 'ok') return [];
    const samples: RangeSample[] = [];
    for (const series of outcome.result.result as { values?: { time: Date; value: number }[] }[]) {
      for (const point of series.values ?? []) {
        if (Number.isFinite(point.value)) samples.push({ timestampMs: point.time.getTime(), value: point.value });
      }
    }
    return samples.sort((a, b) => a.timestampMs - b.timestampMs);
  }

  /** CPU and accepted spans per gateway and step, for learning capacity (capacity-queries.ts). */
  async readCpuLoadSamples(_target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<CpuLoadSamples> {
    assertRangeWindow(window);
    const queries = buildCapacityQueries(settings);
    await this.refreshCredentials();
    const outcomes = await Promise.all(queries.map((query) => this.runQuery(query, 'range', window)));
    this.rejectIfAllFailed(outcomes);
    const results = new Map<CapacityQueryName, GatewayMatrix>();
    queries.forEach((query, index) => {
      const outcome = outcomes[index]!;
      if (outcome.kind === 'ok') results.set(query.name, this.indexMatrix(outcome.result, window.startMs, window.stepSeconds * 1000));
    });
    return assembleCpuLoadSamples(results, window);
  }

  /**
   * Desired (kube-state-metrics), reporting gateways and the agents' largest and smallest ring per step,
   * for learning pod startup and the agents' re-resolve; empty without deploymentName.
   */
  async readReplicaCounts(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly ReplicaCountSample[]> {
    assertRangeWindow(window);
    const queries = buildReplicaCountQueries(target, settings);
    if (queries === undefined) return [];
    const steps = await this.readStepValues(
      [
        { name: 'desiredReplicas', promql: queries.desiredReplicas },
        { name: 'reportingReplicas', promql: queries.reportingReplicas },
        ...(queries.rings === undefined
          ? []
          : [
              { name: 'largestRing', promql: queries.rings.largest },
              { name: 'smallestRing', promql: queries.rings.smallest },
            ]),
      ],
      window,
    );
    return steps.map(({ atMs, values: [desiredReplicas, reportingReplicas, largestRing, smallestRing] }) => ({ atMs, desiredReplicas, reportingReplicas, largestRing, smallestRing }));
  }

  /** Gateways accepting spans and the busiest one's share per step, for judging the ring (ring-share-history.ts). */
  async readRingShares(_target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RingShareSample[]> {
    assertRangeWindow(window);
    const queries = buildRingShareQueries(settings);
    const steps = await this.readStepValues(
      [
        { name: 'acceptingGateways', promql: queries.acceptingGateways },
        { name: 'hottestShare', promql: queries.hottestShare },
      ],
      window,
    );
    const samples: RingShareSample[] = [];
    for (const { atMs, values: [acceptingGateways, hottestShare] } of steps) {
      if (acceptingGateways !== undefined && hottestShare !== undefined) samples.push({ atMs, acceptingGateways, hottestShare });
    }
    return samples;
  }

  /**
   * Runs range queries of one series each together; per step of the window, each query's value in
   * query order (undefined where it had none). Rejects only when every query failed.
   */
  private async readStepValues(queries: readonly { readonly name: string; readonly promql: string }[], window: RangeWindow): Promise<{ readonly atMs: number; readonly values: (number | undefined)[] }[]> {
    await this.refreshCredentials();
    const outcomes = await Promise.all(queries.map((query) => this.runQuery(query, 'range', window)));
    this.rejectIfAllFailed(outcomes);
    const stepMs = window.stepSeconds * 1000;
    const matrices = outcomes.map((outcome) => (outcome.kind === 'ok' ? this.indexMatrix(outcome.result, window.startMs, stepMs) : new Map<number, Map<string, number>>()));
    const steps: { readonly atMs: number; readonly values: (number | undefined)[] }[] = [];
    for (let stepIndex = 0; window.startMs + stepIndex * stepMs <= window.endMs; stepIndex++) {
      steps.push({ atMs: window.startMs + stepIndex * stepMs, values: matrices.map((matrix) => matrix.get(stepIndex)?.values().next().value) });
    }
    return steps;
  }

  /** The scaler's own exported decisions for a target (decision-series.ts); undefined when Prometheus does not scrape the scaler. */
  async readDecisionSeries(target: TargetRef, _settings: Pick<TargetSettings, 'prometheus'>, window: RangeWindow): Promise<DecisionSeries | undefined> {
    assertRangeWindow(window);
    const queries = buildDecisionSeriesQueries(target);
    await this.refreshCredentials();
    const outcomes = await Promise.all(queries.map((query) => this.runQuery({ name: `decisions:${query.name}`, promql: query.promql }, 'range', window)));
    this.rejectIfAllFailed(outcomes);
    const results = new Map<DecisionSeriesQueryName, StepMatrix>();
    queries.forEach((query, index) => {
      const outcome = outcomes[index]!;
      if (outcome.kind === 'ok') results.set(query.name, this.indexMatrix(outcome.result, window.startMs, window.stepSeconds * 1000, query.keyLabel));
    });
    return assembleDecisionSeries(results, window);
  }

  /** What earlier peaks within the lookback showed of a target, as the scaler exported it (decision-series.ts), read at `atMs`. */
  async readEarlierPeaks(target: TargetRef, _settings: Pick<TargetSettings, 'prometheus'>, atMs: number): Promise<EarlierPeaks> {
    const instant = { startMs: atMs, endMs: atMs, stepSeconds: 1 };
    const queries = buildEarlierPeakQueries(target).map((promql, index) => ({ name: `earlierPeaks:${index}`, promql }));
    const [step] = await this.readStepValues(queries, instant);
    return earlierPeaksOf(step?.values ?? []);
  }

  /** For /readyz: one trivial query through the same client, token and timeout that signal reads use. */
  async checkReachable(): Promise<Reachability> {
    try {
      await this.refreshCredentials();
    } catch (error) {
      return { kind: 'unreachable', reason: (error as Error).message };
    }
    const outcome = await this.runQuery(REACHABILITY_QUERY, 'instant');
    if (outcome.kind === 'ok') return { kind: 'reachable' };
    return { kind: 'unreachable', reason: `Prometheus server "${this.serverName}" (${displayUrl(this.server.url)}) did not answer: ${outcome.message}` };
  }

  private async fetchSnapshot(target: TargetRef, settings: TargetSettings): Promise<SignalSnapshot> {
    const queries = Object.values(buildSignalQueries(catalogueInputOf(target, settings)));
    await this.refreshCredentials();
    const observedAtMs = this.nowMs();
    const outcomes = await Promise.all(queries.map((query) => this.runQuery(query, 'instant')));
    this.rejectIfAllFailed(outcomes);
    const window = `${settings.rateWindowSeconds} s`;
    return this.assemble(queries, observedAtMs, (query) => {
      const outcome = outcomes[queries.indexOf(query)]!;
      if (outcome.kind === 'failed') return { kind: 'missing', reason: `query failed: ${outcome.message}` };
      if (query.shape === 'instances') {
        const instances = (outcome.result.result as { metric: { labels: Record<string, string> } }[]).map((sample) => sample.metric.labels.instance ?? '');
        return { kind: 'ok', value: [...new Set(instances)].sort() };
      }
      if (query.shape === 'builds') {
        const builds = (outcome.result.result as { metric: { labels: Record<string, string> }; value: { value: number } }[])
          .map((sample) => ({ name: sample.metric.labels.service_name ?? '', version: sample.metric.labels.service_version ?? '', gateways: sample.value.value }))
          .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
        if (builds.length === 0) return { kind: 'missing', reason: `no ${query.metrics} series carries a version for {${settings.gatewaySelector}}` };
        return { kind: 'ok', value: builds };
      }
      if (query.shape === 'byGateway') {
        const byGateway: Record<string, number> = {};
        for (const sample of outcome.result.result as { metric: { labels: Record<string, string> }; value: { value: number } }[]) {
          const instance = sample.metric.labels.instance;
          if (instance !== undefined && Number.isFinite(sample.value.value)) byGateway[instance] = sample.value.value;
        }
        if (Object.keys(byGateway).length === 0) return { kind: 'missing', reason: `no data for ${query.metrics} matching {${settings.gatewaySelector}}` };
        return { kind: 'ok', value: byGateway };
      }
      const value = firstSampleValue(outcome.result);
      if (value === undefined) return { kind: 'missing', reason: `no data for ${query.metrics} matching {${settings.gatewaySelector}}` };
      if (!Number.isFinite(value)) return { kind: 'missing', reason: `${query.metrics} has no observations in the ${window} rate window (got ${value})` };
      return { kind: 'ok', value };
    });
  }

  private assemble(
    queries: readonly CatalogueQuery[],
    observedAtMs: number,
    readingOf: (query: CatalogueQuery) => AnyReading,
  ): SignalSnapshot {
    const signals = {} as Record<SignalName, Reading>;
    let byGateway: Reading<Readonly<Record<string, number>>> = { kind: 'missing', reason: 'not queried' };
    let unscraped: readonly string[] | undefined;
    let latencyByGateway: Readonly<Record<string, number>> | undefined;
    let fillWindowAgo: number | undefined;
    let offered: number | undefined;
    let builds: readonly CollectorBuild[] | undefined;
    for (const query of queries) {
      const reading = readingOf(query);
      if (query.name === 'acceptedSpansPerSecondByGateway') byGateway = reading as Reading<Readonly<Record<string, number>>>;
      else if (query.name === 'decisionLatencyP99MsByGateway') latencyByGateway = reading.kind === 'ok' ? Object.freeze(reading.value as Record<string, number>) : undefined;
      else if (query.name === 'unscrapedGateways') unscraped = reading.kind === 'ok' ? Object.freeze(reading.value as readonly string[]) : undefined;
      else if (query.name === 'queueFillMaxWindowAgo') fillWindowAgo = reading.kind === 'ok' ? (reading.value as number) : undefined;
      else if (query.name === 'offeredSpansPerSecond') offered = reading.kind === 'ok' ? (reading.value as number) : undefined;
      else if (query.name === 'collectorBuilds') builds = reading.kind === 'ok' ? Object.freeze(reading.value as readonly CollectorBuild[]) : undefined;
      else signals[query.name] = reading as Reading;
    }
    for (const name of SIGNAL_NAMES) signals[name] ??= { kind: 'missing', reason: 'not queried' };
    return Object.freeze({
      observedAtMs,
      signals: Object.freeze(signals),
      acceptedSpansPerSecondByGateway: byGateway,
      ...(latencyByGateway === undefined ? {} : { decisionLatencyP99MsByGateway: latencyByGateway }),
      ...(unscraped === undefined ? {} : { unscrapedGateways: unscraped }),
      ...(fillWindowAgo === undefined ? {} : { queueFillMaxWindowAgo: fillWindowAgo }),
      ...(offered === undefined ? {} : { offeredSpansPerSecond: offered }),
      ...(builds === undefined ? {} : { collectorBuilds: builds }),
    });
  }

  /** Maps a range result to step index → (`keyLabel`'s value or "") → value, dropping non-finite values. */
  private indexMatrix(result: QueryResult, startMs: number, stepMs: number, keyLabel = 'instance'): Map<number, Map<string, number>> {
    const byStep = new Map<number, Map<string, number>>();
    for (const series of result.result as { metric: { labels: Record<string, string> }; values?: { time: Date; value: number }[] }[]) {
      const instance = series.metric.labels[keyLabel] ?? '';
      for (const point of series.values ?? []) {
        if (!Number.isFinite(point.value)) continue;
        const stepIndex = Math.round((point.time.getTime() - startMs) / stepMs);
        let atStep = byStep.get(stepIndex);
        if (!atStep) {
          atStep = new Map();
          byStep.set(stepIndex, atStep);
        }
        atStep.set(instance, point.value);
      }
    }
    return byStep;
  }

  private rejectIfAllFailed(outcomes: readonly QueryOutcome[]): void {
    const failures = outcomes.filter((outcome): outcome is Extract<QueryOutcome, { kind: 'failed' }> => outcome.kind === 'failed');
    if (failures.length === 0 || failures.length < outcomes.length) return;
    const causes = [...new Set(failures.map((failure) => failure.message))].slice(0, 2).join('; ');
    throw new ScalerError(
      'PROMETHEUS_UNAVAILABLE',
      `Prometheus server "${this.serverName}" (${displayUrl(this.server.url)}) did not answer: ${causes} (${failures.length} of ${outcomes.length} queries failed)`,
    );
  }

  private async runQuery(query: Pick<CatalogueQuery, 'promql'> & { readonly name: string }, kind: 'instant' | 'range', window?: RangeWindow): Promise<QueryOutcome> {
    const timeoutMs = kind === 'instant' ? this.server.queryTimeoutMs : this.rangeQueryTimeoutMs;
    const startedAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject({ errorType: 'timeout_error', error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    const evaluationTimeout = String(timeoutMs / 1000);
    // Started inside a promise so that a synchronous throw from the client becomes a failed query.
    const request = Promise.resolve().then(() =>
      kind === 'instant' || !window
        ? this.instantDriver.instantQuery(query.promql, undefined, evaluationTimeout)
        : this.rangeDriver.rangeQuery(query.promql, new Date(window.startMs), new Date(window.endMs), window.stepSeconds, evaluationTimeout),
    );
    request.catch(() => undefined);
    let outcome: QueryOutcome;
    try {
      outcome = { kind: 'ok', result: await Promise.race([request, deadline]) };
    } catch (error) {
      const { message, reason } = classify(error);
      outcome = { kind: 'failed', message: this.redact(message), reason };
    } finally {
      clearTimeout(timer);
    }
    this.notifyQuery({
      query: kind === 'range' ? `range:${query.name}` : query.name,
      durationMs: performance.now() - startedAt,
      ...(outcome.kind === 'ok' ? { outcome: 'ok' as const } : { outcome: 'error' as const, errorReason: outcome.reason }),
    });
    return outcome;
  }

  /** Re-reads the token or password file on every fetch so rotated Secrets and ServiceAccount tokens are picked up. */
  private async refreshCredentials(): Promise<void> {
    const { bearerTokenFile, basicAuth } = this.server;
    if (bearerTokenFile !== undefined) {
      const token = await this.readSecretFile('bearerTokenFile', bearerTokenFile);
      this.authorization = { header: `Bearer ${token}`, secret: token };
    } else if (basicAuth !== undefined) {
      const password = await this.readSecretFile('basicAuth.passwordFile', basicAuth.passwordFile);
      this.authorization = { header: `Basic ${Buffer.from(`${basicAuth.username}:${password}`).toString('base64')}`, secret: password };
    }
  }

  private async readSecretFile(field: string, file: string): Promise<string> {
    let text: string;
    try {
      text = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      this.notifyQuery({ query: 'credentials', durationMs: 0, outcome: 'error', errorReason: 'token-file' });
      throw new ScalerError(
        'PROMETHEUS_UNAVAILABLE',
        `Prometheus server "${this.serverName}": cannot read ${field} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
    if (text === '') throw new ScalerError('PROMETHEUS_UNAVAILABLE', `Prometheus server "${this.serverName}": ${field} ${file} is empty`);
    return text;
  }

  /** Neither the secret nor the header carrying it (a server may echo either) reaches a message. */
  private redact(message: string): string {
    if (this.authorization === undefined) return message;
    return [this.authorization.header.split(' ')[1]!, this.authorization.secret].reduce((text, secret) => text.split(secret).join('[redacted]'), message);
  }

  /** A key set again goes last, and the oldest beyond the bound goes first. */
  private cacheSnapshot(key: string, snapshot: SignalSnapshot): void {
    keepMostRecent(this.cache, key, { snapshot, expiresAtMs: this.nowMs() + this.server.cacheTtlMs }, this.maxCachedSnapshots);
  }

  private sweepCache(nowMs: number): void {
    if (nowMs < this.nextSweepAtMs) return;
    for (const [key, entry] of this.cache) if (entry.expiresAtMs <= nowMs) this.cache.delete(key);
    this.nextSweepAtMs = nowMs + Math.max(this.server.cacheTtlMs, 1000);
  }

  private notifyQuery(event: { query: string; durationMs: number; outcome: 'ok' | 'error'; errorReason?: QueryErrorReason }): void {
    try {
      this.observer?.queryFinished({ server: this.serverName, ...event });
    } catch {
      // A listener's failure must not turn a good read into a failed one.
    }
  }

  private notifyRead(outcome: SignalReadEvent['outcome']): void {
    try {
      this.observer?.readFinished?.({ server: this.serverName, outcome });
    } catch {
      // As above.
    }
  }
}
