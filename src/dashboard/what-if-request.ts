// The body of POST …/whatif: policy overrides (scalerMetadata keys, validated by the same schema as a
// ScaledObject's trigger) and a past window. Bounded so one request cannot ask Prometheus for more
// than one range query's worth of points (Prometheus refuses more than 11,000 per series).
import { formatDuration } from '../config/duration.ts';
import { parseTargetMetadata, type TargetSettings } from '../config/target-metadata.ts';
import type { RangeWindow } from '../signals/signal-snapshot.ts';
import { echoValue, ScalerError } from '../errors.ts';
import { parseInstantMs, parseStepSeconds } from './request-parsing.ts';
import { settingsAsMetadata } from './settings-as-metadata.ts';

/** Limits on replays (server config http.whatIf); defaults match Prometheus' own per-query point limit and a week of history. */
export interface WhatIfLimits {
  readonly maxWindowSeconds: number;
  readonly maxSteps: number;
  /** Replays running at once; more get 429. */
  readonly maxConcurrent: number;
  /** Wall time of one replay, reading history included. */
  readonly timeoutMs: number;
}

export const DEFAULT_WHAT_IF_LIMITS: WhatIfLimits = Object.freeze({ maxWindowSeconds: 7 * 86_400, maxSteps: 11_000, maxConcurrent: 2, timeoutMs: 30_000 });

/** Replay window when the request gives none: the last six hours, at the target's polling interval. */
export const DEFAULT_WHAT_IF_FROM = '6h';
const MIN_STEP_SECONDS = 1;
const MAX_STEP_SECONDS = 3600;
const BODY_KEYS = ['overrides', 'from', 'to', 'step'] as const;

export interface WhatIfRequest {
  /** The overrides as strings, exactly as they were applied. */
  readonly overrides: Readonly<Record<string, string>>;
  /** The target's settings with the overrides applied. */
  readonly settings: TargetSettings;
  readonly window: RangeWindow;
}

function badRequest(message: string): ScalerError {
  return new ScalerError('BAD_REQUEST', message);
}

function readOverrides(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw badRequest('overrides must be an object of scalerMetadata keys to values, e.g. {"targetQueueFill": "0.6"}');
  }
  const overrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') overrides[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) overrides[key] = String(value);
    else throw badRequest(`overrides.${echoValue(key)} must be a string or a number, as in scalerMetadata`);
  }
  return overrides;
}

function readText(body: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw badRequest(`${key} must be a string (ISO time, milliseconds since the epoch, or a duration before now like 6h)`);
  return value;
}

/** Validates a what-if body against a target's settings; every rejection is BAD_REQUEST or INVALID_METADATA naming the field. */
export function parseWhatIfRequest(
  body: Readonly<Record<string, unknown>>,
  settings: TargetSettings,
  nowMs: number,
  limits: WhatIfLimits = DEFAULT_WHAT_IF_LIMITS,
): WhatIfRequest {
  for (const key of Object.keys(body)) {
    if (!(BODY_KEYS as readonly string[]).includes(key)) throw badRequest(`unknown field "${echoValue(key)}" in the what-if body; allowed: ${BODY_KEYS.join(', ')}`);
  }
  const overrides = readOverrides(body.overrides);
  const replaySettings = parseTargetMetadata({ ...settingsAsMetadata(settings), ...overrides });

  const startMs = parseInstantMs(readText(body, 'from') ?? DEFAULT_WHAT_IF_FROM, nowMs, 'from');
  const toText = readText(body, 'to');
  const endMs = toText === undefined ? nowMs : parseInstantMs(toText, nowMs, 'to');
  const stepText = body.step === undefined ? formatDuration(replaySettings.pollingIntervalSeconds) : body.step;
  if (typeof stepText !== 'string') throw badRequest('step must be a duration string like "30s"');
  const stepSeconds = parseStepSeconds(stepText, 'step', { minSeconds: MIN_STEP_SECONDS, maxSeconds: MAX_STEP_SECONDS });
  if (stepSeconds > replaySettings.staleAfterSeconds) {
    // The policy treats a gap between evaluations longer than staleAfter as nobody watching the load,
    // so every replayed step would restart the scale-in window and the replay would never scale in.
    throw badRequest(
      `step ${stepText} is longer than staleAfter (${formatDuration(replaySettings.staleAfterSeconds)}): the replayed policy would see a gap at every step and never scale in; use step ≤ ${formatDuration(replaySettings.staleAfterSeconds)} or override staleAfter`,
    );
  }

  if (endMs > nowMs) throw badRequest(`to (${new Date(endMs).toISOString()}) is in the future; a what-if replays the past`);
  if (startMs >= endMs) throw badRequest(`from (${new Date(startMs).toISOString()}) must be before to (${new Date(endMs).toISOString()})`);
  const windowSeconds = (endMs - startMs) / 1000;
  if (windowSeconds > limits.maxWindowSeconds) {
    throw badRequest(`the window from..to spans ${formatDuration(Math.ceil(windowSeconds))}; at most ${formatDuration(limits.maxWindowSeconds)} can be replayed`);
  }
  const steps = Math.floor(windowSeconds / stepSeconds) + 1;
  if (steps > limits.maxSteps) {
    const smallestStepSeconds = Math.ceil(windowSeconds / (limits.maxSteps - 1));
    throw badRequest(`step ${stepText} gives ${steps} steps over the window; at most ${limits.maxSteps}: use step ≥ ${formatDuration(smallestStepSeconds)} or a shorter window`);
  }
  return { overrides, settings: replaySettings, window: { startMs, endMs, stepSeconds } };
}
