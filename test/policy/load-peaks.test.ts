import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advanceLoadPeaks, MAX_LOAD_PEAKS, RECENT_PEAK_WINDOW_SECONDS, recentPeak } from '../../src/policy/load-peaks.ts';
import type { LoadPeak } from '../../src/policy/policy-state.ts';
import { T0_MS } from './policy-fixtures.ts';

/** One read: seconds after T0 and accepted spans/s (undefined = missing). */
type Read = readonly [atSeconds: number, spansPerSecond: number | undefined];

function peaksAfter(reads: readonly Read[]): readonly LoadPeak[] {
  let peaks: readonly LoadPeak[] | undefined;
  for (const [atSeconds, spansPerSecond] of reads) peaks = advanceLoadPeaks(peaks, T0_MS + atSeconds * 1000, spansPerSecond);
  return peaks ?? [];
}

const HOUR = RECENT_PEAK_WINDOW_SECONDS;

const cases: { name: string; input: readonly Read[]; want: { peak: number | undefined; peakAtSeconds?: number; entries: number } }[] = [
  { name: 'a steady load keeps one entry', input: [[0, 50_000], [30, 50_000], [60, 50_000]], want: { peak: 50_000, peakAtSeconds: 60, entries: 1 } },
  { name: 'a rising load keeps only its latest, highest reading', input: [[0, 10_000], [30, 20_000], [60, 30_000]], want: { peak: 30_000, peakAtSeconds: 60, entries: 1 } },
  { name: 'a falling load keeps every reading, highest first', input: [[0, 30_000], [30, 20_000], [60, 10_000]], want: { peak: 30_000, peakAtSeconds: 0, entries: 3 } },
  { name: 'a burst is kept for the hour after it', input: [[0, 20_000], [30, 75_000], [60, 20_000], [30 + HOUR, 21_000]], want: { peak: 75_000, peakAtSeconds: 30, entries: 2 } },
  {
    name: 'a burst older than the hour is forgotten; the highest reading since takes its place',
    input: [[0, 20_000], [30, 75_000], [60, 25_000], [90, 20_000], [31 + HOUR, 21_000]],
    want: { peak: 25_000, peakAtSeconds: 60, entries: 2 },
  },
  { name: 'a snapshot seen again adds nothing, even with another value', input: [[0, 20_000], [0, 90_000]], want: { peak: 20_000, peakAtSeconds: 0, entries: 1 } },
  { name: 'an older snapshot read after a newer one adds nothing', input: [[30, 20_000], [0, 90_000]], want: { peak: 20_000, peakAtSeconds: 30, entries: 1 } },
  { name: 'a missing reading adds nothing and forgets nothing', input: [[0, 40_000], [30, undefined], [60, 10_000]], want: { peak: 40_000, peakAtSeconds: 0, entries: 2 } },
  { name: 'nothing read yet: no peak', input: [[0, undefined]], want: { peak: undefined, entries: 0 } },
];

describe('load peaks of the last hour', () => {
  for (const row of cases) {
    it(row.name, () => {
      const peaks = peaksAfter(row.input);
      expect(recentPeak(peaks)?.spansPerSecond).toBe(row.want.peak);
      if (row.want.peakAtSeconds !== undefined) expect(recentPeak(peaks)?.atMs).toBe(T0_MS + row.want.peakAtSeconds * 1000);
      expect(peaks).toHaveLength(row.want.entries);
    });
  }

  it('the peak is the highest reading within the hour before the newest one, whatever the order of loads (brute force)', () => {
    const readsArb = fc.array(fc.record({ gapSeconds: fc.integer({ min: 15, max: 900 }), load: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }) }), { maxLength: 400 });
    fc.assert(
      fc.property(readsArb, (raw) => {
        const reads: Read[] = [];
        let atSeconds = 0;
        for (const { gapSeconds, load } of raw) {
          atSeconds += gapSeconds;
          reads.push([atSeconds, load]);
        }
        const peaks = peaksAfter(reads);
        const present = reads.filter((read): read is readonly [number, number] => read[1] !== undefined);
        const newest = present[present.length - 1];
        const inWindow = newest === undefined ? [] : present.filter(([at]) => at >= newest[0] - HOUR);
        const want = inWindow.length === 0 ? undefined : Math.max(...inWindow.map(([, load]) => load));
        expect(recentPeak(peaks)?.spansPerSecond).toBe(want);
        expect(peaks.length).toBeLessThanOrEqual(MAX_LOAD_PEAKS);
      }),
      { numRuns: 400 },
    );
  });
});

/** The plain statement of advanceLoadPeaks: append after dropping what the new reading exceeds, then cut to the window and the bound. */
function plainAdvance(previous: readonly LoadPeak[] | undefined, observedAtMs: number, spansPerSecond: number | undefined): readonly LoadPeak[] {
  const peaks = previous === undefined ? [] : [...previous];
  const latest = peaks[peaks.length - 1];
  if (spansPerSecond !== undefined && (latest === undefined || observedAtMs > latest.atMs)) {
    while (peaks.length > 0 && peaks[peaks.length - 1]!.spansPerSecond <= spansPerSecond) peaks.pop();
    peaks.push({ atMs: observedAtMs, spansPerSecond });
  }
  const windowStartMs = (peaks[peaks.length - 1]?.atMs ?? observedAtMs) - RECENT_PEAK_WINDOW_SECONDS * 1000;
  return peaks.filter((peak, i) => peak.atMs >= windowStartMs && peaks.length - i <= MAX_LOAD_PEAKS);
}

describe('advanceLoadPeaks against its plain statement', () => {
  it('keeps the same peaks over any run of reads: repeated, out of order, missing, past the window and the bound', () => {
    const read = fc.tuple(fc.integer({ min: -60, max: 3 * HOUR }), fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }));
    fc.assert(
      fc.property(fc.array(read, { maxLength: 400 }), (reads) => {
        let fast: readonly LoadPeak[] | undefined;
        let plain: readonly LoadPeak[] | undefined;
        const sorted = [...reads].sort((a, b) => a[0] - b[0]);
        for (const [atSeconds, value] of [...reads, ...sorted]) {
          fast = advanceLoadPeaks(fast, T0_MS + atSeconds * 1000, value);
          plain = plainAdvance(plain, T0_MS + atSeconds * 1000, value);
          expect(fast).toEqual(plain);
        }
      }),
      { numRuns: 300 },
    );
  });
});
