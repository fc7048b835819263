// Caching, single flight, timeouts, partial failures and credentials, against a real HTTP server that
// stands in for Prometheus where a real one cannot be made to hang, fail one query or count requests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { ScalerError } from '../../src/errors.ts';
import { buildSignalQueries } from '../../src/signals/promql-catalogue.ts';
import { MAX_RANGE_POINTS, minRangeStepSeconds, PrometheusSignalSource, type PrometheusServerSettings } from '../../src/signals/prometheus-source.ts';
import { PrometheusSignalSources } from '../../src/signals/prometheus-sources.ts';
import type { PrometheusQueryEvent, SignalReadEvent } from '../../src/signals/query-observer.ts';
import { errorBody, type StandInPrometheus, type StandInReply, type StandInRequest, startStandInPrometheus, vectorBody } from '../support/stand-in-prometheus.ts';

const QUERIES_PER_READ = Object.keys(buildSignalQueries({ gatewaySelector: 'job="gw"', rateWindowSeconds: 60 })).length;
const TARGET = { namespace: 'observability', name: 'gateways' };
const SETTINGS = parseTargetMetadata({ gatewaySelector: 'job="gw"' });
const ALL_OK: (request: StandInRequest) => StandInReply = () => ({ body: vectorBody([{ labels: { instance: 'gw-0:8888' }, value: 1 }]) });

async function rejection(promise: Promise<unknown>): Promise<ScalerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScalerError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('PrometheusSignalSource (stand-in Prometheus)', () => {
  let standIn: StandInPrometheus | undefined;
  let reply: (request: StandInRequest) => StandInReply;
  let clockMs: number;
  let queryEvents: PrometheusQueryEvent[];
  let readEvents: SignalReadEvent[];

  const sourceFor = (server: Partial<PrometheusServerSettings> = {}) =>
    new PrometheusSignalSource({
      serverName: 'default',
      server: { url: standIn!.url, queryTimeoutMs: 2000, cacheTtlMs: 10_000, ...server },
      nowMs: () => clockMs,
      observer: { queryFinished: (event) => queryEvents.push(event), readFinished: (event) => readEvents.push(event) },
    });

  beforeEach(async () => {
    reply = ALL_OK;
    clockMs = 1_000_000;
    queryEvents = [];
    readEvents = [];
    standIn = await startStandInPrometheus((request) => reply(request));
  });

  afterEach(async () => {
    await standIn?.stop();
  });

  describe('cache and single flight', () => {
    const cases: {
      name: string;
      input: { cacheTtlMs: number; reads: { advanceMs: number; rateWindow?: string; deploymentName?: string; target?: string }[] };
      want: { flights: number };
    }[] = [
      { name: 'a second read within the TTL is served from cache', input: { cacheTtlMs: 10_000, reads: [{ advanceMs: 0 }, { advanceMs: 9_999 }] }, want: { flights: 1 } },
      { name: 'a read at or after the TTL queries again', input: { cacheTtlMs: 10_000, reads: [{ advanceMs: 0 }, { advanceMs: 10_000 }] }, want: { flights: 2 } },
      { name: 'a TTL of 0 never caches', input: { cacheTtlMs: 0, reads: [{ advanceMs: 0 }, { advanceMs: 0 }] }, want: { flights: 2 } },
      { name: 'targets are cached separately', input: { cacheTtlMs: 10_000, reads: [{ advanceMs: 0 }, { advanceMs: 0, target: 'other' }] }, want: { flights: 2 } },
      { name: 'changed metadata (rateWindow) is not answered from the old cache entry', input: { cacheTtlMs: 10_000, reads: [{ advanceMs: 0 }, { advanceMs: 0, rateWindow: '5m' }] }, want: { flights: 2 } },
      // The Deployment's status replicas are part of the expected-gateways query.
      { name: 'changed metadata (deploymentName) is not answered from the old cache entry', input: { cacheTtlMs: 10_000, reads: [{ advanceMs: 0 }, { advanceMs: 0, deploymentName: 'otel-gateway' }, { advanceMs: 0, deploymentName: 'otel-gateway-canary' }] }, want: { flights: 3 } },
    ];
    for (const { name, input, want } of cases) {
      it(name, async () => {
        const source = sourceFor({ cacheTtlMs: input.cacheTtlMs });
        for (const read of input.reads) {
          clockMs += read.advanceMs;
          const settings = parseTargetMetadata({ gatewaySelector: 'job="gw"', ...(read.rateWindow ? { rateWindow: read.rateWindow } : {}), ...(read.deploymentName ? { deploymentName: read.deploymentName } : {}) });
          await source.read({ ...TARGET, name: read.target ?? TARGET.name }, settings);
        }
        expect(standIn!.requests.length).toBe(want.flights * QUERIES_PER_READ);
      });
    }

    it('keeps at most maxCachedSnapshots, the oldest dropped first', async () => {
      const source = new PrometheusSignalSource({ serverName: 'default', server: { url: standIn!.url, queryTimeoutMs: 2000, cacheTtlMs: 10_000 }, nowMs: () => clockMs, maxCachedSnapshots: 3 });
      const readOf = (name: string) => source.read({ ...TARGET, name }, SETTINGS);
      for (const name of ['a', 'b', 'c', 'd']) await readOf(name);
      expect(standIn!.requests.length).toBe(4 * QUERIES_PER_READ);
      await readOf('d');
      await readOf('b');
      expect(standIn!.requests.length, 'b, c and d are still cached').toBe(4 * QUERIES_PER_READ);
      await readOf('a');
      expect(standIn!.requests.length, 'a was dropped when d came').toBe(5 * QUERIES_PER_READ);
      for (let index = 0; index < 20; index++) await readOf(`flood-${index}`);
      await readOf('a');
      expect(standIn!.requests.length, 'a was dropped again by the flood').toBe(26 * QUERIES_PER_READ);
    });

    it('concurrent reads of one target share one flight and one result', async () => {
      reply = () => ({ body: vectorBody([{ value: 3 }]), delayMs: 150 });
      const source = sourceFor();
      const snapshots = await Promise.all(Array.from({ length: 5 }, () => source.read(TARGET, SETTINGS)));
      expect(standIn!.requests.length).toBe(QUERIES_PER_READ);
      for (const snapshot of snapshots) expect(snapshot).toBe(snapshots[0]);
      expect(readEvents.map((event) => event.outcome).sort()).toEqual(['fetched', 'joined', 'joined', 'joined', 'joined']);
    });

    it('runs the queries of one read in parallel', async () => {
      // No query is answered before every query of the read has arrived: serial queries would time out.
      let allArrived: () => void = () => undefined;
      const arrived = new Promise<void>((resolve) => {
        allArrived = resolve;
      });
      reply = () => {
        if (standIn!.requests.length === QUERIES_PER_READ) allArrived();
        return { body: vectorBody([{ value: 3 }]), after: arrived };
      };
      const snapshot = await sourceFor({ queryTimeoutMs: 1000 }).read(TARGET, SETTINGS);
      expect(snapshot.signals.sentSpansPerSecond).toEqual({ kind: 'ok', value: 3 });
      expect(queryEvents.every((event) => event.outcome === 'ok')).toBe(true);
    });

    it('does not cache a failed read: the next read queries again', async () => {
      reply = () => ({ status: 503, body: errorBody('unavailable', 'overloaded') });
      const source = sourceFor();
      await rejection(source.read(TARGET, SETTINGS));
      reply = ALL_OK;
      const snapshot = await source.read(TARGET, SETTINGS);
      expect(snapshot.signals.currentReplicas).toEqual({ kind: 'ok', value: 1 });
      expect(standIn!.requests.length).toBe(2 * QUERIES_PER_READ);
      expect(readEvents.map((event) => event.outcome)).toEqual(['failed', 'fetched']);
    });
  });

  describe('failures', () => {
    it('marks only the failing query missing, with the Prometheus error as the reason', async () => {
      reply = (request) =>
        request.params.query?.includes('enqueue_failed')
          ? { status: 422, body: errorBody('execution', 'query processing would load too many samples') }
          : ALL_OK(request);
      const snapshot = await sourceFor().read(TARGET, SETTINGS);
      const failed = snapshot.signals.enqueueFailedSpansPerSecond;
      expect(failed.kind).toBe('missing');
      if (failed.kind === 'missing') expect(failed.reason).toMatch(/HTTP 422: query processing would load too many samples/);
      expect(snapshot.signals.sentSpansPerSecond).toEqual({ kind: 'ok', value: 1 });
      expect(queryEvents.filter((event) => event.outcome === 'error')).toEqual([
        expect.objectContaining({ server: 'default', query: 'enqueueFailedSpansPerSecond', errorReason: 'http-4xx' }),
      ]);
    });

    it('rejects with PROMETHEUS_UNAVAILABLE naming the server, its URL and the cause when every query fails', async () => {
      reply = () => ({ status: 503, body: errorBody('unavailable', 'TSDB not ready') });
      const error = await rejection(sourceFor().read(TARGET, SETTINGS));
      expect(error.code).toBe('PROMETHEUS_UNAVAILABLE');
      expect(error.message).toContain('"default"');
      expect(error.message).toContain(standIn!.url);
      expect(error.message).toContain('HTTP 503: TSDB not ready');
      expect(error.message).toContain(`${QUERIES_PER_READ} of ${QUERIES_PER_READ} queries failed`);
    });

    it('answers a Prometheus that accepts but never replies with PROMETHEUS_UNAVAILABLE well before KEDA’s 3 s deadline', async () => {
      reply = () => 'hang';
      const startedAt = performance.now();
      const error = await rejection(sourceFor({ queryTimeoutMs: 400 }).read(TARGET, SETTINGS));
      const elapsedMs = performance.now() - startedAt;
      expect(error.code).toBe('PROMETHEUS_UNAVAILABLE');
      expect(error.message).toMatch(/400 ms/);
      expect(elapsedMs).toBeLessThan(3000);
      expect(new Set(queryEvents.map((event) => event.errorReason))).toEqual(new Set(['timeout']));
    });

    it('asks Prometheus to stop evaluating at the same timeout', async () => {
      await sourceFor({ queryTimeoutMs: 1500 }).read(TARGET, SETTINGS);
      expect(new Set(standIn!.requests.map((request) => request.params.timeout))).toEqual(new Set(['1.5']));
    });

    it('reports NaN and empty answers as missing, never as 0', async () => {
      reply = (request) => {
        if (request.params.query?.includes('histogram_quantile')) return { body: vectorBody([{ value: 'NaN' }]) };
        if (request.params.query?.includes('traces_on_memory')) return { body: vectorBody([]) };
        return ALL_OK(request);
      };
      const snapshot = await sourceFor().read(TARGET, SETTINGS);
      expect(snapshot.signals.decisionLatencyP99Ms).toEqual({ kind: 'missing', reason: expect.stringMatching(/no observations in the 120 s rate window/) });
      expect(snapshot.signals.tracesOnMemory).toEqual({ kind: 'missing', reason: expect.stringMatching(/no data for otelcol_processor_tail_sampling_sampling_traces_on_memory matching \{job="gw"\}/) });
    });

    it('never puts URL credentials in messages', async () => {
      reply = () => ({ status: 503, body: errorBody('unavailable', 'down') });
      const url = standIn!.url.replace('http://', 'http://scaler:hunter2@');
      const error = await rejection(sourceFor({ url }).read(TARGET, SETTINGS));
      expect(error.message).not.toContain('hunter2');
    });
  });

  describe('credentials read from files (bearer token, basic auth)', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'prometheus-token-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('sends the token from bearerTokenFile and picks up a rotated token on the next fetch', async () => {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 'first-token\n');
      const source = sourceFor({ bearerTokenFile: tokenFile, cacheTtlMs: 0 });
      await source.read(TARGET, SETTINGS);
      writeFileSync(tokenFile, 'second-token');
      await source.read(TARGET, SETTINGS);
      const headers = standIn!.requests.map((request) => request.authorization);
      expect(new Set(headers.slice(0, QUERIES_PER_READ))).toEqual(new Set(['Bearer first-token']));
      expect(new Set(headers.slice(QUERIES_PER_READ))).toEqual(new Set(['Bearer second-token']));
    });

    it('never repeats the token in errors, even when the server echoes it', async () => {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 's3cr3t-token');
      reply = (request) => ({ status: 401, body: errorBody('unauthorized', `bad credentials: ${request.authorization}`) });
      const error = await rejection(sourceFor({ bearerTokenFile: tokenFile }).read(TARGET, SETTINGS));
      expect(error.code).toBe('PROMETHEUS_UNAVAILABLE');
      expect(error.message).toContain('HTTP 401');
      expect(error.message).not.toContain('s3cr3t-token');
      expect(JSON.stringify(queryEvents)).not.toContain('s3cr3t-token');
    });

    it('rejects with PROMETHEUS_UNAVAILABLE naming the file when the token cannot be read', async () => {
      const missing = join(dir, 'absent');
      const error = await rejection(sourceFor({ bearerTokenFile: missing }).read(TARGET, SETTINGS));
      expect(error.code).toBe('PROMETHEUS_UNAVAILABLE');
      expect(error.message).toContain(missing);
      expect(standIn!.requests.length).toBe(0);
    });

    it('sends basic auth with the password from its file, re-read on the next fetch, and never repeats it in errors', async () => {
      const passwordFile = join(dir, 'password');
      writeFileSync(passwordFile, 'first-password\n');
      const source = sourceFor({ basicAuth: { username: 'scaler', passwordFile }, cacheTtlMs: 0 });
      await source.read(TARGET, SETTINGS);
      writeFileSync(passwordFile, 'second-password');
      reply = (request) => ({ status: 401, body: errorBody('unauthorized', `bad credentials: ${request.authorization} second-password`) });
      const error = await rejection(source.read(TARGET, SETTINGS));
      const basic = (password: string) => `Basic ${Buffer.from(`scaler:${password}`).toString('base64')}`;
      const headers = standIn!.requests.map((request) => request.authorization);
      expect(new Set(headers.slice(0, QUERIES_PER_READ))).toEqual(new Set([basic('first-password')]));
      expect(new Set(headers.slice(QUERIES_PER_READ))).toEqual(new Set([basic('second-password')]));
      expect(error.message).toContain('HTTP 401');
      expect(error.message).not.toContain('second-password');
      expect(error.message).not.toContain(basic('second-password').split(' ')[1]);
    });

    it('rejects with PROMETHEUS_UNAVAILABLE naming basicAuth.passwordFile when it cannot be read', async () => {
      const missing = join(dir, 'absent');
      const error = await rejection(sourceFor({ basicAuth: { username: 'scaler', passwordFile: missing } }).read(TARGET, SETTINGS));
      expect(error.code).toBe('PROMETHEUS_UNAVAILABLE');
      expect(error.message).toContain(`basicAuth.passwordFile ${missing}`);
      expect(standIn!.requests.length).toBe(0);
    });
  });

  it('sends the configured headers with every query, below the path prefix', async () => {
    const source = sourceFor({ headers: { 'X-Scope-OrgID': 'team-a' }, pathPrefix: '/prometheus' });
    await source.read(TARGET, SETTINGS);
    await source.readAcceptedSpansHistory(TARGET, SETTINGS, { startMs: 0, endMs: 600_000, stepSeconds: 60 }).catch(() => undefined);
    expect(await source.checkReachable()).toEqual({ kind: 'reachable' });
    expect(new Set(standIn!.requests.map((request) => request.path))).toEqual(new Set(['/prometheus/api/v1/query', '/prometheus/api/v1/query_range']));
    expect(new Set(standIn!.requests.map((request) => request.headers['x-scope-orgid']))).toEqual(new Set(['team-a']));
  });

  describe('range windows', () => {
    const DAY_MS = 86_400_000;
    const cases: { name: string; input: { startMs: number; endMs: number; stepSeconds: number }; want: { field: string; text?: RegExp } | 'accepted' }[] = [
      { name: 'one day at a 60 s step fits the points limit', input: { startMs: 0, endMs: DAY_MS, stepSeconds: 60 }, want: 'accepted' },
      { name: '14 days at a 60 s step exceeds 11,000 points and says which step would fit', input: { startMs: 0, endMs: 14 * DAY_MS, stepSeconds: 60 }, want: { field: 'stepSeconds', text: /use stepSeconds ≥ 110\b/ } },
      { name: 'end before start is refused naming endMs', input: { startMs: 10_000, endMs: 0, stepSeconds: 60 }, want: { field: 'endMs' } },
      { name: 'a zero step is refused naming stepSeconds', input: { startMs: 0, endMs: 60_000, stepSeconds: 0 }, want: { field: 'stepSeconds' } },
    ];
    for (const { name, input, want } of cases) {
      it(name, async () => {
        reply = () => ({ body: { status: 'success', data: { resultType: 'matrix', result: [] } } });
        const read = sourceFor().readAcceptedSpansHistory(TARGET, SETTINGS, input);
        if (want === 'accepted') {
          await expect(read).resolves.toEqual([]);
          return;
        }
        const error = await rejection(read);
        expect(error.code).toBe('BAD_REQUEST');
        expect(error.message).toContain(`window.${want.field}`);
        if (want.text) expect(error.message).toMatch(want.text);
        expect(standIn!.requests.length).toBe(0);
      });
    }

    it('minRangeStepSeconds keeps any window within the limit', () => {
      for (const spanMs of [1, 60_000, DAY_MS, 14 * DAY_MS, 90 * DAY_MS]) {
        const step = minRangeStepSeconds({ startMs: 0, endMs: spanMs });
        expect(Math.floor(spanMs / 1000 / step) + 1).toBeLessThanOrEqual(MAX_RANGE_POINTS);
      }
    });

    it('fills steps without data with missing readings', async () => {
      reply = (request) => ({
        body: {
          status: 'success',
          data: { resultType: 'matrix', result: request.params.query?.startsWith('max(label_replace(count(') ? [{ metric: {}, values: [[60, '2']] }] : [] },
        },
      });
      const snapshots = await sourceFor().readRange(TARGET, SETTINGS, { startMs: 0, endMs: 120_000, stepSeconds: 60 });
      expect(snapshots.map((snapshot) => snapshot.observedAtMs)).toEqual([0, 60_000, 120_000]);
      expect(snapshots.map((snapshot) => snapshot.signals.currentReplicas.kind)).toEqual(['missing', 'ok', 'missing']);
      expect(snapshots[1]!.signals.currentReplicas).toEqual({ kind: 'ok', value: 2 });
    });
  });

  describe('PrometheusSignalSources (servers by name)', () => {
    it('routes a read to the server the target names', async () => {
      const sources = PrometheusSignalSources.fromConfig({ default: { url: standIn!.url, queryTimeoutMs: 2000, cacheTtlMs: 0 } });
      const snapshot = await sources.read(TARGET, SETTINGS);
      expect(snapshot.signals.currentReplicas).toEqual({ kind: 'ok', value: 1 });
      expect(standIn!.requests.length).toBe(QUERIES_PER_READ);
    });

    it('refuses a server name the config does not define, listing the configured ones', async () => {
      const sources = PrometheusSignalSources.fromConfig({ default: { url: standIn!.url, queryTimeoutMs: 2000, cacheTtlMs: 0 } });
      const error = await rejection(sources.read(TARGET, parseTargetMetadata({ gatewaySelector: 'job="gw"', prometheus: 'other' })));
      expect(error.code).toBe('UNKNOWN_PROMETHEUS');
      expect(error.message).toMatch(/scalerMetadata\.prometheus "other".*configured: default/);
      expect(standIn!.requests.length).toBe(0);
    });
  });
});
