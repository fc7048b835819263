// The one gateway tier the benchmark and the demo simulate, and the trigger metadata this project's
// scaler evaluates it with: the example ScaledObject's trigger, with the keys that state facts about
// the tier (capacity, decision_wait, num_traces, startup, min/max) taken from the simulated fleet.
import { parseTargetMetadata, type TargetSettings } from '../config/target-metadata.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import type { ScaledObjectSpec } from './example-scaled-object.ts';
import type { FleetSettings } from './fleet-settings.ts';

export const SIMULATED_TARGET: TargetRef = Object.freeze({ namespace: 'observability', name: 'otel-gateway' });

/** scalerMetadata for the simulated tier (KEDA's own keys such as scalerAddress pass through and are ignored). */
export function simulatedTargetMetadata(scaledObject: ScaledObjectSpec, fleet: FleetSettings): Readonly<Record<string, string>> {
  return Object.freeze({
    ...scaledObject.triggerMetadata,
    capacitySpansPerReplica: String(fleet.capacitySpansPerSecond),
    decisionWait: `${fleet.decisionWaitSeconds}s`,
    numTraces: String(fleet.numTracesPerReplica),
    podStartup: `${fleet.podStartupSeconds}s`,
    minReplicas: String(fleet.minReplicas),
    maxReplicas: String(fleet.maxReplicas),
  });
}

/** The settings decide() runs with for the simulated tier. */
export function simulatedTargetSettings(scaledObject: ScaledObjectSpec, fleet: FleetSettings): TargetSettings {
  return parseTargetMetadata(simulatedTargetMetadata(scaledObject, fleet));
}
