// The event calendar: windows of known load declared in the server config's `calendar:` section
// (src/config/server-config.ts: name, cron, duration, loadMultiplier?, minReplicas?, targets?).
// A window opens each time its cron expression fires (node-cron syntax, UTC) and stays open for
// its duration. While windows overlap, the LARGEST loadMultiplier and the LARGEST minReplicas
// apply (not the product): overlapping declarations such as "weekday business hours ×1.5" and
// "release day ×2" describe the same traffic from two angles, and multiplying them would provision
// for load nobody declared.
import { type CronSchedule, CronSyntaxError, nextCronMatch, parseCron, previousCronMatch } from './cron.ts';
import { durationSeconds } from './duration.ts';

/** One window as written in the config (the same fields the server config schema accepts). */
export interface CalendarWindowConfig {
  readonly name: string;
  readonly cron: string;
  readonly duration: string;
  readonly loadMultiplier?: number;
  readonly minReplicas?: number;
  /** "namespace/name" of the targets it applies to; every target when not set. */
  readonly targets?: readonly string[];
}

export interface CalendarWindow {
  readonly name: string;
  readonly schedule: CronSchedule;
  readonly durationSeconds: number;
  readonly loadMultiplier: number | undefined;
  readonly minReplicas: number | undefined;
  readonly targets: readonly string[] | undefined;
}

/** A config window that cannot be used; the message names the window, the field and the fix. */
export class CalendarConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalendarConfigError';
  }
}

const KNOWN_FIELDS = ['name', 'cron', 'duration', 'loadMultiplier', 'minReplicas', 'targets'];
const TARGET = /^[^/\s]+\/[^/\s]+$/;
/** Bounds shared with the server config schema. */
const MAX_LOAD_MULTIPLIER = 100;
const MAX_MIN_REPLICAS = 10_000;

function parseWindow(raw: unknown, index: number, seen: Set<string>): CalendarWindow {
  const where = `calendar[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CalendarConfigError(`${where}: must be a mapping with name, cron, duration and loadMultiplier and/or minReplicas`);
  }
  const entry = raw as Record<string, unknown>;
  const name = entry.name;
  if (typeof name !== 'string' || name.trim() === '') throw new CalendarConfigError(`${where}.name: must be a non-empty string`);
  const label = `${where} "${name}"`;
  if (seen.has(name)) throw new CalendarConfigError(`${label}.name: another window already has this name; names must be unique`);
  seen.add(name);
  for (const key of Object.keys(entry)) {
    if (!KNOWN_FIELDS.includes(key)) throw new CalendarConfigError(`${label}: unknown field "${key}"; allowed: ${KNOWN_FIELDS.join(', ')}`);
  }
  if (typeof entry.cron !== 'string') throw new CalendarConfigError(`${label}.cron: must be a cron expression such as "0 9 * * mon-fri"`);
  let schedule: CronSchedule;
  try {
    schedule = parseCron(entry.cron);
  } catch (error) {
    if (error instanceof CronSyntaxError) throw new CalendarConfigError(`${label}.cron: ${error.message}`);
    throw error;
  }
  const duration = typeof entry.duration === 'string' ? durationSeconds(entry.duration) : undefined;
  if (duration === undefined) {
    throw new CalendarConfigError(`${label}.duration: must be a duration like "30m", "8h" or "1d", got ${JSON.stringify(entry.duration)}`);
  }
  const loadMultiplier = entry.loadMultiplier;
  if (loadMultiplier !== undefined && (typeof loadMultiplier !== 'number' || !(loadMultiplier > 0) || loadMultiplier > MAX_LOAD_MULTIPLIER)) {
    throw new CalendarConfigError(`${label}.loadMultiplier: must be a number > 0 and ≤ ${MAX_LOAD_MULTIPLIER}, got ${JSON.stringify(loadMultiplier)}`);
  }
  const minReplicas = entry.minReplicas;
  if (minReplicas !== undefined && (typeof minReplicas !== 'number' || !Number.isInteger(minReplicas) || minReplicas < 1 || minReplicas > MAX_MIN_REPLICAS)) {
    throw new CalendarConfigError(`${label}.minReplicas: must be an integer ≥ 1 and ≤ ${MAX_MIN_REPLICAS}, got ${JSON.stringify(minReplicas)}`);
  }
  if (loadMultiplier === undefined && minReplicas === undefined) {
    throw new CalendarConfigError(`${label}: needs loadMultiplier or minReplicas (or both); a window without either changes nothing`);
  }
  const targets = entry.targets;
  if (targets !== undefined && (!Array.isArray(targets) || targets.some((target) => typeof target !== 'string' || !TARGET.test(target)))) {
    throw new CalendarConfigError(`${label}.targets: must be a list of "namespace/name" strings, got ${JSON.stringify(targets)}`);
  }
  return {
    name,
    schedule,
    durationSeconds: duration,
    loadMultiplier: loadMultiplier as number | undefined,
    minReplicas: minReplicas as number | undefined,
    targets: targets as string[] | undefined,
  };
}

/** Validates the `calendar:` section (a list of windows); throws CalendarConfigError on the first bad field. */
export function parseCalendar(raw: unknown): readonly CalendarWindow[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new CalendarConfigError('calendar: must be a list of windows');
  const seen = new Set<string>();
  return raw.map((entry, index) => parseWindow(entry, index, seen));
}

/** One opening of a window: [startMs, endMs). */
export interface WindowOccurrence {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly loadMultiplier: number | undefined;
  readonly minReplicas: number | undefined;
}

function appliesTo(window: CalendarWindow, target: string | undefined): boolean {
  return window.targets === undefined || target === undefined || window.targets.includes(target);
}

function occurrence(window: CalendarWindow, startMs: number, endMs: number): WindowOccurrence {
  return { name: window.name, startMs, endMs, loadMultiplier: window.loadMultiplier, minReplicas: window.minReplicas };
}

/**
 * Windows open at `atMs` for `target` ("namespace/name"; undefined = regardless of targets): those
 * whose latest firing at or before atMs is less than their duration ago. startMs is that firing.
 */
export function activeWindowsAt(calendar: readonly CalendarWindow[], atMs: number, target?: string): WindowOccurrence[] {
  const open: WindowOccurrence[] = [];
  for (const window of calendar) {
    if (!appliesTo(window, target)) continue;
    const durationMs = window.durationSeconds * 1000;
    const start = previousCronMatch(window.schedule, atMs, atMs - durationMs + 1);
    if (start !== undefined) open.push(occurrence(window, start, start + durationMs));
  }
  return open;
}

/**
 * Every stretch of time within [fromMs, toMs) during which each window is open, for `target`.
 * Firings that overlap or touch merge into one stretch (a "* * * * *" window of 1h is one long
 * stretch, not sixty). A stretch still open at toMs ends at or after toMs. Sorted by start, then name.
 */
export function windowsBetween(calendar: readonly CalendarWindow[], fromMs: number, toMs: number, target?: string): WindowOccurrence[] {
  const out: WindowOccurrence[] = [];
  for (const window of calendar) {
    if (!appliesTo(window, target)) continue;
    const durationMs = window.durationSeconds * 1000;
    let start = nextCronMatch(window.schedule, fromMs - durationMs + 1, toMs);
    while (start !== undefined) {
      let end = start + durationMs;
      // Extend over every firing that starts before the stretch ends, jumping to the latest one;
      // a stretch is followed only until it passes toMs.
      while (end < toMs) {
        const latest = previousCronMatch(window.schedule, end, start + 1);
        if (latest === undefined || latest + durationMs <= end) break;
        end = latest + durationMs;
      }
      out.push(occurrence(window, start, end));
      start = end < toMs ? nextCronMatch(window.schedule, end + 1, toMs) : undefined;
    }
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.name.localeCompare(b.name));
}

/** What the open windows ask of the scaler together. */
export interface CalendarEffect {
  /** Largest loadMultiplier among open windows; 1 when none sets one. */
  readonly loadMultiplier: number;
  /** Largest minReplicas among open windows; undefined when none sets one. */
  readonly minReplicas: number | undefined;
  /** Names of the open windows, for the decision's reason. */
  readonly windows: readonly string[];
}

/** Combines overlapping windows: the largest multiplier and the largest minimum win (see the file comment). */
export function combineWindows(open: readonly WindowOccurrence[]): CalendarEffect {
  const multipliers = open.map((window) => window.loadMultiplier).filter((value): value is number => value !== undefined);
  const minimums = open.map((window) => window.minReplicas).filter((value): value is number => value !== undefined);
  return {
    loadMultiplier: multipliers.length > 0 ? Math.max(...multipliers) : 1,
    minReplicas: minimums.length > 0 ? Math.max(...minimums) : undefined,
    windows: open.map((window) => window.name),
  };
}

/** The calendar's effect at one instant for one target: activeWindowsAt then combineWindows. */
export function calendarEffectAt(calendar: readonly CalendarWindow[], atMs: number, target?: string): CalendarEffect {
  return combineWindows(activeWindowsAt(calendar, atMs, target));
}
