// A bad selector or duration is the trigger's fault, not Prometheus': through the real gRPC server, the
// real Advisor and the Prometheus source, each input the issue found passing GetMetricSpec is now
// INVALID_ARGUMENT there and at GetMetrics (never UNAVAILABLE, which would start KEDA's fallback and
// the alert about Prometheus), with a short message naming the key, a short log line, and not one
// request reaching Prometheus. The control shows the same set-up does query Prometheus for a good one.
import { type ServiceError, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Advisor } from '../../src/advisor/advisor.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { type StandInPrometheus, startStandInPrometheus, vectorBody } from '../support/stand-in-prometheus.ts';
import { type ScalerClient, scalerClient } from './support/grpc-client.ts';
import { type StartedScaler, startScaler } from './support/start-scaler.ts';

const MIB = 1024 * 1024;
const GOOD = { gatewaySelector: 'job="otel-gateway"', minReplicas: '2' };

async function failure(call: Promise<unknown>): Promise<ServiceError | undefined> {
  return call.then(
    () => undefined,
    (error: ServiceError) => error,
  );
}

const rows: { name: string; input: Record<string, string>; want: RegExp }[] = [
  { name: 'an unterminated regex group', input: { gatewaySelector: 'job=~"(a|b"' }, want: /^scalerMetadata\.gatewaySelector has job=~"\(a\|b", whose regex is not a valid regular expression/ },
  { name: 'an escape PromQL does not know', input: { gatewaySelector: 'job="\\x"' }, want: /^scalerMetadata\.gatewaySelector the value of job has the escape \\x, which PromQL does not know/ },
  { name: 'a 1 MiB selector', input: { gatewaySelector: `job="${'g'.repeat(MIB)}"` }, want: /^scalerMetadata\.gatewaySelector holds 1048582 bytes; a metadata value may hold at most 4096 bytes/ },
  { name: 'a matcher that selects every job', input: { gatewaySelector: 'job!~""' }, want: /^scalerMetadata\.gatewaySelector has job!~"", which matches every job/ },
  { name: 'a matcher on __name__', input: { gatewaySelector: '__name__="up",job="otel-gateway"' }, want: /^scalerMetadata\.gatewaySelector must not match __name__/ },
  { name: 'a regex on __name__', input: { gatewaySelector: '__name__=~"otelcol_.*"' }, want: /^scalerMetadata\.gatewaySelector must not match __name__/ },
  { name: 'a fractional duration', input: { ...GOOD, rateWindow: '1.5m' }, want: /^scalerMetadata\.rateWindow must be a duration like "30s".* got "1\.5m"$/ },
  { name: 'a padded duration', input: { ...GOOD, rateWindow: ' 1m' }, want: /^scalerMetadata\.rateWindow must be a duration like "30s".* got " 1m"$/ },
];

describe('bad selectors and durations never reach Prometheus', () => {
  let prometheus: StandInPrometheus;
  let scaler: StartedScaler;
  let client: ScalerClient;
  let logBytes = 0;
  const logLines: string[] = [];

  beforeAll(async () => {
    // A 3-gateway tier with no load: enough for a decision on the good selector.
    prometheus = await startStandInPrometheus((request) => {
      const query = request.params.query ?? '';
      if (request.path.endsWith('/query_range')) return { body: { status: 'success', data: { resultType: 'matrix', result: [] } } };
      return { body: vectorBody(query.startsWith('max(label_replace(count(up') || query.startsWith('count(count by') ? [{ value: 3 }] : [{ value: 0 }]) };
    });
    const source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    const logger = pino({ level: 'debug' }, { write: (line: string) => {
      logBytes += Buffer.byteLength(line);
      logLines.push(line);
    } });
    const advisor = new Advisor({ sourceFor: () => source, targetDefaults: {}, forgetAfterSeconds: 3600, maxTargets: 10, historyLength: 10, logger });
    scaler = await startScaler({ evaluator: advisor, decisionLog: advisor, prometheusNames: ['default'], logger });
    client = scalerClient(scaler.address);
  });
  afterAll(async () => {
    client?.close();
    await scaler?.server.stop();
    await prometheus?.stop();
  });

  for (const row of rows) {
    it(`${row.name}: INVALID_ARGUMENT at GetMetricSpec and GetMetrics, short, and no query`, async () => {
      const before = { requests: prometheus.requests.length, logBytes, lines: logLines.length };
      const scaledObjectRef = { namespace: 'observability', name: 'otel-gateway', scalerMetadata: row.input };
      const answers = [
        await failure(client.getMetricSpec(scaledObjectRef)),
        await failure(client.getMetrics({ scaledObjectRef, metricName: 'otel-gateway-replicas' })),
        await failure(client.isActive(scaledObjectRef)),
      ];
      for (const answer of answers) {
        expect(answer?.code, answer?.details).toBe(status.INVALID_ARGUMENT);
        expect(answer?.details).toMatch(row.want);
        expect(answer?.details.length).toBeLessThan(400);
      }
      expect(prometheus.requests.length, 'requests that reached Prometheus').toBe(before.requests);
      // Three calls, each logged once at most, every line far below the input's size.
      const written = logLines.slice(before.lines);
      expect(written.length).toBeGreaterThan(0);
      expect(logBytes - before.logBytes).toBeLessThan(written.length * 2000);
    });
  }

  it('control: a good selector is read from Prometheus and answered', async () => {
    const before = prometheus.requests.length;
    const scaledObjectRef = { namespace: 'observability', name: 'good-gateway', scalerMetadata: GOOD };
    expect(await client.getMetricSpec(scaledObjectRef)).toEqual({ metricSpecs: [expect.objectContaining({ metricName: 'good-gateway-replicas' })] });
    const response = await client.getMetrics({ scaledObjectRef, metricName: 'good-gateway-replicas' });
    expect(Number(response.metricValues[0]?.metricValueFloat)).toBeGreaterThanOrEqual(2);
    const queries = prometheus.requests.slice(before).map((request) => request.params.query ?? '');
    expect(queries.some((query) => query.includes('up{job="otel-gateway"}'))).toBe(true);
  });
});
