import type { MessageTypeDefinition, MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { externalScalerPackageDefinition, healthPackageDefinition } from '../../src/keda/proto.ts';

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  options: { mapEntry?: boolean } | null;
}

type FieldWant = { number: number; type: string; label?: 'LABEL_REPEATED'; typeName?: string };

// A map field is a repeated nested entry message with mapEntry set; render it as `map<key, value>`.
function fieldsOf(definition: unknown): Record<string, FieldWant> {
  const descriptor = (definition as MessageTypeDefinition<object, object>).type as unknown as MessageDescriptor;
  return Object.fromEntries(
    descriptor.field.map((field) => {
      const mapEntry = descriptor.nestedType.find((nested) => nested.name === field.typeName && nested.options?.mapEntry === true);
      if (mapEntry) {
        const [key, value] = mapEntry.field;
        return [field.name, { number: field.number, type: `map<${key?.type}, ${value?.type}>` }];
      }
      return [
        field.name,
        {
          number: field.number,
          type: field.type,
          ...(field.label === 'LABEL_REPEATED' ? { label: 'LABEL_REPEATED' as const } : {}),
          ...(field.typeName ? { typeName: field.typeName.replace(/^\.?externalscaler\./, '') } : {}),
        },
      ];
    }),
  );
}

// KEDA's pkg/scalers/externalscaler/externalscaler.proto, field by field (reference/keda-external-scaler.md).
const KEDA_MESSAGES: { name: string; want: Record<string, FieldWant> }[] = [
  {
    name: 'ScaledObjectRef',
    want: {
      name: { number: 1, type: 'TYPE_STRING' },
      namespace: { number: 2, type: 'TYPE_STRING' },
      scalerMetadata: { number: 3, type: 'map<TYPE_STRING, TYPE_STRING>' },
    },
  },
  { name: 'IsActiveResponse', want: { result: { number: 1, type: 'TYPE_BOOL' } } },
  {
    name: 'GetMetricSpecResponse',
    want: { metricSpecs: { number: 1, type: 'TYPE_MESSAGE', label: 'LABEL_REPEATED', typeName: 'MetricSpec' } },
  },
  {
    name: 'MetricSpec',
    want: {
      metricName: { number: 1, type: 'TYPE_STRING' },
      targetSize: { number: 2, type: 'TYPE_INT64' },
      targetSizeFloat: { number: 3, type: 'TYPE_DOUBLE' },
    },
  },
  {
    name: 'GetMetricsRequest',
    want: {
      scaledObjectRef: { number: 1, type: 'TYPE_MESSAGE', typeName: 'ScaledObjectRef' },
      metricName: { number: 2, type: 'TYPE_STRING' },
    },
  },
  {
    name: 'GetMetricsResponse',
    want: { metricValues: { number: 1, type: 'TYPE_MESSAGE', label: 'LABEL_REPEATED', typeName: 'MetricValue' } },
  },
  {
    name: 'MetricValue',
    want: {
      metricName: { number: 1, type: 'TYPE_STRING' },
      metricValue: { number: 2, type: 'TYPE_INT64' },
      metricValueFloat: { number: 3, type: 'TYPE_DOUBLE' },
    },
  },
];

const KEDA_RPCS: { name: string; want: { request: string; response: string; requestStream: boolean; responseStream: boolean } }[] = [
  { name: 'IsActive', want: { request: 'ScaledObjectRef', response: 'IsActiveResponse', requestStream: false, responseStream: false } },
  { name: 'StreamIsActive', want: { request: 'ScaledObjectRef', response: 'IsActiveResponse', requestStream: false, responseStream: true } },
  { name: 'GetMetricSpec', want: { request: 'ScaledObjectRef', response: 'GetMetricSpecResponse', requestStream: false, responseStream: false } },
  { name: 'GetMetrics', want: { request: 'GetMetricsRequest', response: 'GetMetricsResponse', requestStream: false, responseStream: false } },
  {
    name: 'StreamMetricSpec',
    want: { request: 'ScaledObjectRef', response: 'GetMetricSpecResponse', requestStream: false, responseStream: true },
  },
];

function describeMethod(method: MethodDefinition<object, object>) {
  const name = (definition: MessageTypeDefinition<object, object>) => (definition.type as unknown as MessageDescriptor).name;
  return {
    request: name(method.requestType),
    response: name(method.responseType),
    requestStream: method.requestStream,
    responseStream: method.responseStream,
  };
}

describe('proto/externalscaler.proto matches KEDA wire format', () => {
  const definition = externalScalerPackageDefinition();

  it('declares exactly KEDA messages in package externalscaler', () => {
    const messages = Object.keys(definition).filter((key) => key !== 'externalscaler.ExternalScaler');
    expect(messages.sort()).toEqual(KEDA_MESSAGES.map((row) => `externalscaler.${row.name}`).sort());
  });

  for (const row of KEDA_MESSAGES) {
    it(`message ${row.name} has KEDA's field numbers and types`, () => {
      expect(fieldsOf(definition[`externalscaler.${row.name}`])).toEqual(row.want);
    });
  }

  it('scalerMetadata map entries are key=1 and value=2', () => {
    const ref = (definition['externalscaler.ScaledObjectRef'] as MessageTypeDefinition<object, object>).type as unknown as MessageDescriptor;
    const entry = ref.nestedType.find((nested) => nested.options?.mapEntry === true);
    expect(entry?.field.map((field) => [field.name, field.number, field.type])).toEqual([
      ['key', 1, 'TYPE_STRING'],
      ['value', 2, 'TYPE_STRING'],
    ]);
  });

  it('service ExternalScaler has exactly the five rpcs', () => {
    const service = definition['externalscaler.ExternalScaler'] as ServiceDefinition;
    expect(Object.keys(service).sort()).toEqual(KEDA_RPCS.map((row) => row.name).sort());
  });

  for (const row of KEDA_RPCS) {
    it(`rpc ${row.name} has KEDA's request, response and streaming`, () => {
      const service = definition['externalscaler.ExternalScaler'] as ServiceDefinition;
      const method = service[row.name] as MethodDefinition<object, object>;
      expect(describeMethod(method)).toEqual(row.want);
      expect(method.path).toBe(`/externalscaler.ExternalScaler/${row.name}`);
    });
  }
});

describe('proto/health.proto matches grpc.health.v1', () => {
  const definition = healthPackageDefinition();

  it('Check is unary and Watch is server-streaming on /grpc.health.v1.Health', () => {
    const service = definition['grpc.health.v1.Health'] as ServiceDefinition;
    const methods = Object.fromEntries(Object.entries(service).map(([name, method]) => [name, { path: method.path, ...describeMethod(method as MethodDefinition<object, object>) }]));
    expect(methods).toEqual({
      Check: { path: '/grpc.health.v1.Health/Check', request: 'HealthCheckRequest', response: 'HealthCheckResponse', requestStream: false, responseStream: false },
      Watch: { path: '/grpc.health.v1.Health/Watch', request: 'HealthCheckRequest', response: 'HealthCheckResponse', requestStream: false, responseStream: true },
    });
  });

  it('status enum values are the protocol numbers', () => {
    const response = (definition['grpc.health.v1.HealthCheckResponse'] as MessageTypeDefinition<object, object>).type as unknown as {
      field: FieldDescriptor[];
      enumType: { name: string; value: { name: string; number: number }[] }[];
    };
    expect(response.field.map((field) => [field.name, field.number, field.type])).toEqual([['status', 1, 'TYPE_ENUM']]);
    expect(response.enumType[0]?.value.map((value) => [value.name, value.number])).toEqual([
      ['UNKNOWN', 0],
      ['SERVING', 1],
      ['NOT_SERVING', 2],
      ['SERVICE_UNKNOWN', 3],
    ]);
  });
});
