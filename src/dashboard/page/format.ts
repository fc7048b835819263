// Number and time formatting for the page: short, unit-bearing, and the same everywhere. Times are
// UTC, labelled, on the scaler's clock (the simulated one in the demo).
import type { ClockKind } from '../target-views.ts';

const withoutTrailingZeros = (text: string) => (text.includes('.') ? text.replace(/\.?0+$/, '') : text);

/** 12345 → "12.3k", 450000 → "450k", 0.5 → "0.5", null → "–". */
export function formatNumber(value: number | null | undefined, fractionDigits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${withoutTrailingZeros((value / 1e9).toFixed(fractionDigits))}G`;
  if (magnitude >= 1e6) return `${withoutTrailingZeros((value / 1e6).toFixed(fractionDigits))}M`;
  if (magnitude >= 1e4) return `${withoutTrailingZeros((value / 1e3).toFixed(fractionDigits))}k`;
  if (Number.isInteger(value)) return String(value);
  return magnitude >= 100 ? value.toFixed(0) : withoutTrailingZeros(value.toPrecision(3));
}

export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const percent = ratio * 100;
  return `${percent >= 10 || percent === 0 ? percent.toFixed(0) : percent.toPrecision(2)}%`;
}

/** Seconds → "45 s", "12 min", "3.5 h". */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

let clock: ClockKind = 'wall';
let serverNowMs: number | undefined;

/**
 * Which clock the scaler's times are on (the embedded demo runs a simulated one) and its current time;
 * set from every API answer that says so. Every time on the page is printed in UTC with this label.
 */
export function setClock(kind: ClockKind, nowMs: number): void {
  clock = kind;
  serverNowMs = nowMs;
  const note = document.getElementById('clock-note');
  if (note) note.textContent = kind === 'simulated' ? 'times in UTC on the demo’s simulated clock' : 'times in UTC';
}

/** "UTC", or "UTC, simulated" in the demo: the label every time and time axis carries. */
export function clockLabel(): string {
  return clock === 'simulated' ? 'UTC, simulated' : 'UTC';
}

const utc = (ms: number) => new Date(ms).toISOString();

/** "2024-05-06 08:41:02 UTC": the date always, for windows and lists that may span days. */
export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const iso = utc(ms);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} ${clockLabel()}`;
}

/** "08:41:02 UTC", with the date in front when it is not the scaler's current day. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const sameDay = serverNowMs !== undefined && utc(ms).slice(0, 10) === utc(serverNowMs).slice(0, 10);
  return sameDay ? `${utc(ms).slice(11, 19)} ${clockLabel()}` : formatDateTime(ms);
}

/** A value with the unit the API gives it, ratios as percentages. */
export function formatWithUnit(value: number, unit: string): string {
  if (unit === 'ratio') return formatPercent(value);
  if (unit === 'replicas') return String(value);
  return `${formatNumber(value)} ${unit}`;
}
