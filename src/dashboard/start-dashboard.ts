// The dashboard's HTTP server (node:http): the page at /, the JSON API, /metrics, /healthz and /readyz.
// It reads decisions and past signals and changes nothing in the cluster. With http.bearerTokenFile set,
// every path except /healthz and /readyz (and the static page shell, which holds no data) needs the token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { DecisionLog } from '../advisor/decision-log.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { ScalerError } from '../errors.ts';
import type { DecisionSeriesHistory } from '../signals/decision-series.ts';
import type { SignalHistory } from '../signals/signal-snapshot.ts';
import { allowedMethods, answerApi, type ApiContext } from './api-routes.ts';
import { loadBearerCheck } from './bearer-auth.ts';
import { send, sendError, sendJson } from './http-response.ts';
import { pageAssets } from './page-assets.ts';
import { type ReadinessCheck, runReadiness } from './readiness.ts';
import { pathSegments, readQuery } from './request-parsing.ts';
import type { SelfMetrics } from './self-metrics.ts';
import type { ClockKind } from './target-views.ts';
import { WhatIfGate } from './what-if-gate.ts';
import { DEFAULT_WHAT_IF_LIMITS, type WhatIfLimits } from './what-if-request.ts';

export interface DashboardOptions {
  /** The server config's `http` section: host, port, bearerTokenFile. */
  readonly config: Pick<ServerConfig['http'], 'host' | 'port' | 'bearerTokenFile'>;
  readonly decisionLog: DecisionLog;
  /** Past signals for what-if replays: the Prometheus sources (routed by each target's `prometheus` name), or the demo's simulated fleet. */
  readonly signalHistory: SignalHistory;
  /** The scaler's own decisions read back from Prometheus for history (every replica's, across restarts); without it, history is this process's ring. */
  readonly decisionSeries?: DecisionSeriesHistory;
  /** What /readyz checks: config loaded, gRPC serving, Prometheus reachable. */
  readonly readiness: readonly ReadinessCheck[];
  readonly selfMetrics: SelfMetrics;
  readonly logger: Logger;
  /** The clock decisions are stamped with (the simulated clock in the demo); relative times like since=6h count back from it. */
  readonly nowMs?: () => number;
  /** `simulated` when nowMs is the embedded demo's clock; the page labels its times with it. Default `wall`. */
  readonly clock?: ClockKind;
  /** Each unset limit takes its default from DEFAULT_WHAT_IF_LIMITS. */
  readonly whatIfLimits?: Partial<WhatIfLimits>;
  /** More read-only paths answered with a body rendered per request, e.g. the embedded demo's simulated gateways' exposition. */
  readonly extraRoutes?: ReadonlyMap<string, ExtraRoute>;
}

/** A GET path served next to the dashboard's own (behind the same bearer token). */
export interface ExtraRoute {
  readonly contentType: string;
  render(): string;
}

export interface RunningDashboard {
  /** http://host:port of the bound socket (the real port when config.port is 0). */
  readonly url: string;
  /** Stops accepting, closes idle keep-alive connections, waits for requests in flight (at most closeTimeoutMs). */
  stop(): Promise<void>;
}

/** How long stop() waits for requests in flight before cutting connections. */
const CLOSE_TIMEOUT_MS = 5000;

/** Paths anyone may read: probes, and the page shell (markup, script and style; the data behind it needs the token). */
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/', '/assets/app.js', '/assets/app.css', '/favicon.svg']);

function rejectMethod(method: string, allowed: string): ScalerError {
  return new ScalerError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${allowed}`);
}

/** Starts the dashboard; resolves once it listens. Rejects (INVALID_SERVER_CONFIG) when the token file is unreadable. */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { config, logger, selfMetrics } = options;
  const nowMs = options.nowMs ?? Date.now;
  const [bearer, assets] = await Promise.all([loadBearerCheck(config.bearerTokenFile), pageAssets()]);
  const whatIfLimits: WhatIfLimits = { ...DEFAULT_WHAT_IF_LIMITS, ...options.whatIfLimits };
  const whatIfGate = new WhatIfGate({ maxConcurrent: whatIfLimits.maxConcurrent, timeoutMs: whatIfLimits.timeoutMs });
  const api: ApiContext = {
    decisionLog: options.decisionLog,
    signalHistory: options.signalHistory,
    ...(options.decisionSeries ? { decisionSeries: options.decisionSeries } : {}),
    whatIfLimits,
    whatIfGate,
    nowMs,
    clock: options.clock ?? 'wall',
  };
  const untrackDecisions = selfMetrics.trackDecisionLog(options.decisionLog);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    if (!OPEN_PATHS.has(url.pathname) && !bearer.allows(request.headers.authorization)) {
      throw new ScalerError('UNAUTHORIZED', 'this dashboard needs a bearer token: send "Authorization: Bearer <token>" (http.bearerTokenFile)');
    }
    const segments = pathSegments(url.pathname);
    const readOnly = (allowed: string) => {
      if (method !== 'GET' && method !== 'HEAD') throw rejectMethod(method, allowed);
    };

    if (segments[0] === 'api') {
      const answer = await answerApi(api, request, url, segments.slice(1));
      sendJson(response, answer.status, answer.body);
      return;
    }
    switch (url.pathname) {
      case '/healthz':
        readOnly('GET');
        readQuery(url, []);
        sendJson(response, 200, { status: 'up' });
        return;
      case '/readyz': {
        readOnly('GET');
        readQuery(url, []);
        const report = await runReadiness(options.readiness);
        sendJson(response, report.ready ? 200 : 503, report);
        return;
      }
      case '/metrics': {
        readOnly('GET');
        readQuery(url, []);
        send(response, 200, selfMetrics.registry.contentType, await selfMetrics.registry.metrics());
        return;
      }
      default: {
        const extra = options.extraRoutes?.get(url.pathname);
        if (extra !== undefined) {
          readOnly('GET');
          readQuery(url, []);
          send(response, 200, extra.contentType, extra.render());
          return;
        }
        const asset = assets.get(url.pathname);
        if (asset === undefined) {
          throw new ScalerError('ROUTE_NOT_FOUND', `nothing at ${url.pathname}; the dashboard serves /, /api/targets, /metrics, /healthz and /readyz`);
        }
        readOnly('GET');
        send(response, 200, asset.contentType, asset.body);
      }
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!(error instanceof ScalerError)) logger.error({ err: error, path: request.url }, 'dashboard request failed');
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      if (error instanceof ScalerError && error.code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer realm="otel-gateway-scaler"';
      if (error instanceof ScalerError && error.code === 'METHOD_NOT_ALLOWED') headers.allow = allowedMethods(request.url ?? '/');
      // A body the client is still sending is not read any further; a stopping server keeps no connection.
      if (!request.complete || (error instanceof ScalerError && error.code === 'SHUTTING_DOWN')) headers.connection = 'close';
      sendError(response, error, headers);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, 'dashboard listening');

  return {
    url,
    stop: async () => {
      untrackDecisions();
      // Replays in flight answer 503 at their next check instead of having their connection cut.
      whatIfGate.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
    },
  };
}
