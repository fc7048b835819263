// Rate-limit stage: Slack accepts about one message per second per incoming webhook
// (api.slack.com/apis/rate-limits) and answers 429 with Retry-After above that.

/** Slack's documented limit for incoming webhooks. */
export const SLACK_MIN_SEND_INTERVAL_MS = 1000;

export interface RateLimitState {
  readonly lastAttemptAtMs: number | undefined;
  /** Set from a 429's Retry-After: nothing is sent before this time. */
  readonly pausedUntilMs: number | undefined;
}

/** How long to wait before the next attempt may start (0 = now). */
export function rateLimitWaitMs(state: RateLimitState, nowMs: number, minIntervalMs: number): number {
  const byInterval = state.lastAttemptAtMs === undefined ? nowMs : state.lastAttemptAtMs + minIntervalMs;
  const byPause = state.pausedUntilMs ?? nowMs;
  return Math.max(0, byInterval - nowMs, byPause - nowMs);
}
