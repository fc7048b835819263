import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BurstLoadCurve, type LoadCurve, TraceLoadCurve } from '../../src/sim/load-curve.ts';
import { dailyOutage, inWindows, parseBurstSpec, parseOutageSpec, parseScalerRestartSpec, parseSlowRecoverySpec, placeOutages, placeScalerRestarts, slowRecoveryWindows } from '../../src/sim/scenario.ts';
import { syntheticTrace } from '../../src/sim/synthetic-load.ts';
import { parseTraceCsv } from '../../src/sim/trace-csv.ts';

const MINUTE = 60_000;
const csv = (rows: string[]) => ['timestamp,value', ...rows].join('\n');

describe('parseTraceCsv', () => {
  const rejections: { name: string; input: string; want: RegExp }[] = [
    { name: 'wrong header', input: 'time,value\n2020-01-01T00:00:00Z,1\n2020-01-01T00:01:00Z,2', want: /line 1 must be the header "timestamp,value"/ },
    { name: 'timestamp without zone', input: csv(['2020-01-01T00:00:00,1', '2020-01-01T00:01:00,2']), want: /line 2 timestamp must be ISO-8601 with a zone/ },
    { name: 'value not a number', input: csv(['2020-01-01T00:00:00Z,1', '2020-01-01T00:01:00Z,lots']), want: /line 3 value must be a number ≥ 0 or empty/ },
    { name: 'negative value', input: csv(['2020-01-01T00:00:00Z,1', '2020-01-01T00:01:00Z,-4']), want: /line 3 value must be a number ≥ 0/ },
    { name: 'rows out of order', input: csv(['2020-01-01T00:01:00Z,1', '2020-01-01T00:00:00Z,2']), want: /line 3 .* not after the previous one/ },
    { name: 'a single row', input: csv(['2020-01-01T00:00:00Z,1']), want: /at least two data rows/ },
    { name: 'no load at all', input: csv(['2020-01-01T00:00:00Z,', '2020-01-01T00:01:00Z,0']), want: /every value is empty or 0/ },
    { name: 'three fields', input: csv(['2020-01-01T00:00:00Z,1,2', '2020-01-01T00:01:00Z,2']), want: /line 2 must have two fields/ },
  ];
  for (const row of rejections) {
    it(`rejects: ${row.name}`, () => {
      expect(() => parseTraceCsv(row.input, 'trace.csv')).toThrow(row.want);
    });
  }

  it('reads every trace in ../shared/traces', () => {
    for (const file of ['nasa-http-1995-07.csv', 'app-server-hourly-2015-2018.csv', 'nyc-taxi-30min.csv']) {
      const trace = parseTraceCsv(readFileSync(new URL(`../../../shared/traces/${file}`, import.meta.url), 'utf8'), file);
      expect(trace.timestampsMs.length).toBeGreaterThan(1000);
    }
  });
});

describe('TraceLoadCurve', () => {
  const trace = parseTraceCsv(
    csv(['2020-01-01T00:00:00Z,10', '2020-01-01T00:01:00Z,20', '2020-01-01T00:02:00Z,', '2020-01-01T00:03:00Z,', '2020-01-01T00:04:00Z,40', '2020-01-01T00:05:00Z,5']),
    'gaps.csv',
  );
  const start = Date.parse('2020-01-01T00:00:00Z');
  const curve = new TraceLoadCurve(trace, 1000);
  const cases: { name: string; input: number; want: number }[] = [
    { name: 'at a point, the point scaled so the peak (40) is 1000', input: start, want: 250 },
    { name: 'between two points, linear interpolation', input: start + 30_000, want: 375 },
    { name: 'into a gap, the last value held', input: start + MINUTE + 30_000, want: 500 },
    { name: 'inside a gap, still the last value', input: start + 3 * MINUTE + 59_000, want: 500 },
    { name: 'after the gap, interpolation resumes', input: start + 4 * MINUTE + 30_000, want: 562.5 },
    { name: 'the peak maps to the peak load', input: start + 4 * MINUTE, want: 1000 },
  ];
  for (const row of cases) {
    it(row.name, () => {
      expect(curve.spansPerSecondAt(row.input)).toBeCloseTo(row.want, 9);
    });
  }

  it('answers the same whether read forwards or backwards', () => {
    const times = [0, 30, 90, 150, 270, 299].map((s) => start + s * 1000);
    const forwards = times.map((t) => curve.spansPerSecondAt(t));
    const backwards = [...times].reverse().map((t) => curve.spansPerSecondAt(t)).reverse();
    expect(backwards).toEqual(forwards);
  });

  it('multiplies the load inside burst windows only', () => {
    const burst = new BurstLoadCurve(curve, [{ startMs: start, endMs: start + MINUTE, multiplier: 2 }]);
    expect(burst.spansPerSecondAt(start + 30_000)).toBeCloseTo(750, 9);
    expect(burst.spansPerSecondAt(start + MINUTE)).toBeCloseTo(500, 9);
  });

  it('applies exactly the bursts covering each time, overlapping ones in their order, read in any order', () => {
    const flat: LoadCurve = { startMs: 0, endMs: 1000, peakSpansPerSecond: 1, spansPerSecondAt: (timeMs) => 1000 + timeMs / 7 };
    const burstArb = fc.record({ startMs: fc.integer({ min: 0, max: 1000 }), length: fc.integer({ min: 0, max: 300 }), multiplier: fc.double({ min: 0.1, max: 10, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(burstArb, { maxLength: 12 }), fc.array(fc.integer({ min: -10, max: 1400 }), { minLength: 1, maxLength: 200 }), (specs, times) => {
        const bursts = specs.map(({ startMs, length, multiplier }) => ({ startMs, endMs: startMs + length, multiplier }));
        const curve = new BurstLoadCurve(flat, bursts);
        for (const timeMs of [...times.sort((a, b) => a - b), ...times.reverse()]) {
          let want = flat.spansPerSecondAt(timeMs);
          for (const burst of bursts) if (timeMs >= burst.startMs && timeMs < burst.endMs) want *= burst.multiplier;
          expect(curve.spansPerSecondAt(timeMs)).toBe(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('scenario specs and placement', () => {
  const rejections: { name: string; input: () => unknown; want: RegExp }[] = [
    { name: 'outage without duration', input: () => parseOutageSpec('2x'), want: /--outage must be COUNTxDURATION/ },
    { name: 'outage count 0', input: () => parseOutageSpec('0x30m'), want: /COUNT 1\.\.1000/ },
    { name: 'outage duration without unit', input: () => parseOutageSpec('2x30'), want: /duration like 30m/ },
    { name: 'burst without multiplier', input: () => parseBurstSpec('2x15m'), want: /--burst must be COUNTxDURATION@MULTIPLIER/ },
    { name: 'burst multiplier 0', input: () => parseBurstSpec('2x15m@0'), want: /multiplier in \(0, 100\]/ },
    { name: 'slow recovery without multiple', input: () => parseSlowRecoverySpec('30m'), want: /--slow-recovery must be DURATION@MULTIPLE/ },
    { name: 'slow recovery at the load itself', input: () => parseSlowRecoverySpec('30m@1'), want: /in \(1, 100\] \(at 1 or below the backlog never drains\)/ },
    { name: 'slow recovery without duration', input: () => parseSlowRecoverySpec('@1.1'), want: /a duration like 30m/ },
  ];
  for (const row of rejections) {
    it(`rejects: ${row.name}`, () => {
      expect(row.input).toThrow(row.want);
    });
  }

  it('parses counts, durations and multipliers', () => {
    expect(parseOutageSpec('2x30m')).toEqual({ count: 2, durationSeconds: 1800 });
    expect(parseBurstSpec('3x15m@1.8')).toEqual({ count: 3, durationSeconds: 900, multiplier: 1.8 });
    expect(parseSlowRecoverySpec('30m@1.1')).toEqual({ durationSeconds: 1800, loadMultiple: 1.1 });
  });

  it('starts a slow recovery as each outage ends, and ends it early at the next outage or the end of the run', () => {
    const hour = 3_600_000;
    const outages = [
      { startMs: 10 * hour, endMs: 11 * hour },
      { startMs: 11.25 * hour, endMs: 12 * hour },
      { startMs: 23 * hour, endMs: 23.75 * hour },
    ];
    expect(slowRecoveryWindows(outages, { durationSeconds: 1800, loadMultiple: 1.1 }, 24 * hour)).toEqual([
      { startMs: 11 * hour, endMs: 11.25 * hour, loadMultiple: 1.1 },
      { startMs: 12 * hour, endMs: 12.5 * hour, loadMultiple: 1.1 },
      { startMs: 23.75 * hour, endMs: 24 * hour, loadMultiple: 1.1 },
    ]);
  });

  const startMs = Date.parse('2026-01-05T00:00:00Z');
  const endMs = startMs + 14 * 86_400_000;
  it('places outages reproducibly from the seed, without overlap, after the warm-up day', () => {
    const first = placeOutages({ count: 3, durationSeconds: 1800 }, startMs, endMs, 7);
    expect(placeOutages({ count: 3, durationSeconds: 1800 }, startMs, endMs, 7)).toEqual(first);
    expect(placeOutages({ count: 3, durationSeconds: 1800 }, startMs, endMs, 8)).not.toEqual(first);
    for (const [i, window] of first.entries()) {
      expect(window.endMs - window.startMs).toBe(1_800_000);
      expect(window.startMs).toBeGreaterThanOrEqual(startMs + 86_400_000);
      expect(window.endMs).toBeLessThanOrEqual(endMs);
      if (i > 0) expect(window.startMs).toBeGreaterThanOrEqual(first[i - 1]!.endMs);
    }
    expect(inWindows(first, first[1]!.startMs)).toBe(true);
    expect(inWindows(first, first[1]!.endMs)).toBe(false);
  });

  it('places scaler restarts from a stream of their own: the same seed does not put them on the outages', () => {
    const spec = parseScalerRestartSpec('3x30m');
    expect(spec).toEqual({ count: 3, durationSeconds: 1800 });
    const restarts = placeScalerRestarts(spec, startMs, endMs, 7);
    expect(placeScalerRestarts(spec, startMs, endMs, 7)).toEqual(restarts);
    expect(restarts).not.toEqual(placeOutages(spec, startMs, endMs, 7));
    for (const window of restarts) expect(window.endMs - window.startMs).toBe(1_800_000);
  });

  it('refuses outages that do not fit the run', () => {
    expect(() => placeOutages({ count: 2, durationSeconds: 86_400 }, startMs, startMs + 86_400_000, 1)).toThrow(/does not fit the run/);
  });

  it('places the demo outage inside its own day, the same for the same seed', () => {
    const day = Date.parse('2026-03-01T00:00:00Z');
    const window = dailyOutage(day, 1800, 3);
    expect(window.startMs).toBeGreaterThanOrEqual(day);
    expect(window.endMs).toBeLessThanOrEqual(day + 86_400_000);
    expect(dailyOutage(day, 1800, 3)).toEqual(window);
  });
});

describe('syntheticTrace', () => {
  it('has a weekday peak, a night trough and quieter weekends', () => {
    const trace = syntheticTrace({ startMs: Date.parse('2026-01-05T00:00:00Z'), days: 7, seed: 1 });
    const at = (day: number, hour: number) => trace.values[(day * 24 + hour) * 12]!;
    expect(at(0, 14)).toBeGreaterThan(4 * at(0, 3));
    expect(at(5, 14)).toBeLessThan(0.7 * at(2, 14));
    expect(Math.max(...trace.values)).toBeLessThanOrEqual(1.04);
  });
});
