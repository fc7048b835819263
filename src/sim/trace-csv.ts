// Workload traces (the public traces docs/benchmark.md describes): CSV `timestamp,value` with ISO-8601 timestamps
// and an empty value where the source had no data. Parsing is strict so a wrong file fails with the
// line and the fix, never with a silently shifted or zero-filled load.

/** A parsed trace: points in time order; `values[i]` is NaN where the file had no data. */
export interface Trace {
  readonly name: string;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

/** Thrown for a malformed trace file; the CLI turns it into exit code 2. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses CSV text; `name` is used in errors and reports (usually the file name). */
export function parseTraceCsv(text: string, name: string): Trace {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim().toLowerCase();
  if (header !== 'timestamp,value') {
    throw new TraceFormatError(`${name}: line 1 must be the header "timestamp,value", got "${lines[0] ?? ''}"`);
  }
  const timestamps: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const fields = line.split(',');
    if (fields.length !== 2) throw new TraceFormatError(`${name}: line ${i + 1} must have two fields "timestamp,value", got "${line}"`);
    const [stamp, raw] = fields as [string, string];
    if (!ISO_TIMESTAMP.test(stamp)) {
      throw new TraceFormatError(`${name}: line ${i + 1} timestamp must be ISO-8601 with a zone, e.g. 2015-03-26T14:00:00Z, got "${stamp}"`);
    }
    const timestampMs = Date.parse(stamp);
    if (!Number.isFinite(timestampMs)) throw new TraceFormatError(`${name}: line ${i + 1} timestamp "${stamp}" is not a valid date`);
    const previous = timestamps[timestamps.length - 1];
    if (previous !== undefined && timestampMs <= previous) {
      throw new TraceFormatError(`${name}: line ${i + 1} timestamp ${stamp} is not after the previous one; rows must be in time order without duplicates`);
    }
    let value = Number.NaN;
    if (raw.trim() !== '') {
      if (!NUMBER.test(raw.trim())) throw new TraceFormatError(`${name}: line ${i + 1} value must be a number ≥ 0 or empty (no data), got "${raw}"`);
      value = Number(raw);
    }
    timestamps.push(timestampMs);
    values.push(value);
  }
  if (timestamps.length < 2) throw new TraceFormatError(`${name}: needs at least two data rows after the header`);
  const trace: Trace = { name, timestampsMs: Float64Array.from(timestamps), values: Float64Array.from(values) };
  if (!(tracePeak(trace) > 0)) throw new TraceFormatError(`${name}: every value is empty or 0; the trace needs some load`);
  return trace;
}

/** The largest value with data. */
export function tracePeak(trace: Trace): number {
  let peak = Number.NEGATIVE_INFINITY;
  for (const value of trace.values) if (value > peak) peak = value;
  return peak;
}

const DAY_MS = 86_400_000;

/** The first `days` days of a trace (all of it when shorter), named so reports say which window ran. */
export function traceWindow(trace: Trace, days: number): Trace {
  const endMs = trace.timestampsMs[0]! + days * DAY_MS;
  let n = 0;
  while (n < trace.timestampsMs.length && trace.timestampsMs[n]! < endMs) n++;
  if (n === trace.timestampsMs.length) return trace;
  if (n < 2) throw new TraceFormatError(`${trace.name}: the first ${days} days hold fewer than two data rows`);
  return { name: `${trace.name} (first ${days} days)`, timestampsMs: trace.timestampsMs.slice(0, n), values: trace.values.slice(0, n) };
}
