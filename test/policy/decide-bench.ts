// Cost of one decide() call in the closed loop the simulator runs: a snapshot observed at `now`, load
// varying, the state carried from call to call. Not a test (no timed assertions): run it by hand with
//   npx tsx test/policy/decide-bench.ts
import { decide } from '../../src/policy/decide.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

const WARM_UP = 20_000;
const MEASURED = 200_000;
const POLL_MS = 30_000;

const target = settings();
const shapes = Array.from({ length: 1000 }, (_, i) =>
  snapshot({ signals: { currentReplicas: 10, acceptedSpansPerSecond: 50_000 + (i % 50) * 2_000, queueFillMax: (i % 10) / 10 } }),
);

function run(calls: number): void {
  let state: PolicyState | undefined;
  for (let i = 0; i < calls; i++) {
    const nowMs = T0_MS + i * POLL_MS;
    state = decide({ nowMs, snapshot: { ...shapes[i % shapes.length]!, observedAtMs: nowMs } }, target, state).state;
  }
}

run(WARM_UP);
const started = process.hrtime.bigint();
run(MEASURED);
const elapsedNs = Number(process.hrtime.bigint() - started);
console.log(`${MEASURED} decisions in ${(elapsedNs / 1e6).toFixed(0)} ms: ${(elapsedNs / MEASURED / 1000).toFixed(2)} µs per decide()`);
