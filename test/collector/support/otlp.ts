// OTLP/gRPC trace service from the .proto files that @opentelemetry/otlp-grpc-exporter-base ships
// (opentelemetry-proto, wire-compatible with every OTLP receiver), so the load generator and the
// backend sink speak the collector's own protocol through @grpc/grpc-js without a copy of the protos.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const PROTO_ROOT = join(dirname(require.resolve('@opentelemetry/otlp-grpc-exporter-base/package.json')), 'build', 'protos');

/** Decoded and encoded with these options: camelCase fields, bytes as Buffer, int64 as strings (nanosecond times exceed 2^53). */
const LOADER_OPTIONS: Options = { keepCase: false, longs: String, enums: Number, bytes: Buffer, defaults: true, oneofs: true, includeDirs: [PROTO_ROOT] };

export interface KeyValueMessage {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: string };
}
export interface SpanMessage {
  readonly traceId: Buffer;
  readonly spanId: Buffer;
  readonly parentSpanId?: Buffer;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes?: readonly KeyValueMessage[];
}
export interface ResourceSpansMessage {
  readonly resource: { readonly attributes: readonly KeyValueMessage[] } | null;
  readonly scopeSpans: readonly { readonly scope?: { readonly name: string }; readonly spans: readonly SpanMessage[] }[];
}
export interface ExportTraceServiceRequestMessage {
  readonly resourceSpans: readonly ResourceSpansMessage[];
}

let loaded: { client: ServiceClientConstructor; definition: ServiceDefinition } | undefined;

function traceService(): { client: ServiceClientConstructor; definition: ServiceDefinition } {
  if (!loaded) {
    const definition = loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', LOADER_OPTIONS);
    const grpcObject = loadPackageDefinition(definition) as unknown as { opentelemetry: { proto: { collector: { trace: { v1: GrpcObject } } } } };
    const client = grpcObject.opentelemetry.proto.collector.trace.v1.TraceService as ServiceClientConstructor;
    loaded = { client, definition: client.service };
  }
  return loaded;
}

/** grpc-js client constructor of opentelemetry.proto.collector.trace.v1.TraceService. */
export function traceServiceClient(): ServiceClientConstructor {
  return traceService().client;
}

/** Service definition to register a TraceService implementation on a grpc-js Server. */
export function traceServiceDefinition(): ServiceDefinition {
  return traceService().definition;
}

/** The string value of a resource attribute, if present. */
export function stringAttribute(attributes: readonly KeyValueMessage[] | undefined, key: string): string | undefined {
  return attributes?.find((attribute) => attribute.key === key)?.value.stringValue;
}
