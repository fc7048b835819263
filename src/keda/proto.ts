// Loads the two wire contracts this service speaks from proto/ (KEDA's ExternalScaler and the
// standard grpc.health.v1 Health) with one set of loader options, so the server, the tests and the
// benchmark all encode and decode exactly the same way.
import { fileURLToPath } from 'node:url';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

/** proto/externalscaler.proto: wire-identical to kedacore/keda pkg/scalers/externalscaler. */
export const EXTERNAL_SCALER_PROTO_PATH = fileURLToPath(new URL('../../proto/externalscaler.proto', import.meta.url));
/** proto/health.proto: grpc/grpc-proto grpc/health/v1/health.proto. */
export const HEALTH_PROTO_PATH = fileURLToPath(new URL('../../proto/health.proto', import.meta.url));

/** Field names as in the proto (camelCase already), int64 as JS numbers, enums as their names, unset fields filled. */
export const PROTO_LOADER_OPTIONS: Options = Object.freeze({ keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });

export const EXTERNAL_SCALER_SERVICE_NAME = 'externalscaler.ExternalScaler';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

// Message shapes as decoded/encoded with PROTO_LOADER_OPTIONS.
export interface ScaledObjectRefMessage {
  readonly name: string;
  readonly namespace: string;
  readonly scalerMetadata: Readonly<Record<string, string>>;
}
export interface IsActiveResponseMessage {
  readonly result: boolean;
}
export interface MetricSpecMessage {
  readonly metricName: string;
  readonly targetSize: number;
  readonly targetSizeFloat: number;
}
export interface GetMetricSpecResponseMessage {
  readonly metricSpecs: readonly MetricSpecMessage[];
}
export interface GetMetricsRequestMessage {
  readonly scaledObjectRef: ScaledObjectRefMessage | null;
  readonly metricName: string;
}
export interface MetricValueMessage {
  readonly metricName: string;
  readonly metricValue: number;
  readonly metricValueFloat: number;
}
export interface GetMetricsResponseMessage {
  readonly metricValues: readonly MetricValueMessage[];
}

export const SERVING_STATUSES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export type ServingStatus = (typeof SERVING_STATUSES)[number];
export interface HealthCheckRequestMessage {
  readonly service: string;
}
export interface HealthCheckResponseMessage {
  readonly status: ServingStatus;
}

let externalScalerDefinition: PackageDefinition | undefined;
let healthDefinition: PackageDefinition | undefined;

/** The loaded package definition of proto/externalscaler.proto (descriptors included, for the contract test). */
export function externalScalerPackageDefinition(): PackageDefinition {
  externalScalerDefinition ??= loadSync(EXTERNAL_SCALER_PROTO_PATH, PROTO_LOADER_OPTIONS);
  return externalScalerDefinition;
}

export function healthPackageDefinition(): PackageDefinition {
  healthDefinition ??= loadSync(HEALTH_PROTO_PATH, PROTO_LOADER_OPTIONS);
  return healthDefinition;
}

function serviceConstructor(definition: PackageDefinition, qualifiedName: string): ServiceClientConstructor {
  let node: GrpcObject | ServiceClientConstructor | undefined = loadPackageDefinition(definition);
  for (const part of qualifiedName.split('.')) {
    node = (node as GrpcObject | undefined)?.[part] as GrpcObject | ServiceClientConstructor | undefined;
  }
  if (typeof node !== 'function' || !('service' in node)) throw new Error(`${qualifiedName} is not a service in the loaded proto`);
  return node;
}

/** Client constructor (and `.service` definition for the server) of externalscaler.ExternalScaler. */
export function externalScalerService(): ServiceClientConstructor {
  return serviceConstructor(externalScalerPackageDefinition(), EXTERNAL_SCALER_SERVICE_NAME);
}

/** Client constructor (and `.service` definition for the server) of grpc.health.v1.Health. */
export function healthService(): ServiceClientConstructor {
  return serviceConstructor(healthPackageDefinition(), HEALTH_SERVICE_NAME);
}
