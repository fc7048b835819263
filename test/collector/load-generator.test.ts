// The load generator's trace IDs, as a gateway's tail-sampling decision cache sees them: that cache is
// keyed by the right half of the trace ID, so a right half one run repeats from an earlier run against
// the same gateway is released on the earlier trace's decision instead of being held (the calibration
// runs several generators against one gateway).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BackendSink, startBackendSink } from './support/backend-sink.ts';
import { type LoadGenerator, startLoadGenerator } from './support/load-generator.ts';

let sink: BackendSink;
beforeAll(async () => {
  sink = await startBackendSink();
});
afterAll(async () => {
  await sink?.stop();
});

async function runGenerator(): Promise<LoadGenerator> {
  const load = startLoadGenerator([sink.endpoint], { tracesPerSecond: 200, spansPerTrace: 2, traceDurationMs: 100 });
  await sleep(500);
  await load.stop();
  return load;
}

it('no two traces share the right half of their trace ID, within one run or across two runs', async () => {
  const first = [...(await runGenerator()).completeTraces.keys()];
  const second = [...(await runGenerator()).completeTraces.keys()];
  expect(first.length).toBeGreaterThan(20);
  expect(second.length).toBeGreaterThan(20);
  const sent = [...first, ...second];
  // What the sink received is what was sent: the IDs checked are the ones on the wire.
  expect(sent.filter((traceId) => !sink.traces.has(traceId))).toEqual([]);
  const rightHalves = new Set(sent.map((traceId) => traceId.slice(16)));
  expect(rightHalves.size).toBe(sent.length);
});

it('reads back from each trace ID the order its generator started it in, as ring-change.test.ts does', async () => {
  const load = await runGenerator();
  const sequences = [...load.completeTraces.keys()].map((traceId) => load.sequenceOf(traceId)).sort((a, b) => a - b);
  expect(sequences.length).toBeGreaterThan(20);
  expect(sequences).toEqual(Array.from({ length: load.startedTraces() }, (_, index) => index + 1));
});
