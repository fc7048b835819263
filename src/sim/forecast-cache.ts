// Forecast fits kept on disk for the benchmark. A refit of scaler-forecast is most of a run's time, and
// the history it fits (accepted spans/s) is the same from run to run whenever the fleet accepted the
// same spans: another policy, another condition of the matrix or the same command again. The key is
// everything forecast() reads (the history's bytes, its step and start, the options) plus the
// forecasting code itself, so a cached fit is the fit forecast() would compute, not an approximation.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { type ForecastResult, forecast } from '../../forecasting/forecast.ts';

/** forecast() or a stand-in that answers exactly what it would. */
export type Forecaster = typeof forecast;

/** $XDG_CACHE_HOME (or ~/.cache)/otel-gateway-scaler/forecast-fits: outside the repository. */
export function defaultForecastCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'otel-gateway-scaler', 'forecast-fits');
}

const FORECASTING_DIR = fileURLToPath(new URL('../../forecasting/', import.meta.url));
const SIMPLE_STATISTICS_MANIFEST = fileURLToPath(new URL('../../node_modules/simple-statistics/package.json', import.meta.url));

function readOrEmpty(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

let codeVersion: string | undefined;

/**
 * What the fits depend on besides their input: every source file of the forecasting package, the
 * statistics library's version and the runtime's (its Math functions). Any change makes new keys.
 */
function forecastingCodeVersion(): string {
  if (codeVersion !== undefined) return codeVersion;
  const hash = createHash('sha256');
  for (const name of readdirSync(FORECASTING_DIR).filter((file) => file.endsWith('.ts')).sort()) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(FORECASTING_DIR, name)));
  }
  hash.update(readOrEmpty(SIMPLE_STATISTICS_MANIFEST));
  hash.update(process.version);
  codeVersion = hash.digest('hex');
  return codeVersion;
}

/** What one cache did in a run (for the speed benchmark). */
export interface ForecastCacheStats {
  hits: number;
  misses: number;
  /** Fits that could not be written (a read-only or full disk); they were computed and used all the same. */
  writeFailures: number;
}

/**
 * forecast() through a cache in `dir`. Only histories given as a Float64Array (what the refresher
 * builds) are cached; anything else is computed. A file that cannot be read back is computed again
 * and rewritten; a file is written under a temporary name and renamed, so parallel runs (the matrix's
 * workers) never read half a file.
 */
export function cachedForecaster(dir: string): { readonly forecast: Forecaster; readonly stats: ForecastCacheStats } {
  const stats: ForecastCacheStats = { hits: 0, misses: 0, writeFailures: 0 };
  let created = false;
  const cached: Forecaster = (history, options) => {
    if (!(history.values instanceof Float64Array)) return forecast(history, options);
    const values = history.values;
    const key = createHash('sha256')
      .update(forecastingCodeVersion())
      .update(JSON.stringify([history.stepSeconds, history.startMs ?? null, options]))
      .update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
      .digest('hex');
    const path = join(dir, key.slice(0, 2), `${key}.v8`);
    try {
      const result = deserialize(readFileSync(path)) as ForecastResult;
      stats.hits++;
      return result;
    } catch {
      // Not cached yet, or unreadable: compute it.
    }
    stats.misses++;
    const result = forecast(history, options);
    try {
      if (!created) mkdirSync(dir, { recursive: true });
      created = true;
      mkdirSync(join(dir, key.slice(0, 2)), { recursive: true });
      const temporary = `${path}.${randomUUID()}.tmp`;
      writeFileSync(temporary, serialize(result));
      renameSync(temporary, path);
    } catch {
      stats.writeFailures++;
    }
    return result;
  };
  return { forecast: cached, stats };
}
