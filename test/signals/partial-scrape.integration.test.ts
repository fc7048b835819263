// Gateways that Prometheus cannot scrape are gateways that still exist: through a real Prometheus, the
// real gRPC server and a real client, targets down from the start and targets that go down mid-run
// never bring the answer below the scrape targets' count, and the decision names them. The control
// (every target up, load that fits 2) shows the same set-up does scale in, so the hold is the guard's.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Advisor } from '../../src/advisor/advisor.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { type ScalerClient, scalerClient } from '../keda/support/grpc-client.ts';
import { type StartedScaler, startScaler } from '../keda/support/start-scaler.ts';
import { type CollectorExporter, setSteadyLoad, startCollectorExporter } from '../support/collector-exporter.ts';
import { type RunningPrometheus, startPrometheus, waitForQuery, waitForScrapeHistory } from '../support/prometheus.ts';

const GATEWAYS = 6;
const RATE_WINDOW_SECONDS = 15;
/** Fits 2 gateways at 70 % of 20k spans/s: every proposal is far below 6. */
const ACCEPTED_PER_GATEWAY = 1500;

describe('partial scrapes through a real Prometheus and the gRPC server', () => {
  let fromStart: CollectorExporter;
  let midRun: CollectorExporter;
  let prometheus: RunningPrometheus;
  let advisor: Advisor;
  let scaler: StartedScaler;
  let client: ScalerClient;
  let kubeStateMetrics: Server;

  beforeAll(async () => {
    fromStart = await startCollectorExporter({ spelling: 'modern', gateways: GATEWAYS });
    midRun = await startCollectorExporter({ spelling: 'modern', gateways: GATEWAYS });
    setSteadyLoad(fromStart, ACCEPTED_PER_GATEWAY);
    setSteadyLoad(midRun, ACCEPTED_PER_GATEWAY);
    // Four of the first tier's gateways never answer a scrape.
    for (const gateway of fromStart.gateways.slice(2)) await gateway.stop();
    // kube-state-metrics: the mid-run tier's Deployment has 8 pods, 2 of which Prometheus has not discovered.
    kubeStateMetrics = createServer((_request, response) => {
      response.end('# TYPE kube_deployment_status_replicas gauge\nkube_deployment_status_replicas{namespace="observability",deployment="gw-mid-run"} 8\n');
    });
    await new Promise<void>((resolve) => kubeStateMetrics.listen(0, '127.0.0.1', resolve));
    prometheus = await startPrometheus({
      scrapeJobs: [
        { jobName: 'kube-state-metrics', targets: [`127.0.0.1:${(kubeStateMetrics.address() as AddressInfo).port}`], honorLabels: true },
        { jobName: 'gw-from-start', targets: fromStart.targets },
        { jobName: 'gw-mid-run', targets: midRun.targets },
      ],
    });
    const source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    advisor = new Advisor({ sourceFor: () => source, targetDefaults: {}, forgetAfterSeconds: 3600, maxTargets: 10, historyLength: 100 });
    scaler = await startScaler({ evaluator: advisor });
    client = scalerClient(scaler.address);
    await waitForScrapeHistory(prometheus.url, 'job="gw-mid-run"', RATE_WINDOW_SECONDS + 1);
    await waitForQuery(prometheus.url, 'count(up{job="gw-from-start"} == 0)', (samples) => samples[0]?.value === GATEWAYS - 2);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await scaler?.server.stop();
    await prometheus?.stop();
    kubeStateMetrics?.close();
    await Promise.all([fromStart, midRun].filter(Boolean).map((exporter) => exporter.stop()));
  });

  const metadataFor = (job: string) => ({ gatewaySelector: `job="${job}"`, rateWindow: `${RATE_WINDOW_SECONDS}s`, scaleInWindow: '1s', minReplicas: '2' });
  const answer = async (name: string, job: string) => {
    const response = await client.getMetrics({ scaledObjectRef: { name, namespace: 'observability', scalerMetadata: metadataFor(job) }, metricName: 'gateway-replicas' });
    return Number(response.metricValues[0]!.metricValueFloat);
  };
  const latestSummary = (name: string) => advisor.target({ namespace: 'observability', name })?.latest?.summary ?? '';

  it('targets down from the start: every answer holds at the 6 expected and the decision names the 4 unscraped', async () => {
    const down = fromStart.targets.slice(2);
    for (let poll = 0; poll < 6; poll++) {
      expect(await answer('from-start', 'gw-from-start')).toBe(GATEWAYS);
      await sleep(500);
    }
    const summary = latestSummary('from-start');
    expect(summary).toMatch(/^Holding at 6: 4 of 6 gateways unscraped \(/);
    for (const target of down) expect(summary).toContain(target);
  }, 60_000);

  it('targets going down mid-run: the scale-in under way stops and nothing below 6 is answered', async () => {
    // Control: every target up and load that fits 2, so a step below 6 comes once the 1 s window passes.
    let stepped = false;
    for (let poll = 0; poll < 20 && !stepped; poll++) {
      stepped = (await answer('mid-run', 'gw-mid-run')) < GATEWAYS;
      if (!stepped) await sleep(300);
    }
    expect(stepped, 'with every gateway scraped the scaler steps in').toBe(true);

    const down = midRun.targets.slice(0, 3);
    for (const gateway of midRun.gateways.slice(0, 3)) await gateway.stop();
    await waitForQuery(prometheus.url, 'count(up{job="gw-mid-run"} == 0)', (samples) => samples[0]?.value === 3);
    const answers: number[] = [];
    for (let poll = 0; poll < 8; poll++) {
      answers.push(await answer('mid-run', 'gw-mid-run'));
      await sleep(400);
    }
    expect(answers.every((replicas) => replicas >= GATEWAYS), `answers after the scrapes failed: ${answers.join(', ')}`).toBe(true);
    const summary = latestSummary('mid-run');
    expect(summary).toMatch(/3 of 6 gateways unscraped/);
    for (const target of down) expect(summary).toContain(target);
  }, 60_000);

  it('the Deployment\'s status replicas count too: pods Prometheus has not discovered are expected gateways', async () => {
    const response = await client.getMetrics({
      scaledObjectRef: { name: 'with-deployment', namespace: 'observability', scalerMetadata: { ...metadataFor('gw-mid-run'), deploymentName: 'gw-mid-run' } },
      metricName: 'gateway-replicas',
    });
    expect(Number(response.metricValues[0]!.metricValueFloat)).toBe(8);
    expect(latestSummary('with-deployment')).toMatch(/^Holding at 8: 5 of 8 gateways unscraped/);
  }, 30_000);
});
