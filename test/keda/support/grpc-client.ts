// A real grpc-js client built from the project's proto, with promise helpers for the unary rpcs and
// a collector for server streams.
import { type ChannelCredentials, type Client, type ClientReadableStream, credentials, type Metadata, type ServiceError } from '@grpc/grpc-js';
import type {
  GetMetricSpecResponseMessage,
  GetMetricsRequestMessage,
  GetMetricsResponseMessage,
  HealthCheckResponseMessage,
  IsActiveResponseMessage,
  ScaledObjectRefMessage,
} from '../../../src/keda/proto.ts';
import { externalScalerService, healthService } from '../../../src/keda/proto.ts';

type UnaryMethod = (request: unknown, callback: (error: ServiceError | null, response: unknown) => void) => unknown;
type StreamMethod = (request: unknown) => ClientReadableStream<unknown>;

function unary<Response>(client: Client, method: string, request: unknown): Promise<Response> {
  return new Promise((resolve, reject) => {
    const call = (client as unknown as Record<string, UnaryMethod>)[method]!.bind(client);
    call(request, (error, response) => (error ? reject(error) : resolve(response as Response)));
  });
}

export interface ScalerClient {
  readonly raw: Client;
  isActive(ref: ScaledObjectRefMessage): Promise<IsActiveResponseMessage>;
  getMetricSpec(ref: ScaledObjectRefMessage): Promise<GetMetricSpecResponseMessage>;
  getMetrics(request: GetMetricsRequestMessage): Promise<GetMetricsResponseMessage>;
  streamIsActive(ref: ScaledObjectRefMessage): StreamCollector<IsActiveResponseMessage>;
  streamMetricSpec(ref: ScaledObjectRefMessage): StreamCollector<GetMetricSpecResponseMessage>;
  close(): void;
}

export function scalerClient(address: string, channelCredentials: ChannelCredentials = credentials.createInsecure(), options: object = {}): ScalerClient {
  const Service = externalScalerService();
  const client = new Service(address, channelCredentials, options);
  const stream = <T>(method: string, request: unknown) =>
    new StreamCollector<T>((client as unknown as Record<string, StreamMethod>)[method]!.call(client, request) as ClientReadableStream<T>);
  return {
    raw: client,
    isActive: (ref) => unary(client, 'IsActive', ref),
    getMetricSpec: (ref) => unary(client, 'GetMetricSpec', ref),
    getMetrics: (request) => unary(client, 'GetMetrics', request),
    streamIsActive: (ref) => stream('StreamIsActive', ref),
    streamMetricSpec: (ref) => stream('StreamMetricSpec', ref),
    close: () => client.close(),
  };
}

export interface HealthClient {
  check(service: string): Promise<HealthCheckResponseMessage>;
  watch(service: string): StreamCollector<HealthCheckResponseMessage>;
  close(): void;
}

export function healthClient(address: string, channelCredentials: ChannelCredentials = credentials.createInsecure()): HealthClient {
  const Service = healthService();
  const client = new Service(address, channelCredentials);
  return {
    check: (service) => unary(client, 'Check', { service }),
    watch: (service) =>
      new StreamCollector<HealthCheckResponseMessage>(
        (client as unknown as Record<string, StreamMethod>).Watch!.call(client, { service }) as ClientReadableStream<HealthCheckResponseMessage>,
      ),
    close: () => client.close(),
  };
}

/** Collects a server stream's messages and its ending (status or error). */
export class StreamCollector<T> {
  readonly messages: T[] = [];
  readonly ended: Promise<{ readonly code: number; readonly details: string; readonly metadata?: Metadata }>;
  readonly #call: ClientReadableStream<T>;
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  constructor(call: ClientReadableStream<T>) {
    this.#call = call;
    call.on('data', (message: T) => {
      this.messages.push(message);
      for (const waiter of [...this.#waiters]) {
        if (this.messages.length >= waiter.count) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
    this.ended = new Promise((resolve) => {
      let settled = false;
      call.on('error', (error: ServiceError) => {
        if (settled) return;
        settled = true;
        resolve({ code: error.code, details: error.details, metadata: error.metadata });
      });
      call.on('status', (status: { code: number; details: string; metadata: Metadata }) => {
        if (settled || status.code !== 0) return;
        settled = true;
        resolve(status);
      });
    });
  }

  /** Resolves once `count` messages have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
    if (this.messages.length >= count) return Promise.resolve(this.messages);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${this.messages.length} of ${count} stream messages within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.messages);
        },
      });
    });
  }

  cancel(): void {
    this.#call.cancel();
  }
}
