// The JSON API under /api: read-only views of the DecisionLog, and the what-if replay (which reads past
// signals and computes, but changes nothing in the cluster).
import type { IncomingMessage } from 'node:http';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { DecisionLog, TargetRecord } from '../advisor/decision-log.ts';
import { initialReplicas, WHAT_IF_ESTIMATOR, WhatIfReplay, type WhatIfResult } from '../advisor/what-if.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { echoValue, ScalerError } from '../errors.ts';
import type { SignalHistory, TargetRef } from '../signals/signal-snapshot.ts';
import { parseInstantMs, readJsonObject, readQuery } from './request-parsing.ts';
import { type ClockKind, historySeriesView, targetDetailView, targetSummaryView } from './target-views.ts';
import type { WhatIfGate } from './what-if-gate.ts';
import { parseWhatIfRequest, type WhatIfLimits } from './what-if-request.ts';

/** What the API handlers read; built once by startDashboard. */
export interface ApiContext {
  readonly decisionLog: DecisionLog;
  /** Past signals for what-if replays; rejects UNKNOWN_PROMETHEUS for a server name the config lacks. */
  readonly signalHistory: SignalHistory;
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

function history(context: ApiContext, record: TargetRecord, url: URL): ApiAnswer {
  const query = readQuery(url, ['since']);
  const sinceMs = query.since === undefined ? 0 : parseInstantMs(query.since, context.nowMs(), 'since');
  return { status: 200, body: historySeriesView(record, context.decisionLog.history(record.ref, sinceMs), sinceMs) };
}

async function whatIf(context: ApiContext, record: TargetRecord, request: IncomingMessage): Promise<ApiAnswer> {
  const body = await readJsonObject(request);
  const nowMs = context.nowMs();
  const parsed = parseWhatIfRequest(body, record.settings, nowMs, context.whatIfLimits);
  const ticket = context.whatIfGate.enter();
  let result: WhatIfResult;
  try {
    const snapshots = await ticket.within(context.signalHistory.readRange(record.ref, parsed.settings, parsed.window));
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
      return history(context, record, url);
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
