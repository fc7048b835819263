// Prometheus going away mid-run and coming back: reads fail with PROMETHEUS_UNAVAILABLE (so KEDA's
// fallback applies), the reader keeps working, and reads succeed again once Prometheus is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { ScalerError } from '../../src/errors.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import type { SignalReadEvent } from '../../src/signals/query-observer.ts';
import { type CollectorExporter, startCollectorExporter } from '../support/collector-exporter.ts';
import { DEFAULT_GATEWAY_JOB, type RunningPrometheus, startPrometheus, waitForQuery } from '../support/prometheus.ts';

const QUERY_TIMEOUT_MS = 1000;
const TARGET = { namespace: 'observability', name: 'gateways' };
const SETTINGS = parseTargetMetadata({ gatewaySelector: `job="${DEFAULT_GATEWAY_JOB}"`, rateWindow: '15s' });

describe('PrometheusSignalSource when Prometheus stops and starts again', () => {
  let exporter: CollectorExporter;
  let prometheus: RunningPrometheus;
  let source: PrometheusSignalSource;
  const reads: SignalReadEvent[] = [];

  beforeAll(async () => {
    exporter = await startCollectorExporter({ spelling: 'suffixed', gateways: 2 });
    for (const gateway of exporter.gateways) gateway.setRate('acceptedSpans', 1000);
    prometheus = await startPrometheus({ scrapeTargets: exporter.targets });
    source = new PrometheusSignalSource({
      serverName: 'default',
      server: { url: prometheus.url, queryTimeoutMs: QUERY_TIMEOUT_MS, cacheTtlMs: 0 },
      observer: { queryFinished: () => undefined, readFinished: (event) => reads.push(event) },
    });
    await waitForQuery(prometheus.url, `count(up{job="${DEFAULT_GATEWAY_JOB}"} == 1)`, (samples) => samples[0]?.value === 2);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
  });

  it('reads, rejects while Prometheus is down, and reads again once it is back', async () => {
    const before = await source.read(TARGET, SETTINGS);
    expect(before.signals.currentReplicas).toEqual({ kind: 'ok', value: 2 });

    await prometheus.pause();
    const startedAt = performance.now();
    let failure: unknown;
    try {
      await source.read(TARGET, SETTINGS);
    } catch (error) {
      failure = error;
    }
    const elapsedMs = performance.now() - startedAt;
    expect(failure).toBeInstanceOf(ScalerError);
    const error = failure as ScalerError;
    expect(error.code).toBe('PROMETHEUS_UNAVAILABLE');
    expect(error.spec.grpcStatus).toBe(14); // UNAVAILABLE
    expect(error.message).toContain('Prometheus server "default"');
    expect(error.message).toContain(prometheus.url);
    // The cause as the socket saw it: refused on a new connection, or hung up on a kept-alive one the
    // client had not yet seen Prometheus close (which of the two depends on scheduling).
    expect(error.message).toMatch(/ECONNREFUSED|socket hang up|ECONNRESET/);
    // Within the per-query timeout (plus scheduling slack), far inside KEDA's 3 s deadline.
    expect(elapsedMs).toBeLessThan(QUERY_TIMEOUT_MS + 1000);

    // Still down: every read keeps failing the same clear way instead of hanging or crashing.
    await expect(source.read(TARGET, SETTINGS)).rejects.toMatchObject({ code: 'PROMETHEUS_UNAVAILABLE' });

    await prometheus.resume();
    await waitForQuery(prometheus.url, `count(up{job="${DEFAULT_GATEWAY_JOB}"} == 1)`, (samples) => samples[0]?.value === 2);
    const after = await source.read(TARGET, SETTINGS);
    expect(after.signals.currentReplicas).toEqual({ kind: 'ok', value: 2 });
    expect(reads.map((event) => event.outcome)).toEqual(['fetched', 'failed', 'failed', 'fetched']);
  }, 60_000);
});
