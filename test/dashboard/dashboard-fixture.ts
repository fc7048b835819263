// A dashboard on 127.0.0.1 over scripted gateway tiers: the real Advisor evaluates them through a
// SignalSource that answers what a script describes, past signals come from the same script, and
// helpers call the dashboard over HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Advisor } from '../../src/advisor/advisor.ts';
import type { TargetOrigin } from '../../src/advisor/decision-log.ts';
import type { TargetSettings } from '../../src/config/target-metadata.ts';
import type { ReadinessCheck } from '../../src/dashboard/readiness.ts';
import { createSelfMetrics, type SelfMetrics } from '../../src/dashboard/self-metrics.ts';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/start-dashboard.ts';
import type { WhatIfLimits } from '../../src/dashboard/what-if-request.ts';
import { ScalerError } from '../../src/errors.ts';
import type { RangeSample, RangeWindow, Reading, SignalHistory, SignalName, SignalSnapshot, SignalSource, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { targetKey } from '../../src/signals/signal-snapshot.ts';

export const NOW_MS = Date.parse('2024-05-01T12:00:00Z');
export const STEP_SECONDS = 60;

/** What the scripted tier looks like at one time. */
export interface TierState {
  readonly acceptedSpansPerSecond: number | undefined;
  readonly replicas: number | undefined;
  readonly queueFill?: number;
  readonly sendFailedRatio?: number;
  /** Gateways that report, when fewer than `replicas` (the rest are scrape targets that are down). */
  readonly reporting?: number;
  /** The scrape targets that are down. */
  readonly unscraped?: readonly string[];
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
    reportingReplicas: state.replicas === undefined ? missing : ok(state.reporting ?? state.replicas),
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
  return { observedAtMs: atMs, signals, acceptedSpansPerSecondByGateway: byGateway, ...(state.unscraped ? { unscrapedGateways: state.unscraped } : {}) };
}

/**
 * The scripted tiers as a signal source: `read` answers the tier at the fixture's clock (set before
 * each evaluation), `readRange` every step of a window; range reads are recorded for assertions.
 * An unavailable time makes reads at that time reject as an unreachable Prometheus would.
 */
export class ScriptedTiers implements SignalSource, SignalHistory {
  readonly rangeReads: { target: TargetRef; settings: TargetSettings; window: RangeWindow }[] = [];
  nowMs = NOW_MS;
  unavailable = false;
  /** While set, range reads wait for it: a test's way to hold what-if replays in flight. */
  rangeReadsHeldUntil: Promise<void> | undefined;

  constructor(private readonly scripts: ReadonlyMap<string, TierScript>) {}

  private stateAt(target: TargetRef, atMs: number): TierState {
    const script = this.scripts.get(targetKey(target));
    return script ? script(atMs) : { acceptedSpansPerSecond: undefined, replicas: undefined };
  }

  async read(target: TargetRef): Promise<SignalSnapshot> {
    if (this.unavailable) throw new ScalerError('PROMETHEUS_UNAVAILABLE', 'Prometheus "default" unreachable: connection refused');
    return tierSnapshot(this.nowMs, this.stateAt(target, this.nowMs));
  }

  async readRange(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly SignalSnapshot[]> {
    this.rangeReads.push({ target, settings, window });
    await this.rangeReadsHeldUntil;
    const snapshots: SignalSnapshot[] = [];
    for (let atMs = window.startMs; atMs <= window.endMs; atMs += window.stepSeconds * 1000) snapshots.push(tierSnapshot(atMs, this.stateAt(target, atMs)));
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

export interface TestTarget {
  readonly ref: TargetRef;
  readonly origin: TargetOrigin;
  readonly metadata: Readonly<Record<string, string>>;
  readonly script: TierScript;
}

export interface TestDashboard {
  readonly url: string;
  readonly advisor: Advisor;
  readonly tiers: ScriptedTiers;
  readonly metrics: SelfMetrics;
  /** Evaluates a target at `atMs` the way its origin does (a KEDA poll or the advisory loop). */
  evaluate(target: TestTarget, atMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestDashboardOptions {
  readonly targets: readonly TestTarget[];
  /** Decisions recorded per target, one per STEP_SECONDS, the last at NOW_MS. */
  readonly decidedSteps?: number;
  readonly bearerToken?: string;
  readonly readiness?: readonly ReadinessCheck[];
  readonly whatIfLimits?: Partial<WhatIfLimits>;
}

/** Starts a dashboard on 127.0.0.1:0 over scripted targets with their decisions already recorded. */
export async function startTestDashboard(options: TestDashboardOptions): Promise<TestDashboard> {
  const tiers = new ScriptedTiers(new Map(options.targets.map((target) => [targetKey(target.ref), target.script])));
  const advisor = new Advisor({ sourceFor: () => tiers, targetDefaults: {}, forgetAfterSeconds: 86_400, maxTargets: 100, historyLength: 10_000 });
  const metrics = createSelfMetrics({ nowMs: () => NOW_MS });
  const evaluate = async (target: TestTarget, atMs: number) => {
    tiers.nowMs = atMs;
    if (target.origin === 'advisory') await advisor.evaluateAdvisory({ ...target.ref, metadata: target.metadata }, atMs);
    else await advisor.evaluate(target.ref, target.metadata, atMs);
  };
  const steps = options.decidedSteps ?? 30;
  for (let step = steps - 1; step >= 0; step--) {
    for (const target of options.targets) await evaluate(target, NOW_MS - step * STEP_SECONDS * 1000);
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
      decisionLog: advisor,
      signalHistory: tiers,
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
    advisor,
    tiers,
    metrics,
    evaluate,
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
