import { describe, expect, it } from 'vitest';
import { type RateLimitState, rateLimitWaitMs } from '../../../src/alerts/notify/rate-limit.ts';

describe('rateLimitWaitMs (at most one message per second)', () => {
  const rows: { name: string; input: { state: RateLimitState; nowMs: number }; want: number }[] = [
    { name: 'the first message goes at once', input: { state: { lastAttemptAtMs: undefined, pausedUntilMs: undefined }, nowMs: 5000 }, want: 0 },
    { name: 'a second message within the interval waits for the rest of it', input: { state: { lastAttemptAtMs: 5000, pausedUntilMs: undefined }, nowMs: 5300 }, want: 700 },
    { name: 'after the interval there is no wait', input: { state: { lastAttemptAtMs: 5000, pausedUntilMs: undefined }, nowMs: 6000 }, want: 0 },
    { name: 'a Retry-After pause outlasts the interval', input: { state: { lastAttemptAtMs: 5000, pausedUntilMs: 9000 }, nowMs: 5300 }, want: 3700 },
    { name: 'a pause in the past is over', input: { state: { lastAttemptAtMs: 5000, pausedUntilMs: 5200 }, nowMs: 7000 }, want: 0 },
  ];
  for (const row of rows) it(row.name, () => expect(rateLimitWaitMs(row.input.state, row.input.nowMs, 1000)).toBe(row.want));
});
