// The shared integration harness itself: a real Prometheus scrapes the simulated gateways in every
// spelling, and survives a pause/resume on the same port and TSDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorExporter, type CollectorSpelling, startCollectorExporter } from './collector-exporter.ts';
import { queryVector, type RunningPrometheus, startPrometheus, waitForQuery } from './prometheus.ts';

const SPELLINGS: readonly CollectorSpelling[] = ['legacy', 'suffixed', 'modern'];

describe('test harness: Prometheus scraping simulated collector gateways', () => {
  const exporters = new Map<CollectorSpelling, CollectorExporter>();
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    for (const spelling of SPELLINGS) {
      const exporter = await startCollectorExporter({ spelling, gateways: 2 });
      for (const gateway of exporter.gateways) gateway.setRate('acceptedSpans', 500);
      exporters.set(spelling, exporter);
    }
    prometheus = await startPrometheus({
      scrapeJobs: SPELLINGS.map((spelling) => ({ jobName: `gw-${spelling}`, targets: exporters.get(spelling)!.targets })),
    });
    await waitForQuery(prometheus.url, 'count(up == 1)', (samples) => samples[0]?.value === SPELLINGS.length * 2);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([...exporters.values()].map((exporter) => exporter.stop()));
  });

  const cases: { name: string; input: { spelling: CollectorSpelling; metric: string }; want: { series: number } }[] = [
    { name: 'legacy gateways expose accepted spans without _total, with service_version', input: { spelling: 'legacy', metric: 'otelcol_receiver_accepted_spans{service_version="0.110.0"}' }, want: { series: 2 } },
    { name: 'suffixed gateways expose accepted spans with _total', input: { spelling: 'suffixed', metric: 'otelcol_receiver_accepted_spans_total' }, want: { series: 2 } },
    { name: 'suffixed gateways expose memory RSS with the _bytes unit suffix', input: { spelling: 'suffixed', metric: 'otelcol_process_memory_rss_bytes' }, want: { series: 2 } },
    { name: 'modern gateways drop the service_* labels from ordinary series', input: { spelling: 'modern', metric: 'otelcol_receiver_accepted_spans{service_instance_id=""}' }, want: { series: 2 } },
    { name: 'modern gateways keep service_version on target_info', input: { spelling: 'modern', metric: 'target_info{service_version="0.155.0"}' }, want: { series: 2 } },
    { name: 'legacy gateways have no target_info', input: { spelling: 'legacy', metric: 'target_info' }, want: { series: 0 } },
  ];
  for (const { name, input, want } of cases) {
    it(name, async () => {
      const selector = input.metric.includes('{') ? input.metric.replace('{', `{job="gw-${input.spelling}",`) : `${input.metric}{job="gw-${input.spelling}"}`;
      const samples = await waitForQuery(prometheus.url, selector, (found) => found.length === want.series, 10_000);
      expect(new Set(samples.map((sample) => sample.labels.instance)).size).toBe(want.series);
    });
  }

  it('keeps the port and the TSDB across pause and resume, refusing queries while paused', async () => {
    const before = await queryVector(prometheus.url, 'count(otelcol_receiver_accepted_spans_total)');
    expect(before[0]?.value).toBe(2);
    await prometheus.pause();
    await expect(fetch(`${prometheus.url}/-/ready`)).rejects.toThrow();
    await prometheus.resume();
    const startedAgain = await queryVector(prometheus.url, 'count(count_over_time(otelcol_receiver_accepted_spans_total[10m]))');
    expect(startedAgain[0]?.value).toBe(2);
  });
});
