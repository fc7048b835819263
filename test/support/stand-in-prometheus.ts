// A real HTTP server on 127.0.0.1 that answers Prometheus' query API the way a test scripts it: for
// what a real Prometheus will not do on demand (hang, fail one query, echo a token), and for counting
// the requests a client makes (caching, single flight). Everything else uses the real Prometheus.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRequest {
  /** `/api/v1/query` or `/api/v1/query_range` (below a path prefix when the client uses one). */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  /** Every request header, names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** `hang`: accept and never answer. Otherwise a status and a JSON body, sent after `delayMs` or once `after` settles. */
export type StandInReply = 'hang' | { readonly status?: number; readonly body: unknown; readonly delayMs?: number; readonly after?: Promise<unknown> };

export interface StandInPrometheus {
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: StandInRequest[];
  stop(): Promise<void>;
}

/** A successful instant-query answer with one sample per entry (labels → value, as Prometheus spells it: "NaN", "+Inf"). */
export function vectorBody(samples: readonly { labels?: Record<string, string>; value: number | string }[]): unknown {
  const nowSeconds = Date.now() / 1000;
  return {
    status: 'success',
    data: { resultType: 'vector', result: samples.map((sample) => ({ metric: sample.labels ?? {}, value: [nowSeconds, String(sample.value)] })) },
  };
}

/** A Prometheus API error answer. */
export function errorBody(errorType: string, error: string): unknown {
  return { status: 'error', errorType, error };
}

function paramsOf(request: IncomingMessage): Record<string, string> {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  return Object.fromEntries(url.searchParams);
}

export async function startStandInPrometheus(reply: (request: StandInRequest) => StandInReply): Promise<StandInPrometheus> {
  const requests: StandInRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const recorded: StandInRequest = {
      path: new URL(request.url ?? '/', 'http://stand-in').pathname,
      params: paramsOf(request),
      authorization: request.headers.authorization,
      headers: request.headers,
    };
    requests.push(recorded);
    const answer = reply(recorded);
    if (answer === 'hang') {
      hanging.add(response);
      return;
    }
    const send = () => {
      response.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    };
    if (answer.after) answer.after.then(send, send);
    else if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
