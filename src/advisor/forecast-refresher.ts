// Keeps one seasonal forecast per target, refitted on the server config's node-cron schedule
// (`forecast.refitSchedule`, hourly by default) from one Prometheus range query of accepted spans/s
// over the target's `forecastHistory` — never per poll. The Advisor's `forecastFor` hook reads the
// band at now + lead time from the latest fit, synchronously. No fit, too little history, or a fit
// that does not reach now + lead time is `unavailable` with the reason: the policy then leaves the
// forecast proposal out and says why; it is never an error.
import cron, { type ScheduledTask } from 'node-cron';
import { nextCronMatch, parseCron } from '../../forecasting/cron.ts';
import { type ForecastResult, forecast } from '../../forecasting/forecast.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import type { ForecastInput } from '../policy/decide-input.ts';
import { startupInUse } from '../policy/startup-in-use.ts';
import { minRangeStepSeconds } from '../signals/prometheus-source.ts';
import { type SignalHistory, type TargetRef, targetKey } from '../signals/signal-snapshot.ts';
import type { AdvisorLogger } from './advisor-logger.ts';
import { DEFAULT_MAX_TARGETS } from './learned-refresher.ts';
import { keepMostRecent } from '../recent-entries.ts';

/** Finest step of the refit's range query: finer steps cost Prometheus more and add only noise. */
export const MIN_REFIT_STEP_SECONDS = 120;
/** The forecast covers at most this far past its history; a schedule sparser than that leaves gaps (unavailable). */
export const MAX_HORIZON_SECONDS = 86_400;
/** Targets refitted at once within a run. */
export const REFIT_CONCURRENCY = 2;

const DAY_SECONDS = 86_400;

/**
 * Step of the range query for a history: at least MIN_REFIT_STEP_SECONDS, dividing a day (the
 * models' seasons are whole numbers of steps), and coarse enough for Prometheus' 11,000-point cap.
 * 14 d → 120 s (10,080 points); 28 d → 225 s (10,752); 90 d → 720 s (10,800).
 */
export function refitStepSeconds(historySeconds: number): number {
  const floor = Math.max(MIN_REFIT_STEP_SECONDS, minRangeStepSeconds({ startMs: 0, endMs: historySeconds * 1000 }));
  for (let step = Math.ceil(floor); step <= DAY_SECONDS; step++) if (DAY_SECONDS % step === 0) return step;
  return DAY_SECONDS;
}

export interface ForecastRefresherOptions {
  /** Where past accepted spans/s come from (the Prometheus sources). */
  readonly history: SignalHistory;
  /** node-cron expression of refits (server config `forecast.refitSchedule`); evaluated in UTC. */
  readonly schedule: string;
  /** Targets not asked for a forecast for this long are dropped (as the Advisor forgets them). */
  readonly forgetAfterSeconds: number;
  /**
   * At most this many targets keep a fit (server config `advisor.maxTargets`, as the Advisor keeps);
   * beyond it the least recently asked is dropped, so a flood of distinct targets cannot grow memory.
   */
  readonly maxTargets?: number;
  readonly logger: AdvisorLogger;
  readonly nowMs?: () => number;
  /** Computes a fit; default forecast(). The benchmark passes one that reuses fits of identical histories. */
  readonly forecast?: typeof forecast;
}

/** The latest fit of one target. */
interface Fit {
  readonly fittedAtMs: number;
  /** Step of the history and of the forecast points. */
  readonly stepSeconds: number;
  readonly result: ForecastResult;
}

interface Entry {
  readonly ref: TargetRef;
  settings: TargetSettings;
  /** What the fit depends on; a change refits at once. */
  fitKey: string;
  lastAskedMs: number;
  /** The lead time last asked for: the fit's horizon reaches that far past the refit after next. */
  leadTimeSeconds: number;
  fit: Fit | undefined;
  lastFailure: { readonly atMs: number; readonly message: string } | undefined;
  refitting: Promise<void> | undefined;
}

/** What one scheduled run did, for logs and tests. */
export interface RefitRun {
  readonly refitted: number;
  readonly failed: number;
}

function fitKeyOf(settings: TargetSettings): string {
  return JSON.stringify([settings.prometheus, settings.gatewaySelector, settings.rateWindowSeconds, settings.forecastHistorySeconds, settings.forecastQuantile]);
}

/** Whether fitKeyOf reads the same values (the same objects) in both: then their keys are equal without serialising (asked at every decision). */
function sameFitInputs(a: TargetSettings, b: TargetSettings): boolean {
  return (
    a === b ||
    (a.prometheus === b.prometheus && a.gatewaySelector === b.gatewaySelector && a.rateWindowSeconds === b.rateWindowSeconds && a.forecastHistorySeconds === b.forecastHistorySeconds && a.forecastQuantile === b.forecastQuantile)
  );
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The fit's point whose step holds `ms` (first in order), or undefined. Read at every decision, so a plain loop. */
function pointHolding<P extends { readonly timestampMs?: number | undefined }>(points: readonly P[], ms: number, stepMs: number): P | undefined {
  for (const candidate of points) {
    if (candidate.timestampMs !== undefined && candidate.timestampMs <= ms && ms < candidate.timestampMs + stepMs) return candidate;
  }
  return undefined;
}

export class ForecastRefresher {
  private readonly options: ForecastRefresherOptions;
  private readonly scheduleUtc: ReturnType<typeof parseCron>;
  private readonly entries = new Map<string, Entry>();
  private task: ScheduledTask | undefined;
  private running: Promise<RefitRun> | undefined;
  /** First refits of new targets in progress (at most REFIT_CONCURRENCY). */
  private firstRefits = 0;

  constructor(options: ForecastRefresherOptions) {
    if (!cron.validate(options.schedule)) {
      throw new ScalerError('INVALID_SERVER_CONFIG', `forecast.refitSchedule "${options.schedule}" is not a cron expression; e.g. "0 * * * *" for hourly`);
    }
    try {
      this.scheduleUtc = parseCron(options.schedule);
    } catch (error) {
      throw new ScalerError('INVALID_SERVER_CONFIG', `forecast.refitSchedule "${options.schedule}": ${(error as Error).message}`);
    }
    this.options = options;
  }

  /**
   * The Advisor's `forecastFor` hook: the band at now + lead time (the startup in use's, learned or
   * the trigger's) from the target's latest fit. A target seen for the first time (or with changed
   * history settings) starts a refit in the background and is unavailable until it lands.
   */
  readonly forecastFor = (target: TargetRef, settings: TargetSettings, nowMs: number, leadTimeSeconds: number): ForecastInput => {
    const entry = this.track(target, settings, nowMs, leadTimeSeconds);
    if (entry.fit === undefined) {
      if (entry.lastFailure) return { kind: 'unavailable', reason: `forecast refit failed: ${entry.lastFailure.message}` };
      if (entry.refitting === undefined) return { kind: 'unavailable', reason: `the first forecast refit for this target waits for one of the ${REFIT_CONCURRENCY} running for other targets` };
      return { kind: 'unavailable', reason: 'the first forecast refit for this target is still running' };
    }
    const { fit } = entry;
    if (fit.result.kind === 'unavailable') return { kind: 'unavailable', reason: `not enough history at the refit of ${iso(fit.fittedAtMs)}: ${fit.result.reason}` };
    const atMs = nowMs + leadTimeSeconds * 1000;
    const stepMs = fit.stepSeconds * 1000;
    const { points } = fit.result;
    const point = pointHolding(points, atMs, stepMs);
    const now = pointHolding(points, nowMs, stepMs);
    if (point === undefined) {
      const last = points[points.length - 1];
      const coveredUntil = last?.timestampMs === undefined ? 'its history end' : iso(last.timestampMs + stepMs);
      const failed = entry.lastFailure ? `; the last refit failed: ${entry.lastFailure.message}` : '';
      return { kind: 'unavailable', reason: `the forecast fitted at ${iso(fit.fittedAtMs)} covers until ${coveredUntil}, not now + lead time${failed}` };
    }
    return {
      kind: 'available',
      band: {
        leadTimeSeconds,
        pointSpansPerSecond: point.point,
        upperSpansPerSecond: point.upper,
        ...(now ? { nowPointSpansPerSecond: now.point } : {}),
        quantile: fit.result.quantile,
        fittedAtMs: fit.fittedAtMs,
        model: fit.result.model,
      },
    };
  };

  /**
   * Refits one target now: one range query of accepted spans/s over forecastHistory, then forecast().
   * Rejects (and keeps the previous fit) when the query fails; runs for the same target never overlap.
   */
  refit(target: TargetRef, settings: TargetSettings, nowMs: number): Promise<void> {
    const entry = this.track(target, settings, nowMs, undefined, false);
    entry.refitting ??= this.fitEntry(entry, nowMs).finally(() => {
      entry.refitting = undefined;
    });
    return entry.refitting;
  }

  /** One run over every tracked target (what the schedule fires), unless one is already running. */
  refitAll(nowMs: number): Promise<RefitRun> {
    if (this.running !== undefined) return this.running;
    this.forgetStale(nowMs);
    const run = this.refitEntries([...this.entries.values()], nowMs).finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** Starts the schedule (in UTC, as the horizon is computed). */
  start(): void {
    if (this.task !== undefined) return;
    const now = this.options.nowMs ?? Date.now;
    this.task = cron.schedule(
      this.options.schedule,
      () => {
        if (this.running !== undefined) {
          this.options.logger.warn({ schedule: this.options.schedule }, 'forecast refit run still in progress; skipping this tick');
          return;
        }
        void this.refitAll(now());
      },
      { name: 'forecast-refits', timezone: 'Etc/UTC' },
    );
  }

  /** Stops the schedule and waits for refits in progress. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    if (task !== undefined) await task.destroy();
    await this.running;
    await Promise.all([...this.entries.values()].map((entry) => entry.refitting));
  }

  /** `leadTimeSeconds` undefined keeps the last asked for, or, for a new target, the trigger's. */
  private track(target: TargetRef, settings: TargetSettings, nowMs: number, leadTimeSeconds: number | undefined, refitWhenNew = true): Entry {
    const key = targetKey(target);
    let entry = this.entries.get(key);
    // entry.settings always has entry.fitKey: it is replaced only by settings with the same key.
    const fitKey = entry !== undefined && sameFitInputs(entry.settings, settings) ? entry.fitKey : fitKeyOf(settings);
    if (entry === undefined || entry.fitKey !== fitKey) {
      const lead = entry?.leadTimeSeconds ?? startupInUse(settings, undefined).leadTimeSeconds;
      entry = { ref: { namespace: target.namespace, name: target.name }, settings, fitKey, lastAskedMs: nowMs, leadTimeSeconds: lead, fit: undefined, lastFailure: undefined, refitting: undefined };
    }
    if (leadTimeSeconds !== undefined) entry.leadTimeSeconds = leadTimeSeconds;
    keepMostRecent(this.entries, key, entry, this.options.maxTargets ?? DEFAULT_MAX_TARGETS);
    entry.settings = settings;
    entry.lastAskedMs = Math.max(entry.lastAskedMs, nowMs);
    // A target's first refit starts when it is asked for and fewer than REFIT_CONCURRENCY first refits
    // run; otherwise at its next ask. Each holds forecastHistory of samples and a fit in progress, so
    // many new targets at once (a restart, a flood of ScaledObjects) never hold more than that many.
    const firstRefitDue = entry.fit === undefined && entry.lastFailure === undefined && entry.refitting === undefined;
    if (refitWhenNew && firstRefitDue && this.firstRefits < REFIT_CONCURRENCY) {
      this.firstRefits++;
      void this.refit(target, settings, nowMs)
        .catch(() => undefined)
        .finally(() => {
          this.firstRefits--;
        });
    }
    return entry;
  }

  /** Targets tracked now (at most `maxTargets`). */
  get size(): number {
    return this.entries.size;
  }

  private forgetStale(nowMs: number): void {
    const cutoffMs = nowMs - this.options.forgetAfterSeconds * 1000;
    for (const [key, entry] of this.entries) if (entry.lastAskedMs < cutoffMs) this.entries.delete(key);
  }

  /** Steps the fit must cover past its history: until the refit after next, plus the lead time. */
  private horizonSteps(historyEndMs: number, nowMs: number, stepSeconds: number, leadTimeSeconds: number): number {
    const limitMs = nowMs + 2 * MAX_HORIZON_SECONDS * 1000;
    const next = nextCronMatch(this.scheduleUtc, nowMs + 1, limitMs);
    const afterNext = next === undefined ? undefined : nextCronMatch(this.scheduleUtc, next + 1, limitMs);
    const untilMs = Math.min(afterNext ?? Number.POSITIVE_INFINITY, historyEndMs + MAX_HORIZON_SECONDS * 1000) + leadTimeSeconds * 1000;
    return Math.max(1, Math.ceil((untilMs - historyEndMs) / (stepSeconds * 1000)) + 1);
  }

  private async fitEntry(entry: Entry, nowMs: number): Promise<void> {
    const { settings, ref } = entry;
    const stepSeconds = refitStepSeconds(settings.forecastHistorySeconds);
    const stepMs = stepSeconds * 1000;
    const endMs = Math.floor(nowMs / stepMs) * stepMs;
    const startMs = endMs - settings.forecastHistorySeconds * 1000;
    let samples: Awaited<ReturnType<SignalHistory['readAcceptedSpansHistory']>>;
    try {
      samples = await this.options.history.readAcceptedSpansHistory(ref, settings, { startMs: startMs + stepMs, endMs, stepSeconds });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      entry.lastFailure = { atMs: nowMs, message };
      this.options.logger.warn({ target: targetKey(ref), err: message }, 'forecast refit failed; keeping the previous fit');
      throw error;
    }
    // The sample at t is the rate over the window ending at t: it becomes the step [t − step, t).
    const values = new Float64Array(Math.round((endMs - startMs) / stepMs)).fill(Number.NaN);
    for (const sample of samples) {
      const index = Math.round((sample.timestampMs - startMs) / stepMs) - 1;
      if (index >= 0 && index < values.length) values[index] = sample.value;
    }
    const result = (this.options.forecast ?? forecast)(
      { values, stepSeconds, startMs },
      { horizonSteps: this.horizonSteps(endMs, nowMs, stepSeconds, entry.leadTimeSeconds), quantile: settings.forecastQuantile },
    );
    entry.fit = { fittedAtMs: nowMs, stepSeconds, result };
    entry.lastFailure = undefined;
    this.options.logger.info(
      { target: targetKey(ref), model: result.kind === 'ok' ? result.model : undefined, unavailable: result.kind === 'unavailable' ? result.reason : undefined, samples: samples.length, stepSeconds },
      'forecast refitted',
    );
  }

  private async refitEntries(entries: Entry[], nowMs: number): Promise<RefitRun> {
    const queue = [...entries];
    let refitted = 0;
    let failed = 0;
    const worker = async () => {
      for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
        try {
          await this.refit(entry.ref, entry.settings, nowMs);
          refitted++;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(REFIT_CONCURRENCY, queue.length) }, worker));
    return { refitted, failed };
  }
}
