// The instants at which decision state is rebuilt from Prometheus (see policy/rebuild-state.ts). Every
// replica uses the same grid — multiples of the step since the epoch, a settling delay behind now so
// the samples behind each instant have been ingested — so range reads at those instants give every
// replica the same snapshots.
import type { TargetSettings } from '../config/target-metadata.ts';
import { MAX_RANGE_POINTS } from './prometheus-source.ts';
import type { RangeWindow } from './signal-snapshot.ts';

/** A grid instant is read only this long after it: a scrape (timeout ≤ 10 s by default) is in the TSDB by then. */
export const STATE_SETTLE_SECONDS = 15;

/** Grid step: KEDA's polling interval, widened only as far as Prometheus' points limit needs over `horizonSeconds`. */
export function stateStepSeconds(settings: Pick<TargetSettings, 'pollingIntervalSeconds'>, horizonSeconds: number): number {
  return Math.max(Math.ceil(settings.pollingIntervalSeconds), Math.ceil(horizonSeconds / (MAX_RANGE_POINTS - 1)));
}

/** The newest settled grid instant at `nowMs`. */
export function latestStateInstantMs(nowMs: number, stepSeconds: number): number {
  const stepMs = stepSeconds * 1000;
  return Math.floor((nowMs - STATE_SETTLE_SECONDS * 1000) / stepMs) * stepMs;
}

/**
 * The range read that brings a fold from `foldedToMs` (undefined: nothing folded) up to `instantMs`:
 * only the new steps when the fold is recent enough, else the whole horizon. Undefined when nothing is new.
 */
export function stateReadWindow(instantMs: number, stepSeconds: number, horizonSeconds: number, foldedToMs: number | undefined): RangeWindow | undefined {
  const stepMs = stepSeconds * 1000;
  if (foldedToMs !== undefined && foldedToMs >= instantMs) return undefined;
  const horizonStartMs = instantMs - Math.ceil(horizonSeconds / stepSeconds) * stepMs;
  const startMs = foldedToMs !== undefined && foldedToMs >= horizonStartMs ? foldedToMs + stepMs : horizonStartMs;
  return { startMs, endMs: instantMs, stepSeconds };
}

/** The next read of a fold: its window, the grid instant it brings the fold to, and whether it extends the fold it was given. */
export interface StateFoldRead {
  readonly window: RangeWindow;
  readonly instantMs: number;
  /** False when the read starts afresh at the horizon: the fold given is too old to extend, or there was none. */
  readonly extendsFold: boolean;
}

/** What to read at `nowMs` to bring a fold up to `foldedToMs` (undefined: none) to the newest settled grid instant; undefined when it is there. */
export function nextStateFoldRead(nowMs: number, settings: Pick<TargetSettings, 'pollingIntervalSeconds'>, horizonSeconds: number, foldedToMs: number | undefined): StateFoldRead | undefined {
  const stepSeconds = stateStepSeconds(settings, horizonSeconds);
  const instantMs = latestStateInstantMs(nowMs, stepSeconds);
  const window = stateReadWindow(instantMs, stepSeconds, horizonSeconds, foldedToMs);
  if (window === undefined) return undefined;
  return { window, instantMs, extendsFold: foldedToMs !== undefined && window.startMs === foldedToMs + stepSeconds * 1000 };
}
