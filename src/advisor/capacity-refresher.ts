// Keeps one learned capacity per target, re-read from Prometheus (CAPACITY_LOOKBACK_SECONDS of CPU and
// accepted spans per gateway) at most every CAPACITY_REFRESH_SECONDS — never on KEDA's poll path. The
// Advisor's `capacityFor` hook returns the latest estimate at once and starts a re-read in the
// background when it is due; before the first read ends the decision uses the trigger's figure and
// says so. State lives in Prometheus: a restarted scaler learns the same figure on its first read.
import type { TargetSettings } from '../config/target-metadata.ts';
import { type CapacityEstimate, estimateCapacity } from '../policy/capacity-estimate.ts';
import { CAPACITY_LOOKBACK_SECONDS, capacityStepSeconds } from '../signals/capacity-queries.ts';
import type { CpuLoadHistory } from '../signals/cpu-load-history.ts';
import { type RangeWindow, type TargetRef, targetKey } from '../signals/signal-snapshot.ts';
import type { AdvisorLogger } from './advisor-logger.ts';

/** Capacity changes with a config or image, not within minutes: one re-read per this many seconds bounds Prometheus' cost. */
export const CAPACITY_REFRESH_SECONDS = 300;

export interface CapacityRefresherOptions {
  readonly history: CpuLoadHistory;
  /** Targets not asked for for this long are dropped (as the Advisor forgets them). */
  readonly forgetAfterSeconds: number;
  readonly logger?: AdvisorLogger;
}

interface Entry {
  /** What the estimate depends on; a change re-reads at once. */
  readonly readKey: string;
  estimate: CapacityEstimate | undefined;
  readAtMs: number;
  lastAskedMs: number;
  reading: Promise<CapacityEstimate> | undefined;
}

/** The range a read at `nowMs` covers: CAPACITY_LOOKBACK_SECONDS up to the last whole step. */
export function capacityReadWindow(settings: Pick<TargetSettings, 'rateWindowSeconds'>, nowMs: number): RangeWindow {
  const stepSeconds = capacityStepSeconds(settings);
  const endMs = Math.floor(nowMs / (stepSeconds * 1000)) * stepSeconds * 1000;
  return { startMs: endMs - CAPACITY_LOOKBACK_SECONDS * 1000, endMs, stepSeconds };
}

function readKeyOf(settings: TargetSettings): string {
  return JSON.stringify([
    settings.prometheus,
    settings.gatewaySelector,
    settings.rateWindowSeconds,
    settings.cpuPerReplicaCores,
    settings.targetQueueFill,
    settings.decisionLatencyBudgetMs,
  ]);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class CapacityRefresher {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: CapacityRefresherOptions) {}

  /** The latest estimate for the target, or undefined before its first read ends; starts a due re-read without waiting for it. */
  estimateFor(ref: TargetRef, settings: TargetSettings, nowMs: number): CapacityEstimate | undefined {
    const entry = this.entryFor(ref, settings, nowMs);
    if (this.isDue(entry, nowMs)) void this.read(ref, settings, entry, nowMs);
    return entry.estimate;
  }

  /** Reads the target's CPU history now and returns the new estimate (the benchmark and tests wait for it). */
  refresh(ref: TargetRef, settings: TargetSettings, nowMs: number): Promise<CapacityEstimate> {
    const entry = this.entryFor(ref, settings, nowMs);
    return entry.reading ?? this.read(ref, settings, entry, nowMs);
  }

  private entryFor(ref: TargetRef, settings: TargetSettings, nowMs: number): Entry {
    this.forget(nowMs);
    const key = targetKey(ref);
    const readKey = readKeyOf(settings);
    let entry = this.entries.get(key);
    if (entry === undefined || entry.readKey !== readKey) {
      entry = { readKey, estimate: undefined, readAtMs: Number.NEGATIVE_INFINITY, lastAskedMs: nowMs, reading: undefined };
      this.entries.set(key, entry);
    }
    entry.lastAskedMs = Math.max(entry.lastAskedMs, nowMs);
    return entry;
  }

  private isDue(entry: Entry, nowMs: number): boolean {
    return entry.reading === undefined && nowMs - entry.readAtMs >= CAPACITY_REFRESH_SECONDS * 1000;
  }

  private read(ref: TargetRef, settings: TargetSettings, entry: Entry, nowMs: number): Promise<CapacityEstimate> {
    const window = capacityReadWindow(settings, nowMs);
    entry.readAtMs = nowMs;
    const reading = (async (): Promise<CapacityEstimate> => {
      try {
        const { samples, allotmentSource } = await this.options.history.readCpuLoadSamples(ref, settings, window);
        entry.estimate = estimateCapacity(samples, settings.cpuPerReplicaCores, allotmentSource);
      } catch (error) {
        this.options.logger?.warn({ target: targetKey(ref), err: error }, 'reading the CPU history failed; capacity stays as it was');
        // A failed re-read keeps a figure learned before: the evidence behind it has not gone away.
        if (entry.estimate?.kind !== 'learned') entry.estimate = { kind: 'insufficient', reason: `the CPU history could not be read (${messageOf(error)})`, saturation: undefined };
      } finally {
        entry.reading = undefined;
      }
      return entry.estimate!;
    })();
    entry.reading = reading;
    return reading;
  }

  private forget(nowMs: number): void {
    const cutoffMs = nowMs - this.options.forgetAfterSeconds * 1000;
    for (const [key, entry] of this.entries) if (entry.lastAskedMs < cutoffMs && entry.reading === undefined) this.entries.delete(key);
  }
}
