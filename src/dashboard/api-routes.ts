// The JSON API under /api: read-only views of the DecisionLog, and the what-if replay (which reads past
// signals and computes, but changes nothing in the cluster).
import type { IncomingMessage } from 'node:http';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { DecisionLog, TargetRecord } from '../advisor/decision-log.ts';
import { initialReplicas, WHAT_IF_ESTIMATOR, WhatIfReplay, type WhatIfResult } from '../advisor/what-if.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { echoValue, ScalerError } from '../errors.ts';
import type { DecisionSeries, DecisionSeriesHistory } from '../signals/decision-series.ts';
import type { RangeWindow, SignalHistory, TargetRef } from '../signals/signal-snapshot.ts';
import { parseInstantMs, readJsonObject, readQuery } from './request-parsing.ts';
import { type ClockKind, decisionHistoryWindow, type HistorySeriesView, historySeriesFromPrometheus, historySeriesView, targetDetailView, targetSummaryView } from './target-views.ts';
import type { WhatIfGate } from './what-if-gate.ts';
import { parseWhatIfRequest, type WhatIfLimits } from './what-if-request.ts';

/** What the API handlers read; built once by startDashboard. */
export interface ApiContext {
  readonly decisionLog: DecisionLog;
  /** Past signals for what-if replays; rejects UNKNOWN_PROMETHEUS for a server name the config lacks. */
  readonly signalHistory: SignalHistory;
  /**
   * The scaler's own exported decisions, read back from Prometheus: when it has them, history comes from
   * there (the same on every replica, kept across restarts); else from this process's ring.
   */
  readonly decisionSeries?: DecisionSeriesHistory;
  readonly whatIfLimits: WhatIfLimits;
  /** Admits what-if replays (at most so many at once) and ends them at their deadline or at shutdown. */
  readonly whatIfGate: WhatIfGate;
  readonly nowMs: () => number;
  /** Which clock nowMs reads, so the page can label its times. */
  readonly clock: ClockKind;
}

/** The answer of POST …/whatif: the replay's result with the window, overrides and settings it ran with. */
export interface WhatIfAnswer extends WhatIfResult {
  readonly namespace: string;
  readonly name: string;
  readonly window: { readonly fromMs: number; readonly toMs: number; readonly stepSeconds: number };
  readonly overrides: Readonly<Record<string, string>>;
  readonly settings: TargetSettings;
  readonly estimator: string;
  /**
   * What the scaler answered KEDA at each of `series.atMs`, read back from its exported series (every
   * replica's); null when Prometheus does not scrape the scaler. `series.actualReplicas` is what the
   * gateways ran, from their own signals.
   */
  readonly scalerAnswered: readonly (number | null)[] | null;
}

/** An API answer: status and JSON value. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** Replay steps decided between two turns of the event loop (a few milliseconds of work). */
const REPLAY_SLICE_STEPS = 200;

const API_ROUTES_HELP = 'GET /api/targets, GET /api/targets/{namespace}/{name}, GET /api/targets/{namespace}/{name}/history?since=6h, POST /api/targets/{namespace}/{name}/whatif';

function methodNotAllowed(method: string, allowed: string): ScalerError {
  return new ScalerError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed}`);
}

function findTarget(context: ApiContext, ref: TargetRef): TargetRecord {
  const record = context.decisionLog.target(ref);
  if (record === undefined) {
    throw new ScalerError('TARGET_NOT_FOUND', `no target ${echoValue(ref.namespace)}/${echoValue(ref.name)}: it has not been polled by KEDA nor declared in advisoryTargets`);
  }
  return record;
}

function listTargets(context: ApiContext): ApiAnswer {
  const nowMs = context.nowMs();
  const targets = context.decisionLog
    .targets()
    .map((record) => targetSummaryView(record, nowMs))
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return { status: 200, body: { nowMs, clock: context.clock, targets } };
}

async function history(context: ApiContext, record: TargetRecord, url: URL): Promise<ApiAnswer> {
  const query = readQuery(url, ['since']);
  const nowMs = context.nowMs();
  const sinceMs = query.since === undefined ? 0 : parseInstantMs(query.since, nowMs, 'since');
  const fromPrometheus = await prometheusHistory(context, record, sinceMs, nowMs);
  return { status: 200, body: fromPrometheus ?? historySeriesView(record, context.decisionLog.history(record.ref, sinceMs), sinceMs) };
}

/**
 * History from the scaler's exported series and the gateways' signals at the same steps, or undefined
 * when Prometheus holds no decision series for the target (it does not scrape the scaler) or cannot be read.
 */
async function prometheusHistory(context: ApiContext, record: TargetRecord, sinceMs: number, nowMs: number): Promise<HistorySeriesView | undefined> {
  if (context.decisionSeries === undefined) return undefined;
  const window = decisionHistoryWindow(sinceMs, nowMs);
  try {
    const [series, snapshots] = await Promise.all([
      context.decisionSeries.readDecisionSeries(record.ref, record.settings, window),
      context.signalHistory.readRange(record.ref, record.settings, window),
    ]);
    return series === undefined ? undefined : historySeriesFromPrometheus(record, series, snapshots, sinceMs);
  } catch {
    // The ring in memory still answers; /readyz and the query metrics report Prometheus' trouble.
    return undefined;
  }
}

/** The decision series, or undefined when there is no source, none in Prometheus, or the read fails (the replay does not depend on it). */
async function readDecisionSeriesOrNothing(context: ApiContext, record: TargetRecord, window: RangeWindow): Promise<DecisionSeries | undefined> {
  try {
    return await context.decisionSeries?.readDecisionSeries(record.ref, record.settings, window);
  } catch {
    return undefined;
  }
}

/** `values` (at `fromAtMs`) at each of `atMs`; null where there is none. */
function alignedOn(atMs: readonly number[], fromAtMs: readonly number[], values: readonly (number | null)[]): (number | null)[] {
  const byTime = new Map(fromAtMs.map((time, index) => [time, values[index] ?? null]));
  return atMs.map((time) => byTime.get(time) ?? null);
}

async function whatIf(context: ApiContext, record: TargetRecord, request: IncomingMessage): Promise<ApiAnswer> {
  const body = await readJsonObject(request);
  const nowMs = context.nowMs();
  const parsed = parseWhatIfRequest(body, record.settings, nowMs, context.whatIfLimits);
  const ticket = context.whatIfGate.enter();
  let result: WhatIfResult;
  let decisions: DecisionSeries | undefined;
  try {
    const [snapshots, series] = await ticket.within(
      Promise.all([context.signalHistory.readRange(record.ref, parsed.settings, parsed.window), readDecisionSeriesOrNothing(context, record, parsed.window)]),
    );
    decisions = series;
    // Up to 11,000 decide() calls: handed over in slices so KEDA's polls on the same event loop are not held up.
    const replay = new WhatIfReplay(parsed.settings, parsed.window.stepSeconds, initialReplicas(snapshots));
    for (let index = 0; index < snapshots.length; index += REPLAY_SLICE_STEPS) {
      if (index > 0) await setImmediatePromise();
      ticket.check();
      for (const snapshot of snapshots.slice(index, index + REPLAY_SLICE_STEPS)) replay.add(snapshot);
    }
    result = replay.result();
  } finally {
    ticket.release();
  }
  const answer: WhatIfAnswer = {
    namespace: record.ref.namespace,
    name: record.ref.name,
    window: { fromMs: parsed.window.startMs, toMs: parsed.window.endMs, stepSeconds: parsed.window.stepSeconds },
    overrides: parsed.overrides,
    settings: parsed.settings,
    estimator: WHAT_IF_ESTIMATOR,
    ...result,
    scalerAnswered: decisions === undefined ? null : alignedOn(result.series.atMs, decisions.atMs, decisions.answeredReplicas),
  };
  return { status: 200, body: answer };
}

/** Answers one request under /api; `segments` are the decoded path segments after "api". */
export async function answerApi(context: ApiContext, request: IncomingMessage, url: URL, segments: readonly string[]): Promise<ApiAnswer> {
  const method = request.method ?? 'GET';
  const [collection, namespace, name, action, ...rest] = segments;
  if (collection !== 'targets' || rest.length > 0 || (namespace !== undefined && name === undefined)) {
    throw new ScalerError('BAD_REQUEST', `no API path ${echoValue(url.pathname)}; the API has: ${API_ROUTES_HELP}`);
  }
  if (namespace === undefined) {
    if (method !== 'GET') throw methodNotAllowed(method, 'GET');
    readQuery(url, []);
    return listTargets(context);
  }
  const record = findTarget(context, { namespace, name: name! });
  switch (action) {
    case undefined:
      if (method !== 'GET') throw methodNotAllowed(method, 'GET');
      readQuery(url, []);
      return { status: 200, body: { ...targetDetailView(record, context.nowMs()), nowMs: context.nowMs(), clock: context.clock } };
    case 'history':
      if (method !== 'GET') throw methodNotAllowed(method, 'GET');
      return await history(context, record, url);
    case 'whatif':
      if (method !== 'POST') throw methodNotAllowed(method, 'POST');
      readQuery(url, []);
      return whatIf(context, record, request);
    default:
      throw new ScalerError('BAD_REQUEST', `no API path ${echoValue(url.pathname)}; the API has: ${API_ROUTES_HELP}`);
  }
}

/** The Allow header of a 405: what-if takes POST, every other path only reads. */
export function allowedMethods(requestUrl: string): string {
  return /^\/api\/targets\/[^/?]+\/[^/?]+\/whatif\/?(\?|$)/.test(requestUrl) ? 'POST' : 'GET';
}
