// Per-target state behind the TargetEvaluator and DecisionLog contracts: validates a target's metadata,
// reads its signals, runs decide() with the target's previous PolicyState, records the decision in a
// bounded history and tells listeners. Memory stays bounded across ScaledObject churn: targets not
// seen for forgetAfterSeconds are dropped and at most maxTargets are kept (least recently seen go first).
import type { TargetDefaults } from '../config/server-config.ts';
import { metadataKeyOf, parseTargetMetadata, type TargetSettings } from '../config/target-metadata.ts';
import { echoValue, type ErrorCode, ScalerError } from '../errors.ts';
import type { CapacityEstimate } from '../policy/capacity-estimate.ts';
import type { EarlierPeaks } from '../policy/earlier-peaks.ts';
import type { RingSpread } from '../policy/ring-spread.ts';
import { startupInUse } from '../policy/startup-in-use.ts';
import { decide } from '../policy/decide.ts';
import type { CalendarInput, ForecastInput } from '../policy/decide-input.ts';
import type { Decision } from '../policy/decision.ts';
import { isActive } from '../policy/is-active.ts';
import type { PolicyState } from '../policy/policy-state.ts';
import { type LearnedFigures, rebuildPolicyState, stateHorizonSeconds } from '../policy/rebuild-state.ts';
import { type SignalHistory, type SignalSource, type TargetRef, targetKey } from '../signals/signal-snapshot.ts';
import { nextStateFoldRead } from '../signals/state-grid.ts';
import type { AdvisorLogger } from './advisor-logger.ts';
import type { ReplicaHistoryFigures } from './replica-history-refresher.ts';
import { DecisionRing } from './decision-ring.ts';
import type { DecisionLog, TargetOrigin, TargetRecord } from './decision-log.ts';
import type { Evaluation, TargetEvaluator } from './target-evaluator.ts';

/** Supplies a target's forecast band at `nowMs` + `leadTimeSeconds`, the startup in use's (forecasting/ fills it; undefined = no forecast for it). */
export type ForecastProvider = (target: TargetRef, settings: TargetSettings, nowMs: number, leadTimeSeconds: number) => ForecastInput | undefined;
/** Supplies what the gateways' CPU says about capacity (CapacityRefresher; undefined = not read yet). */
export type CapacityProvider = (target: TargetRef, settings: TargetSettings, nowMs: number) => CapacityEstimate | undefined;
/** Supplies what scale-outs and scale-ins say about pod startup and the agents' re-resolve (ReplicaHistoryRefresher; undefined = not read yet). */
export type ReplicaHistoryProvider = (target: TargetRef, settings: TargetSettings, nowMs: number) => ReplicaHistoryFigures | undefined;
/** Supplies what the ring's last change of size did to the busiest gateway's share (RingSpreadRefresher; undefined = not read yet). */
export type RingSpreadProvider = (target: TargetRef, settings: TargetSettings, nowMs: number) => RingSpread | undefined;
/** Supplies what earlier peaks showed: the backend's ceiling, the load the gateways fell behind at (EarlierPeaksRefresher; undefined = not read yet). */
export type EarlierPeaksProvider = (target: TargetRef, settings: TargetSettings, nowMs: number) => EarlierPeaks | undefined;
/** Supplies the calendar windows active for a target at `nowMs`. */
export type CalendarProvider = (target: TargetRef, settings: TargetSettings, nowMs: number) => CalendarInput | undefined;

export interface AdvisorOptions {
  /** The signal source for a Prometheus server name from the server config; undefined when none has that name. */
  readonly sourceFor: (prometheusName: string) => SignalSource | undefined;
  /** Server config `targetDefaults`: metadata ?? these ?? built-in defaults. */
  readonly targetDefaults: TargetDefaults;
  readonly forgetAfterSeconds: number;
  readonly maxTargets: number;
  /** Decisions kept per target. */
  readonly historyLength: number;
  /**
   * Estimated heap bytes of decision history across all targets; each target keeps at most an equal
   * share of it (DEFAULT_HISTORY_BYTES when not set).
   */
  readonly historyBytes?: number;
  readonly forecastFor?: ForecastProvider;
  readonly calendarFor?: CalendarProvider;
  readonly capacityFor?: CapacityProvider;
  readonly replicaHistoryFor?: ReplicaHistoryProvider;
  readonly ringSpreadFor?: RingSpreadProvider;
  readonly earlierPeaksFor?: EarlierPeaksProvider;
  /**
   * Past signals to rebuild each target's decision state from (recent peak, scale-in window, trend), so
   * every replica of the scaler decides alike. Without it, state lives in this process only.
   */
  readonly stateHistory?: SignalHistory;
  /** Where listener and hook failures are reported; they never fail an evaluation. */
  readonly logger?: AdvisorLogger;
}

/** A target declared in the server config (`advisoryTargets`), evaluated on the advisory schedule. */
export interface AdvisoryTarget extends TargetRef {
  readonly metadata: Readonly<Record<string, string>>;
}

type Listener = (record: TargetRecord, decision: Decision) => void;

/**
 * Decision history across all targets by default (server config advisor.historyBytes): with the
 * shipped 1,000 targets each keeps 16 KiB (3 decisions of a 10-gateway tier), alone a target keeps
 * 2,880 decisions (a day at 30 s polls). Sized with `npm run bench:memory` (docs/running.md).
 */
export const DEFAULT_HISTORY_BYTES = 16 * 1024 * 1024;

interface TargetEntry {
  readonly key: string;
  readonly ref: TargetRef;
  origin: TargetOrigin;
  settings: TargetSettings;
  /** Metadata the latest decision was made with, to tell a repeated call from a changed target. */
  decidedWithMetadataKey: string | undefined;
  lastSeenMs: number;
  latest: Decision | undefined;
  lastError: TargetRecord['lastError'];
  state: PolicyState | undefined;
  /** decide() folded over the state grid up to `toMs` for the metadata it was folded with (a cache of what Prometheus holds). */
  folded: { readonly metadataKey: string; readonly toMs: number; readonly state: PolicyState | undefined } | undefined;
  /** A fold under way, shared by calls of one poll (GetMetrics and IsActive arrive together). */
  folding: { readonly metadataKey: string; readonly toMs: number; readonly promise: Promise<PolicyState | undefined> } | undefined;
  readonly history: DecisionRing;
}

function recordOf(entry: TargetEntry): TargetRecord {
  return Object.freeze({
    ref: entry.ref,
    origin: entry.origin,
    settings: entry.settings,
    lastSeenMs: entry.lastSeenMs,
    latest: entry.latest,
    lastError: entry.lastError,
  });
}

function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof ScalerError ? error.code : 'INTERNAL_ERROR';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Advisor implements TargetEvaluator, DecisionLog {
  private readonly options: AdvisorOptions;
  /** Insertion order is recency order: every touch re-inserts, so the first entry is the least recently seen. */
  private readonly entries = new Map<string, TargetEntry>();
  private readonly listeners = new Set<Listener>();
  private latestNowMs = Number.NEGATIVE_INFINITY;

  constructor(options: AdvisorOptions) {
    for (const [name, value] of [
      ['forgetAfterSeconds', options.forgetAfterSeconds],
      ['maxTargets', options.maxTargets],
      ['historyLength', options.historyLength],
      ['historyBytes', options.historyBytes ?? DEFAULT_HISTORY_BYTES],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`Advisor option ${name} must be a positive number, got ${value}`);
    }
    this.options = options;
  }

  /** TargetEvaluator: one KEDA poll of a ScaledObject. */
  evaluate(target: TargetRef, metadata: Readonly<Record<string, string>>, nowMs: number): Promise<Evaluation> {
    return this.run(target, metadata, nowMs, 'keda');
  }

  /** One scheduled evaluation of a target declared in the server config; recorded with origin 'advisory'. */
  evaluateAdvisory(target: AdvisoryTarget, nowMs: number): Promise<Evaluation> {
    return this.run({ namespace: target.namespace, name: target.name }, target.metadata, nowMs, 'advisory');
  }

  targets(): readonly TargetRecord[] {
    return [...this.entries.values()].map(recordOf);
  }

  target(ref: TargetRef): TargetRecord | undefined {
    const entry = this.entries.get(targetKey(ref));
    return entry === undefined ? undefined : recordOf(entry);
  }

  history(ref: TargetRef, sinceMs: number): readonly Decision[] {
    return this.entries.get(targetKey(ref))?.history.since(sinceMs) ?? [];
  }

  onDecision(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Drops targets not seen for forgetAfterSeconds before `nowMs`; evaluations call it, and so may a timer. */
  forgetStale(nowMs: number): void {
    const cutoffMs = nowMs - this.options.forgetAfterSeconds * 1000;
    for (const [key, entry] of this.entries) {
      if (entry.lastSeenMs >= cutoffMs) break;
      this.entries.delete(key);
    }
  }

  private async run(ref: TargetRef, metadata: Readonly<Record<string, string>>, nowMs: number, origin: TargetOrigin): Promise<Evaluation> {
    this.latestNowMs = Math.max(this.latestNowMs, nowMs);
    this.forgetStale(this.latestNowMs);
    const key = targetKey(ref);
    let settings: TargetSettings;
    try {
      settings = parseTargetMetadata(metadata, this.options.targetDefaults);
    } catch (error) {
      // A target never seen with valid metadata has no settings to record; a known one keeps its last good ones.
      const known = this.entries.get(key);
      if (known) this.fail(this.touch(known, nowMs, origin), error, nowMs);
      throw error;
    }
    const entry = this.touch(this.entries.get(key) ?? this.create(key, ref, settings, origin, nowMs), nowMs, origin);
    entry.settings = settings;
    const metadataKey = metadataKeyOf(metadata);
    try {
      const source = this.options.sourceFor(settings.prometheus);
      if (source === undefined) {
        throw new ScalerError('UNKNOWN_PROMETHEUS', `scalerMetadata.prometheus "${echoValue(settings.prometheus)}" is not a Prometheus server in the server config`);
      }
      const replicaHistory = this.hookValue('replicaHistoryFor', () => this.options.replicaHistoryFor?.(ref, settings, nowMs), key);
      const earlierPeaks = this.hookValue('earlierPeaksFor', () => this.options.earlierPeaksFor?.(ref, settings, nowMs), key);
      const learned: LearnedFigures = {
        capacity: this.hookValue('capacityFor', () => this.options.capacityFor?.(ref, settings, nowMs), key),
        startup: replicaHistory?.startup,
        reresolve: replicaHistory?.reresolve,
        ringSpread: this.hookValue('ringSpreadFor', () => this.options.ringSpreadFor?.(ref, settings, nowMs), key),
        backendCeiling: earlierPeaks?.backendCeiling,
        fellBehind: earlierPeaks?.fellBehind,
      };
      const [snapshot, rebuilt] = await Promise.all([source.read(ref, settings), this.rebuildState(entry, ref, settings, metadataKey, learned, nowMs)]);
      // The read may have taken a while: the entry may have been evicted meanwhile; keep deciding on it.
      if (!this.entries.has(key)) this.insert(entry);
      const latest = entry.latest;
      if (latest !== undefined && latest.snapshot === snapshot && entry.decidedWithMetadataKey === metadataKey) {
        // Same cached snapshot and metadata within one poll (GetMetrics then IsActive, a stream refresh):
        // the same decision, not recorded twice, and windows not advanced twice.
        return { decision: latest, active: isActive(latest, settings) };
      }
      // The forecast looks ahead by the join gateways actually take, once scale-outs have shown it.
      const { leadTimeSeconds } = startupInUse(settings, learned.startup);
      const forecast = this.hook('forecastFor', () => this.options.forecastFor?.(ref, settings, nowMs, leadTimeSeconds), key);
      const calendar = this.hookValue('calendarFor', () => this.options.calendarFor?.(ref, settings, nowMs), key);
      const { decision, state } = decide(
        {
          ...learned,
          nowMs,
          snapshot,
          forecast: forecast.kind === 'failed' ? { kind: 'unavailable', reason: `forecast failed: ${forecast.message}` } : forecast.value,
          calendar,
        },
        settings,
        rebuilt ?? entry.state,
      );
      entry.state = state;
      entry.latest = decision;
      entry.decidedWithMetadataKey = metadataKey;
      entry.lastError = undefined;
      // A target's share is taken at each push, so shares shrink as targets arrive and grow as they go.
      entry.history.push(decision, (this.options.historyBytes ?? DEFAULT_HISTORY_BYTES) / this.entries.size);
      this.notify(recordOf(entry), decision);
      return { decision, active: isActive(decision, settings) };
    } catch (error) {
      this.fail(entry, error, nowMs);
      throw error;
    }
  }

  /**
   * The state as Prometheus' history gives it at the newest settled grid instant, folding only the
   * steps not folded yet. Undefined without a state history or when the read fails (the state kept in
   * memory is used then, and the failure logged: a decision never waits on it).
   */
  private async rebuildState(
    entry: TargetEntry,
    ref: TargetRef,
    settings: TargetSettings,
    metadataKey: string,
    learned: LearnedFigures,
    nowMs: number,
  ): Promise<PolicyState | undefined> {
    const history = this.options.stateHistory;
    if (history === undefined) return undefined;
    const folded = entry.folded?.metadataKey === metadataKey ? entry.folded : undefined;
    const next = nextStateFoldRead(nowMs, settings, stateHorizonSeconds(settings), folded?.toMs);
    if (next === undefined) return folded?.state;
    const { window, instantMs } = next;
    if (entry.folding?.metadataKey === metadataKey && entry.folding.toMs === instantMs) return entry.folding.promise;
    const fold = async (): Promise<PolicyState | undefined> => {
      try {
        const snapshots = await history.readRange(ref, settings, window);
        const state = rebuildPolicyState(snapshots, settings, learned, next.extendsFold ? folded?.state : undefined);
        if ((entry.folded?.toMs ?? Number.NEGATIVE_INFINITY) < instantMs || entry.folded?.metadataKey !== metadataKey) entry.folded = { metadataKey, toMs: instantMs, state };
        return state;
      } catch (error) {
        this.options.logger?.warn({ target: entry.key, err: error }, 'could not rebuild the decision state from Prometheus; deciding with the state kept in memory');
        return undefined;
      }
    };
    const promise = fold().finally(() => {
      if (entry.folding?.promise === promise) entry.folding = undefined;
    });
    entry.folding = { metadataKey, toMs: instantMs, promise };
    return promise;
  }

  private create(key: string, ref: TargetRef, settings: TargetSettings, origin: TargetOrigin, nowMs: number): TargetEntry {
    return {
      key,
      ref: Object.freeze({ namespace: ref.namespace, name: ref.name }),
      origin,
      settings,
      decidedWithMetadataKey: undefined,
      lastSeenMs: nowMs,
      latest: undefined,
      lastError: undefined,
      state: undefined,
      folded: undefined,
      folding: undefined,
      history: new DecisionRing(this.options.historyLength),
    };
  }

  /** Marks the entry seen now and most recent; inserts it if new, evicting the least recently seen beyond maxTargets. */
  private touch(entry: TargetEntry, nowMs: number, origin: TargetOrigin): TargetEntry {
    entry.lastSeenMs = Math.max(entry.lastSeenMs, nowMs);
    entry.origin = origin;
    this.entries.delete(entry.key);
    this.insert(entry);
    return entry;
  }

  private insert(entry: TargetEntry): void {
    this.entries.set(entry.key, entry);
    while (this.entries.size > this.options.maxTargets) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  private fail(entry: TargetEntry, error: unknown, nowMs: number): void {
    entry.lastError = Object.freeze({ code: errorCodeOf(error), message: messageOf(error), atMs: nowMs });
  }

  /** Runs a hook; a failing hook is logged and degrades to "no input", never failing the evaluation. */
  private hook<T>(name: string, call: () => T | undefined, key: string): { kind: 'ok'; value: T | undefined } | { kind: 'failed'; message: string } {
    try {
      return { kind: 'ok', value: call() };
    } catch (error) {
      this.options.logger?.warn({ target: key, hook: name, err: error }, `${name} failed; deciding without it`);
      return { kind: 'failed', message: messageOf(error) };
    }
  }

  /** The hook's value, or none when it failed (the forecast alone says why it has none: hook). */
  private hookValue<T>(name: string, call: () => T | undefined, key: string): T | undefined {
    const result = this.hook(name, call, key);
    return result.kind === 'failed' ? undefined : result.value;
  }

  private notify(record: TargetRecord, decision: Decision): void {
    for (const listener of [...this.listeners]) {
      try {
        const result: unknown = listener(record, decision);
        if (result instanceof Promise) result.catch((error: unknown) => this.listenerFailed(record, error));
      } catch (error) {
        this.listenerFailed(record, error);
      }
    }
  }

  private listenerFailed(record: TargetRecord, error: unknown): void {
    this.options.logger?.error({ target: targetKey(record.ref), err: error }, 'a decision listener failed; the evaluation is unaffected');
  }
}
