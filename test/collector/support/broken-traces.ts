// What reached the backend of the traces a load generator sent whole: the count a drain or a ring
// change is judged by.
import type { BackendSink } from './backend-sink.ts';
import type { LoadGenerator } from './load-generator.ts';

/** Traces sent whole that the sink never saw (missing) or saw only part of (short). */
export interface BrokenTraces {
  readonly missing: number;
  readonly short: number;
}

/** Broken traces among those the generator started with sequence in [from, to); every trace without a range. */
export function brokenTraces(load: Pick<LoadGenerator, 'completeTraces' | 'sequenceOf'>, sink: Pick<BackendSink, 'traces'>, range?: { readonly from: number; readonly to: number }): BrokenTraces {
  let missing = 0;
  let short = 0;
  for (const [traceId, spans] of load.completeTraces) {
    if (range !== undefined) {
      const sequence = load.sequenceOf(traceId);
      if (sequence < range.from || sequence >= range.to) continue;
    }
    const record = sink.traces.get(traceId);
    if (!record) missing++;
    else if (record.spans < spans) short++;
  }
  return { missing, short };
}
