// Durations in config and scalerMetadata use Prometheus' notation ("500ms", "30s", "2m", "1h", "14d")
// so the same strings work in PromQL range selectors and in our own settings.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Parses a Prometheus-style duration into seconds; returns undefined when the text is not one. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]!]!;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** Formats seconds back into the shortest exact Prometheus duration ("90s" stays "90s", 120 → "2m"). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (seconds >= size && Number.isInteger(seconds / size)) return `${seconds / size}${unit}`;
  }
  return `${Math.round(seconds * 1000)}ms`;
}
