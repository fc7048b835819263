// A decision's forecast looks lead-time seconds ahead, so the forecast to compare with the load now
// is the one an earlier decision made for this moment. The alerting edge passes the target's recent
// history; this picks that decision.
import type { Decision } from '../../policy/decision.ts';
import type { ForecastDueNow } from './alert-rule.ts';

/**
 * The forecast whose target time (decision.at + leadTimeSeconds) is closest to `nowMs`, within
 * `toleranceMs` either side; undefined when no decision in `history` forecast this moment.
 */
export function forecastDueAt(history: readonly Decision[], nowMs: number, toleranceMs: number): ForecastDueNow | undefined {
  let best: ForecastDueNow | undefined;
  let bestDistanceMs = Number.POSITIVE_INFINITY;
  for (const decision of history) {
    if (decision.forecast === undefined) continue;
    const distanceMs = Math.abs(decision.at + decision.forecast.leadTimeSeconds * 1000 - nowMs);
    if (distanceMs <= toleranceMs && distanceMs < bestDistanceMs) {
      best = { madeAtMs: decision.at, forecast: decision.forecast };
      bestDistanceMs = distanceMs;
    }
  }
  return best;
}
