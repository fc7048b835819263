import { afterEach, describe, expect, it } from 'vitest';
import type { ReadinessCheck } from '../../src/dashboard/readiness.ts';
import { call, NOW_MS, startTestDashboard, type TestDashboard, type TestTarget } from './dashboard-fixture.ts';

const GATEWAY: TestTarget = {
  ref: { namespace: 'observability', name: 'gateway' },
  origin: 'keda',
  metadata: { gatewaySelector: 'job="gw"', capacitySpansPerReplica: '10000', targetUtilization: '0.5' },
  // 80k spans/s needs 16 at 5k per replica; queues 90 % full on 8 gateways ask for 8 × 0.9 / 0.5 = 15.
  script: () => ({ acceptedSpansPerSecond: 80_000, replicas: 8, queueFill: 0.9 }),
};
const FAILING: TestTarget = {
  ref: { namespace: 'observability', name: 'failing-backend' },
  origin: 'advisory',
  metadata: { gatewaySelector: 'job="gw2"' },
  script: () => ({ acceptedSpansPerSecond: 10_000, replicas: 3, sendFailedRatio: 0.5 }),
};

let dashboard: TestDashboard | undefined;

afterEach(async () => {
  await dashboard?.stop();
  dashboard = undefined;
});

/** The value of one sample line of the exposition, or undefined when absent. */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (wanted.every((pair) => labelText.split(',').includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/metrics', () => {
  it('shows recommended and current replicas, each proposal and guard activity per target, read from the decision log', async () => {
    dashboard = await startTestDashboard({ targets: [GATEWAY, FAILING], decidedSteps: 3 });
    const { text, headers } = await call(dashboard.url, '/metrics');
    expect(headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const gateway = { namespace: 'observability', name: 'gateway' };
    expect(sample(text, 'otel_gateway_scaler_recommended_replicas', { ...gateway, mode: 'enforce' })).toBe(16);
    expect(sample(text, 'otel_gateway_scaler_current_replicas', gateway)).toBe(8);
    expect(sample(text, 'otel_gateway_scaler_proposal_replicas', { ...gateway, proposal: 'throughput' })).toBe(16);
    expect(sample(text, 'otel_gateway_scaler_proposal_replicas', { ...gateway, proposal: 'queue' })).toBe(15);
    expect(sample(text, 'otel_gateway_scaler_proposal_replicas', { ...gateway, proposal: 'forecast' })).toBeUndefined();
    expect(sample(text, 'otel_gateway_scaler_signal_age_seconds', gateway)).toBe(0);
    const failing = { namespace: 'observability', name: 'failing-backend' };
    expect(sample(text, 'otel_gateway_scaler_guard_active', { ...failing, guard: 'backendBottleneck', effect: 'hold' })).toBe(1);
    expect(sample(text, 'otel_gateway_scaler_guard_active', { ...gateway, guard: 'backendBottleneck' })).toBeUndefined();
    expect(text).toContain('otel_gateway_scaler_process_cpu_seconds_total');
  });

  it('counts guard actions and decisions recorded while it runs', async () => {
    dashboard = await startTestDashboard({ targets: [FAILING], decidedSteps: 1 });
    for (let step = 1; step <= 3; step++) await dashboard.evaluate(FAILING, NOW_MS + step * 60_000);
    const { text } = await call(dashboard.url, '/metrics');
    const failing = { namespace: 'observability', name: 'failing-backend' };
    expect(sample(text, 'otel_gateway_scaler_guard_actions_total', { ...failing, guard: 'backendBottleneck', effect: 'hold' })).toBe(3);
    expect(sample(text, 'otel_gateway_scaler_decisions_total', { ...failing, mode: 'enforce' })).toBe(3);
    expect(sample(text, 'otel_gateway_scaler_guard_active', { ...failing, guard: 'backendBottleneck', effect: 'hold' })).toBe(1);
  });

  it('shows a failing target by its error code until the next success', async () => {
    dashboard = await startTestDashboard({ targets: [GATEWAY], decidedSteps: 1 });
    dashboard.tiers.unavailable = true;
    await expect(dashboard.evaluate(GATEWAY, NOW_MS + 60_000)).rejects.toThrow(/unreachable/);
    const { text } = await call(dashboard.url, '/metrics');
    expect(sample(text, 'otel_gateway_scaler_target_failing', { namespace: 'observability', name: 'gateway', code: 'PROMETHEUS_UNAVAILABLE' })).toBe(1);
    const overview = (await call(dashboard.url, '/api/targets')).json as { targets: { status: string; lastError: { code: string } }[] };
    expect(overview.targets[0]).toMatchObject({ status: 'critical', lastError: { code: 'PROMETHEUS_UNAVAILABLE' } });
    dashboard.tiers.unavailable = false;
    await dashboard.evaluate(GATEWAY, NOW_MS + 120_000);
    expect(sample((await call(dashboard.url, '/metrics')).text, 'otel_gateway_scaler_target_failing', { namespace: 'observability', name: 'gateway' })).toBeUndefined();
  });

  it('turns the observers main.ts hands out into latency histograms and error counters', async () => {
    dashboard = await startTestDashboard({ targets: [GATEWAY], decidedSteps: 1 });
    const { prometheusQueries, grpcCalls, alerting } = dashboard.metrics;
    prometheusQueries.queryFinished({ server: 'default', query: 'queueFillMax', durationMs: 12, outcome: 'ok' });
    prometheusQueries.queryFinished({ server: 'default', query: 'queueFillMax', durationMs: 2000, outcome: 'error', errorReason: 'timeout' });
    prometheusQueries.readFinished?.({ server: 'default', outcome: 'cached' });
    grpcCalls.callFinished({ method: 'GetMetrics', durationMs: 3, code: 'OK' });
    grpcCalls.callFinished({ method: 'GetMetrics', durationMs: 4, code: 'OK' });
    alerting.onAlertTransition({ rule: 'backendBottleneck', severity: 'critical', state: 'firing', advisory: false });
    alerting.onDeliveryAttemptFailure({ reason: 'rate-limited', status: 429 });
    alerting.onDeliveryAttemptFailure({ reason: 'rate-limited', status: 429 });
    alerting.onNotification({ outcome: 'failed', reason: 'rate-limited', attempts: 2, alerts: 1 });
    alerting.onQueueDrop({ droppedTotal: 1 });
    alerting.onQueueDepth(7);
    const { text } = await call(dashboard.url, '/metrics');
    expect(sample(text, 'otel_gateway_scaler_prometheus_query_duration_seconds_count', { server: 'default', query: 'queueFillMax', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'otel_gateway_scaler_prometheus_query_errors_total', { server: 'default', reason: 'timeout' })).toBe(1);
    expect(sample(text, 'otel_gateway_scaler_signal_reads_total', { server: 'default', outcome: 'cached' })).toBe(1);
    expect(sample(text, 'otel_gateway_scaler_grpc_call_duration_seconds_count', { method: 'GetMetrics', code: 'OK' })).toBe(2);
    expect(sample(text, 'otel_gateway_scaler_grpc_call_duration_seconds_sum', { method: 'GetMetrics', code: 'OK' })).toBeCloseTo(0.007, 10);
    expect(sample(text, 'otel_gateway_scaler_alert_transitions_total', { rule: 'backendBottleneck', severity: 'critical', state: 'firing', advisory: 'false' })).toBe(1);
    expect(sample(text, 'otel_gateway_scaler_alert_delivery_attempt_failures_total', { reason: 'rate-limited' })).toBe(2);
    expect(sample(text, 'otel_gateway_scaler_alert_notifications_total', { outcome: 'failed', reason: 'rate-limited' })).toBe(1);
    expect(text).toMatch(/^otel_gateway_scaler_alert_queue_dropped_total 1$/m);
    expect(text).toMatch(/^otel_gateway_scaler_alert_queue_depth 7$/m);
  });
});

describe('/readyz', () => {
  const ready = (name: string): ReadinessCheck => ({ name, check: () => ({ kind: 'ready' }) });
  const cases: { name: string; input: ReadinessCheck[]; want: { status: number; notReady: Record<string, RegExp> } }[] = [
    { name: 'every check ready', input: [ready('config'), ready('grpc'), ready('prometheus')], want: { status: 200, notReady: {} } },
    {
      name: 'Prometheus unreachable',
      input: [ready('config'), ready('grpc'), { name: 'prometheus', check: async () => ({ kind: 'not-ready', reason: 'prometheus "default" unreachable' }) }],
      want: { status: 503, notReady: { prometheus: /unreachable/ } },
    },
    {
      name: 'a check that throws',
      input: [
        {
          name: 'grpc',
          check: () => {
            throw new Error('gRPC server not bound');
          },
        },
      ],
      want: { status: 503, notReady: { grpc: /gRPC server not bound/ } },
    },
    {
      name: 'a check that never answers',
      input: [ready('config'), { name: 'prometheus', check: () => new Promise(() => {}) }],
      want: { status: 503, notReady: { prometheus: /no answer within 900 ms/ } },
    },
  ];
  for (const row of cases) {
    it(`answers ${row.want.status} with ${row.name}`, async () => {
      dashboard = await startTestDashboard({ targets: [], readiness: row.input });
      const answer = await call(dashboard.url, '/readyz');
      expect(answer.status).toBe(row.want.status);
      const report = answer.json as { ready: boolean; checks: { name: string; kind: string; reason?: string }[] };
      expect(report.ready).toBe(row.want.status === 200);
      expect(report.checks.map((check) => check.name)).toEqual(row.input.map((check) => check.name));
      for (const check of report.checks) {
        const reason = row.want.notReady[check.name];
        if (reason) expect(check).toMatchObject({ kind: 'not-ready', reason: expect.stringMatching(reason) });
        else expect(check.kind).toBe('ready');
      }
    });
  }
});
