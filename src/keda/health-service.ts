// The standard gRPC health service (grpc.health.v1, proto/health.proto) so grpc_health_probe,
// Kubernetes gRPC probes and meshes can check the scaler: SERVING once started, NOT_SERVING while it
// shuts down. Statuses are kept for the whole server ('') and for externalscaler.ExternalScaler.
import { type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, status as GrpcStatus, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { HealthCheckRequestMessage, HealthCheckResponseMessage, ServingStatus } from './proto.ts';
import { openServerStream, type ServerStreamDeps } from './server-stream.ts';

/** The serving status per service name, with listeners for Watch. */
export class HealthStatuses {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #listeners = new Set<(service: string, status: ServingStatus) => void>();

  set(service: string, status: ServingStatus): void {
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    for (const listener of [...this.#listeners]) listener(service, status);
  }

  /** Sets every known service at once (start-up and shutdown). */
  setAll(status: ServingStatus): void {
    for (const service of this.#statuses.keys()) this.set(service, status);
  }

  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /** Returns the unsubscribe function. */
  listen(listener: (service: string, status: ServingStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** Handlers for `server.addService(healthService().service, …)`. */
export function createHealthService(statuses: HealthStatuses, deps: ServerStreamDeps): UntypedServiceImplementation {
  return {
    Check(call: ServerUnaryCall<HealthCheckRequestMessage, HealthCheckResponseMessage>, callback: sendUnaryData<HealthCheckResponseMessage>) {
      const status = statuses.get(call.request.service);
      // The protocol answers NOT_FOUND for a service the server does not know.
      if (status === undefined) callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` }, null);
      else callback(null, { status });
    },

    Watch(call: ServerWritableStream<HealthCheckRequestMessage, HealthCheckResponseMessage>) {
      const service = call.request.service;
      const stream = openServerStream(call, 'Watch', deps, { service });
      if (stream.ended) return;
      stream.send({ status: statuses.get(service) ?? 'SERVICE_UNKNOWN' });
      stream.onEnd(
        statuses.listen((changed, status) => {
          if (changed === service) stream.send({ status });
        }),
      );
    },
  };
}
