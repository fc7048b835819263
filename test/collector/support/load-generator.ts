// The load generator: OTLP/gRPC traces with known trace IDs, span counts and rate, sent to the agents
// over real gRPC connections. A trace's spans are spread over `traceDurationMs`, so traces are in
// flight across the gateways' ring changes as they are in production.
import { randomBytes } from 'node:crypto';
import { type Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { type ExportTraceServiceRequestMessage, type KeyValueMessage, type SpanMessage, traceServiceClient } from './otlp.ts';

export interface LoadSettings {
  readonly tracesPerSecond: number;
  readonly spansPerTrace: number;
  /** Time from a trace's first span to its last. */
  readonly traceDurationMs: number;
}

export interface LoadGenerator {
  /** Changes the rate of new traces from now on (traces already started finish as planned). */
  setTracesPerSecond(tracesPerSecond: number): void;
  /** Spans the agents acknowledged, and spans of export calls that failed (with their status codes). */
  sentSpans(): number;
  failedSpans(): number;
  failureCodes(): ReadonlyMap<number, number>;
  /** Hex trace IDs of every trace whose spans were all sent, with their span counts. */
  readonly completeTraces: ReadonlyMap<string, number>;
  /** How many traces have been started so far (the sequence of the latest). */
  startedTraces(): number;
  /** The order in which this generator started a trace (1 for its first), from the trace's hex ID. */
  sequenceOf(traceId: string): number;
  /** Stops starting traces, lets started ones finish (at most traceDurationMs), waits for replies. */
  stop(): Promise<void>;
}

const TICK_MS = 50;
/** Export calls in flight per agent beyond which a tick's spans are counted as failed rather than queued without bound. */
const MAX_IN_FLIGHT_PER_AGENT = 64;
const CALL_DEADLINE_MS = 10_000;

interface ActiveTrace {
  readonly traceId: Buffer;
  readonly startedAtMs: number;
  nextSpan: number;
  failed: boolean;
}

/**
 * Attributes of a typical HTTP server span (semantic conventions), so a span weighs what real ones do
 * (about 400 bytes encoded) and the gateways' CPU per span is not flattered by empty spans.
 */
function spanAttributes(index: number): KeyValueMessage[] {
  const text = (key: string, stringValue: string): KeyValueMessage => ({ key, value: { stringValue } });
  return [
    text('http.request.method', 'GET'),
    text('http.route', '/api/orders/{id}'),
    text('url.path', `/api/orders/${100_000 + index}`),
    text('url.scheme', 'https'),
    text('server.address', 'orders.shop.svc.cluster.local'),
    text('user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'),
    text('network.protocol.version', '1.1'),
    { key: 'http.response.status_code', value: { intValue: '200' } },
    { key: 'server.port', value: { intValue: '8443' } },
  ];
}

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

/** Starts sending at once to `agentEndpoints` (host:port), round-robin per export call. */
export function startLoadGenerator(agentEndpoints: readonly string[], settings: LoadSettings): LoadGenerator {
  if (agentEndpoints.length === 0) throw new Error('startLoadGenerator needs at least one agent endpoint');
  if (!(settings.spansPerTrace >= 2)) throw new Error(`spansPerTrace must be ≥ 2, got ${settings.spansPerTrace}`);
  const Service = traceServiceClient();
  const clients = agentEndpoints.map((endpoint) => ({ client: new Service(endpoint, credentials.createInsecure()) as Client, inFlight: 0 }));
  // The tail-sampling processor keys its decision cache by the right half of the trace ID alone, so
  // that half must not repeat across generators sending to the same gateway: a repeat is released at
  // once on the earlier trace's decision instead of being held and decided.
  const runPrefix = randomBytes(8);
  const runOffset = randomBytes(8).readBigUInt64BE();
  let traceCounter = 0n;
  let spanCounter = 0n;
  let tracesPerSecond = settings.tracesPerSecond;
  let owedTraces = 0;
  let sent = 0;
  let failed = 0;
  const codes = new Map<number, number>();
  const active: ActiveTrace[] = [];
  const completeTraces = new Map<string, number>();
  const calls = new Set<Promise<void>>();
  let nextClient = 0;
  let stopping = false;
  let lastTickMs = Date.now();
  const spacingMs = settings.traceDurationMs / (settings.spansPerTrace - 1);

  const send = (spans: SpanMessage[], traces: readonly ActiveTrace[]) => {
    const target = clients[nextClient++ % clients.length]!;
    const request: ExportTraceServiceRequestMessage = {
      resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'load-generator' } }] }, scopeSpans: [{ scope: { name: 'load-generator' }, spans }] }],
    };
    if (target.inFlight >= MAX_IN_FLIGHT_PER_AGENT) {
      failed += spans.length;
      codes.set(-1, (codes.get(-1) ?? 0) + spans.length);
      for (const trace of traces) trace.failed = true;
      return;
    }
    target.inFlight += 1;
    const call = new Promise<void>((resolve) => {
      const method = (target.client as unknown as Record<string, (r: unknown, o: object, cb: (e: ServiceError | null) => void) => void>).Export!;
      method.call(target.client, request, { deadline: Date.now() + CALL_DEADLINE_MS }, (error) => {
        target.inFlight -= 1;
        if (error) {
          failed += spans.length;
          codes.set(error.code, (codes.get(error.code) ?? 0) + spans.length);
          for (const trace of traces) trace.failed = true;
        } else {
          sent += spans.length;
        }
        resolve();
      });
    });
    calls.add(call);
    void call.then(() => calls.delete(call));
  };

  const tick = () => {
    const now = Date.now();
    if (!stopping) {
      owedTraces += (tracesPerSecond * (now - lastTickMs)) / 1000;
      while (owedTraces >= 1) {
        owedTraces -= 1;
        const traceId = Buffer.alloc(16);
        runPrefix.copy(traceId, 0);
        traceId.writeBigUInt64BE(BigInt.asUintN(64, runOffset + ++traceCounter), 8);
        active.push({ traceId, startedAtMs: now, nextSpan: 0, failed: false });
      }
    }
    lastTickMs = now;
    const spans: SpanMessage[] = [];
    const touched: ActiveTrace[] = [];
    for (const trace of active) {
      let emitted = false;
      while (trace.nextSpan < settings.spansPerTrace && trace.startedAtMs + trace.nextSpan * spacingMs <= now) {
        const spanId = Buffer.alloc(8);
        spanId.writeBigUInt64BE(++spanCounter);
        const startMs = trace.startedAtMs + trace.nextSpan * spacingMs;
        spans.push({
          traceId: trace.traceId,
          spanId,
          name: `GET /api/orders/{id} step ${trace.nextSpan}`,
          kind: 2,
          startTimeUnixNano: nanos(startMs),
          endTimeUnixNano: nanos(startMs + 1),
          attributes: spanAttributes(trace.nextSpan),
        });
        trace.nextSpan += 1;
        emitted = true;
      }
      if (emitted) touched.push(trace);
    }
    if (spans.length > 0) send(spans, touched);
    for (let index = active.length - 1; index >= 0; index--) {
      const trace = active[index]!;
      if (trace.nextSpan >= settings.spansPerTrace) {
        active.splice(index, 1);
        if (!trace.failed) completeTraces.set(trace.traceId.toString('hex'), settings.spansPerTrace);
      }
    }
  };

  const timer = setInterval(tick, TICK_MS);
  return {
    setTracesPerSecond: (next) => {
      tracesPerSecond = next;
    },
    sentSpans: () => sent,
    failedSpans: () => failed,
    failureCodes: () => codes,
    completeTraces,
    startedTraces: () => Number(traceCounter),
    sequenceOf: (traceId) => Number(BigInt.asUintN(64, BigInt(`0x${traceId.slice(16)}`) - runOffset)),
    stop: async () => {
      stopping = true;
      const deadline = Date.now() + settings.traceDurationMs + TICK_MS * 4;
      while (active.length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      clearInterval(timer);
      await Promise.race([Promise.all(calls), new Promise((resolve) => setTimeout(resolve, CALL_DEADLINE_MS))]);
      for (const { client } of clients) client.close();
    },
  };
}
