import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forecast } from '../../forecasting/forecast.ts';
import { cachedForecaster } from '../../src/sim/forecast-cache.ts';
import { noisyLoad } from '../forecasting/synthetic-load.ts';

const dir = mkdtempSync(join(tmpdir(), 'forecast-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shape = { stepsPerDay: 24, level: 1000, dailyAmplitude: 400, weekendOffset: -200 };
const startMs = Date.parse('2026-01-05T00:00:00Z');

function history(seed: number, gapAt?: number): Float64Array {
  const values = Float64Array.from(noisyLoad(shape, 0, 24 * 21, 40, seed));
  if (gapAt !== undefined) values.fill(Number.NaN, gapAt, gapAt + 5);
  return values;
}

function cacheFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.v8'));
}

describe('cachedForecaster', () => {
  it('answers exactly what forecast() answers, computing a history once and reading it back after', () => {
    const root = join(dir, 'exact');
    const first = cachedForecaster(root);
    const options = { horizonSteps: 30, quantile: 0.9 };
    const rows = [
      { name: 'plain history', values: history(1), kind: 'ok' },
      { name: 'history with a gap (NaN steps)', values: history(2, 200), kind: 'ok' },
      { name: 'too short to forecast', values: history(3).subarray(0, 30), kind: 'unavailable' },
    ];
    for (const row of rows) {
      const want = forecast({ values: row.values, stepSeconds: 3600, startMs }, options);
      expect(want.kind, row.name).toBe(row.kind);
      expect(first.forecast({ values: row.values, stepSeconds: 3600, startMs }, options), row.name).toEqual(want);
    }
    expect(first.stats).toEqual({ hits: 0, misses: 3, writeFailures: 0 });
    expect(cacheFiles(root)).toHaveLength(3);

    // A new run (a new cache over the same directory) reads every fit back, byte for byte the same.
    const second = cachedForecaster(root);
    for (const row of rows) {
      const want = forecast({ values: row.values, stepSeconds: 3600, startMs }, options);
      const got = second.forecast({ values: row.values, stepSeconds: 3600, startMs }, options);
      expect(got, row.name).toEqual(want);
      if (got.kind === 'ok' && want.kind === 'ok') expect(got.points.map((point) => point.upper)).toEqual(want.points.map((point) => point.upper));
    }
    expect(second.stats).toEqual({ hits: 3, misses: 0, writeFailures: 0 });
  });

  it('keys on everything forecast() reads: one changed value, the start, the step or an option is a new fit', () => {
    const root = join(dir, 'keys');
    const cache = cachedForecaster(root);
    const values = history(4);
    const changed = values.slice();
    changed[100]! += 1e-9;
    cache.forecast({ values, stepSeconds: 3600, startMs }, { horizonSteps: 30 });
    cache.forecast({ values: changed, stepSeconds: 3600, startMs }, { horizonSteps: 30 });
    cache.forecast({ values, stepSeconds: 3600, startMs: startMs + 3_600_000 }, { horizonSteps: 30 });
    cache.forecast({ values, stepSeconds: 1800, startMs }, { horizonSteps: 30 });
    cache.forecast({ values, stepSeconds: 3600, startMs }, { horizonSteps: 31 });
    cache.forecast({ values, stepSeconds: 3600, startMs }, { horizonSteps: 30, quantile: 0.95 });
    expect(cache.stats).toEqual({ hits: 0, misses: 6, writeFailures: 0 });
    cache.forecast({ values: values.slice(), stepSeconds: 3600, startMs }, { horizonSteps: 30 });
    expect(cache.stats.hits).toBe(1);
  });

  it('computes again over a damaged file, and still answers when the directory cannot be written', () => {
    const root = join(dir, 'damaged');
    const values = history(5);
    const want = forecast({ values, stepSeconds: 3600, startMs }, { horizonSteps: 30 });
    cachedForecaster(root).forecast({ values, stepSeconds: 3600, startMs }, { horizonSteps: 30 });
    const [file] = cacheFiles(root);
    writeFileSync(join(root, file!), 'not a fit');
    const again = cachedForecaster(root);
    expect(again.forecast({ values, stepSeconds: 3600, startMs }, { horizonSteps: 30 })).toEqual(want);
    expect(again.stats).toEqual({ hits: 0, misses: 1, writeFailures: 0 });

    const blocked = join(dir, 'a-file-not-a-directory');
    writeFileSync(blocked, '');
    const unwritable = cachedForecaster(join(blocked, 'fits'));
    expect(unwritable.forecast({ values, stepSeconds: 3600, startMs }, { horizonSteps: 30 })).toEqual(want);
    expect(unwritable.stats).toEqual({ hits: 0, misses: 1, writeFailures: 1 });
  });
});
