// Replica histories for the estimators learned from them (startup, re-resolve): stated as change
// points and sampled at the 15 s steps a range read gives, or recorded from a simulated fleet.
import type { ReplicaCountSample } from '../../src/policy/startup-estimate.ts';
import { SimulatedSignalSource } from '../../src/signals/simulated-source.ts';
import { Fleet } from '../../src/sim/fleet.ts';
import { FleetRecorder } from '../../src/sim/fleet-recorder.ts';
import { fleetRoster } from '../../src/sim/fleet-roster.ts';
import type { FleetSettings } from '../../src/sim/fleet-settings.ts';
import { SIMULATED_TARGET } from '../../src/sim/simulated-target.ts';

export const T0 = Date.UTC(2026, 0, 5);
export const STEP_S = 15;

type Count = number | undefined;

/** Samples every 15 s from `[second, count, count]` change points (values hold until the next one), each made by `sampleOf`. */
export function sampledEvery15s(changes: readonly (readonly [number, Count, Count])[], untilSeconds: number, sampleOf: (atMs: number, first: Count, second: Count) => ReplicaCountSample): ReplicaCountSample[] {
  const samples: ReplicaCountSample[] = [];
  let index = 0;
  for (let t = 0; t <= untilSeconds; t += STEP_S) {
    while (index + 1 < changes.length && changes[index + 1]![0] <= t) index++;
    const [, first, second] = changes[index]!;
    samples.push(sampleOf(T0 + t * 1000, first, second));
  }
  return samples;
}

/** An hour of a fleet set to `replicas` at the given steps, carrying a steady load, read through the simulated source. */
export function simulatedHour(fleetSettings: FleetSettings, initialReplicas: number, scaleAt: ReadonlyMap<number, number>, spansPerSecond: number): { readonly source: SimulatedSignalSource; readonly window: { startMs: number; endMs: number; stepSeconds: number } } {
  const fleet = new Fleet(fleetSettings, { initialReplicas });
  const dt = fleetSettings.stepSeconds;
  const recorder = new FleetRecorder({ startMs: T0, stepSeconds: dt, retentionSeconds: 7200 });
  recorder.record(fleet.observed);
  const source = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster: fleetRoster(fleet, recorder) });
  for (let i = 0; i < 3600 / dt; i++) {
    const replicas = scaleAt.get(i);
    if (replicas !== undefined) fleet.setReplicas(replicas);
    fleet.step(spansPerSecond * dt, 420_000, false);
    recorder.record(fleet.observed);
  }
  return { source, window: { startMs: T0, endMs: T0 + 3600_000, stepSeconds: STEP_S } };
}
