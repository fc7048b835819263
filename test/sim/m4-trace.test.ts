import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drawM4Traces, m4Trace, SHARED_FORECAST_DATA_DIR } from '../../src/sim/m4-trace.ts';
import { TraceFormatError } from '../../src/sim/trace-csv.ts';

/** The row of `id` in one M4 file, as numbers, read independently of the module under test. */
function m4Row(file: string, id: string): number[] {
  const line = readFileSync(join(SHARED_FORECAST_DATA_DIR, file), 'utf8')
    .split('\n')
    .find((row) => row.startsWith(`"${id}",`))!;
  return line
    .split(',')
    .slice(1)
    .map((cell) => cell.replaceAll('"', ''))
    .filter((cell) => cell !== '')
    .map(Number);
}

describe('M4 hourly series as held-out traces', () => {
  it('replays a series hour by hour from a Monday, its test hours after its training hours', () => {
    const trace = m4Trace('m4:H17');
    const want = [...m4Row('Hourly-train.csv', 'H17'), ...m4Row('Hourly-test.csv', 'H17')];
    expect(trace.name).toBe('m4:H17');
    expect([...trace.values]).toEqual(want);
    expect(new Date(trace.timestampsMs[0]!).getUTCDay()).toBe(1);
    expect(trace.timestampsMs[want.length - 1]! - trace.timestampsMs[0]!).toBe((want.length - 1) * 3_600_000);
  });

  it('names the series and the form to use when the id is unknown', () => {
    expect(() => m4Trace('m4:H0')).toThrow(TraceFormatError);
    expect(() => m4Trace('m4:H0')).toThrow(/no M4 hourly series "H0" .* m4:H1 … m4:H414/);
  });

  it('draws distinct series long enough, the same for the same seed and others for another', () => {
    const first = drawM4Traces(5, 1, 28);
    expect(new Set(first).size).toBe(5);
    expect(drawM4Traces(5, 1, 28)).toEqual(first);
    expect(drawM4Traces(5, 2, 28)).not.toEqual(first);
    for (const name of first) expect(m4Trace(name).values.length).toBeGreaterThanOrEqual(28 * 24);
    expect(() => drawM4Traces(5, 1, 60)).toThrow(/have 60 days; ask for fewer/);
  });
});
