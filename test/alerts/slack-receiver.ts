// A real HTTP server on 127.0.0.1 standing in for Slack's incoming-webhook endpoint: each request
// gets the next scripted answer (the last one repeats), and every request is recorded.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverAnswer =
  /** `{url}` in the body is replaced by the URL the request was sent to (a receiver that echoes it). */
  | { readonly status: number; readonly body?: string; readonly headers?: Readonly<Record<string, string>> }
  /** Accept the request and never answer (until the receiver closes). */
  | 'hang';

export interface ReceivedRequest {
  readonly atMs: number;
  readonly path: string;
  readonly body: { readonly text?: string; readonly blocks?: readonly unknown[] };
}

export interface SlackReceiver {
  /** The webhook URL to configure, with a secret-looking path like Slack's. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/** The path part of the URL plays the role of Slack's secret token. */
export const SECRET_PATH = '/services/T0SECRET/B0SECRET/xoxSecretToken123';

export async function startSlackReceiver(script: readonly ReceiverAnswer[]): Promise<SlackReceiver> {
  const requests: ReceivedRequest[] = [];
  const hanging: ServerResponse[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = script[Math.min(requests.length, script.length - 1)] ?? { status: 200, body: 'ok' };
      requests.push({ atMs: Date.now(), path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
      const ready = waiters.filter((waiter) => requests.length >= waiter.count);
      waiters = waiters.filter((waiter) => requests.length < waiter.count);
      for (const waiter of ready) waiter.resolve();
      if (answer === 'hang') {
        hanging.push(response);
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      const body = answer.body ?? (answer.status === 200 ? 'ok' : 'error');
      response.end(body.replaceAll('{url}', `http://${request.headers.host}${request.url}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${SECRET_PATH}`,
    requests,
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
