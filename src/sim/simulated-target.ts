// The one gateway tier the benchmark and the demo simulate, and the trigger metadata this project's
// scaler evaluates it with: exactly what the example ScaledObject's trigger ships, plus the overrides a
// run asks for (`--metadata key=value`). Nothing of the simulated fleet's truth goes in: a real
// operator's capacity, decision_wait or startup figures are guesses, and the scaler learns the rest
// from signals, as it would on a cluster.
import { parseTargetMetadata, type TargetSettings } from '../config/target-metadata.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import type { ScaledObjectSpec } from './example-scaled-object.ts';

export const SIMULATED_TARGET: TargetRef = Object.freeze({ namespace: 'observability', name: 'otel-gateway' });

/** scalerMetadata for the simulated tier (KEDA's own keys such as scalerAddress pass through and are ignored). */
export function simulatedTargetMetadata(scaledObject: ScaledObjectSpec, overrides: Readonly<Record<string, string>> = {}): Readonly<Record<string, string>> {
  return Object.freeze({ ...scaledObject.triggerMetadata, ...overrides });
}

/** The settings decide() runs with for the simulated tier; throws the config's error for a bad override. */
export function simulatedTargetSettings(scaledObject: ScaledObjectSpec, overrides: Readonly<Record<string, string>> = {}): TargetSettings {
  return parseTargetMetadata(simulatedTargetMetadata(scaledObject, overrides));
}
