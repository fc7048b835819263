// The chart's Grafana dashboard against a real Prometheus scraping the scaler's embedded demo: the
// scaler's own /metrics and the simulated gateways' collector metrics. Every panel query must run,
// and the panels that show the decisions and the gateway signals must return series.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryVector, type RunningPrometheus, startPrometheus, waitForQuery, waitForScrapeHistory } from '../support/prometheus.ts';
import { logLine, type ScalerProcess, spawnScaler } from '../support/scaler-process.ts';
import { CHART_DIR } from './support/helm.ts';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const RATE_WINDOW_SECONDS = 10;

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: { readonly expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(CHART_DIR, 'files/grafana-dashboard.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
};

/** Grafana's variables as a user of the demo would pick them. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$namespace', '.*')
    .replaceAll('$name', '.*')
    .replaceAll('$gateway', 'job="otel-gateway"')
    .replaceAll('$__rate_interval', `${RATE_WINDOW_SECONDS}s`);
}

/** Panels whose series exist whenever the scaler decides for a scraped tier. */
const PANELS_WITH_DATA = [
  'Replicas: recommended and current',
  'Proposals',
  'Signal age',
  'Decisions per second',
  'Accepted spans per gateway',
  'Exporter queue fill per gateway',
  'Backend: send-failed ratio',
  'Traces held per gateway',
  'Decision-tick latency p99 per gateway',
  'CPU per gateway',
];

describe('the Grafana dashboard on a real Prometheus scraping the demo', () => {
  let dir: string;
  let scaler: ScalerProcess;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'grafana-dashboard-'));
    const config = join(dir, 'demo.yaml');
    writeFileSync(config, ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', '  port: 0', ''].join('\n'));
    scaler = spawnScaler(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['src/main.ts', '--config', config], { cwd: PROJECT_ROOT });
    const started = await logLine(scaler, 'otel-gateway-scaler started');
    const http = new URL(String(started.http));
    prometheus = await startPrometheus({
      scrapeJobs: [
        { jobName: 'otel-gateway-scaler', targets: [http.host] },
        { jobName: 'otel-gateway', targets: [http.host], metricsPath: '/demo/gateways/metrics', honorLabels: true },
      ],
    });
    await waitForScrapeHistory(prometheus.url, 'job="otel-gateway-scaler"', RATE_WINDOW_SECONDS + 1);
    await waitForQuery(prometheus.url, 'otel_gateway_scaler_recommended_replicas', (samples) => samples.length > 0);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    scaler?.child.kill('SIGTERM');
    await scaler?.exited;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const queryPanels = dashboard.panels.filter((panel) => panel.targets && panel.targets.length > 0);

  it('has the panels this test expects to show data', () => {
    expect(queryPanels.map((panel) => panel.title)).toEqual(expect.arrayContaining(PANELS_WITH_DATA));
  });

  for (const panel of queryPanels) {
    it(`"${panel.title}": every query runs${PANELS_WITH_DATA.includes(panel.title) ? ' and returns series' : ''}`, async () => {
      for (const target of panel.targets!) {
        const samples = await queryVector(prometheus.url, substitute(target.expr));
        if (PANELS_WITH_DATA.includes(panel.title)) {
          expect(samples.length, target.expr).toBeGreaterThan(0);
          for (const sample of samples) expect(Number.isFinite(sample.value), `${target.expr} gave ${sample.value}`).toBe(true);
        }
      }
    });
  }

  it('the namespace and target variables find the demo target', async () => {
    const series = await queryVector(prometheus.url, 'otel_gateway_scaler_recommended_replicas');
    const variables = dashboard.templating.list.filter((variable) => variable.type === 'query');
    for (const variable of variables) {
      const label = /label_values\([^,]*,\s*(\w+)\)/.exec(typeof variable.query === 'string' ? variable.query : variable.query.query)?.[1];
      expect(label, variable.name).toBeDefined();
      expect(series.map((sample) => sample.labels[label!])).toContain(label === 'namespace' ? 'observability' : 'otel-gateway');
    }
  });
});
