import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fleet } from '../../src/sim/fleet.ts';
import { COUNTER_NAMES, FleetRecorder, GAUGE_NAMES, SCRAPE_INTERVAL_SECONDS } from '../../src/sim/fleet-recorder.ts';
import { seededRandom } from '../../src/sim/seeded-random.ts';
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

describe('FleetRecorder rows', () => {
  it('read back every step within the retention: each gauge as recorded, each rate as the difference of the running totals over its window', () => {
    const base = new Fleet(DEFAULT_FLEET_SETTINGS, { initialReplicas: 2 }).observed;
    const scrapeSteps = SCRAPE_INTERVAL_SECONDS / dt;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 60, max: 1200 }), fc.integer({ min: 1, max: 1000 }), fc.constantFrom(30, 60, 120), (recorded, retentionSeconds, seed, windowSeconds) => {
        const random = seededRandom(seed);
        const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds });
        const totals = COUNTER_NAMES.map(() => 0);
        const history: { totals: number[]; gauges: number[] }[] = [];
        for (let i = 0; i < recorded; i++) {
          const step: Record<string, number> = { ...base };
          COUNTER_NAMES.forEach((name, c) => {
            step[name] = Math.floor(random() * 4) === 0 ? 0 : random() * 1e5;
            totals[c]! += step[name]!;
          });
          for (const name of GAUGE_NAMES) step[name] = random() * 100;
          recorder.record(step as unknown as typeof base);
          history.push({ totals: [...totals], gauges: GAUGE_NAMES.map((name) => step[name]!) });
        }
        const windowSteps = windowSeconds / dt;
        const retainedFrom = recorded - 1 - retentionSeconds / dt;
        for (let i = Math.ceil(Math.max(0, retainedFrom) / scrapeSteps) * scrapeSteps; i < recorded; i += scrapeSteps) {
          const timeMs = startMs + i * dt * 1000;
          GAUGE_NAMES.forEach((name, g) => {
            expect(recorder.gauge(name, timeMs)).toEqual({ kind: 'ok', value: history[i]!.gauges[g] });
          });
          if (i - windowSteps < Math.max(0, retainedFrom)) continue;
          COUNTER_NAMES.forEach((name, c) => {
            const value = (history[i]!.totals[c]! - history[i - windowSteps]!.totals[c]!) / windowSeconds;
            expect(recorder.rate(name, timeMs, windowSeconds)).toEqual({ kind: 'ok', value });
          });
        }
      }),
      { numRuns: 150 },
    );
  });
});
