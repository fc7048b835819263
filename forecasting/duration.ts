// Durations in the notation the server config uses everywhere ("90s", "30m", "8h", "1d", "2w", "1h30m"):
// exactly what Prometheus accepts (prometheus/common model.ParseDuration): whole numbers, units from
// the largest down, each at most once; no fractions ("1.5m") and no spaces. forecasting/ depends on
// nothing in src/, so it reads them itself.

const UNIT_SECONDS: Readonly<Record<string, number>> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3600, m: 60, s: 1, ms: 0.001 };
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS_IN_ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;

/** Seconds in a duration such as "8h"; undefined when the text is not a positive Prometheus duration. */
export function durationSeconds(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  let seconds = 0;
  UNITS_IN_ORDER.forEach((unit, index) => {
    if (match[index + 1] !== undefined) seconds += Number(match[index + 1]) * UNIT_SECONDS[unit]!;
  });
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}
