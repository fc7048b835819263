// The scaler's own decisions as Prometheus keeps them: the per-target gauges every scaler replica
// exports on /metrics (src/dashboard/self-metrics.ts), read back with range queries so the dashboard's
// history, the what-if's "what the scaler answered" and what earlier peaks showed (the backend's
// ceiling, the load at which the gateways fell behind) survive restarts and are the same on every replica. Pure: PromQL text and the assembly of range
// results; PrometheusSignalSource runs the queries.
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import { EARLIER_PEAK_LOOKBACK_SECONDS, type EarlierPeaks } from '../policy/earlier-peaks.ts';
import { quoted } from './promql-catalogue.ts';
import type { RangeWindow, TargetRef } from './signal-snapshot.ts';

/** Prefix of every metric the scaler exports about itself. */
export const SELF_METRIC_PREFIX = 'otel_gateway_scaler_';

export const DECISION_SERIES_QUERY_NAMES = ['currentReplicas', 'recommendedReplicas', 'answeredReplicas', 'proposals', 'guards'] as const;
export type DecisionSeriesQueryName = (typeof DECISION_SERIES_QUERY_NAMES)[number];

export interface DecisionSeriesQuery {
  readonly name: DecisionSeriesQueryName;
  readonly promql: string;
  /** The label that tells the series of one query apart ('' for one series). */
  readonly keyLabel: string;
}

/** Decisions over time, one column per series aligned on `atMs` (null where no replica exported a value). */
export interface DecisionSeries {
  readonly atMs: readonly number[];
  readonly currentReplicas: readonly (number | null)[];
  readonly recommendedReplicas: readonly (number | null)[];
  readonly answeredReplicas: readonly (number | null)[];
  /** By proposal name; null where the proposal had no data. */
  readonly proposals: Readonly<Record<string, readonly (number | null)[]>>;
  /** Guards that held or limited the decision at each step. */
  readonly guards: readonly (readonly string[])[];
}

/**
 * Reads a target's decision series from the Prometheus server the target reads its gateways from;
 * undefined when that server holds none in the window (it does not scrape the scaler).
 */
export interface DecisionSeriesHistory {
  readDecisionSeries(target: TargetRef, settings: Pick<TargetSettings, 'prometheus'>, window: RangeWindow): Promise<DecisionSeries | undefined>;
}

/**
 * One query per series. Every scaler replica exports its latest decision for the targets it has seen:
 * `max` over replicas gives one value per step (replicas that rebuild state from Prometheus agree).
 */
export function buildDecisionSeriesQueries(target: TargetRef): readonly DecisionSeriesQuery[] {
  const matchers = targetMatchers(target, 'decision series');
  return [
    { name: 'currentReplicas', promql: `max(${SELF_METRIC_PREFIX}current_replicas{${matchers}})`, keyLabel: '' },
    { name: 'recommendedReplicas', promql: `max(${SELF_METRIC_PREFIX}recommended_replicas{${matchers}})`, keyLabel: '' },
    { name: 'answeredReplicas', promql: `max(${SELF_METRIC_PREFIX}answered_replicas{${matchers}})`, keyLabel: '' },
    { name: 'proposals', promql: `max by (proposal) (${SELF_METRIC_PREFIX}proposal_replicas{${matchers}})`, keyLabel: 'proposal' },
    { name: 'guards', promql: `max by (guard) (${SELF_METRIC_PREFIX}guard_active{${matchers}, effect=~"hold|limit"})`, keyLabel: 'guard' },
  ];
}

/** The label matchers of a target's own exported series; `what` names the read for the error. */
function targetMatchers(target: TargetRef, what: string): string {
  if (target.namespace === '' || target.name === '') throw new ScalerError('BAD_REQUEST', `a target needs a namespace and a name to read its ${what}`);
  return `namespace=${quoted(target.namespace)}, name=${quoted(target.name)}`;
}

/** Step index → series key → value, as the range reader indexes a matrix. */
export type StepMatrix = ReadonlyMap<number, ReadonlyMap<string, number>>;

/** Columns from the indexed range results; undefined when no query returned a point. */
export function assembleDecisionSeries(results: ReadonlyMap<DecisionSeriesQueryName, StepMatrix>, window: RangeWindow): DecisionSeries | undefined {
  if (![...results.values()].some((matrix) => matrix.size > 0)) return undefined;
  const stepMs = window.stepSeconds * 1000;
  const steps = Math.floor((window.endMs - window.startMs) / stepMs) + 1;
  const atMs = Array.from({ length: steps }, (_, index) => window.startMs + index * stepMs);
  const single = (name: DecisionSeriesQueryName) => atMs.map((_, index) => results.get(name)?.get(index)?.get('') ?? null);
  const proposalNames = new Set<string>();
  for (const atStep of results.get('proposals')?.values() ?? []) for (const key of atStep.keys()) proposalNames.add(key);
  const proposals = Object.fromEntries([...proposalNames].sort().map((name) => [name, atMs.map((_, index) => results.get('proposals')?.get(index)?.get(name) ?? null)]));
  const guards = atMs.map((_, index) => [...(results.get('guards')?.get(index)?.entries() ?? [])].filter(([, value]) => value > 0).map(([name]) => name).sort());
  return {
    atMs,
    currentReplicas: single('currentReplicas'),
    recommendedReplicas: single('recommendedReplicas'),
    answeredReplicas: single('answeredReplicas'),
    proposals,
    guards,
  };
}

/** The queue proposal's hold as the scaler exports it (self-metrics.ts) and reads it back: the sent rate the backend took no more than, */
export const BACKEND_CEILING_SENT_METRIC = `${SELF_METRIC_PREFIX}backend_ceiling_sent_spans_per_second`;
/** and the count the tier grew from when it showed it. */
export const BACKEND_CEILING_FROM_REPLICAS_METRIC = `${SELF_METRIC_PREFIX}backend_ceiling_from_replicas`;
/** The per-gateway load at which the capacity read window shows the gateways falling behind, */
export const FELL_BEHIND_SPANS_METRIC = `${SELF_METRIC_PREFIX}fell_behind_spans_per_second_per_replica`;
/** and the newest step at which they did, in Unix seconds. */
export const FELL_BEHIND_AT_METRIC = `${SELF_METRIC_PREFIX}fell_behind_timestamp_seconds`;

const EARLIER_PEAK_METRICS = [BACKEND_CEILING_SENT_METRIC, BACKEND_CEILING_FROM_REPLICAS_METRIC, FELL_BEHIND_SPANS_METRIC, FELL_BEHIND_AT_METRIC] as const;

/**
 * The newest exported value of each earlier-peak series within the lookback, in EARLIER_PEAK_METRICS
 * order, evaluated at one instant (a range query of one step, so the read is at the time asked):
 * `last_over_time` keeps a value exported days ago after its series went stale, and `max` over scaler
 * replicas gives one value (replicas that fold alike agree).
 */
export function buildEarlierPeakQueries(target: TargetRef): readonly string[] {
  const matchers = targetMatchers(target, 'earlier peaks');
  const lookback = `${EARLIER_PEAK_LOOKBACK_SECONDS}s`;
  return EARLIER_PEAK_METRICS.map((metric) => `max(last_over_time(${metric}{${matchers}}[${lookback}]))`);
}

/**
 * What the reads (in buildEarlierPeakQueries order) name: each figure only when all its reads are
 * usable (a sent rate or load above 0, a count of at least 1, a finite time).
 */
export function earlierPeaksOf(values: readonly (number | undefined)[]): EarlierPeaks {
  const [sentSpansPerSecond, fromReplicas, fellBehindSpans, fellBehindAtSeconds] = values;
  const positive = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value) && value > 0;
  return {
    ...(positive(sentSpansPerSecond) && fromReplicas !== undefined && Number.isInteger(fromReplicas) && fromReplicas >= 1 ? { backendCeiling: { sentSpansPerSecond, fromReplicas } } : {}),
    ...(positive(fellBehindSpans) && positive(fellBehindAtSeconds) ? { fellBehind: { spansPerReplica: fellBehindSpans, atMs: fellBehindAtSeconds * 1000 } } : {}),
  };
}

/** Reads what earlier peaks showed of a target from the Prometheus server it reads its gateways from; empty when none was exported within the lookback. */
export interface EarlierPeaksHistory {
  readEarlierPeaks(target: TargetRef, settings: Pick<TargetSettings, 'prometheus'>, atMs: number): Promise<EarlierPeaks>;
}
