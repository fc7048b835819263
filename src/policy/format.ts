// Number formatting for the sentences a decision carries. Locale-free on purpose: the same input gives
// the same text on every machine, so decisions stay deterministic and diffable.

/** 1734 → "1,734". */
export function formatCount(value: number): string {
  const rounded = Math.round(value);
  const sign = rounded < 0 ? '-' : '';
  const digits = String(Math.abs(rounded));
  if (digits.length <= 3) return sign + digits;
  // From 1e21 on String() writes an exponent; the pattern groups whatever digit runs it has.
  if (!(Math.abs(rounded) < 1e21)) return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  // Every decision formats several counts: a plain run of digits is grouped by slicing, without the regex.
  const head = digits.length % 3 || 3;
  let grouped = digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
  return sign + grouped;
}

/** Two significant figures for estimates: 1734 → "1,700", 86 → "86". */
export function formatApproximate(value: number): string {
  if (Math.abs(value) < 100) return formatCount(value);
  const magnitude = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 1);
  return formatCount(Math.round(value / magnitude) * magnitude);
}

/** 0.123 → "12%", 0.004 → "0.4%". */
export function formatPercent(ratio: number): string {
  const percent = ratio * 100;
  if (percent !== 0 && Math.abs(percent) < 1) return `${Math.round(percent * 10) / 10}%`;
  return `${Math.round(percent)}%`;
}

/** 83_400 → "83k spans/s", 1_250 → "1.3k spans/s", 12 → "12 spans/s". */
export function formatSpansPerSecond(spansPerSecond: number): string {
  return `${formatRate(spansPerSecond)} spans/s`;
}

/** A per-second rate without its unit, in the same shape as formatSpansPerSecond. */
export function formatRate(perSecond: number): string {
  const magnitude = Math.abs(perSecond);
  if (magnitude >= 1e6) return `${Math.round(perSecond / 1e5) / 10}M`;
  if (magnitude >= 10_000) return `${Math.round(perSecond / 1000)}k`;
  if (magnitude >= 1000) return `${Math.round(perSecond / 100) / 10}k`;
  if (magnitude >= 10 || magnitude === 0) return String(Math.round(perSecond));
  return String(Math.round(perSecond * 10) / 10);
}

/** 90 → "90s", 150 → "2m30s", 7200 → "2h". */
export function formatSeconds(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 120) return `${whole}s`;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h${minutes}m` : `${hours}h`;
  return rest > 0 ? `${minutes}m${rest}s` : `${minutes}m`;
}

/** 912.4 → "912 ms", 4.25 → "4.3 ms". */
export function formatMilliseconds(ms: number): string {
  return ms >= 10 ? `${Math.round(ms)} ms` : `${Math.round(ms * 10) / 10} ms`;
}
