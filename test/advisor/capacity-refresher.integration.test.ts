// Learned capacity end to end: six hours of gateway CPU and accepted-span counters, and the pods' CPU
// requests as kube-state-metrics exposes them, written into a real Prometheus through its remote-write
// receiver; read back through the capacity range queries, estimated, and fed to decide().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityRefresher, capacityReadWindow } from '../../src/advisor/capacity-refresher.ts';
import { decide } from '../../src/policy/decide.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { settings as settingsFor, snapshot } from '../policy/policy-fixtures.ts';
import { buildCapacityQueries } from '../../src/signals/capacity-queries.ts';
import { queryVector, type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { historyEndSeconds, type RemoteWriteSeries, remoteWrite } from '../support/remote-write.ts';
import { silentLogger as silent } from '../support/recording-logger.ts';

const HOUR_S = 3600;
const STEP_S = 15;
// History ends a little in the past, as at a read shortly after.
const END_S = historyEndSeconds();
const START_S = END_S - 6 * HOUR_S;
const TRUE_CAPACITY = 23_400;
const CPU_REQUEST_CORES = 1.5;
const IDLE_CORES = 0.03;
/** A backend outage in the middle: exporters fail, CPU drops to 70 % of its steady cost. */
const OUTAGE = { fromS: START_S + 2 * HOUR_S, toS: START_S + 2.5 * HOUR_S };

/** Accepted spans/s of gateway g: a swing between 30 % and 70 % of capacity over the six hours. */
function load(tSeconds: number, gateway: number): number {
  return TRUE_CAPACITY * (0.5 + 0.2 * Math.sin((2 * Math.PI * (tSeconds - START_S)) / (4 * HOUR_S)) + 0.03 * gateway);
}

/**
 * A stretch where the gateways fall behind the agents: the agents accept 1.03 × what the gateways do and
 * refuse another 0.2 × (their sending queues full), so only the two together pass the 1.05 × witness.
 */
const FALLING_BEHIND = { fromS: START_S + 4 * HOUR_S, toS: START_S + 4.5 * HOUR_S, acceptedShare: 1.03, refusedShare: 0.2 };

function fallingBehind(tSeconds: number): boolean {
  return tSeconds >= FALLING_BEHIND.fromS && tSeconds < FALLING_BEHIND.toS;
}

/** Two agents, each taking in half of what the three otel-gateway gateways accept (and more while they fall behind). */
function agentSeries(agent: number): RemoteWriteSeries[] {
  const labels = { job: 'otel-agent', namespace: 'observability', pod: `otel-agent-${agent}`, instance: `otel-agent-${agent}:8888` };
  const tier = (t: number) => (load(t, 0) + load(t, 1) + load(t, 2)) / 2;
  return [
    counter('otelcol_receiver_accepted_spans', { ...labels, receiver: 'otlp', transport: 'grpc' }, (t) => tier(t) * (fallingBehind(t) ? FALLING_BEHIND.acceptedShare : 1)),
    counter('otelcol_receiver_refused_spans', { ...labels, receiver: 'otlp', transport: 'grpc' }, (t) => (fallingBehind(t) ? tier(t) * FALLING_BEHIND.refusedShare : 0)),
  ];
}

function inOutage(tSeconds: number): boolean {
  return tSeconds >= OUTAGE.fromS && tSeconds < OUTAGE.toS;
}

function cores(tSeconds: number, gateway: number): number {
  const work = (CPU_REQUEST_CORES - IDLE_CORES) * (load(tSeconds, gateway) / TRUE_CAPACITY);
  return IDLE_CORES + work * (inOutage(tSeconds) ? 0.7 : 1);
}

/** Counter series scraped every STEP_S, integrating `perSecond`. */
function counter(name: string, labels: Record<string, string>, perSecond: (t: number) => number): RemoteWriteSeries {
  const samples: { timestampMs: number; value: number }[] = [];
  let total = 0;
  for (let t = START_S; t <= END_S; t += STEP_S) {
    samples.push({ timestampMs: t * 1000, value: total });
    total += perSecond(t + STEP_S / 2) * STEP_S;
  }
  return { labels: { __name__: name, ...labels }, samples };
}

function gauge(name: string, labels: Record<string, string>, value: (t: number) => number): RemoteWriteSeries {
  const samples: { timestampMs: number; value: number }[] = [];
  for (let t = START_S; t <= END_S; t += STEP_S) samples.push({ timestampMs: t * 1000, value: value(t) });
  return { labels: { __name__: name, ...labels }, samples };
}

function gatewaySeries(job: string, namespace: string, gateway: number, withRequest: boolean): RemoteWriteSeries[] {
  const pod = `${job}-${gateway}`;
  const labels = { job, namespace, pod, instance: `${pod}:8888` };
  const series = [
    counter('otelcol_process_uptime', labels, () => 1),
    counter('otelcol_process_cpu_seconds', labels, (t) => cores(t, gateway)),
    counter('otelcol_receiver_accepted_spans', { ...labels, receiver: 'otlp', transport: 'grpc' }, (t) => load(t, gateway)),
    counter('otelcol_exporter_send_failed_spans', { ...labels, exporter: 'otlp' }, (t) => (inOutage(t) ? load(t, gateway) : 0)),
  ];
  if (withRequest) {
    series.push(
      gauge('kube_pod_container_resource_requests', { job: 'kube-state-metrics', namespace, pod, container: 'otelcol', resource: 'cpu', unit: 'core' }, () => CPU_REQUEST_CORES),
    );
  }
  return series;
}

const ref = { namespace: 'observability', name: 'otel-gateway' };
const unlabelledRef = { namespace: 'observability', name: 'plain-gateway' };
const settings = settingsFor({ gatewaySelector: 'job="otel-gateway"', capacitySpansPerReplica: '20000' });
const plainSettings = settingsFor({ gatewaySelector: 'job="plain-gateway"', capacitySpansPerReplica: '20000' });

let prometheus: RunningPrometheus;
let source: PrometheusSignalSource;

beforeAll(async () => {
  prometheus = await startPrometheus({ extraFlags: ['--web.enable-remote-write-receiver'] });
  await remoteWrite(prometheus.url, [
    ...[0, 1, 2].flatMap((gateway) => gatewaySeries('otel-gateway', 'observability', gateway, true)),
    ...[0, 1].flatMap((gateway) => gatewaySeries('plain-gateway', 'observability', gateway, false)),
    ...[0, 1].flatMap(agentSeries),
  ]);
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('capacity learned from a real Prometheus', () => {
  it('learns the true capacity from CPU against accepted spans, relative to the CPU request, leaving the outage out', async () => {
    const refresher = new CapacityRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    expect(refresher.estimateFor(ref, settings, nowMs)).toBeUndefined();
    const estimate = await refresher.refresh(ref, settings, nowMs);
    if (estimate.kind !== 'learned') throw new Error(`expected a learned capacity, got: ${estimate.reason}`);
    expect(estimate.allotmentSource).toBe('kube-state-metrics requests');
    expect(Math.abs(estimate.fit.spansPerReplica / TRUE_CAPACITY - 1)).toBeLessThan(0.03);
    expect(estimate.fit.toMs - estimate.fit.fromMs).toBeGreaterThan(5 * HOUR_S * 1000);
    // 2-minute steps (the rate window): 181 steps × 3 gateways, less the half-hour outage's ~15 steps × 3, flagged by send failures.
    expect(estimate.fit.samples).toBeLessThanOrEqual(181 * 3 - 15 * 3);
    expect(estimate.fit.samples).toBeGreaterThan(181 * 3 - 20 * 3);

    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), capacity: refresher.estimateFor(ref, settings, nowMs) }, settings);
    expect(decision.capacity.source).toBe('learned');
    // 5.9 h: the history's first steps had no intake a decision_wait before them, so they are left out.
    expect(decision.reasons.find((reason) => reason.startsWith('Capacity'))).toMatch(/^Capacity 23k spans\/s per replica, learned from 5\.9 h of CPU .*kube-state-metrics requests.*; the trigger says 20k spans\/s\.$/);
    const throughput = decision.proposals.find((proposal) => proposal.name === 'throughput')!;
    expect(throughput.inputs.capacitySpansPerReplica).toBeCloseTo(estimate.fit.spansPerReplica, 6);
  });

  it('runs every capacity query without a PromQL error, one series per gateway where there is data', async () => {
    const byName = Object.fromEntries(await Promise.all(buildCapacityQueries(settings).map(async (query) => [query.name, await queryVector(prometheus.url, query.promql, END_S)] as const)));
    for (const name of ['cpuCores', 'acceptedSpansPerSecond', 'acceptedSpansPerSecondDecisionWaitAgo', 'cpuRequestCores'] as const) {
      expect(byName[name]!.map((sample) => sample.labels.instance).sort()).toEqual(['otel-gateway-0:8888', 'otel-gateway-1:8888', 'otel-gateway-2:8888']);
    }
    expect(byName.cpuRequestCores!.every((sample) => sample.value === CPU_REQUEST_CORES)).toBe(true);
    expect(byName.cpuLimitCores).toEqual([]);
    expect(byName.saturated).toEqual([]);
    expect(byName.exportDisturbed).toEqual([]);
  });

  it('flags every gateway where the agents took in more than 1.05 × what the gateways accepted, with agentSelector set', async () => {
    const withAgents = settingsFor({ gatewaySelector: 'job="otel-gateway"', agentSelector: 'job="otel-agent"', capacitySpansPerReplica: '20000' });
    const window = capacityReadWindow(withAgents, END_S * 1000);
    const { samples } = await source.readCpuLoadSamples(ref, withAgents, window);
    // Steps whose whole rate window lies inside the stretch, and steps clear of it by a rate window.
    const inside = samples.filter((sample) => sample.atMs / 1000 >= FALLING_BEHIND.fromS + withAgents.rateWindowSeconds && sample.atMs / 1000 < FALLING_BEHIND.toS);
    const clear = samples.filter((sample) => sample.atMs / 1000 < FALLING_BEHIND.fromS || sample.atMs / 1000 >= FALLING_BEHIND.toS + withAgents.rateWindowSeconds);
    expect(new Set(inside.map((sample) => sample.gateway))).toEqual(new Set(['otel-gateway-0:8888', 'otel-gateway-1:8888', 'otel-gateway-2:8888']));
    expect(inside.length).toBeGreaterThan(3 * 10);
    expect(inside.filter((sample) => !sample.agentsAhead)).toEqual([]);
    expect(clear.length).toBeGreaterThan(3 * 100);
    expect(clear.filter((sample) => sample.agentsAhead)).toEqual([]);
    // The agents are their own flag: the gateways themselves neither refused nor ran their ticks over budget.
    expect(samples.filter((sample) => sample.saturated)).toEqual([]);
    // Without agentSelector the agents are not read: nothing in the stretch is flagged.
    const { samples: gatewaysOnly } = await source.readCpuLoadSamples(ref, settings, window);
    expect(gatewaysOnly.filter((sample) => sample.saturated || sample.agentsAhead)).toEqual([]);
  });

  it('reads each gateway\'s accepted spans/s a decision_wait earlier, and 0 where it had no series then', async () => {
    const query = (name: string) => buildCapacityQueries(settings).find((candidate) => candidate.name === name)!.promql;
    const byInstance = (samples: { labels: Record<string, string>; value: number }[]) => Object.fromEntries(samples.map((sample) => [sample.labels.instance, sample.value]));
    const earlier = byInstance(await queryVector(prometheus.url, query('acceptedSpansPerSecondDecisionWaitAgo'), END_S));
    const acceptedThen = byInstance(await queryVector(prometheus.url, query('acceptedSpansPerSecond'), END_S - settings.decisionWaitSeconds));
    expect(Object.keys(earlier).sort()).toEqual(Object.keys(acceptedThen).sort());
    for (const [instance, value] of Object.entries(earlier)) expect(value, instance).toBeCloseTo(acceptedThen[instance]!, 6);
    // A step after the history's first two scrapes: accepted spans have a rate, a decision_wait before they had none.
    const firstSteps = await queryVector(prometheus.url, query('acceptedSpansPerSecondDecisionWaitAgo'), START_S + STEP_S + 5);
    expect(firstSteps.filter((sample) => sample.labels.instance?.startsWith('otel-gateway-')).map((sample) => sample.value)).toEqual([0, 0, 0]);
  });

  it('keeps the trigger figure and names the fix where kube-state-metrics has no request for the pods', async () => {
    const refresher = new CapacityRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const estimate = await refresher.refresh(unlabelledRef, plainSettings, END_S * 1000);
    expect(estimate).toMatchObject({ kind: 'insufficient', reason: expect.stringMatching(/CPU allotment unknown.*cpuPerReplica/) });
  });

  it('learns relative to the trigger key cpuPerReplica where kube-state-metrics has none', async () => {
    const refresher = new CapacityRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const withKey = settingsFor({ gatewaySelector: 'job="plain-gateway"', cpuPerReplica: String(CPU_REQUEST_CORES) });
    const estimate = await refresher.refresh(unlabelledRef, withKey, END_S * 1000);
    if (estimate.kind !== 'learned') throw new Error(`expected a learned capacity, got: ${estimate.reason}`);
    expect(estimate.allotmentSource).toBe('trigger cpuPerReplica');
    expect(Math.abs(estimate.fit.spansPerReplica / TRUE_CAPACITY - 1)).toBeLessThan(0.03);
  });

  it('says the CPU history could not be read when Prometheus does not answer, and decides on the trigger figure', async () => {
    const unreachable = new PrometheusSignalSource({ serverName: 'gone', server: { url: 'http://127.0.0.1:9', queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    const refresher = new CapacityRefresher({ history: unreachable, forgetAfterSeconds: 3600, logger: silent });
    const estimate = await refresher.refresh(ref, settings, END_S * 1000);
    expect(estimate).toMatchObject({ kind: 'insufficient', reason: expect.stringMatching(/^the CPU history could not be read/) });
    const { decision } = decide({ nowMs: END_S * 1000, snapshot: snapshot({ observedAtMs: END_S * 1000 }), capacity: estimate }, settings);
    expect(decision.capacity).toMatchObject({ source: 'trigger', spansPerReplica: 20_000 });
  });
});
