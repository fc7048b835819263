// The highest load level of the last hour, kept between evaluations for the recent-peak proposal. A
// level (the median of the last LOAD_SAMPLES readings) is a load the tier held for minutes: keeping room
// for it through the hour stops the tier stepping down and back up as the load dips and recovers, and
// each step moves traces. A single reading's noise and a burst shorter than half the readings are the
// dead band's to cover while they are among the readings; the agents hold what a burst brings beyond
// the tier for their retries' 300 s. Where the throughput proposal sizes the busiest gateway of a
// skewed ring, the level is kept as that gateway needs it (× the level of its share multiple, the
// median over the same readings), so the hot gateway's room outlasts a dip as the total's does. Stored
// as a sliding-window maximum (each entry is larger than every later one), so a steady or rising load
// keeps one entry and the state stays small.
import type { LoadLevelPeak } from './policy-state.ts';

/** How long a load level keeps its replicas: what the load held within the hour is expected back. */
export const RECENT_PEAK_WINDOW_SECONDS = 3600;
/** Bound on the entries kept: more than a load falling at every 15 s poll for a whole window needs. */
export const MAX_LOAD_PEAKS = 256;

/**
 * Adds the load level at a snapshot newer than every one seen (a snapshot seen again, or an older
 * one overtaken by a newer read, adds nothing), drops what it exceeds, and forgets levels older than the
 * window. `busiestShareMultiple` (the level of the busiest gateway's, when it is sized) scales the
 * level it is kept at. `previous` undefined (first evaluation, or a gap longer than staleAfter) starts afresh.
 */
export function advanceLoadPeaks(
  previous: readonly LoadLevelPeak[] | undefined,
  observedAtMs: number,
  level: number | undefined,
  busiestShareMultiple?: number,
): readonly LoadLevelPeak[] {
  const kept = previous ?? [];
  const latest = kept[kept.length - 1];
  const skewed = busiestShareMultiple !== undefined && busiestShareMultiple > 1;
  const spansPerSecond = level !== undefined && skewed ? level * busiestShareMultiple : level;
  const adds = spansPerSecond !== undefined && (latest === undefined || observedAtMs > latest.atMs);
  // One copy per evaluation: find what stays of the previous peaks, then slice once.
  let end = kept.length;
  if (adds) while (end > 0 && kept[end - 1]!.spansPerSecond <= spansPerSecond) end--;
  const newestMs = adds ? observedAtMs : (latest?.atMs ?? observedAtMs);
  const windowStartMs = newestMs - RECENT_PEAK_WINDOW_SECONDS * 1000;
  const count = end + (adds ? 1 : 0);
  let first = 0;
  while (first < end && (kept[first]!.atMs < windowStartMs || count - first > MAX_LOAD_PEAKS)) first++;
  const peaks = kept.slice(first, end);
  if (adds) peaks.push(skewed ? { atMs: observedAtMs, spansPerSecond, busiestShareMultiple } : { atMs: observedAtMs, spansPerSecond });
  return peaks;
}

/** The highest load level within the window, with when it was seen; undefined before any level was read. */
export function recentPeak(peaks: readonly LoadLevelPeak[]): LoadLevelPeak | undefined {
  return peaks[0];
}
