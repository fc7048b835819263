// The life of one server-streaming call, shared by StreamIsActive, StreamMetricSpec and Health/Watch:
// it ends exactly once — the client cancels, the first answer fails, or the server shuts down — and
// every ending runs the stream's cleanups (timers, subscriptions), unregisters it from OpenStreams
// and reports the call to the observer.
import { type ServerWritableStream, status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { GrpcCallObserver } from './call-observer.ts';
import { statusName, toGrpcStatus } from './grpc-error.ts';
import type { OpenStreams } from './open-streams.ts';

export interface ServerStreamDeps {
  readonly openStreams: OpenStreams;
  readonly observer: GrpcCallObserver;
  readonly logger: Logger;
}

export interface ServerStream<Response> {
  readonly ended: boolean;
  send(message: Response): void;
  /** Ends the stream with the status `error` maps to (see toGrpcStatus). */
  fail(error: unknown): void;
  /** Runs once when the stream ends, however it ends. */
  onEnd(cleanup: () => void): void;
}

const SHUTDOWN_DETAILS = 'the scaler is shutting down; reconnect to another replica';

export function openServerStream<Request, Response>(
  call: ServerWritableStream<Request, Response>,
  method: string,
  deps: ServerStreamDeps,
  context: Readonly<Record<string, unknown>>,
): ServerStream<Response> {
  const startedMs = performance.now();
  const cleanups: (() => void)[] = [];
  let ended = false;

  const finish = (code: GrpcStatus) => {
    if (ended) return false;
    ended = true;
    unregister();
    for (const cleanup of cleanups.splice(0)) {
      try {
        cleanup();
      } catch (error) {
        deps.logger.error({ ...context, method, err: error }, 'stream cleanup failed');
      }
    }
    deps.observer.callFinished({ method, durationMs: performance.now() - startedMs, code: statusName(code) });
    return true;
  };

  const unregister = deps.openStreams.add(() => {
    if (finish(GrpcStatus.UNAVAILABLE)) call.emit('error', { code: GrpcStatus.UNAVAILABLE, details: SHUTDOWN_DETAILS });
  });
  call.on('cancelled', () => {
    if (finish(GrpcStatus.CANCELLED)) deps.logger.debug({ ...context, method }, 'stream cancelled by the client');
  });
  // A transport failure (socket reset) ends the call without a status we could send.
  call.on('close', () => finish(GrpcStatus.CANCELLED));
  if (call.cancelled) finish(GrpcStatus.CANCELLED);

  return {
    get ended() {
      return ended;
    },
    send(message) {
      if (!ended) call.write(message);
    },
    fail(error) {
      if (ended) return;
      const failure = toGrpcStatus(error, deps.logger, { ...context, method });
      finish(failure.code ?? GrpcStatus.UNKNOWN);
      call.emit('error', failure);
    },
    onEnd(cleanup) {
      if (ended) cleanup();
      else cleanups.push(cleanup);
    },
  };
}
