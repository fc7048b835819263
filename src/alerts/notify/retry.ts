// Retry stage: exponential backoff with jitter from an injected source, Retry-After honoured on
// 429 (the gap in Alertmanager's Slack notifier), and an overall deadline per message.
import type { DeliveryFailureReason, SendOutcome } from './alert-notice.ts';

export interface RetryPolicy {
  /** Budget of one HTTP attempt. */
  readonly attemptTimeoutMs: number;
  /** Budget of the whole message, attempts and waits included. */
  readonly deadlineMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Delays double from 1 s up to 30 s; a message gets about two minutes before it is given up. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attemptTimeoutMs: 5000, deadlineMs: 120_000, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** Failures worth another attempt; a client error (bad payload, revoked webhook) will not change by retrying. */
const RETRYABLE: ReadonlySet<DeliveryFailureReason> = new Set(['rate-limited', 'server-error', 'timeout', 'network']);

/**
 * Wait before attempt `attempt + 1` after `attempt` failures (1-based): base × 2^(attempt−1), capped,
 * then "equal jitter": half fixed, half scaled by `random01` ∈ [0, 1), so instances spread out.
 */
export function backoffDelayMs(attempt: number, random01: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random01);
}

export type DeliveryResult =
  | { readonly kind: 'delivered'; readonly attempts: number }
  | {
      readonly kind: 'failed';
      readonly reason: DeliveryFailureReason;
      readonly detail: string;
      readonly attempts: number;
      /** not-retryable: a client error; deadline: the next wait would end after the deadline. */
      readonly gaveUp: 'not-retryable' | 'deadline';
    }
  | { readonly kind: 'cancelled'; readonly attempts: number };

export interface RetryDeps {
  readonly clock: () => number;
  readonly random: () => number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
  /** Every failed attempt, with the wait before the next one (undefined when giving up). */
  readonly onAttemptFailed: (outcome: Extract<SendOutcome, { kind: 'failed' }>, attempt: number, retryInMs: number | undefined) => void;
}

/** Runs `attempt` until it succeeds, fails for good, runs out of time, or the signal aborts. */
export async function deliverWithRetry(attempt: (timeoutMs: number) => Promise<SendOutcome>, policy: RetryPolicy, deps: RetryDeps): Promise<DeliveryResult> {
  const deadlineAtMs = deps.clock() + policy.deadlineMs;
  for (let attempts = 1; ; attempts++) {
    if (deps.signal.aborted) return { kind: 'cancelled', attempts: attempts - 1 };
    const remainingMs = deadlineAtMs - deps.clock();
    const outcome = await attempt(Math.max(1, Math.min(policy.attemptTimeoutMs, remainingMs)));
    if (outcome.kind === 'ok') return { kind: 'delivered', attempts };
    if (deps.signal.aborted) return { kind: 'cancelled', attempts };
    const failed = { kind: 'failed', reason: outcome.reason, detail: outcome.detail, attempts } as const;
    if (!RETRYABLE.has(outcome.reason)) {
      deps.onAttemptFailed(outcome, attempts, undefined);
      return { ...failed, gaveUp: 'not-retryable' };
    }
    const waitMs = outcome.retryAfterMs ?? backoffDelayMs(attempts, deps.random(), policy);
    if (deps.clock() + waitMs >= deadlineAtMs) {
      deps.onAttemptFailed(outcome, attempts, undefined);
      return { ...failed, gaveUp: 'deadline' };
    }
    deps.onAttemptFailed(outcome, attempts, waitMs);
    await deps.sleep(waitMs, deps.signal);
  }
}
