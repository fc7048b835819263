// Held-out load: the hourly series of the M4 competition (../shared/forecast-data), replayed as traces.
// The policy was never tuned on them, so a matrix over a seeded draw of them shows whether a goal met
// on the shared traces holds on load shapes nobody looked at. `--trace m4:H17` names one series.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BacktestInputError } from '../../forecasting/input-error.ts';
import { parseM4Csv } from '../../forecasting/m4-protocol.ts';
import { seededRandom } from './seeded-random.ts';
import { type Trace, TraceFormatError } from './trace-csv.ts';

export const M4_TRACE_PREFIX = 'm4:';
/** The M4 data beside the repository (read by path, never copied in). */
export const SHARED_FORECAST_DATA_DIR = fileURLToPath(new URL('../../../shared/forecast-data/', import.meta.url));
/** M4 gives no dates: every series is replayed from a Monday midnight UTC. */
const M4_TRACE_START_MS = Date.parse('2017-01-02T00:00:00Z');
const HOUR_MS = 3_600_000;
const M4_FILES = ['Hourly-train.csv', 'Hourly-test.csv'] as const;

const loaded = new Map<string, Map<string, number[]>>();

/** Every hourly series of `dir`, its test hours after its training hours. */
function m4Hourly(dir: string): Map<string, number[]> {
  const cached = loaded.get(dir);
  if (cached) return cached;
  const [train, test] = M4_FILES.map((file) => {
    const path = join(dir, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new TraceFormatError(`${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): M4 traces need ${M4_FILES.join(' and ')} in ${dir}`);
    }
    try {
      return parseM4Csv(text, path);
    } catch (error) {
      if (error instanceof BacktestInputError) throw new TraceFormatError(error.message);
      throw error;
    }
  }) as [Map<string, number[]>, Map<string, number[]>];
  const series = new Map([...train].map(([id, values]) => [id, [...values, ...(test.get(id) ?? [])]]));
  loaded.set(dir, series);
  return series;
}

/** True for a `--trace` value that names an M4 series rather than a file. */
export function isM4TraceName(name: string): boolean {
  return name.startsWith(M4_TRACE_PREFIX);
}

/** One M4 hourly series as a trace named `m4:ID`, one point an hour from a Monday. */
export function m4Trace(name: string, dir = SHARED_FORECAST_DATA_DIR): Trace {
  const id = name.slice(M4_TRACE_PREFIX.length);
  const values = m4Hourly(dir).get(id);
  if (!values) throw new TraceFormatError(`${name}: no M4 hourly series "${id}" in ${dir}; name one as m4:H1 … m4:H414`);
  const timestampsMs = Float64Array.from(values, (_, hour) => M4_TRACE_START_MS + hour * HOUR_MS);
  return { name, timestampsMs, values: Float64Array.from(values) };
}

/** `count` distinct series (as `m4:ID`) of at least `minDays` days, drawn with `seed`: the same draw for the same seed. */
export function drawM4Traces(count: number, seed: number, minDays: number, dir = SHARED_FORECAST_DATA_DIR): string[] {
  const ids = [...m4Hourly(dir)]
    .filter(([, values]) => values.length >= minDays * 24)
    .map(([id]) => id)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (ids.length < count) throw new TraceFormatError(`only ${ids.length} M4 hourly series in ${dir} have ${minDays} days; ask for fewer or fewer days`);
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const pick = i + Math.floor(random() * (ids.length - i));
    [ids[i], ids[pick]] = [ids[pick]!, ids[i]!];
  }
  return ids.slice(0, count).map((id) => `${M4_TRACE_PREFIX}${id}`);
}
