// Capacity learned from a real gateway's own CPU. One gateway of the built collector, held to a tenth
// of a core (GOMAXPROCS=1 and a cgroup quota, the trigger's cpuPerReplica), takes a load that climbs
// from a quarter of its CPU to about three quarters, as a tier's load does over a day; a real Prometheus
// scrapes it. The scaler's capacity range queries read that history and the estimator extrapolates CPU
// against accepted spans to 100 %. Then the load is raised past what the gateway can take, and what it
// sends on with its CPU at the quota is the capacity the estimate is held to. The trigger's
// capacitySpansPerReplica is set four times too high, as an operator's guess can be.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { capacityInUse } from '../../src/policy/capacity-in-use.ts';
import { CapacityWorkspace, estimateCapacity } from '../../src/policy/capacity-estimate.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { freePort } from '../support/free-port.ts';
import { queryVector, type RunningPrometheus, startPrometheus, waitForScrapeHistory } from '../support/prometheus.ts';
import { type BackendSink, startBackendSink } from './support/backend-sink.ts';
import { DEFAULT_GATEWAY_SETTINGS, gatewayConfig } from './support/collector-configs.ts';
import { type CollectorProcess, collectorBinary, startCollectorProcess } from './support/collector-process.ts';
import { type LoadGenerator, startLoadGenerator } from './support/load-generator.ts';

const JOB = 'gw-capacity';
const CPUS = 0.1;
const SPANS_PER_TRACE = 10;
const RATE_WINDOW_SECONDS = 15;
/**
 * Steps of the day, traces/s: 500 to 3,000 spans/s and back, a quarter to about three quarters of the
 * quota; each load twice, so a drift of the machine's speed over the minutes is not read as the curve.
 */
const CLIMB_TRACES_PER_SECOND = [50, 100, 150, 200, 250, 300, 250, 200, 150, 100, 50];
const CLIMB_STEP_SECONDS = 25;
/** Range-query step: several samples per load step, as an hour gives the minute-step queries in production. */
const SAMPLE_STEP_SECONDS = 5;
/** Offered past the gateway's capacity; it settles for WARM seconds and is measured over MEASURE. */
const OVERLOAD_TRACES_PER_SECOND = 600;
const OVERLOAD_WARM_SECONDS = 15;
const OVERLOAD_MEASURE_SECONDS = 30;
/**
 * The learned figure against what the gateway sustains: 1.01, 0.84, 1.02, 0.92 and 0.96 in five
 * recorded runs, up to 16 % low and at most 2 % high (docs/how-it-decides.md, learned capacity). A
 * span's CPU on this shared machine moves between runs and within one, by as much as the sustained rate
 * does (4,271 to 5,849 spans/s). Above the band the scaler, sizing peaks at 91 %, would run gateways
 * past their CPU; below it the figure is off by more than the machine explains (a unit or a join gone
 * wrong).
 */
const LEARNED_OVER_SUSTAINED = { min: 0.4, max: 1.1 };
/** Four times what the gateway takes: the estimate must replace this, not lean on it. */
const TRIGGER_CAPACITY = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('capacity learned from a CPU-limited real gateway', () => {
  let sink: BackendSink;
  let gateway: CollectorProcess;
  let prometheus: RunningPrometheus;
  let load: LoadGenerator;
  let climb: { startMs: number; endMs: number };
  let sustained: { sentSpansPerSecond: number; cpuCores: number };

  beforeAll(async () => {
    sink = await startBackendSink();
    const ports = { otlp: await freePort(), metrics: await freePort(), health: await freePort() };
    const config = gatewayConfig({
      ...DEFAULT_GATEWAY_SETTINGS,
      id: 'gateway-1',
      address: '127.0.0.1',
      otlpPort: ports.otlp,
      metricsPort: ports.metrics,
      healthPort: ports.health,
      backendEndpoint: sink.endpoint,
    });
    gateway = await startCollectorProcess({ name: 'gateway-1', binary: collectorBinary(), config, healthUrl: `http://127.0.0.1:${ports.health}/`, cpuLimit: { goMaxProcs: 1, cpus: CPUS } });
    prometheus = await startPrometheus({ scrapeJobs: [{ jobName: JOB, targets: [`127.0.0.1:${ports.metrics}`] }] });
    load = startLoadGenerator([`127.0.0.1:${ports.otlp}`], { tracesPerSecond: CLIMB_TRACES_PER_SECOND[0]!, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000 });
    await waitForScrapeHistory(prometheus.url, `job="${JOB}"`, RATE_WINDOW_SECONDS);
    const startMs = Date.now();
    for (const tracesPerSecond of CLIMB_TRACES_PER_SECOND) {
      load.setTracesPerSecond(tracesPerSecond);
      await sleep(CLIMB_STEP_SECONDS * 1000);
    }
    climb = { startMs, endMs: Date.now() };
    load.setTracesPerSecond(OVERLOAD_TRACES_PER_SECOND);
    await sleep((OVERLOAD_WARM_SECONDS + OVERLOAD_MEASURE_SECONDS) * 1000);
    const rate = async (family: string) => (await queryVector(prometheus.url, `sum(rate(${family}{job="${JOB}"}[${OVERLOAD_MEASURE_SECONDS}s]))`))[0]?.value ?? 0;
    sustained = { sentSpansPerSecond: await rate('otelcol_exporter_sent_spans'), cpuCores: await rate('otelcol_process_cpu_seconds') };
  }, 480_000);

  afterAll(async () => {
    await load?.stop();
    await Promise.all([gateway?.stop(), prometheus?.stop(), sink?.stop()]);
  }, 60_000);

  it('extrapolates its CPU to about the load it sustains at its quota, never above, and uses that instead of the trigger', async () => {
    // The overload did saturate the gateway: its CPU was at the quota.
    expect(sustained.cpuCores).toBeGreaterThan(CPUS * 0.9);
    const settings = parseTargetMetadata({
      gatewaySelector: `job="${JOB}"`,
      rateWindow: `${RATE_WINDOW_SECONDS}s`,
      cpuPerReplica: String(CPUS),
      capacitySpansPerReplica: String(TRIGGER_CAPACITY),
    });
    const source = new PrometheusSignalSource({ serverName: 'prometheus', server: { url: prometheus.url, queryTimeoutMs: 5000, cacheTtlMs: 0 } });
    // From the first full rate window of the climb to its end.
    const stepMs = SAMPLE_STEP_SECONDS * 1000;
    const window = {
      startMs: Math.ceil((climb.startMs + RATE_WINDOW_SECONDS * 1000) / stepMs) * stepMs,
      endMs: Math.floor(climb.endMs / stepMs) * stepMs,
      stepSeconds: SAMPLE_STEP_SECONDS,
    };
    const { samples, allotmentSource } = await source.readCpuLoadSamples({ namespace: 'observability', name: 'gateways' }, settings, window);
    // The evidence and the truth it is held to, for judging another estimator on the same real samples.
    const recordTo = process.env.LEARNED_CAPACITY_SAMPLES_OUT;
    if (recordTo) writeFileSync(recordTo, `${JSON.stringify({ window, sustained, samples }, null, 1)}\n`);
    const estimate = estimateCapacity(samples, settings.cpuPerReplicaCores, allotmentSource, new CapacityWorkspace(samples.length), (window.endMs - window.startMs) / 1000);
    const context = `${samples.length} samples, sustained ${Math.round(sustained.sentSpansPerSecond)} spans/s at ${sustained.cpuCores.toFixed(3)} cores`;
    expect(estimate.kind, `${context}: ${estimate.kind === 'insufficient' ? estimate.reason : ''}`).toBe('learned');
    if (estimate.kind !== 'learned') return;
    const ratio = estimate.fit.spansPerReplica / sustained.sentSpansPerSecond;
    const learned = `${context}: learned ${Math.round(estimate.fit.spansPerReplica)} (${ratio.toFixed(2)})`;
    expect(ratio, learned).toBeGreaterThanOrEqual(LEARNED_OVER_SUSTAINED.min);
    expect(ratio, learned).toBeLessThanOrEqual(LEARNED_OVER_SUSTAINED.max);
    expect(estimate.allotmentSource).toBe('trigger cpuPerReplica');

    const inUse = capacityInUse(settings, estimate);
    expect(inUse.source).toBe('learned');
    expect(inUse.spansPerReplica).toBe(estimate.fit.spansPerReplica);
    expect(inUse.sentence).toContain('the trigger says 20k spans/s');
  });
});
