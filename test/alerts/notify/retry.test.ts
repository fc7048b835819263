import { describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../../src/alerts/notify/alert-notice.ts';
import { backoffDelayMs, type DeliveryResult, deliverWithRetry, type RetryPolicy } from '../../../src/alerts/notify/retry.ts';

const policy: RetryPolicy = { attemptTimeoutMs: 5000, deadlineMs: 20_000, baseDelayMs: 1000, maxDelayMs: 8000 };

describe('backoffDelayMs (exponential, capped, equal jitter)', () => {
  const rows = [
    { name: 'first retry, no jitter drawn', input: { attempt: 1, random: 0 }, want: 500 },
    { name: 'first retry, full jitter drawn', input: { attempt: 1, random: 0.999 }, want: 1000 },
    { name: 'doubles per attempt', input: { attempt: 3, random: 0.5 }, want: 3000 },
    { name: 'capped at maxDelayMs', input: { attempt: 10, random: 0.5 }, want: 6000 },
  ];
  for (const row of rows) it(row.name, () => expect(backoffDelayMs(row.input.attempt, row.input.random, policy)).toBe(row.want));
});

const ok: SendOutcome = { kind: 'ok' };
function failed(reason: Extract<SendOutcome, { kind: 'failed' }>['reason'], extra: { status?: number; retryAfterMs?: number } = {}): SendOutcome {
  return { kind: 'failed', reason, detail: reason, status: extra.status, retryAfterMs: extra.retryAfterMs };
}

interface Trace {
  readonly result: DeliveryResult;
  /** Waits between attempts, in order. */
  readonly waitsMs: number[];
  /** The timeout each attempt was given. */
  readonly timeoutsMs: number[];
}

/** Runs the retry stage on a virtual clock: sleeping and timing out advance it, nothing else does. */
async function run(outcomes: readonly SendOutcome[], random = 0.5): Promise<Trace> {
  let nowMs = 0;
  const waitsMs: number[] = [];
  const timeoutsMs: number[] = [];
  let index = 0;
  const result = await deliverWithRetry(
    async (timeoutMs) => {
      timeoutsMs.push(timeoutMs);
      const outcome = outcomes[Math.min(index++, outcomes.length - 1)]!;
      if (outcome.kind === 'failed' && outcome.reason === 'timeout') nowMs += timeoutMs;
      return outcome;
    },
    policy,
    {
      clock: () => nowMs,
      random: () => random,
      sleep: async (ms) => {
        waitsMs.push(ms);
        nowMs += ms;
      },
      signal: new AbortController().signal,
      onAttemptFailed: () => {},
    },
  );
  return { result, waitsMs, timeoutsMs };
}

describe('deliverWithRetry', () => {
  const rows: { name: string; input: SendOutcome[]; want: { result: Partial<DeliveryResult>; waitsMs?: number[]; timeoutsMs?: number[] } }[] = [
    { name: 'delivered at the first attempt', input: [ok], want: { result: { kind: 'delivered', attempts: 1 }, waitsMs: [] } },
    { name: 'server errors are retried with growing backoff until success', input: [failed('server-error', { status: 500 }), failed('server-error', { status: 503 }), ok], want: { result: { kind: 'delivered', attempts: 3 }, waitsMs: [750, 1500] } },
    { name: '429 waits exactly Retry-After, not the backoff', input: [failed('rate-limited', { status: 429, retryAfterMs: 7000 }), ok], want: { result: { kind: 'delivered', attempts: 2 }, waitsMs: [7000] } },
    { name: '429 without Retry-After falls back to the backoff', input: [failed('rate-limited', { status: 429 }), ok], want: { result: { kind: 'delivered', attempts: 2 }, waitsMs: [750] } },
    { name: 'network errors are retried', input: [failed('network'), ok], want: { result: { kind: 'delivered', attempts: 2 }, waitsMs: [750] } },
    { name: 'a client error is not retried', input: [failed('client-error', { status: 404 }), ok], want: { result: { kind: 'failed', reason: 'client-error', attempts: 1, gaveUp: 'not-retryable' }, waitsMs: [] } },
    {
      name: 'timeouts are retried until the next wait would pass the deadline; the last attempt gets only the time left',
      input: [failed('timeout')],
      want: { result: { kind: 'failed', reason: 'timeout', attempts: 3, gaveUp: 'deadline' }, waitsMs: [750, 1500], timeoutsMs: [5000, 5000, 5000] },
    },
    { name: 'a Retry-After beyond the deadline gives up at once', input: [failed('rate-limited', { status: 429, retryAfterMs: 60_000 }), ok], want: { result: { kind: 'failed', reason: 'rate-limited', attempts: 1, gaveUp: 'deadline' }, waitsMs: [] } },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const trace = await run(row.input);
      expect(trace.result).toMatchObject(row.want.result);
      if (row.want.waitsMs) expect(trace.waitsMs).toEqual(row.want.waitsMs);
      if (row.want.timeoutsMs) expect(trace.timeoutsMs).toEqual(row.want.timeoutsMs);
    });
  }

  it('gives an attempt no more than the time left before the deadline', async () => {
    // Two timeouts and their waits (5000 + 750 + 5000 + 1500), an instant server error and its wait (3000): 15250 ms used, 4750 left.
    const trace = await run([failed('timeout'), failed('timeout'), failed('server-error'), ok], 0.5);
    expect(trace.timeoutsMs).toEqual([5000, 5000, 5000, 4750]);
    expect(trace.result).toMatchObject({ kind: 'delivered', attempts: 4 });
  });

  it('stops without another attempt once cancelled', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const result = await deliverWithRetry(
      async () => {
        attempts++;
        controller.abort();
        return failed('server-error');
      },
      policy,
      { clock: () => 0, random: () => 0, sleep: async () => {}, signal: controller.signal, onAttemptFailed: () => {} },
    );
    expect({ result, attempts }).toEqual({ result: { kind: 'cancelled', attempts: 1 }, attempts: 1 });
  });
});
