// The highest accepted load of the last hour, kept between evaluations for the recent-peak proposal.
// Bursts of bursty traffic recur: a tier that met a minute-long 2.5× burst within the hour is likely to
// meet another, and a new pod takes traffic only ~50 s after it is asked for, after such a burst is
// over. Stored as a sliding-window maximum (each entry is larger than every later one), so a steady or
// rising load keeps one entry and the state stays small.
import type { LoadPeak } from './policy-state.ts';

/** How long a load peak keeps its replicas: bursts seen within the last hour are expected back. */
export const RECENT_PEAK_WINDOW_SECONDS = 3600;
/** Bound on the entries kept: more than a load falling at every 15 s poll for a whole window needs. */
export const MAX_LOAD_PEAKS = 256;

/**
 * Adds the accepted rate of a snapshot newer than every one seen (a snapshot seen again, or an older
 * one overtaken by a newer read, adds nothing), drops what it exceeds, and forgets peaks older than the
 * window. `previous` undefined (first evaluation, or a gap longer than staleAfter) starts afresh.
 */
export function advanceLoadPeaks(previous: readonly LoadPeak[] | undefined, observedAtMs: number, spansPerSecond: number | undefined): readonly LoadPeak[] {
  const peaks = previous === undefined ? [] : [...previous];
  const latest = peaks[peaks.length - 1];
  if (spansPerSecond !== undefined && (latest === undefined || observedAtMs > latest.atMs)) {
    while (peaks.length > 0 && peaks[peaks.length - 1]!.spansPerSecond <= spansPerSecond) peaks.pop();
    peaks.push({ atMs: observedAtMs, spansPerSecond });
  }
  const newestMs = peaks[peaks.length - 1]?.atMs ?? observedAtMs;
  const windowStartMs = newestMs - RECENT_PEAK_WINDOW_SECONDS * 1000;
  let first = 0;
  while (first < peaks.length && (peaks[first]!.atMs < windowStartMs || peaks.length - first > MAX_LOAD_PEAKS)) first++;
  return peaks.slice(first);
}

/** The highest load within the window, with when it was seen; undefined before any load was read. */
export function recentPeak(peaks: readonly LoadPeak[]): LoadPeak | undefined {
  return peaks[0];
}
