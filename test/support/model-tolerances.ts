// How closely the simulator's gateway model (src/sim/gateway-model.ts) must agree with the real
// collector tier: docs/collector-tier.md "The simulator against the real tier" states these, and the
// unit tests (test/sim/gateway-model.test.ts) and the tier's ring-change test assert them.

/**
 * Decision tick at the calibration's unthrottled operating points: absolute, because the measured
 * means scatter by more than their own size below 4 ms (0.75, 0.67, 3.6 ms) while the scaler's
 * latency budget is hundreds of ms.
 */
export const TICK_UNTHROTTLED_TOLERANCE_MS = 2;
/**
 * Traces a ring change splits, relative: the mechanism's own 3/√n (Poisson noise of n ≈ 50 splits,
 * batching edges) plus the ring's unevenness, which moved 0.27–0.34 of the traces where the model
 * moves |ΔN|/max(N, N′) = 1/3.
 */
export const RING_CHANGE_TOLERANCE = 0.5;
/** Memory per span held: the model may be larger than the measured RSS slope (conservative) by at most this factor, never smaller. */
export const MEMORY_PER_SPAN_MAX_FACTOR = 1.5;
/**
 * Exporter queue under a failing backend, once it is full: enqueue-failed + send-failed against
 * accepted, relative (what backend-failing.test.ts asserts of the real tier).
 */
export const QUEUE_OUTAGE_TOLERANCE = 0.25;
