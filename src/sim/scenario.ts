// Scenario windows on top of a trace: backend outages (`--outage 2x30m`), the slow recovery after each
// (`--slow-recovery 30m@1.1`) and load bursts (`--burst 2x15m@1.8`), placed reproducibly from the seed. Each window goes at a random offset
// inside its own equal slice of the run (after a warm-up), so windows never overlap and spread out.
import { formatDuration, parseDurationSeconds } from '../config/duration.ts';
import { seededRandom } from './seeded-random.ts';

export interface TimeWindow {
  readonly startMs: number;
  readonly endMs: number;
}

export interface BurstWindow extends TimeWindow {
  readonly multiplier: number;
}

export interface WindowSpec {
  readonly count: number;
  readonly durationSeconds: number;
}

export interface BurstSpec extends WindowSpec {
  readonly multiplier: number;
}

/** After each outage, the backend takes at most `loadMultiple` × what the queues receive, for `durationSeconds`. */
export interface SlowRecoverySpec {
  readonly durationSeconds: number;
  readonly loadMultiple: number;
}

export interface SlowRecoveryWindow extends TimeWindow {
  readonly loadMultiple: number;
}

/** Thrown for a malformed scenario flag; the CLI turns it into exit code 2. */
export class ScenarioSpecError extends Error {
  override readonly name = 'ScenarioSpecError';
}

const MAX_WINDOWS = 1000;
const DAY_MS = 86_400_000;
/** Salt that separates the burst stream from the outage stream of the same seed. */
const BURST_SEED_SALT = 0x5bd1e995;
/** Salt of the scrape-down stream. */
const SCRAPE_DOWN_SEED_SALT = 0x27d4eb2f;
/** Salt of the scaler-restart stream. */
const SCALER_RESTART_SEED_SALT = 0x165667b1;

function parseWindowSpec(text: string, flag: string, example: string): WindowSpec {
  const match = /^(\d+)x(.+)$/.exec(text.trim());
  const count = match ? Number(match[1]) : Number.NaN;
  const durationSeconds = match ? parseDurationSeconds(match[2]!) : undefined;
  if (!match || !Number.isInteger(count) || count < 1 || count > MAX_WINDOWS || durationSeconds === undefined) {
    throw new ScenarioSpecError(`${flag} must be COUNTxDURATION with COUNT 1..${MAX_WINDOWS} and a duration like 30m or 2h, e.g. ${example}; got "${text}"`);
  }
  return { count, durationSeconds };
}

/** `2x30m` → two windows of 30 minutes. */
export function parseOutageSpec(text: string): WindowSpec {
  return parseWindowSpec(text, '--outage', '2x30m');
}

/** `1x20m` → one 20-minute window in which half the gateways' scrape targets are down. */
export function parseScrapeDownSpec(text: string): WindowSpec {
  return parseWindowSpec(text, '--scrape-down', '1x20m');
}

/** `28x1m` → 28 restarts of this project's scaler, each down for a minute (KEDA's polls fail, the HPA keeps the count) and then back with no process memory. */
export function parseScalerRestartSpec(text: string): WindowSpec {
  return parseWindowSpec(text, '--scaler-restarts', '28x1m');
}

/** Share of the ready gateways whose scrapes fail during a scrape-down window (a lost Prometheus shard, a NetworkPolicy). */
export const SCRAPE_DOWN_SHARE = 0.5;

/** `2x15m@1.8` → two 15-minute windows at 1.8× the trace's load. */
export function parseBurstSpec(text: string): BurstSpec {
  const { window, multiple: multiplier } = splitAtMultiple(text);
  if (window === undefined || !(Number.isFinite(multiplier) && multiplier > 0 && multiplier <= 100)) {
    throw new ScenarioSpecError(`--burst must be COUNTxDURATION@MULTIPLIER with a multiplier in (0, 100], e.g. 2x15m@1.8; got "${text}"`);
  }
  return { ...parseWindowSpec(window, '--burst', '2x15m@1.8'), multiplier };
}

/** `30m@1.1` → for 30 minutes after each outage the backend takes 1.1 × what the queues receive. */
export function parseSlowRecoverySpec(text: string): SlowRecoverySpec {
  const { window, multiple: loadMultiple } = splitAtMultiple(text);
  const durationSeconds = window === undefined ? undefined : parseDurationSeconds(window.trim());
  if (durationSeconds === undefined || !(durationSeconds > 0) || !(Number.isFinite(loadMultiple) && loadMultiple > 1 && loadMultiple <= 100)) {
    throw new ScenarioSpecError(`--slow-recovery must be DURATION@MULTIPLE with a duration like 30m and a multiple of what the queues receive in (1, 100] (at 1 or below the backlog never drains), e.g. 30m@1.1; got "${text}"`);
  }
  return { durationSeconds, loadMultiple };
}

/** `WINDOW@MULTIPLE` split at its last `@`: no window and a NaN multiple when there is none. */
function splitAtMultiple(text: string): { window: string | undefined; multiple: number } {
  const at = text.lastIndexOf('@');
  return at < 0 ? { window: undefined, multiple: Number.NaN } : { window: text.slice(0, at), multiple: Number(text.slice(at + 1)) };
}

export function describeWindowSpec(spec: WindowSpec): string {
  return `${spec.count}x${formatDuration(spec.durationSeconds)}`;
}

function placeWindows(spec: WindowSpec, startMs: number, endMs: number, random: () => number, what: string): TimeWindow[] {
  const durationMs = spec.durationSeconds * 1000;
  const warmupMs = Math.min(DAY_MS, (endMs - startMs) / 10);
  const sliceMs = (endMs - startMs - warmupMs) / spec.count;
  if (!(sliceMs >= durationMs)) {
    throw new ScenarioSpecError(
      `${what} ${describeWindowSpec(spec)} does not fit the run: ${spec.count} windows of ${formatDuration(spec.durationSeconds)} need more than ${formatDuration(Math.ceil((spec.count * durationMs + warmupMs) / 1000))}; use fewer or shorter windows`,
    );
  }
  const windows: TimeWindow[] = [];
  for (let i = 0; i < spec.count; i++) {
    const sliceStart = startMs + warmupMs + i * sliceMs;
    const offset = Math.floor((random() * (sliceMs - durationMs)) / 1000) * 1000;
    windows.push({ startMs: sliceStart + offset, endMs: sliceStart + offset + durationMs });
  }
  return windows;
}

/** Outage windows for a run [startMs, endMs), the same for every autoscaler and every run with this seed. */
export function placeOutages(spec: WindowSpec, startMs: number, endMs: number, seed: number): TimeWindow[] {
  return placeWindows(spec, startMs, endMs, seededRandom(seed), '--outage');
}

/** The windows after each outage in which the backend recovers slowly, each ended early by the next outage. */
export function slowRecoveryWindows(outages: readonly TimeWindow[], spec: SlowRecoverySpec, endMs: number): SlowRecoveryWindow[] {
  return outages.map((outage, i) => ({ startMs: outage.endMs, endMs: Math.min(outage.endMs + spec.durationSeconds * 1000, outages[i + 1]?.startMs ?? endMs, endMs), loadMultiple: spec.loadMultiple }));
}

/** Scrape-down windows, placed apart from the outages and bursts of the same seed. */
export function placeScrapeDowns(spec: WindowSpec, startMs: number, endMs: number, seed: number): TimeWindow[] {
  return placeWindows(spec, startMs, endMs, seededRandom(seed ^ SCRAPE_DOWN_SEED_SALT), '--scrape-down');
}

/** Scaler restarts (the windows it is down), placed apart from the other streams of the same seed. */
export function placeScalerRestarts(spec: WindowSpec, startMs: number, endMs: number, seed: number): TimeWindow[] {
  return placeWindows(spec, startMs, endMs, seededRandom(seed ^ SCALER_RESTART_SEED_SALT), '--scaler-restarts');
}

export function placeBursts(spec: BurstSpec, startMs: number, endMs: number, seed: number): BurstWindow[] {
  return placeWindows(spec, startMs, endMs, seededRandom(seed ^ BURST_SEED_SALT), '--burst').map((window) => ({ ...window, multiplier: spec.multiplier }));
}

/** The demo's outage on a given UTC day: `durationSeconds` long at a seeded time of that day. */
export function dailyOutage(dayStartMs: number, durationSeconds: number, seed: number): TimeWindow {
  const random = seededRandom(seed ^ Math.floor(dayStartMs / DAY_MS));
  const latestStartMs = DAY_MS - durationSeconds * 1000;
  const startMs = dayStartMs + Math.floor((random() * latestStartMs) / 1000) * 1000;
  return { startMs, endMs: startMs + durationSeconds * 1000 };
}

/** Whether `timeMs` falls in one of the windows (sorted, non-overlapping). */
/** The window holding `timeMs` (start inclusive, end exclusive), if any. */
export function windowAt<W extends TimeWindow>(windows: readonly W[], timeMs: number): W | undefined {
  for (const window of windows) if (timeMs >= window.startMs && timeMs < window.endMs) return window;
  return undefined;
}

export function inWindows(windows: readonly TimeWindow[], timeMs: number): boolean {
  return windowAt(windows, timeMs) !== undefined;
}
