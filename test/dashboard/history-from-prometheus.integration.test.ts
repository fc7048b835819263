// The dashboard's history comes from Prometheus once it scrapes the scaler: two scaler processes export
// their decisions on /metrics, a real Prometheus scrapes them, and a replica that restarted still shows
// the decisions made before it started (its own ring only holds what it decided since).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorExporter, setSteadyLoad, startCollectorExporter } from '../support/collector-exporter.ts';
import { freePort } from '../support/free-port.ts';
import { type RunningPrometheus, startPrometheus, waitForQuery, waitForScrapeHistory } from '../support/prometheus.ts';
import { answeredReplicas, type RunningScaler, ScalerProcesses } from '../support/scaler-process.ts';

const METADATA = { gatewaySelector: 'job="gw"', rateWindow: '15s', pollingInterval: '2s', capacitySpansPerReplica: '1000', minReplicas: '2' };

interface HistoryAnswer {
  readonly source: string;
  readonly points: number;
  readonly atMs: readonly number[];
  readonly answeredReplicas: readonly (number | null)[];
  readonly acceptedSpansPerSecond: readonly (number | null)[];
}

describe('history read back from Prometheus', () => {
  let dir: string;
  let gateways: CollectorExporter;
  let prometheus: RunningPrometheus;
  const httpPorts: number[] = [];
  const scalers = new ScalerProcesses();

  const start = async (index: number): Promise<RunningScaler> => {
    const configFile = join(dir, `scaler-${index}.yaml`);
    writeFileSync(
      configFile,
      ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', `  port: ${httpPorts[index]}`, 'prometheus:', '  default:', `    url: ${prometheus.url}`, ''].join('\n'),
    );
    return scalers.start(configFile);
  };
  const stop = (scaler: RunningScaler) => scalers.stop(scaler);
  const answer = (scaler: RunningScaler) => answeredReplicas(scaler, 'tier', METADATA);
  const history = async (scaler: RunningScaler) => (await (await fetch(`${scaler.http}/api/targets/observability/tier/history?since=10m`)).json()) as HistoryAnswer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scaler-history-'));
    gateways = await startCollectorExporter({ spelling: 'modern', gateways: 3 });
    setSteadyLoad(gateways, 300);
    httpPorts.push(await freePort(), await freePort());
    prometheus = await startPrometheus({
      scrapeJobs: [
        { jobName: 'gw', targets: gateways.targets },
        { jobName: 'otel-gateway-scaler', targets: httpPorts.map((port) => `127.0.0.1:${port}`) },
      ],
    });
    await waitForScrapeHistory(prometheus.url, 'job="gw"', 16);
  }, 120_000);

  afterAll(async () => {
    await scalers.stopAll();
    await prometheus?.stop();
    await gateways?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a restarted replica shows the decisions made before it started, with the gateways\' signals at the same steps', async () => {
    const [first, second] = [await start(0), await start(1)];
    const answered = new Set<number>();
    answered.add(await answer(second));
    // Only the first replica is asked for half a minute: two 15 s history steps at least.
    for (let poll = 0; poll < 32; poll++) {
      answered.add(await answer(first));
      await sleep(1000);
    }
    await waitForQuery(prometheus.url, 'count_over_time(otel_gateway_scaler_answered_replicas{name="tier"}[1m])', (samples) => samples.some((sample) => sample.value >= 20));

    await stop(second);
    const restartedAtMs = Date.now();
    const restarted = await start(1);
    answered.add(await answer(restarted));
    const view = await history(restarted);

    expect(view.source).toBe('prometheus');
    const before = view.atMs.filter((atMs) => atMs < restartedAtMs);
    expect(before.length, `history points: ${view.atMs.map((atMs) => new Date(atMs).toISOString()).join(', ')}`).toBeGreaterThanOrEqual(2);
    for (const replicas of view.answeredReplicas) if (replicas !== null) expect(answered.has(replicas), `answered ${replicas}, asked: ${[...answered].join(', ')}`).toBe(true);
    expect(view.acceptedSpansPerSecond.some((value) => value !== null && Math.abs(value - 900) < 900 * 0.05)).toBe(true);

    // The what-if puts what the scaler answered (every replica's, from Prometheus) next to what the gateways ran.
    const whatIf = (await (
      await fetch(`${restarted.http}/api/targets/observability/tier/whatif`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '2m', step: '15s' }) })
    ).json()) as { scalerAnswered: (number | null)[] | null; series: { atMs: number[]; actualReplicas: (number | null)[] } };
    expect(whatIf.scalerAnswered).toHaveLength(whatIf.series.atMs.length);
    const known = (whatIf.scalerAnswered ?? []).filter((replicas): replicas is number => replicas !== null);
    expect(known.length).toBeGreaterThanOrEqual(2);
    for (const replicas of known) expect(answered.has(replicas)).toBe(true);
    await stop(first);
  }, 180_000);
});
