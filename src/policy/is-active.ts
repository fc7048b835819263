// KEDA's IsActive (reference/keda-external-scaler.md): it only governs 0 ↔ 1 replicas, so it must be
// true whenever the tier may be needed — load now, load forecast within the lead time, or load unknown.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { Decision } from './decision.ts';

/**
 * True when accepted spans/s exceed activationSpansPerSecond, or the forecast's upper band at now +
 * lead time does, or the load is not known (never deactivate on missing data).
 */
export function isActive(decision: Decision, settings: TargetSettings): boolean {
  const threshold = settings.activationSpansPerSecond;
  const forecast = decision.forecast;
  if (forecast !== undefined && forecast.upperSpansPerSecond > threshold) return true;
  const load = decision.snapshot.signals.acceptedSpansPerSecond;
  if (load.kind === 'missing' || !Number.isFinite(load.value)) return true;
  return load.value > threshold;
}
