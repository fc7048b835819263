import { afterEach, describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../../src/alerts/notify/alert-notice.ts';
import { webhookRedactor } from '../../../src/alerts/redact.ts';
import { createSlackSender } from '../../../src/alerts/slack/slack-sender.ts';
import { freePort } from '../../support/free-port.ts';
import { type ReceiverAnswer, SECRET_PATH, type SlackReceiver, startSlackReceiver } from '../slack-receiver.ts';

const message = { text: 'observability/otel-gateway: firing: Backend bottleneck (critical)', blocks: [{ type: 'divider' as const }] };
let receiver: SlackReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function sendOnce(url: string, timeoutMs = 2000): Promise<SendOutcome> {
  const send = createSlackSender(url, webhookRedactor(url), () => Date.now());
  return send(message, { timeoutMs, signal: new AbortController().signal });
}

describe('Slack sender against a local receiver', () => {
  const rows: { name: string; input: { answer: ReceiverAnswer; timeoutMs?: number }; want: SendOutcome }[] = [
    { name: '200 is delivered', input: { answer: { status: 200, body: 'ok' } }, want: { kind: 'ok' } },
    {
      name: '429 is rate-limited and carries Retry-After',
      input: { answer: { status: 429, body: 'rate_limited', headers: { 'retry-after': '3' } } },
      want: { kind: 'failed', reason: 'rate-limited', status: 429, retryAfterMs: 3000, detail: 'HTTP 429: rate_limited' },
    },
    { name: '500 is a server error', input: { answer: { status: 500, body: 'internal_error' } }, want: { kind: 'failed', reason: 'server-error', status: 500, retryAfterMs: undefined, detail: 'HTTP 500: internal_error' } },
    { name: '404 (revoked webhook) is a client error', input: { answer: { status: 404, body: 'no_service' } }, want: { kind: 'failed', reason: 'client-error', status: 404, retryAfterMs: undefined, detail: 'HTTP 404: no_service' } },
    { name: 'no answer within the attempt timeout is a timeout', input: { answer: 'hang', timeoutMs: 200 }, want: { kind: 'failed', reason: 'timeout', status: undefined, retryAfterMs: undefined, detail: 'no answer in time (TimeoutError)' } },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      receiver = await startSlackReceiver([row.input.answer]);
      expect(await sendOnce(receiver.url, row.input.timeoutMs)).toEqual(row.want);
      expect(receiver.requests.map((request) => [request.path, request.body.text])).toEqual([[SECRET_PATH, message.text]]);
    });
  }

  it('a receiver that is down is a network failure', async () => {
    const port = await freePort();
    const outcome = await sendOnce(`http://127.0.0.1:${port}${SECRET_PATH}`);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'network', status: undefined });
    expect((outcome as { detail: string }).detail).toMatch(/ECONNREFUSED/);
  });

  it('an error body that echoes the webhook URL is redacted', async () => {
    receiver = await startSlackReceiver([{ status: 400, body: 'invalid_token for {url}' }]);
    const outcome = await sendOnce(receiver.url);
    expect(outcome).toEqual({ kind: 'failed', reason: 'client-error', status: 400, retryAfterMs: undefined, detail: 'HTTP 400: invalid_token for [redacted webhook URL]' });
  });
});
