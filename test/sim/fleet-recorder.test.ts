import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fleet } from '../../src/sim/fleet.ts';
import { FleetRecorder } from '../../src/sim/fleet-recorder.ts';
import { DEFAULT_FLEET_SETTINGS } from '../../src/sim/fleet-settings.ts';

const startMs = Date.parse('2026-01-05T00:00:00Z');
const dt = DEFAULT_FLEET_SETTINGS.stepSeconds;

describe('FleetRecorder.readSettlements', () => {
  it('is readSettlement at every step of the window, before, across and after the retention edge', () => {
    const observed = new Fleet(DEFAULT_FLEET_SETTINGS, { initialReplicas: 2 }).observed;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 60, max: 1800 }),
        fc.integer({ min: -900, max: 3600 }),
        fc.integer({ min: 0, max: 2400 }),
        fc.constantFrom(1, 5, 15, 60, 120, 300),
        fc.constantFrom(0, 30, 60, 120, 300, 3600),
        (recorded, retentionSeconds, startSecond, lengthSeconds, stepSeconds, windowSeconds) => {
          const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds });
          for (let i = 0; i < recorded; i++) recorder.record(observed);
          const window = { startMs: startMs + startSecond * 1000, endMs: startMs + (startSecond + lengthSeconds) * 1000, stepSeconds };
          const { dropped, keptFrom, keptTo } = recorder.readSettlements(window, windowSeconds);
          const want: string[] = [];
          const got: string[] = [];
          for (let i = 0, timeMs = window.startMs; timeMs <= window.endMs; i++, timeMs += stepSeconds * 1000) {
            want.push(recorder.readSettlement(timeMs, windowSeconds));
            got.push(i < dropped ? 'dropped' : i >= keptFrom && i < keptTo ? 'kept' : 'open');
          }
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
  });
});
