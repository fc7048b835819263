// One catalogue of the errors this service reports. Each code is stable (alerts, logs and docs/configuration.md
// refer to it), says what to do, and maps to the gRPC status KEDA sees and the HTTP status the
// dashboard answers with.
import { status as GrpcStatus } from '@grpc/grpc-js';

export interface ErrorSpec {
  readonly grpcStatus: GrpcStatus;
  readonly httpStatus: number;
  /** What an operator should do about it; shown in the error table of docs/configuration.md. */
  readonly remedy: string;
}

export const ERROR_CATALOGUE = {
  INVALID_METADATA: {
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    httpStatus: 400,
    remedy: 'Fix the named key in the ScaledObject trigger metadata (see the metadata table).',
  },
  INVALID_SERVER_CONFIG: {
    grpcStatus: GrpcStatus.FAILED_PRECONDITION,
    httpStatus: 500,
    remedy: 'Fix the named field in the server config file or environment and restart.',
  },
  UNKNOWN_PROMETHEUS: {
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    httpStatus: 400,
    remedy: 'Name a Prometheus server defined in the server config (`prometheus:` section).',
  },
  PROMETHEUS_UNAVAILABLE: {
    grpcStatus: GrpcStatus.UNAVAILABLE,
    httpStatus: 503,
    remedy: 'Check that Prometheus is up and reachable from the scaler; KEDA fallback applies meanwhile.',
  },
  CURRENT_REPLICAS_UNKNOWN: {
    grpcStatus: GrpcStatus.UNAVAILABLE,
    httpStatus: 503,
    remedy: 'No gateway matched gatewaySelector in Prometheus (no scrape target, up or down, and no Deployment replicas): check the selector, that gateways are scraped, and deploymentName if set.',
  },
  TARGET_NOT_FOUND: {
    grpcStatus: GrpcStatus.NOT_FOUND,
    httpStatus: 404,
    remedy: 'The target has not been polled by KEDA nor declared as an advisory target.',
  },
  BAD_REQUEST: {
    grpcStatus: GrpcStatus.INVALID_ARGUMENT,
    httpStatus: 400,
    remedy: 'Fix the named request parameter.',
  },
  UNAUTHORIZED: {
    grpcStatus: GrpcStatus.UNAUTHENTICATED,
    httpStatus: 401,
    remedy: 'Send the dashboard bearer token in the Authorization header.',
  },
  ROUTE_NOT_FOUND: {
    grpcStatus: GrpcStatus.UNIMPLEMENTED,
    httpStatus: 404,
    remedy: 'Use one of the dashboard paths listed in docs/dashboard.md (/, /api/targets, /metrics, /healthz, /readyz).',
  },
  INTERNAL_ERROR: {
    grpcStatus: GrpcStatus.INTERNAL,
    httpStatus: 500,
    remedy: 'A bug in the scaler: the log has the stack trace; please report it with that log line.',
  },
  METHOD_NOT_ALLOWED: {
    grpcStatus: GrpcStatus.UNIMPLEMENTED,
    httpStatus: 405,
    remedy: 'Use the HTTP method named in the Allow header; the dashboard only reads, except POST …/whatif.',
  },
  EVALUATION_TIMEOUT: {
    grpcStatus: GrpcStatus.DEADLINE_EXCEEDED,
    httpStatus: 504,
    remedy: 'Signals did not arrive in time: check Prometheus load and latency, or raise the server queryTimeoutMs; KEDA fallback applies meanwhile.',
  },
  WHAT_IF_BUSY: {
    grpcStatus: GrpcStatus.RESOURCE_EXHAUSTED,
    httpStatus: 429,
    remedy: 'As many what-if replays are running as http.whatIf.maxConcurrent allows: retry after the Retry-After seconds.',
  },
  WHAT_IF_TIMEOUT: {
    grpcStatus: GrpcStatus.DEADLINE_EXCEEDED,
    httpStatus: 503,
    remedy: 'The replay ran past http.whatIf.timeout: replay a shorter window or use a larger step.',
  },
  SHUTTING_DOWN: {
    grpcStatus: GrpcStatus.UNAVAILABLE,
    httpStatus: 503,
    remedy: 'This replica is stopping: retry on another replica or once it is back (Retry-After).',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The only error type the service raises on purpose; edges translate it with its catalogue entry. */
export class ScalerError extends Error {
  readonly code: ErrorCode;
  override readonly cause?: unknown;
  /** When retrying makes sense, after how long (HTTP Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message);
    this.name = 'ScalerError';
    this.code = code;
    this.cause = options?.cause;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  get spec(): ErrorSpec {
    return ERROR_CATALOGUE[this.code];
  }
}

/** Longest stretch of an input echoed into an error message or a log line. */
export const ECHO_MAX_CHARACTERS = 200;

/**
 * An input value as errors and logs echo it: cut to ECHO_MAX_CHARACTERS, so a megabyte of metadata
 * cannot become a megabyte of log or a gRPC status too large for the client to read.
 */
export function echoValue(value: string): string {
  if (value.length <= ECHO_MAX_CHARACTERS) return value;
  return `${value.slice(0, ECHO_MAX_CHARACTERS)}… (${value.length - ECHO_MAX_CHARACTERS} more characters)`;
}
