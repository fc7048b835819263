import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, NOW_MS, postJson, STEP_SECONDS, startTestDashboard, type TestDashboard, type TestTarget } from './dashboard-fixture.ts';

const EU: TestTarget = {
  ref: { namespace: 'observability', name: 'gateway-eu' },
  origin: 'keda',
  // 1,000 spans/s per replica, 500 at the target utilization; replicas take traffic two 60 s steps later
  // (40 s start + the agents' re-resolve, 5 s DNS interval + 30 s TTL: 75 s).
  metadata: { gatewaySelector: 'job="gw-eu"', capacitySpansPerReplica: '1000', targetUtilization: '0.5', minReplicas: '1', maxReplicas: '40', podStartup: '40s' },
  // Load triples 2.5 minutes before now while the gateways stay at 2.
  script: (atMs) => ({ acceptedSpansPerSecond: atMs < NOW_MS - 150_000 ? 1000 : 3000, replicas: 2 }),
};
const US: TestTarget = {
  ref: { namespace: 'observability', name: 'gateway-us' },
  origin: 'advisory',
  metadata: { gatewaySelector: 'job="gw-us"', mode: 'dry-run' },
  // The backend rejects a fifth of the sends: the scaler must hold.
  script: () => ({ acceptedSpansPerSecond: 50_000, replicas: 6, queueFill: 0.9, sendFailedRatio: 0.2 }),
};

interface ErrorAnswer {
  error: { code: string; message: string };
}

let dashboard: TestDashboard;

beforeAll(async () => {
  dashboard = await startTestDashboard({ targets: [US, EU] });
});

afterAll(async () => {
  await dashboard?.stop();
});

describe('GET /api/targets', () => {
  it('lists every target with its origin, mode, replicas, summary, guards and data age', async () => {
    const answer = await call(dashboard.url, '/api/targets');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const { targets } = answer.json as { targets: Record<string, unknown>[] };
    expect(targets.map((target) => `${target.namespace}/${target.name}`)).toEqual(['observability/gateway-eu', 'observability/gateway-us']);
    const [eu, us] = targets;
    expect(eu).toMatchObject({ origin: 'keda', mode: 'enforce', currentReplicas: 2, recommendedReplicas: 6, answeredReplicas: 6, status: 'scaling', dataAgeSeconds: 0, lastUpdateMs: NOW_MS, lastError: null });
    expect(us).toMatchObject({ origin: 'advisory', mode: 'dry-run', currentReplicas: 6, answeredReplicas: 6, status: 'critical' });
    expect(us!.summary).toMatch(/backend/i);
    expect((us!.activeGuards as { name: string }[]).map((guard) => guard.name)).toContain('backendBottleneck');
  });
});

describe('GET /api/targets/{namespace}/{name}', () => {
  it('answers the latest decision in full, the signals with the thresholds from the settings, and the effective settings', async () => {
    const answer = await call(dashboard.url, '/api/targets/observability/gateway-us');
    expect(answer.status).toBe(200);
    const detail = answer.json as {
      decision: { proposals: { name: string }[]; guards: unknown[]; reasons: string[]; snapshot: unknown; at: number };
      signals: { name: string; reading: { kind: string; value?: number }; thresholds: { setting: string; value: number }[] }[];
      effectiveMetadata: Record<string, string>;
      settings: Record<string, unknown>;
    };
    expect(detail.decision.at).toBe(NOW_MS);
    expect(detail.decision.proposals.map((proposal) => proposal.name)).toEqual(['queue', 'throughput', 'recentPeak', 'refused', 'decisionLatency', 'tracesOnMemory', 'forecast', 'calendar']);
    expect(detail.decision.reasons.length).toBeGreaterThan(0);
    const ratio = detail.signals.find((signal) => signal.name === 'sendFailedRatio')!;
    expect(ratio.reading).toEqual({ kind: 'ok', value: 0.2 });
    expect(ratio.thresholds).toEqual([expect.objectContaining({ setting: 'backendFailureRatio', value: 0.05 })]);
    const queue = detail.signals.find((signal) => signal.name === 'queueFillMax')!;
    expect(queue.thresholds).toEqual([expect.objectContaining({ setting: 'targetQueueFill', value: 0.5 })]);
    const traces = detail.signals.find((signal) => signal.name === 'tracesOnMemory')!;
    expect(traces.thresholds).toEqual([expect.objectContaining({ setting: 'numTraces', value: 50_000 * 6 })]);
    expect(detail.effectiveMetadata).toMatchObject({ gatewaySelector: 'job="gw-us"', mode: 'dry-run', decisionWait: '30s', decisionLatencyBudget: '500ms' });
    expect(detail.settings).toMatchObject({ mode: 'dry-run', backendFailureRatio: 0.05 });
  });

  it('answers 404 naming an unknown target', async () => {
    const answer = await call(dashboard.url, '/api/targets/observability/nope');
    expect(answer.status).toBe(404);
    expect((answer.json as ErrorAnswer).error).toEqual({ code: 'TARGET_NOT_FOUND', message: expect.stringContaining('observability/nope') });
  });

  it('decodes percent-encoded names', async () => {
    expect((await call(dashboard.url, '/api/targets/observability/gateway%2Deu')).status).toBe(200);
  });
});

describe('bad paths, methods and query parameters', () => {
  const cases: { name: string; input: { method?: string; path: string }; want: { status: number; code: string; message: RegExp; allow?: string } }[] = [
    { name: 'an unknown API collection', input: { path: '/api/scalers' }, want: { status: 400, code: 'BAD_REQUEST', message: /no API path \/api\/scalers; the API has: GET \/api\/targets/ } },
    { name: 'a namespace without a name', input: { path: '/api/targets/observability' }, want: { status: 400, code: 'BAD_REQUEST', message: /no API path \/api\/targets\/observability/ } },
    { name: 'an unknown action on a target', input: { path: '/api/targets/observability/gateway-eu/scale' }, want: { status: 400, code: 'BAD_REQUEST', message: /no API path/ } },
    { name: 'a path too deep', input: { path: '/api/targets/a/b/history/x' }, want: { status: 400, code: 'BAD_REQUEST', message: /no API path/ } },
    { name: 'broken percent-encoding', input: { path: '/api/targets/observability/gateway%E0%A4%A' }, want: { status: 400, code: 'BAD_REQUEST', message: /not valid percent-encoding/ } },
    { name: 'a query parameter the list does not take', input: { path: '/api/targets?limit=5' }, want: { status: 400, code: 'BAD_REQUEST', message: /unknown query parameter "limit"; this path takes none/ } },
    { name: 'a history parameter misspelt', input: { path: '/api/targets/observability/gateway-eu/history?from=6h' }, want: { status: 400, code: 'BAD_REQUEST', message: /unknown query parameter "from"; allowed: since/ } },
    { name: 'a path outside the dashboard', input: { path: '/admin' }, want: { status: 404, code: 'ROUTE_NOT_FOUND', message: /nothing at \/admin/ } },
    { name: 'writing to the target list', input: { method: 'DELETE', path: '/api/targets' }, want: { status: 405, code: 'METHOD_NOT_ALLOWED', message: /DELETE is not allowed here; use GET/, allow: 'GET' } },
    { name: 'reading the what-if endpoint', input: { path: '/api/targets/observability/gateway-eu/whatif' }, want: { status: 405, code: 'METHOD_NOT_ALLOWED', message: /GET is not allowed here; use POST/, allow: 'POST' } },
    { name: 'posting to the metrics', input: { method: 'POST', path: '/metrics' }, want: { status: 405, code: 'METHOD_NOT_ALLOWED', message: /POST is not allowed here/, allow: 'GET' } },
  ];
  for (const row of cases) {
    it(`answers ${row.want.status} for ${row.name}`, async () => {
      const answer = await call(dashboard.url, row.input.path, { method: row.input.method ?? 'GET' });
      expect(answer.status).toBe(row.want.status);
      const { error } = answer.json as ErrorAnswer;
      expect(error.code).toBe(row.want.code);
      expect(error.message).toMatch(row.want.message);
      if (row.want.allow) expect(answer.headers.get('allow')).toBe(row.want.allow);
    });
  }
});

describe('GET …/history', () => {
  // 30 decisions were recorded, one a minute, the last at NOW_MS.
  const cases: { name: string; input: string; want: { points: number; firstAtMs: number } }[] = [
    { name: 'everything kept when since is left out', input: '', want: { points: 30, firstAtMs: NOW_MS - 29 * 60_000 } },
    { name: 'a duration before now', input: '?since=10m', want: { points: 11, firstAtMs: NOW_MS - 10 * 60_000 } },
    { name: 'an ISO time', input: `?since=${new Date(NOW_MS - 5 * 60_000).toISOString()}`, want: { points: 6, firstAtMs: NOW_MS - 5 * 60_000 } },
    { name: 'milliseconds since the epoch', input: `?since=${NOW_MS - 2 * 60_000 + 1}`, want: { points: 2, firstAtMs: NOW_MS - 60_000 } },
  ];
  for (const row of cases) {
    it(`reads since as ${row.name}`, async () => {
      const answer = await call(dashboard.url, `/api/targets/observability/gateway-eu/history${row.input}`);
      expect(answer.status).toBe(200);
      const history = answer.json as { points: number; atMs: number[]; currentReplicas: number[]; proposals: Record<string, unknown[]>; acceptedSpansPerSecond: number[] };
      expect(history.points).toBe(row.want.points);
      expect(history.atMs[0]).toBe(row.want.firstAtMs);
      expect(history.atMs.at(-1)).toBe(NOW_MS);
      for (const column of [history.currentReplicas, history.acceptedSpansPerSecond, history.proposals.throughput]) expect(column).toHaveLength(row.want.points);
    });
  }

  it('answers a column per chart series, aligned on time', async () => {
    const history = (await call(dashboard.url, '/api/targets/observability/gateway-eu/history?since=3m')).json as Record<string, unknown>;
    expect(history.acceptedSpansPerSecond).toEqual([1000, 3000, 3000, 3000]);
    expect(history.recommendedReplicas).toEqual([2, 6, 6, 6]);
    expect(history.capacityAtTargetSpansPerSecond).toEqual([1000, 1000, 1000, 1000]);
    expect(history.queueFillMax).toEqual([0.1, 0.1, 0.1, 0.1]);
    expect(history.thresholds).toEqual({ targetQueueFill: 0.5, backendFailureRatio: 0.05, decisionLatencyBudgetMs: 500, minReplicas: 1, maxReplicas: 40 });
  });

  it('answers 400 naming since when it is not a time', async () => {
    const answer = await call(dashboard.url, '/api/targets/observability/gateway-eu/history?since=yesterday');
    expect(answer.status).toBe(400);
    expect((answer.json as ErrorAnswer).error.message).toMatch(/^since "yesterday" is not a time/);
  });
});

describe('POST …/whatif validation', () => {
  const path = '/api/targets/observability/gateway-eu/whatif';
  const cases: { name: string; input: unknown; want: { status: number; code: string; message: RegExp } }[] = [
    { name: 'an unknown override key', input: { overrides: { targetCPU: '70' } }, want: { status: 400, code: 'INVALID_METADATA', message: /scalerMetadata\.targetCPU is not a known key/ } },
    { name: 'a bad override value', input: { overrides: { targetQueueFill: '1.5' } }, want: { status: 400, code: 'INVALID_METADATA', message: /scalerMetadata\.targetQueueFill must be a number > 0 and ≤ 1, got "1.5"/ } },
    { name: 'overrides that cross min and max', input: { overrides: { minReplicas: 50 } }, want: { status: 400, code: 'INVALID_METADATA', message: /minReplicas \(50\) must be ≤ maxReplicas \(40\)/ } },
    { name: 'an override that is not a value', input: { overrides: { minReplicas: [2] } }, want: { status: 400, code: 'BAD_REQUEST', message: /overrides\.minReplicas must be a string or a number/ } },
    { name: 'overrides that are not an object', input: { overrides: 'minReplicas=2' }, want: { status: 400, code: 'BAD_REQUEST', message: /overrides must be an object/ } },
    { name: 'an unknown body field', input: { window: '6h' }, want: { status: 400, code: 'BAD_REQUEST', message: /unknown field "window" in the what-if body; allowed: overrides, from, to, step/ } },
    { name: 'a window longer than a week', input: { from: '8d' }, want: { status: 400, code: 'BAD_REQUEST', message: /spans 8d; at most 7d can be replayed/ } },
    { name: 'more steps than Prometheus answers', input: { from: '7d', step: '30s' }, want: { status: 400, code: 'BAD_REQUEST', message: /step 30s gives 20161 steps over the window; at most 11000: use step ≥ 55s/ } },
    { name: 'from after to', input: { from: '1h', to: '2h' }, want: { status: 400, code: 'BAD_REQUEST', message: /from \(.*\) must be before to/ } },
    { name: 'a window ending in the future', input: { to: new Date(NOW_MS + 3_600_000).toISOString() }, want: { status: 400, code: 'BAD_REQUEST', message: /is in the future; a what-if replays the past/ } },
    { name: 'a step that is not a duration', input: { step: 60 }, want: { status: 400, code: 'BAD_REQUEST', message: /step must be a duration string like "30s"/ } },
    { name: 'a step longer than staleAfter', input: { step: '5m' }, want: { status: 400, code: 'BAD_REQUEST', message: /step 5m is longer than staleAfter \(2m\): .* never scale in; use step ≤ 2m or override staleAfter/ } },
    { name: 'a step too small', input: { step: '100ms' }, want: { status: 400, code: 'BAD_REQUEST', message: /step "100ms" must be a duration/ } },
    { name: 'a body that is not JSON', input: '{"from": 6h}', want: { status: 400, code: 'BAD_REQUEST', message: /request body is not valid JSON/ } },
    { name: 'a JSON array', input: '[]', want: { status: 400, code: 'BAD_REQUEST', message: /request body must be a JSON object/ } },
    { name: 'a body over 64 KiB', input: { overrides: { gatewaySelector: 'x'.repeat(70_000) } }, want: { status: 400, code: 'BAD_REQUEST', message: /request body is larger than 65536 bytes/ } },
  ];
  for (const row of cases) {
    it(`answers ${row.want.status} for ${row.name}`, async () => {
      const reads = dashboard.tiers.rangeReads.length;
      const answer = await postJson(dashboard.url, path, row.input);
      expect(answer.status).toBe(row.want.status);
      expect((answer.json as ErrorAnswer).error.code).toBe(row.want.code);
      expect((answer.json as ErrorAnswer).error.message).toMatch(row.want.message);
      expect(dashboard.tiers.rangeReads.length).toBe(reads);
    });
  }

  it('answers 404 for a what-if on an unknown target', async () => {
    const answer = await postJson(dashboard.url, '/api/targets/observability/nope/whatif', {});
    expect(answer.status).toBe(404);
  });
});

describe('POST …/whatif replay', () => {
  it('replays the window with the overrides and compares it with what the gateways ran', async () => {
    const fromMs = NOW_MS - 4 * STEP_SECONDS * 1000;
    const answer = await postJson(dashboard.url, '/api/targets/observability/gateway-eu/whatif', {
      overrides: { scaleInStep: '2' },
      from: new Date(fromMs).toISOString(),
      to: String(NOW_MS),
      step: '1m',
    });
    expect(answer.status).toBe(200);
    const result = answer.json as {
      window: unknown;
      overrides: Record<string, string>;
      settings: { scaleInStep: number };
      steps: number;
      replay: Record<string, number>;
      actual: Record<string, number>;
      series: Record<string, unknown[]>;
      estimator: string;
    };
    const read = dashboard.tiers.rangeReads.at(-1)!;
    expect(read.window).toEqual({ startMs: fromMs, endMs: NOW_MS, stepSeconds: 60 });
    expect(read.settings.scaleInStep).toBe(2);
    expect(result.window).toEqual({ fromMs, toMs: NOW_MS, stepSeconds: 60 });
    expect(result.overrides).toEqual({ scaleInStep: '2' });
    expect(result.steps).toBe(5);
    // Loads 1k, 1k, 3k, 3k, 3k spans/s; the gateways ran 2 throughout, the replay asks for 6 at the
    // first 3k step and has them ready two steps later.
    expect(result.series.offeredSpansPerSecond).toEqual([1000, 1000, 3000, 3000, 3000]);
    expect(result.series.actualReplicas).toEqual([2, 2, 2, 2, 2]);
    expect(result.series.replayedReplicas).toEqual([2, 2, 6, 6, 6]);
    expect(result.replay.replicaHours).toBeCloseTo((22 * 60) / 3600, 10);
    expect(result.actual.replicaHours).toBeCloseTo((10 * 60) / 3600, 10);
    expect(result.replay.estimatedLostSpans).toBe(2 * (3000 - 2 * 1000) * 60);
    expect(result.actual.estimatedLostSpans).toBe(3 * (3000 - 2 * 1000) * 60);
    expect(result.replay.scaleActions).toBe(1);
    expect(result.actual.scaleActions).toBe(0);
    expect(result.estimator).toMatch(/capacitySpansPerReplica/);
  });

  it('replays the largest window in slices, answering other requests meanwhile', async () => {
    const reads = dashboard.tiers.rangeReads.length;
    const order: string[] = [];
    const whatIf = postJson(dashboard.url, '/api/targets/observability/gateway-eu/whatif', { from: '7d', step: '55s' }).then((answer) => {
      order.push('whatif');
      return answer;
    });
    while (dashboard.tiers.rangeReads.length === reads) await new Promise((resolve) => setImmediate(resolve));
    const health = await call(dashboard.url, '/healthz');
    order.push('healthz');
    const answer = await whatIf;
    expect(health.status).toBe(200);
    expect(answer.status).toBe(200);
    expect((answer.json as { steps: number }).steps).toBe(Math.floor((7 * 86_400) / 55) + 1);
    expect(order).toEqual(['healthz', 'whatif']);
  });

  it('defaults to the last six hours at the target’s polling interval', async () => {
    const answer = await postJson(dashboard.url, '/api/targets/observability/gateway-eu/whatif', {});
    expect(answer.status).toBe(200);
    expect(dashboard.tiers.rangeReads.at(-1)!.window).toEqual({ startMs: NOW_MS - 6 * 3_600_000, endMs: NOW_MS, stepSeconds: 30 });
  });
});

describe('probes and page', () => {
  it('answers /healthz while the process is up', async () => {
    const answer = await call(dashboard.url, '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'up' });
  });

  it('serves the page shell and its bundle from the scaler itself, with a strict content security policy', async () => {
    const page = await call(dashboard.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    const references = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(references.sort()).toEqual(['#/', '/assets/app.css', '/assets/app.js', '/favicon.svg']);
    const script = await call(dashboard.url, '/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.text).toContain('uplot');
    const style = await call(dashboard.url, '/assets/app.css');
    expect(style.text).toContain('.uplot');
  });
});
