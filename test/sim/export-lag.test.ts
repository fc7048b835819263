// Tail sampling exports a trace decision_wait after its first span, so after a sharp fall the gateways'
// CPU still pays for the earlier load for a step or two. Those steps lie off the CPU line; read as a
// new config they once cut the learned capacity by 15 % and scaled the tier out while the load was a fifth.
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/policy/decision.ts';
import { type BenchOptions, buildScenario, createAutoscaler, runAutoscaler } from '../../src/sim/bench.ts';
import { loadExampleScaledObject } from '../../src/sim/example-scaled-object.ts';
import { DEFAULT_FLEET_SETTINGS, DEFAULT_SCENARIO_SETTINGS } from '../../src/sim/fleet-settings.ts';
import type { ProjectScalerAutoscaler } from '../../src/sim/scaler-autoscaler.ts';

const MINUTE_MS = 60_000;
const START_MS = Date.parse('2026-01-05T00:00:00Z');
const FALL_MINUTE = 120;
/** Two hours at the peak, then a fifth of it, flat, for three hours. */
const minutes = Array.from({ length: 300 }, (_, minute) => (minute < FALL_MINUTE ? 100 : 20));
const options: BenchOptions = {
  trace: { name: 'sharp-fall', timestampsMs: Float64Array.from(minutes, (_, i) => START_MS + i * MINUTE_MS), values: Float64Array.from(minutes) },
  fleet: { ...DEFAULT_FLEET_SETTINGS, drainSeconds: 40 },
  scenario: DEFAULT_SCENARIO_SETTINGS,
  seed: 1,
  scaledObject: loadExampleScaledObject(),
};

describe('a sharp fall to a flat load', () => {
  it('does not move the learned capacity: it stays within 5 % of the truth and the tier never grows while the load is a fifth', async () => {
    const scenario = buildScenario(options);
    const scaler = createAutoscaler('scaler-reactive', options, scenario) as ProjectScalerAutoscaler;
    const decisions: Decision[] = [];
    const control = scaler.control.bind(scaler);
    scaler.control = (context) => {
      control(context);
      if (scaler.latestDecision !== undefined && scaler.latestDecision !== decisions.at(-1)) decisions.push(scaler.latestDecision);
    };
    await runAutoscaler(options, scenario, scaler);
    const fallMs = START_MS + FALL_MINUTE * MINUTE_MS;
    const atFall = decisions.filter((decision) => decision.at <= fallMs).at(-1)!;
    const after = decisions.filter((decision) => decision.at > fallMs);
    expect(after.length).toBeGreaterThan(300);
    const learnedAfter = after.filter((decision) => decision.capacity.source === 'learned');
    expect(learnedAfter.length).toBe(after.length);
    for (const decision of learnedAfter) {
      expect(Math.abs(decision.capacity.spansPerReplica / DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond - 1), decision.capacity.sentence).toBeLessThan(0.05);
    }
    // Only scale-ins after the fall: each count at most the one before it.
    after.reduce((previous, decision) => {
      expect(decision.replicas, new Date(decision.at).toISOString()).toBeLessThanOrEqual(previous);
      return decision.replicas;
    }, atFall.replicas);
  }, 60_000);
});
