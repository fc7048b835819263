// KEDA's ExternalScaler service (proto/externalscaler.proto). The handlers translate only: a request
// becomes a TargetEvaluator call (or, for the spec, a metadata check), the Evaluation becomes KEDA's
// message. What to answer is decided in policy/ and advisor/.
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { DecisionLog } from '../advisor/decision-log.ts';
import { parseTargetMetadata, type TargetSettings } from '../config/target-metadata.ts';
import type { TargetDefaults } from '../config/server-config.ts';
import { echoValue, ScalerError } from '../errors.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import type { GrpcCallObserver } from './call-observer.ts';
import type { EvaluationHub } from './evaluation-hub.ts';
import { statusName, toGrpcStatus } from './grpc-error.ts';
import { metricNameFor } from './metric-name.ts';
import type { OpenStreams } from './open-streams.ts';
import type {
  GetMetricSpecResponseMessage,
  GetMetricsRequestMessage,
  GetMetricsResponseMessage,
  IsActiveResponseMessage,
  ScaledObjectRefMessage,
} from './proto.ts';
import { describeRef, targetOf } from './scaled-object-ref.ts';
import { openServerStream } from './server-stream.ts';
import { serveStreamIsActive } from './stream-is-active.ts';

export interface ExternalScalerServiceOptions {
  readonly hub: EvaluationHub;
  /** When given, StreamIsActive also re-evaluates on decisions recorded outside this service. */
  readonly decisionLog?: DecisionLog;
  /** The server config's targetDefaults, used where GetMetricSpec validates metadata without evaluating. */
  readonly targetDefaults: TargetDefaults;
  /**
   * Names of the configured Prometheus servers; GetMetricSpec rejects metadata naming another one
   * (UNKNOWN_PROMETHEUS) without reading anything. Not checked when undefined.
   */
  readonly prometheusNames?: readonly string[];
  readonly openStreams: OpenStreams;
  readonly observer: GrpcCallObserver;
  readonly logger: Logger;
}

/** KEDA's target for the metric: with targetSize 1 the value GetMetrics returns is the replica count. */
const TARGET_SIZE = 1;

/** Validates the trigger metadata (INVALID_METADATA / UNKNOWN_PROMETHEUS) without any I/O. */
function settingsOf(ref: ScaledObjectRefMessage, options: ExternalScalerServiceOptions): TargetSettings {
  const settings = parseTargetMetadata(ref.scalerMetadata ?? {}, options.targetDefaults);
  const known = options.prometheusNames;
  if (known && !known.includes(settings.prometheus)) {
    throw new ScalerError(
      'UNKNOWN_PROMETHEUS',
      `scalerMetadata.prometheus "${echoValue(settings.prometheus)}" is not a Prometheus server of this scaler; configured: ${known.join(', ') || '(none)'}`,
    );
  }
  return settings;
}

function metricSpecResponse(target: TargetRef): GetMetricSpecResponseMessage {
  return { metricSpecs: [{ metricName: metricNameFor(target), targetSize: TARGET_SIZE, targetSizeFloat: TARGET_SIZE }] };
}

/** Builds the handler map for `server.addService(externalScalerService().service, …)`. */
export function createExternalScalerService(options: ExternalScalerServiceOptions): UntypedServiceImplementation {
  const { hub, logger, observer } = options;

  function unary<Request, Response>(method: string, refOf: (request: Request) => ScaledObjectRefMessage | null, answer: (request: Request) => Promise<Response> | Response) {
    return (call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>) => {
      const startedMs = performance.now();
      const report = (code: GrpcStatus) => observer.callFinished({ method, durationMs: performance.now() - startedMs, code: statusName(code) });
      Promise.resolve()
        .then(() => answer(call.request))
        .then(
          (response) => {
            callback(null, response);
            report(GrpcStatus.OK);
          },
          (error: unknown) => {
            const failure = toGrpcStatus(error, logger, { method, target: describeRef(refOf(call.request)) });
            callback(failure, null);
            report(failure.code ?? GrpcStatus.UNKNOWN);
          },
        );
    };
  }

  const ofRef = (request: ScaledObjectRefMessage) => request;
  const ofMetricsRequest = (request: GetMetricsRequestMessage) => request.scaledObjectRef;

  return {
    IsActive: unary<ScaledObjectRefMessage, IsActiveResponseMessage>('IsActive', ofRef, async (request) => {
      const evaluation = await hub.evaluate(targetOf(request), request.scalerMetadata ?? {});
      return { result: evaluation.active };
    }),

    GetMetricSpec: unary<ScaledObjectRefMessage, GetMetricSpecResponseMessage>('GetMetricSpec', ofRef, (request) => {
      const target = targetOf(request);
      settingsOf(request, options);
      return metricSpecResponse(target);
    }),

    GetMetrics: unary<GetMetricsRequestMessage, GetMetricsResponseMessage>('GetMetrics', ofMetricsRequest, async (request) => {
      const target = targetOf(request.scaledObjectRef, 'GetMetricsRequest.scaledObjectRef');
      const evaluation = await hub.evaluate(target, request.scaledObjectRef?.scalerMetadata ?? {});
      const replicas = evaluation.decision.replicas;
      // KEDA turns NaN, ±Inf and negatives into 0, which would scale the tier in: refuse instead.
      if (!Number.isFinite(replicas) || replicas < 0) {
        throw new Error(`decision for ${describeRef(request.scaledObjectRef)} has replicas ${replicas}`);
      }
      return {
        metricValues: [{ metricName: request.metricName || metricNameFor(target), metricValue: Math.round(replicas), metricValueFloat: replicas }],
      };
    }),

    StreamIsActive: (call: ServerWritableStream<ScaledObjectRefMessage, IsActiveResponseMessage>) => {
      serveStreamIsActive(call, { ...options, settingsOf: (ref) => settingsOf(ref, options) });
    },

    StreamMetricSpec: (call: ServerWritableStream<ScaledObjectRefMessage, GetMetricSpecResponseMessage>) => {
      const stream = openServerStream(call, 'StreamMetricSpec', options, { target: describeRef(call.request) });
      if (stream.ended) return;
      try {
        const target = targetOf(call.request);
        settingsOf(call.request, options);
        // The spec never changes for a target, so the first message is the only one; the stream
        // stays open (as KEDA expects) until the client cancels or the server shuts down.
        stream.send(metricSpecResponse(target));
      } catch (error) {
        stream.fail(error);
      }
    },
  };
}
