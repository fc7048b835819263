// A dashboard on 127.0.0.1 over a scripted gateway tier: decisions made by the real decide() from
// snapshots a script describes, past signals from the same script, and helpers to call it over HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { DecisionLog, TargetOrigin, TargetRecord } from '../../src/advisor/decision-log.ts';
import { parseTargetMetadata, type TargetSettings } from '../../src/config/target-metadata.ts';
import type { ReadinessCheck } from '../../src/dashboard/readiness.ts';
import { createSelfMetrics, type SelfMetrics } from '../../src/dashboard/self-metrics.ts';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/start-dashboard.ts';
import type { WhatIfLimits } from '../../src/dashboard/what-if-request.ts';
import { decide } from '../../src/policy/decide.ts';
import type { Decision } from '../../src/policy/decision.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import type { RangeSample, RangeWindow, Reading, SignalHistory, SignalName, SignalSnapshot, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { targetKey } from '../../src/signals/signal-snapshot.ts';

export const NOW_MS = Date.parse('2024-05-01T12:00:00Z');
export const STEP_SECONDS = 60;

/** What the scripted tier looks like at one time. */
export interface TierState {
  readonly acceptedSpansPerSecond: number | undefined;
  readonly replicas: number | undefined;
  readonly queueFill?: number;
  readonly sendFailedRatio?: number;
}

export type TierScript = (atMs: number) => TierState;

const ok = (value: number): Reading => ({ kind: 'ok', value });

/** The snapshot a Prometheus read of the scripted tier would give. */
export function tierSnapshot(atMs: number, state: TierState): SignalSnapshot {
  const missing: Reading = { kind: 'missing', reason: 'no data for this step' };
  const load = state.acceptedSpansPerSecond;
  const failedRatio = state.sendFailedRatio ?? 0;
  const signals: Record<SignalName, Reading> = {
    currentReplicas: state.replicas === undefined ? missing : ok(state.replicas),
    queueFillMax: ok(state.queueFill ?? 0.1),
    queueFillMean: ok((state.queueFill ?? 0.1) * 0.8),
    refusedSpansPerSecond: ok(0),
    enqueueFailedSpansPerSecond: ok(0),
    sendFailedSpansPerSecond: load === undefined ? missing : ok(load * failedRatio),
    sentSpansPerSecond: load === undefined ? missing : ok(load * (1 - failedRatio)),
    decisionLatencyP99Ms: ok(40),
    tracesOnMemory: ok(1000),
    droppedTooEarlyTracesPerSecond: ok(0),
    acceptedSpansPerSecond: load === undefined ? missing : ok(load),
  };
  const gateways = state.replicas ?? 0;
  const byGateway: SignalSnapshot['acceptedSpansPerSecondByGateway'] =
    load === undefined || gateways === 0
      ? { kind: 'missing', reason: 'no data for this step' }
      : { kind: 'ok', value: Object.fromEntries(Array.from({ length: gateways }, (_, index) => [`gw-${index}`, load / gateways])) };
  return { observedAtMs: atMs, signals, acceptedSpansPerSecondByGateway: byGateway };
}

/** SignalHistory over scripted tiers, by target; records the windows it was asked for. */
export class ScriptedHistory implements SignalHistory {
  readonly rangeReads: { target: TargetRef; settings: TargetSettings; window: RangeWindow }[] = [];

  constructor(private readonly scripts: ReadonlyMap<string, TierScript>) {}

  async readRange(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly SignalSnapshot[]> {
    this.rangeReads.push({ target, settings, window });
    const script = this.scripts.get(targetKey(target));
    const snapshots: SignalSnapshot[] = [];
    for (let atMs = window.startMs; atMs <= window.endMs; atMs += window.stepSeconds * 1000) {
      snapshots.push(tierSnapshot(atMs, script ? script(atMs) : { acceptedSpansPerSecond: undefined, replicas: undefined }));
    }
    return snapshots;
  }

  async readAcceptedSpansHistory(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RangeSample[]> {
    const snapshots = await this.readRange(target, settings, window);
    return snapshots.flatMap((snapshot) => {
      const load = snapshot.signals.acceptedSpansPerSecond;
      return load.kind === 'ok' ? [{ timestampMs: snapshot.observedAtMs, value: load.value }] : [];
    });
  }
}

/** A DecisionLog filled by deciding every step of each scripted tier with the real decide(). */
export class ScriptedDecisionLog implements DecisionLog {
  private readonly records = new Map<string, TargetRecord>();
  private readonly decisions = new Map<string, Decision[]>();
  private readonly listeners = new Set<(record: TargetRecord, decision: Decision) => void>();
  private readonly states = new Map<string, PolicyState>();

  add(ref: TargetRef, origin: TargetOrigin, settings: TargetSettings): void {
    this.records.set(targetKey(ref), { ref, origin, settings, lastSeenMs: 0, latest: undefined, lastError: undefined });
    this.decisions.set(targetKey(ref), []);
  }

  /** Decides one step for a target from its snapshot at `atMs`. */
  evaluate(ref: TargetRef, snapshot: SignalSnapshot, atMs: number): Decision {
    const key = targetKey(ref);
    const record = this.records.get(key)!;
    const { decision, state } = decide({ nowMs: atMs, snapshot }, record.settings, this.states.get(key));
    this.states.set(key, state);
    const next: TargetRecord = { ...record, lastSeenMs: atMs, latest: decision, lastError: undefined };
    this.records.set(key, next);
    this.decisions.get(key)!.push(decision);
    for (const listener of this.listeners) listener(next, decision);
    return decision;
  }

  fail(ref: TargetRef, code: 'PROMETHEUS_UNAVAILABLE', message: string, atMs: number): void {
    const key = targetKey(ref);
    this.records.set(key, { ...this.records.get(key)!, lastError: { code, message, atMs } });
  }

  targets(): readonly TargetRecord[] {
    return [...this.records.values()];
  }

  target(ref: TargetRef): TargetRecord | undefined {
    return this.records.get(targetKey(ref));
  }

  history(ref: TargetRef, sinceMs: number): readonly Decision[] {
    return (this.decisions.get(targetKey(ref)) ?? []).filter((decision) => decision.at >= sinceMs);
  }

  onDecision(listener: (record: TargetRecord, decision: Decision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface TestTarget {
  readonly ref: TargetRef;
  readonly origin: TargetOrigin;
  readonly metadata: Readonly<Record<string, string>>;
  readonly script: TierScript;
}

export interface TestDashboard {
  readonly url: string;
  readonly log: ScriptedDecisionLog;
  readonly history: ScriptedHistory;
  readonly metrics: SelfMetrics;
  stop(): Promise<void>;
}

export interface TestDashboardOptions {
  readonly targets: readonly TestTarget[];
  /** Decisions recorded per target, one per STEP_SECONDS, the last at NOW_MS. */
  readonly decidedSteps?: number;
  readonly bearerToken?: string;
  readonly readiness?: readonly ReadinessCheck[];
  readonly whatIfLimits?: WhatIfLimits;
}

/** Starts a dashboard on 127.0.0.1:0 over scripted targets with their decisions already recorded. */
export async function startTestDashboard(options: TestDashboardOptions): Promise<TestDashboard> {
  const history = new ScriptedHistory(new Map(options.targets.map((target) => [targetKey(target.ref), target.script])));
  const log = new ScriptedDecisionLog();
  const metrics = createSelfMetrics({ nowMs: () => NOW_MS });
  const steps = options.decidedSteps ?? 30;
  for (const target of options.targets) {
    log.add(target.ref, target.origin, parseTargetMetadata(target.metadata));
    for (let step = steps - 1; step >= 0; step--) {
      const atMs = NOW_MS - step * STEP_SECONDS * 1000;
      log.evaluate(target.ref, tierSnapshot(atMs, target.script(atMs)), atMs);
    }
  }
  let tokenDir: string | undefined;
  let bearerTokenFile: string | undefined;
  if (options.bearerToken !== undefined) {
    tokenDir = mkdtempSync(join(tmpdir(), 'dashboard-token-'));
    bearerTokenFile = join(tokenDir, 'token');
    writeFileSync(bearerTokenFile, `${options.bearerToken}\n`);
  }
  let dashboard: RunningDashboard;
  try {
    dashboard = await startDashboard({
      config: { host: '127.0.0.1', port: 0, bearerTokenFile },
      decisionLog: log,
      signalHistory: history,
      readiness: options.readiness ?? [],
      selfMetrics: metrics,
      logger: pino({ level: 'silent' }),
      nowMs: () => NOW_MS,
      ...(options.whatIfLimits ? { whatIfLimits: options.whatIfLimits } : {}),
    });
  } catch (error) {
    if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: dashboard.url,
    log,
    history,
    metrics,
    stop: async () => {
      await dashboard.stop();
      if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
    },
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body when it is JSON. */
  readonly json: unknown;
}

/** One real HTTP request to the dashboard. */
export async function call(baseUrl: string, path: string, init: RequestInit = {}): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return call(baseUrl, path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
}
