// The self-metrics hook of the gRPC server: every finished call is reported here by method and status,
// so /metrics can show KEDA's call latency without keda/ depending on a metrics library. The shape is
// structural; the dashboard's prom-client observer plugs in as it is.

/** One finished call of the ExternalScaler or Health service. */
export interface GrpcCallEvent {
  /** The rpc name as in the proto: IsActive, GetMetricSpec, GetMetrics, StreamIsActive, StreamMetricSpec, Check, Watch. */
  readonly method: string;
  /** Unary calls: until the answer was handed to gRPC. Streams: how long the stream stayed open. */
  readonly durationMs: number;
  /** gRPC status name, e.g. OK, INVALID_ARGUMENT, UNAVAILABLE, CANCELLED. */
  readonly code: string;
}

export interface GrpcCallObserver {
  callFinished(event: GrpcCallEvent): void;
}

/** Used when nobody subscribes. */
export const NO_CALL_OBSERVER: GrpcCallObserver = Object.freeze({ callFinished: () => {} });
