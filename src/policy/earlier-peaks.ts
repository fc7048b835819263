// What earlier peaks showed about the tier, kept in Prometheus: the scaler exports it on /metrics
// (dashboard/self-metrics.ts) and reads it back (signals/decision-series.ts), so a peak does not have
// to find it out again, losing spans each time, and a restarted scaler knows it too.
import type { BackendCeiling } from './backend-ceiling.ts';

/** A week: the load's longest season, so the last peak that showed it is within it whenever the peaks recur. */
export const EARLIER_PEAK_LOOKBACK_SECONDS = 7 * 86_400;

/** The per-gateway load at which the gateways fell behind (a 'falling behind' saturation witness), and when they last did. */
export interface FellBehind {
  readonly spansPerReplica: number;
  readonly atMs: number;
}

/** The newest of each within EARLIER_PEAK_LOOKBACK_SECONDS; absent when there was none. */
export interface EarlierPeaks {
  readonly backendCeiling?: BackendCeiling;
  readonly fellBehind?: FellBehind;
}
