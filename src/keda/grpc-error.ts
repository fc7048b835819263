// How a failed evaluation reaches KEDA: a ScalerError keeps its catalogue status and message (KEDA shows
// it in the ScaledObject's events, so it must say what to fix); anything else is a bug whose details
// stay in our log and KEDA gets a generic INTERNAL.
import { Metadata, type StatusObject, status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ScalerError } from '../errors.ts';

/** Trailer carrying the catalogue code, for clients that want to branch on it. */
export const ERROR_CODE_TRAILER = 'scaler-error-code';

/** Turns anything a handler caught into the status the call ends with; logs it with `context`. */
export function toGrpcStatus(error: unknown, logger: Logger, context: Readonly<Record<string, unknown>>): Partial<StatusObject> {
  const known =
    error instanceof ScalerError
      ? error
      : new ScalerError('INTERNAL_ERROR', `internal error in the scaler (${String(context.method ?? 'call')}); the scaler log has the details`, {
          cause: error,
        });
  if (known === error) {
    logger.warn({ ...context, code: known.code }, known.message);
  } else {
    logger.error({ ...context, err: error }, 'unexpected error while answering KEDA');
  }
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, known.code);
  return { code: known.spec.grpcStatus, details: known.message, metadata };
}

/** gRPC status name (OK, INVALID_ARGUMENT, …) for the self-metrics. */
export function statusName(code: GrpcStatus): string {
  return GrpcStatus[code] ?? String(code);
}
