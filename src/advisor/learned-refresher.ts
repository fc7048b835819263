// Keeps one learned figure per target (capacity, pod startup and re-resolve), re-read from Prometheus at most every
// LEARNED_REFRESH_SECONDS — never on KEDA's poll path. The Advisor's hook returns the latest figure at
// once and starts a re-read in the background when one is due; before the first read ends the decision
// uses the trigger's figure and says so. State lives in Prometheus: a restarted scaler learns the same
// figure on its first read, and memory holds only this cache.
import { serverConfigSchema } from '../config/server-config.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { type TargetRef, targetKey } from '../signals/signal-snapshot.ts';
import type { AdvisorLogger } from './advisor-logger.ts';
import { keepMostRecent } from '../recent-entries.ts';

/** The server config's default `advisor.maxTargets`, for refreshers built without one. */
export const DEFAULT_MAX_TARGETS = serverConfigSchema.parse({}).advisor.maxTargets;

/**
 * Background reads at once per refresher: each holds its range of samples until the figure is
 * estimated, so many targets due together (a restart, a flood of ScaledObjects) never hold more than
 * this many, nor ask Prometheus for more at once. A due target that finds them all busy reads at its next ask.
 */
export const LEARNED_READ_CONCURRENCY = 4;

/** Capacity and startup change with a config, image or node pool, not within minutes: one re-read per this many seconds bounds Prometheus' cost. */
export const LEARNED_REFRESH_SECONDS = 300;

/** What one kind of learned figure needs: how to read and estimate it, and what a failed read leaves. */
export interface LearnedFigure<T> {
  /** For log lines: "capacity", "replica history". */
  readonly name: string;
  read(ref: TargetRef, settings: TargetSettings, nowMs: number): Promise<T>;
  /** The settings the figure depends on; a change re-reads at once. */
  readKey(settings: TargetSettings): string;
  /** The figure after a failed read, given the one before (keep a learned figure: its evidence has not gone away). */
  afterFailure(previous: T | undefined, message: string): T;
}

export interface LearnedRefresherOptions {
  /** Targets not asked for for this long are dropped (as the Advisor forgets them). */
  readonly forgetAfterSeconds: number;
  /**
   * At most this many targets are kept (server config `advisor.maxTargets`, as the Advisor keeps);
   * beyond it the least recently asked is dropped, so a flood of distinct targets cannot grow memory.
   */
  readonly maxTargets?: number;
  readonly logger?: AdvisorLogger;
}

interface Entry<T> {
  readonly readKey: string;
  figure: T | undefined;
  readAtMs: number;
  lastAskedMs: number;
  reading: Promise<T> | undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class LearnedRefresher<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Reads started by latestFor still running (at most LEARNED_READ_CONCURRENCY). */
  private backgroundReads = 0;

  constructor(
    private readonly figure: LearnedFigure<T>,
    private readonly options: LearnedRefresherOptions,
  ) {}

  /** The latest figure for the target, or undefined before its first read ends; starts a due re-read without waiting for it. */
  latestFor(ref: TargetRef, settings: TargetSettings, nowMs: number): T | undefined {
    const entry = this.entryFor(ref, settings, nowMs);
    const due = entry.reading === undefined && nowMs - entry.readAtMs >= LEARNED_REFRESH_SECONDS * 1000;
    if (due && this.backgroundReads < LEARNED_READ_CONCURRENCY) {
      this.backgroundReads++;
      void this.read(ref, settings, entry, nowMs).finally(() => {
        this.backgroundReads--;
      });
    }
    return entry.figure;
  }

  /** Reads now and returns the new figure (tests wait for it). */
  refresh(ref: TargetRef, settings: TargetSettings, nowMs: number): Promise<T> {
    const entry = this.entryFor(ref, settings, nowMs);
    return entry.reading ?? this.read(ref, settings, entry, nowMs);
  }

  private entryFor(ref: TargetRef, settings: TargetSettings, nowMs: number): Entry<T> {
    this.forget(nowMs);
    const key = targetKey(ref);
    const readKey = this.figure.readKey(settings);
    let entry = this.entries.get(key);
    if (entry === undefined || entry.readKey !== readKey) {
      entry = { readKey, figure: undefined, readAtMs: Number.NEGATIVE_INFINITY, lastAskedMs: nowMs, reading: undefined };
    }
    keepMostRecent(this.entries, key, entry, this.options.maxTargets ?? DEFAULT_MAX_TARGETS);
    entry.lastAskedMs = Math.max(entry.lastAskedMs, nowMs);
    return entry;
  }

  /** Targets tracked now (at most `maxTargets`). */
  get size(): number {
    return this.entries.size;
  }

  private read(ref: TargetRef, settings: TargetSettings, entry: Entry<T>, nowMs: number): Promise<T> {
    entry.readAtMs = nowMs;
    const reading = (async (): Promise<T> => {
      try {
        entry.figure = await this.figure.read(ref, settings, nowMs);
      } catch (error) {
        this.options.logger?.warn({ target: targetKey(ref), err: error }, `reading the ${this.figure.name} history failed; the figure stays as it was`);
        entry.figure = this.figure.afterFailure(entry.figure, messageOf(error));
      } finally {
        entry.reading = undefined;
      }
      return entry.figure as T;
    })();
    entry.reading = reading;
    return reading;
  }

  private forget(nowMs: number): void {
    const cutoffMs = nowMs - this.options.forgetAfterSeconds * 1000;
    for (const [key, entry] of this.entries) if (entry.lastAskedMs < cutoffMs && entry.reading === undefined) this.entries.delete(key);
  }
}
