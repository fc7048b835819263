import { describe, expect, it } from 'vitest';
import { Fleet } from '../../src/sim/fleet.ts';
import { FleetRecorder } from '../../src/sim/fleet-recorder.ts';
import { fleetRoster } from '../../src/sim/fleet-roster.ts';
import { DEFAULT_FLEET_SETTINGS } from '../../src/sim/fleet-settings.ts';
import { seededRandom } from '../../src/sim/seeded-random.ts';

const startMs = Date.parse('2026-01-05T00:00:00Z');
const dt = DEFAULT_FLEET_SETTINGS.stepSeconds;

/** The pod sets a scrape finds, read the slow way: every pod's phase, now. */
function podSetsNow(fleet: Fleet): { ring: string[]; joining: string[] } {
  const pods = fleet.pods();
  return { ring: pods.filter((pod) => pod.phase === 'ring').map((pod) => pod.name), joining: pods.filter((pod) => pod.phase === 'ready').map((pod) => pod.name) };
}

describe('fleetRoster', () => {
  it('answers every retained scrape with the pods the fleet had then, through scale-outs, scale-ins and pods turning ready', () => {
    const settings = { ...DEFAULT_FLEET_SETTINGS, drainSeconds: 10 };
    const fleet = new Fleet(settings, { initialReplicas: 3 });
    const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds: 3 * 3600 });
    recorder.record(fleet.observed);
    const roster = fleetRoster(fleet, recorder);
    const random = seededRandom(7);
    const expected = new Map<number, { ring: string[]; joining: string[] }>([[startMs, podSetsNow(fleet)]]);
    let changes = 0;
    for (let step = 1; step <= 2000; step++) {
      // A change every few minutes on average, sometimes several pods, sometimes back and forth within a step.
      if (random() < 0.08) {
        fleet.setReplicas(Math.max(1, Math.min(12, fleet.replicas + Math.round((random() - 0.5) * 6))));
        changes++;
      }
      if (random() < 0.02) fleet.setReplicas(fleet.replicas);
      fleet.step(20_000 * dt, 1_000_000, false);
      recorder.record(fleet.observed);
      expected.set(startMs + step * dt * 1000, podSetsNow(fleet));
    }
    expect(changes).toBeGreaterThan(100);
    let checked = 0;
    for (const timeMs of expected.keys()) {
      const scrapeMs = recorder.scrapeTimeMs(timeMs);
      if (scrapeMs === undefined) continue;
      expect(roster.gatewaysAt(timeMs), new Date(timeMs).toISOString()).toEqual(expected.get(scrapeMs));
      checked++;
    }
    expect(checked).toBeGreaterThan(1500);
    // The pods that turned ready while waiting for the ring show up as joining at some scrape.
    expect([...expected.values()].some((pods) => pods.joining.length > 0)).toBe(true);
  });
});
