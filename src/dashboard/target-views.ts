// What the JSON API answers about targets, built from DecisionLog records only: every number shown
// comes from a Decision or the target's settings, so the page never computes a figure of its own.
// Pure: `nowMs` is passed in.
import type { TargetOrigin, TargetRecord } from '../advisor/decision-log.ts';
import type { MetadataKey, Mode, TargetSettings } from '../config/target-metadata.ts';
import type { ErrorCode } from '../errors.ts';
import { ceilingHoldOf } from '../policy/backend-ceiling.ts';
import type { Decision, GuardAction, ProposalName } from '../policy/decision.ts';
import { PROPOSAL_NAMES } from '../policy/decision.ts';
import type { DecisionSeries } from '../signals/decision-series.ts';
import type { RangeWindow, Reading, SignalSnapshot } from '../signals/signal-snapshot.ts';
import { settingsAsMetadata } from './settings-as-metadata.ts';
import { type SignalView, sendFailedRatio, signalViews } from './signal-view.ts';

/**
 * The overview's colour: `critical` something needs a person (evaluation failing, backend
 * bottleneck, at max under pressure, spans lost at the backend's ceiling); `warning` the scaler is
 * holding (for lack of data, at the backend's ceiling) or the data is stale; `scaling` it recommends a
 * different count; `steady` nothing to do; `pending` no decision yet.
 */
export type TargetStatus = 'critical' | 'warning' | 'scaling' | 'steady' | 'pending';

/** Which clock times are on: the wall clock, or the embedded demo's simulated clock. */
export type ClockKind = 'wall' | 'simulated';

export interface TargetSummaryView {
  readonly namespace: string;
  readonly name: string;
  readonly origin: TargetOrigin;
  readonly mode: Mode;
  readonly status: TargetStatus;
  readonly currentReplicas: number | null;
  readonly recommendedReplicas: number | null;
  /** What KEDA is answered: recommended in enforce mode, current in dry-run. */
  readonly answeredReplicas: number | null;
  readonly summary: string | null;
  /** The HPA ignores the recommendation (inside its ±10 %): the tier holds at current. */
  readonly withinHpaTolerance: boolean;
  readonly activeGuards: readonly GuardAction[];
  /** Time of the latest decision (ms since epoch). */
  readonly lastUpdateMs: number | null;
  readonly lastSeenMs: number;
  /** Age of the signals behind the latest decision at answer time. */
  readonly dataAgeSeconds: number | null;
  /** dataAgeSeconds is beyond the target's staleAfter. */
  readonly dataStale: boolean;
  readonly lastError: { readonly code: ErrorCode; readonly message: string; readonly atMs: number } | null;
}

export interface TargetDetailView {
  readonly target: TargetSummaryView;
  readonly decision: Decision | null;
  readonly signals: readonly SignalView[];
  readonly settings: TargetSettings;
  /** The same settings as scalerMetadata strings, as a ScaledObject would write them. */
  readonly effectiveMetadata: Readonly<Record<MetadataKey, string>>;
}

/** Decisions over time as columns (one array per series, aligned on `atMs`), the shape chart libraries take. */
export interface HistorySeriesView {
  readonly namespace: string;
  readonly name: string;
  readonly sinceMs: number;
  /**
   * `prometheus`: read back from the scaler's exported series (every replica's, kept across restarts) and
   * the gateways' signals at the same steps. `process`: this process's own ring of decisions.
   */
  readonly source: 'prometheus' | 'process';
  readonly points: number;
  readonly atMs: readonly number[];
  readonly currentReplicas: readonly (number | null)[];
  readonly recommendedReplicas: readonly (number | null)[];
  readonly answeredReplicas: readonly (number | null)[];
  /** One series per proposal name; null where the proposal had no data. */
  readonly proposals: Readonly<Record<ProposalName, readonly (number | null)[]>>;
  readonly acceptedSpansPerSecond: readonly (number | null)[];
  readonly forecastPointSpansPerSecond: readonly (number | null)[];
  readonly forecastUpperSpansPerSecond: readonly (number | null)[];
  /** current replicas × the capacity per replica each decision used (learned or the trigger's) × targetUtilization. */
  readonly capacityAtTargetSpansPerSecond: readonly (number | null)[];
  readonly queueFillMax: readonly (number | null)[];
  readonly queueFillMean: readonly (number | null)[];
  readonly sendFailedRatio: readonly (number | null)[];
  readonly decisionLatencyP99Ms: readonly (number | null)[];
  /** Names of the guards that held or limited each decision (notes left out), for chart markers. */
  readonly guards: readonly (readonly string[])[];
  /** The settings' lines the charts draw. */
  readonly thresholds: {
    readonly targetQueueFill: number;
    readonly backendFailureRatio: number;
    readonly decisionLatencyBudgetMs: number;
    readonly minReplicas: number;
    readonly maxReplicas: number;
  };
}

function readingValue(reading: Reading): number | null {
  return reading.kind === 'ok' ? reading.value : null;
}

function dataAgeSeconds(decision: Decision | undefined, nowMs: number): number | null {
  return decision === undefined ? null : Math.max(0, (nowMs - decision.snapshot.observedAtMs) / 1000);
}

/** The overview colour of one target; see TargetStatus for what each means. */
export function targetStatus(record: TargetRecord, nowMs: number): TargetStatus {
  const decision = record.latest;
  if (record.lastError !== undefined) return 'critical';
  if (decision === undefined) return 'pending';
  // Held at the backend's ceiling while the queues overflow: spans are lost and only a person can help.
  const ceilingHold = ceilingHoldOf(decision);
  if (decision.atMaxUnderPressure || decision.guards.some((guard) => guard.name === 'backendBottleneck') || (ceilingHold?.lostSpansPerSecond ?? 0) > 0) return 'critical';
  const age = dataAgeSeconds(decision, nowMs);
  if (ceilingHold !== undefined || decision.guards.some((guard) => guard.effect === 'hold') || (age !== null && age > record.settings.staleAfterSeconds)) return 'warning';
  if (decision.recommended !== decision.current && !decision.withinHpaTolerance) return 'scaling';
  return 'steady';
}

export function targetSummaryView(record: TargetRecord, nowMs: number): TargetSummaryView {
  const decision = record.latest;
  const age = dataAgeSeconds(decision, nowMs);
  return {
    namespace: record.ref.namespace,
    name: record.ref.name,
    origin: record.origin,
    mode: record.settings.mode,
    status: targetStatus(record, nowMs),
    currentReplicas: decision?.current ?? null,
    recommendedReplicas: decision?.recommended ?? null,
    answeredReplicas: decision?.replicas ?? null,
    summary: decision?.summary ?? null,
    withinHpaTolerance: decision?.withinHpaTolerance ?? false,
    activeGuards: decision?.guards ?? [],
    lastUpdateMs: decision?.at ?? null,
    lastSeenMs: record.lastSeenMs,
    dataAgeSeconds: age,
    dataStale: age !== null && age > record.settings.staleAfterSeconds,
    lastError: record.lastError ?? null,
  };
}

export function targetDetailView(record: TargetRecord, nowMs: number): TargetDetailView {
  return {
    target: targetSummaryView(record, nowMs),
    decision: record.latest ?? null,
    signals: record.latest === undefined ? [] : signalViews(record.latest.snapshot, record.settings),
    settings: record.settings,
    effectiveMetadata: settingsAsMetadata(record.settings),
  };
}

export function historySeriesView(record: TargetRecord, decisions: readonly Decision[], sinceMs: number): HistorySeriesView {
  const { settings } = record;
  const proposals = Object.fromEntries(
    PROPOSAL_NAMES.map((name) => [name, decisions.map((decision) => decision.proposals.find((proposal) => proposal.name === name)?.replicas ?? null)]),
  ) as Record<ProposalName, (number | null)[]>;
  return {
    namespace: record.ref.namespace,
    name: record.ref.name,
    sinceMs,
    source: 'process',
    points: decisions.length,
    atMs: decisions.map((decision) => decision.at),
    currentReplicas: decisions.map((decision) => decision.current),
    recommendedReplicas: decisions.map((decision) => decision.recommended),
    answeredReplicas: decisions.map((decision) => decision.replicas),
    proposals,
    acceptedSpansPerSecond: decisions.map((decision) => readingValue(decision.snapshot.signals.acceptedSpansPerSecond)),
    forecastPointSpansPerSecond: decisions.map((decision) => decision.forecast?.pointSpansPerSecond ?? null),
    forecastUpperSpansPerSecond: decisions.map((decision) => decision.forecast?.upperSpansPerSecond ?? null),
    capacityAtTargetSpansPerSecond: decisions.map((decision) => decision.current * decision.capacity.spansPerReplica * settings.targetUtilization),
    queueFillMax: decisions.map((decision) => readingValue(decision.snapshot.signals.queueFillMax)),
    queueFillMean: decisions.map((decision) => readingValue(decision.snapshot.signals.queueFillMean)),
    sendFailedRatio: decisions.map((decision) => readingValue(sendFailedRatio(decision.snapshot))),
    decisionLatencyP99Ms: decisions.map((decision) => readingValue(decision.snapshot.signals.decisionLatencyP99Ms)),
    guards: decisions.map((decision) => decision.guards.filter((guard) => guard.effect !== 'note').map((guard) => guard.name)),
    thresholds: thresholdsOf(settings),
  };
}

function thresholdsOf(settings: TargetSettings): HistorySeriesView['thresholds'] {
  return {
    targetQueueFill: settings.targetQueueFill,
    backendFailureRatio: settings.backendFailureRatio,
    decisionLatencyBudgetMs: settings.decisionLatencyBudgetMs,
    minReplicas: settings.minReplicas,
    maxReplicas: settings.maxReplicas,
  };
}

/** History read from Prometheus reaches back at most this far (the process ring's default span). */
export const MAX_PROMETHEUS_HISTORY_SECONDS = 86_400;
/** About this many points per chart, whatever the span; never finer than a typical scrape of the scaler. */
const HISTORY_POINTS = 720;
const MIN_HISTORY_STEP_SECONDS = 15;

/** The range read behind a history answer: from `sinceMs` (at most a day back) to now. */
export function decisionHistoryWindow(sinceMs: number, nowMs: number): RangeWindow {
  const startMs = Math.max(sinceMs, nowMs - MAX_PROMETHEUS_HISTORY_SECONDS * 1000);
  const stepSeconds = Math.max(MIN_HISTORY_STEP_SECONDS, Math.ceil((nowMs - startMs) / 1000 / HISTORY_POINTS));
  return { startMs, endMs: nowMs, stepSeconds };
}

/**
 * The same columns as historySeriesView, from the decision series and the signal snapshots of the same
 * window and step. Forecast columns are empty (the forecast is not exported per step); capacity uses the
 * trigger's figure. Steps no scaler replica exported a decision for are left out.
 */
export function historySeriesFromPrometheus(record: TargetRecord, series: DecisionSeries, snapshots: readonly SignalSnapshot[], sinceMs: number): HistorySeriesView {
  const { settings } = record;
  const byTime = new Map(snapshots.map((snapshot) => [snapshot.observedAtMs, snapshot]));
  const kept = series.atMs.map((_, index) => index).filter((index) => series.currentReplicas[index] !== null || series.recommendedReplicas[index] !== null);
  const column = <T>(values: readonly T[]) => kept.map((index) => values[index]!);
  const signal = (read: (snapshot: SignalSnapshot) => Reading) =>
    kept.map((index) => {
      const snapshot = byTime.get(series.atMs[index]!);
      return snapshot === undefined ? null : readingValue(read(snapshot));
    });
  const current = column(series.currentReplicas);
  return {
    namespace: record.ref.namespace,
    name: record.ref.name,
    sinceMs,
    source: 'prometheus',
    points: kept.length,
    atMs: column(series.atMs),
    currentReplicas: current,
    recommendedReplicas: column(series.recommendedReplicas),
    answeredReplicas: column(series.answeredReplicas),
    proposals: Object.fromEntries(PROPOSAL_NAMES.map((name) => [name, series.proposals[name] === undefined ? kept.map(() => null) : column(series.proposals[name])])) as Record<
      ProposalName,
      (number | null)[]
    >,
    acceptedSpansPerSecond: signal((snapshot) => snapshot.signals.acceptedSpansPerSecond),
    forecastPointSpansPerSecond: kept.map(() => null),
    forecastUpperSpansPerSecond: kept.map(() => null),
    capacityAtTargetSpansPerSecond: current.map((replicas) => (replicas === null ? null : replicas * settings.capacitySpansPerReplica * settings.targetUtilization)),
    queueFillMax: signal((snapshot) => snapshot.signals.queueFillMax),
    queueFillMean: signal((snapshot) => snapshot.signals.queueFillMean),
    sendFailedRatio: signal((snapshot) => sendFailedRatio(snapshot)),
    decisionLatencyP99Ms: signal((snapshot) => snapshot.signals.decisionLatencyP99Ms),
    guards: column(series.guards),
    thresholds: thresholdsOf(settings),
  };
}
