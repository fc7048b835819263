// Durations in config and scalerMetadata use Prometheus' notation ("500ms", "30s", "2m", "1h", "14d")
// so the same strings work in PromQL range selectors and in our own settings. The parser is the
// forecasting package's (it reads the calendar's durations in the same notation and imports nothing
// from src/); the name here is the one config code reads as a parse.

/** Parses a Prometheus-style duration into seconds; returns undefined when the text is not one. */
export { durationSeconds as parseDurationSeconds } from '../../forecasting/duration.ts';

/** Formats seconds back into the shortest exact Prometheus duration ("90s" stays "90s", 120 → "2m"). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (seconds >= size && Number.isInteger(seconds / size)) return `${seconds / size}${unit}`;
  }
  return `${Math.round(seconds * 1000)}ms`;
}
