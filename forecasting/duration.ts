// Durations in the notation the server config uses everywhere ("90s", "30m", "8h", "1d", "2w"):
// Prometheus' single-unit form. forecasting/ depends on nothing in src/, so it reads them itself.

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Seconds in a duration such as "8h"; undefined when the text is not a positive duration. */
export function durationSeconds(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
