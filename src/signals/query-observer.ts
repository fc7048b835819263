// Self-observability seam of the signal reader: it reports every Prometheus query and every read
// outcome to whoever listens (the dashboard's prom-client metrics), without importing a metrics library.

/** One finished Prometheus query. */
export interface PrometheusQueryEvent {
  /** Name of the Prometheus server in the server config (never its URL). */
  readonly server: string;
  /** The signal queried (a CatalogueQueryName); range reads are prefixed `range:`. */
  readonly query: string;
  readonly durationMs: number;
  /** `ok` includes an empty result (a missing signal is not a query failure). */
  readonly outcome: 'ok' | 'error';
  /** When outcome is error: timeout, unreachable, http-4xx, http-5xx, bad-response or token-file (bearerTokenFile or basicAuth.passwordFile unreadable). */
  readonly errorReason?: QueryErrorReason;
}

export type QueryErrorReason = 'timeout' | 'unreachable' | 'http-4xx' | 'http-5xx' | 'bad-response' | 'token-file';

/** How one `read` of a target was answered. */
export interface SignalReadEvent {
  readonly server: string;
  /** cached: within cacheTtlMs of the last result; joined: shared a read already in flight; fetched: queried; failed: rejected. */
  readonly outcome: 'cached' | 'joined' | 'fetched' | 'failed';
}

/** Handed to the Prometheus signal source; listeners must not throw (errors they raise are ignored). */
export interface PrometheusQueryObserver {
  queryFinished(event: PrometheusQueryEvent): void;
  readFinished?(event: SignalReadEvent): void;
}
