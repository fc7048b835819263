// Number and time formatting for the page: short, unit-bearing, and the same everywhere.

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

/** Local date and time, without the date when it is today. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const date = new Date(ms);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return date.toDateString() === new Date().toDateString() ? time : `${date.toLocaleDateString()} ${time}`;
}

/** A value with the unit the API gives it, ratios as percentages. */
export function formatWithUnit(value: number, unit: string): string {
  if (unit === 'ratio') return formatPercent(value);
  if (unit === 'replicas') return String(value);
  return `${formatNumber(value)} ${unit}`;
}
