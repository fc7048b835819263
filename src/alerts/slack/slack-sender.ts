// The only code that talks to Slack: one IncomingWebhook POST per attempt. @slack/webhook (v8,
// fetch-based) reports HTTP failures as IncomingWebhookHTTPError with the status and body but not
// the headers, so the fetch it uses is wrapped to read Retry-After off the response; its own
// retries stay off (the notifier's retry stage owns retrying).
import { type FetchFunction, IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import type { SendOutcome } from '../notify/alert-notice.ts';
import { parseRetryAfterMs } from '../notify/retry-after.ts';
import type { Redactor } from '../redact.ts';
import type { SlackMessage } from './slack-message.ts';

type Failure = Extract<SendOutcome, { kind: 'failed' }>;

/** Slack's error bodies are short codes ("invalid_payload", "no_service"); anything longer is cut. */
const MAX_DETAIL_CHARS = 200;

/** Sends one message; resolves with the outcome, never rejects. */
export type SlackSender = (message: SlackMessage, options: { readonly timeoutMs: number; readonly signal: AbortSignal }) => Promise<SendOutcome>;

/**
 * Maps what IncomingWebhook threw to a delivery failure: 429 → rate-limited (with Retry-After),
 * other 4xx → client-error, 5xx → server-error, an aborted request → timeout, anything else on the
 * way (refused connection, DNS, reset) → network. Every text is redacted.
 */
export function classifyWebhookError(error: unknown, retryAfterHeader: string | null, nowMs: number, redact: Redactor): Failure {
  const cut = (text: string) => redact(text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text);
  if (error instanceof IncomingWebhookHTTPError) {
    const status = error.statusCode;
    const detail = cut(`HTTP ${status}${error.body ? `: ${error.body.trim()}` : ''}`);
    if (status === 429) return { kind: 'failed', reason: 'rate-limited', detail, status, retryAfterMs: parseRetryAfterMs(retryAfterHeader, nowMs) };
    return { kind: 'failed', reason: status >= 500 ? 'server-error' : 'client-error', detail, status, retryAfterMs: undefined };
  }
  if (error instanceof IncomingWebhookRequestError) {
    const original = error.original;
    if (original.name === 'TimeoutError' || original.name === 'AbortError') {
      return { kind: 'failed', reason: 'timeout', detail: cut(`no answer in time (${original.name})`), status: undefined, retryAfterMs: undefined };
    }
    const cause = original.cause as { code?: string; message?: string } | undefined;
    const because = cause?.code ?? cause?.message;
    return { kind: 'failed', reason: 'network', detail: cut(`${original.message}${because ? ` (${because})` : ''}`), status: undefined, retryAfterMs: undefined };
  }
  return { kind: 'failed', reason: 'network', detail: cut(error instanceof Error ? error.message : String(error)), status: undefined, retryAfterMs: undefined };
}

/** A sender for one webhook URL; `redact` must hide that URL. */
export function createSlackSender(webhookUrl: string, redact: Redactor, clock: () => number): SlackSender {
  return async (message, { timeoutMs, signal }) => {
    let retryAfterHeader: string | null = null;
    const fetchReadingRetryAfter: FetchFunction = async (input, init) => {
      const response = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
      retryAfterHeader = response.headers.get('retry-after');
      return response;
    };
    const webhook = new IncomingWebhook(webhookUrl, { fetch: fetchReadingRetryAfter, timeout: timeoutMs, retryConfig: { retries: 0 } });
    try {
      await webhook.send({ text: message.text, blocks: [...message.blocks] });
      return { kind: 'ok' };
    } catch (error) {
      return classifyWebhookError(error, retryAfterHeader, clock(), redact);
    }
  };
}
