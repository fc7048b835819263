// The backend the gateways export to: a real OTLP/gRPC TraceService on 127.0.0.1 that records every
// span it accepts with the gateway that sent it (the `gateway.id` resource attribute the gateways'
// resource processor stamps), and can be told to accept, answer slowly, take no more than a rate
// whatever the number of senders, or fail every export.
import { type sendUnaryData, Server, ServerCredentials, type ServerUnaryCall, status } from '@grpc/grpc-js';
import { type ExportTraceServiceRequestMessage, stringAttribute, traceServiceDefinition } from './otlp.ts';

/** Resource attribute each gateway stamps on what it exports. */
export const GATEWAY_ATTRIBUTE = 'gateway.id';

export type SinkBehaviour =
  | { readonly kind: 'accept' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  /** A backend at its ceiling: exports are answered in arrival order, each once the spans before it and its own fit this rate. */
  | { readonly kind: 'capped'; readonly spansPerSecond: number }
  | { readonly kind: 'fail'; readonly code: typeof status.UNAVAILABLE | typeof status.RESOURCE_EXHAUSTED };

export interface TraceRecord {
  spans: number;
  readonly gateways: Set<string>;
}

export interface BackendSink {
  /** host:port for the gateways' otlp exporter. */
  readonly endpoint: string;
  behave(behaviour: SinkBehaviour): void;
  /** Spans accepted so far, in total and per gateway. */
  acceptedSpans(): number;
  acceptedSpansByGateway(): ReadonlyMap<string, number>;
  /** Export calls answered with an error so far, and the spans they carried. */
  rejectedSpans(): number;
  /** Every accepted trace by hex trace ID. */
  readonly traces: ReadonlyMap<string, TraceRecord>;
  stop(): Promise<void>;
}

function spansIn(request: ExportTraceServiceRequestMessage): number {
  let spans = 0;
  for (const resourceSpans of request.resourceSpans) for (const scopeSpans of resourceSpans.scopeSpans) spans += scopeSpans.spans.length;
  return spans;
}

export async function startBackendSink(): Promise<BackendSink> {
  let behaviour: SinkBehaviour = { kind: 'accept' };
  let accepted = 0;
  let rejected = 0;
  const byGateway = new Map<string, number>();
  const traces = new Map<string, TraceRecord>();
  const pending = new Set<NodeJS.Timeout>();
  /** When the capped backend is free to take the next export's spans. */
  let cappedFreeAtMs = 0;

  const record = (request: ExportTraceServiceRequestMessage) => {
    for (const resourceSpans of request.resourceSpans) {
      const gateway = stringAttribute(resourceSpans.resource?.attributes, GATEWAY_ATTRIBUTE) ?? '(unstamped)';
      for (const scopeSpans of resourceSpans.scopeSpans) {
        for (const span of scopeSpans.spans) {
          const traceId = span.traceId.toString('hex');
          let trace = traces.get(traceId);
          if (!trace) {
            trace = { spans: 0, gateways: new Set() };
            traces.set(traceId, trace);
          }
          trace.spans += 1;
          trace.gateways.add(gateway);
          byGateway.set(gateway, (byGateway.get(gateway) ?? 0) + 1);
          accepted += 1;
        }
      }
    }
  };

  const server = new Server();
  server.addService(traceServiceDefinition(), {
    Export: (call: ServerUnaryCall<ExportTraceServiceRequestMessage, unknown>, callback: sendUnaryData<unknown>) => {
      const current = behaviour;
      if (current.kind === 'fail') {
        rejected += spansIn(call.request);
        callback({ code: current.code, details: `backend sink told to fail (${current.code === status.UNAVAILABLE ? 'UNAVAILABLE' : 'RESOURCE_EXHAUSTED'})` });
        return;
      }
      const answer = () => {
        // A call its sender gave up on is not taken: the sender will send it again.
        if (call.cancelled) return;
        record(call.request);
        callback(null, { partialSuccess: null });
      };
      const answerAfter = (delayMs: number) => {
        const timer = setTimeout(() => {
          pending.delete(timer);
          answer();
        }, delayMs);
        pending.add(timer);
      };
      if (current.kind === 'slow') {
        answerAfter(current.delayMs);
      } else if (current.kind === 'capped') {
        const nowMs = Date.now();
        cappedFreeAtMs = Math.max(cappedFreeAtMs, nowMs) + (spansIn(call.request) / current.spansPerSecond) * 1000;
        answerAfter(cappedFreeAtMs - nowMs);
      } else {
        answer();
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    behave: (next) => {
      behaviour = next;
    },
    acceptedSpans: () => accepted,
    acceptedSpansByGateway: () => byGateway,
    rejectedSpans: () => rejected,
    traces,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
