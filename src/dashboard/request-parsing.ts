// Turns the untrusted parts of a dashboard request (path segments, query parameters, JSON body) into
// typed values, or a BAD_REQUEST ScalerError that names the parameter and what it accepts.
import type { IncomingMessage } from 'node:http';
import { formatDuration, parseDurationSeconds } from '../config/duration.ts';
import { echoValue, ScalerError } from '../errors.ts';

/** Bodies larger than this are refused; a what-if request is a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

// Below this a number is more likely seconds since epoch (or a typo) than milliseconds.
const SMALLEST_PLAUSIBLE_EPOCH_MS = 100_000_000_000;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function badRequest(message: string): ScalerError {
  return new ScalerError('BAD_REQUEST', message);
}

/**
 * Reads a point in time the three ways people write one: an ISO 8601 instant with a zone
 * ("2024-05-01T08:00:00Z"), milliseconds since the epoch ("1714550400000"), or a Prometheus duration
 * meaning "that long before now" ("6h", "30m").
 */
export function parseInstantMs(text: string, nowMs: number, field: string): number {
  const value = text.trim();
  if (/^\d+$/.test(value)) {
    const ms = Number(value);
    if (!Number.isSafeInteger(ms) || ms < SMALLEST_PLAUSIBLE_EPOCH_MS) {
      throw badRequest(`${field} "${echoValue(text)}" is not milliseconds since the epoch (seconds? multiply by 1000); or give an ISO time like 2024-05-01T08:00:00Z or a duration before now like 6h`);
    }
    return ms;
  }
  if (ISO_INSTANT.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  const seconds = parseDurationSeconds(value);
  if (seconds !== undefined) return nowMs - seconds * 1000;
  throw badRequest(`${field} "${echoValue(text)}" is not a time: give an ISO time with a zone like 2024-05-01T08:00:00Z, milliseconds since the epoch, or a duration before now like 6h`);
}

/** A Prometheus duration in seconds, bounded; the message says which field and range. */
export function parseStepSeconds(text: string, field: string, bounds: { minSeconds: number; maxSeconds: number }): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined || seconds < bounds.minSeconds || seconds > bounds.maxSeconds) {
    throw badRequest(`${field} "${echoValue(text)}" must be a duration like "30s" or "1m" between ${formatDuration(bounds.minSeconds)} and ${formatDuration(bounds.maxSeconds)}`);
  }
  return seconds;
}

/** Query parameters, refusing names the endpoint does not know and repeated names (which would be ambiguous). */
export function readQuery(url: URL, allowed: readonly string[]): Readonly<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (!allowed.includes(name)) {
      throw badRequest(`unknown query parameter "${echoValue(name)}"; ${allowed.length === 0 ? 'this path takes none' : `allowed: ${allowed.join(', ')}`}`);
    }
    if (name in values) throw badRequest(`query parameter "${echoValue(name)}" is given more than once`);
    values[name] = value;
  }
  return values;
}

/** Splits a URL path into decoded segments; a bad percent-encoding is the client's error, not a crash. */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw badRequest(`path segment "${echoValue(segment)}" is not valid percent-encoding`);
      }
    });
}

/** Reads and parses a JSON object body of at most MAX_BODY_BYTES. */
export async function readJsonObject(request: IncomingMessage): Promise<Readonly<Record<string, unknown>>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw badRequest(`request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`request body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('request body must be a JSON object');
  return value as Record<string, unknown>;
}
