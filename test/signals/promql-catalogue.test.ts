import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { ScalerError } from '../../src/errors.ts';
import {
  buildSignalQueries,
  type CatalogueQueryName,
  counterNamePattern,
  DECISION_TIMER_BASE,
  gaugeNamePattern,
  MICROSECOND_VERSIONS_PATTERN,
  REFUSED_FAMILIES,
  UPTIME_NAME_PATTERN,
} from '../../src/signals/promql-catalogue.ts';
import { SIGNAL_NAMES } from '../../src/signals/signal-snapshot.ts';

/** Prometheus regex matchers are fully anchored; so is this. */
function matchesAnchored(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(value);
}

describe('metric name patterns', () => {
  const cases: { name: string; input: { pattern: string; metric: string }; want: boolean }[] = [
    { name: 'counter without _total (≤ v0.118, ≥ v0.152)', input: { pattern: counterNamePattern('otelcol_exporter_send_failed_spans'), metric: 'otelcol_exporter_send_failed_spans' }, want: true },
    { name: 'counter with _total (v0.119–v0.151 readers)', input: { pattern: counterNamePattern('otelcol_exporter_send_failed_spans'), metric: 'otelcol_exporter_send_failed_spans_total' }, want: true },
    { name: 'counter with the v0.130.0 unit infix', input: { pattern: counterNamePattern('otelcol_exporter_sent_spans'), metric: 'otelcol_exporter_sent_spans__spans__total' }, want: true },
    { name: 'counter of another signal type is not taken', input: { pattern: counterNamePattern('otelcol_exporter_send_failed_spans'), metric: 'otelcol_exporter_send_failed_log_records' }, want: false },
    { name: 'counter name prefix is not enough', input: { pattern: counterNamePattern('otelcol_exporter_sent_spans'), metric: 'otelcol_exporter_sent_spans_bytes_total' }, want: false },
    { name: 'gauge bare', input: { pattern: gaugeNamePattern('otelcol_exporter_queue_size'), metric: 'otelcol_exporter_queue_size' }, want: true },
    { name: 'gauge with the v0.130.0 unit infix', input: { pattern: gaugeNamePattern('otelcol_exporter_queue_size'), metric: 'otelcol_exporter_queue_size__batches_' }, want: true },
    { name: 'gauge never takes _total', input: { pattern: gaugeNamePattern('otelcol_exporter_queue_size'), metric: 'otelcol_exporter_queue_size_total' }, want: false },
    { name: 'uptime bare (legacy, modern)', input: { pattern: UPTIME_NAME_PATTERN, metric: 'otelcol_process_uptime' }, want: true },
    { name: 'uptime with unit and _total suffixes', input: { pattern: UPTIME_NAME_PATTERN, metric: 'otelcol_process_uptime_seconds_total' }, want: true },
    { name: 'uptime does not match other process metrics', input: { pattern: UPTIME_NAME_PATTERN, metric: 'otelcol_process_cpu_seconds_total' }, want: false },
  ];
  for (const { name, input, want } of cases) {
    it(name, () => expect(matchesAnchored(input.pattern, input.metric)).toBe(want));
  }
});

describe('decision-timer unit by collector version (µs before v0.122)', () => {
  const cases: { name: string; input: string; want: 'us' | 'ms' }[] = [
    { name: 'v0.90.0-dev (OpenCensus era) is µs', input: '0.90.0-dev', want: 'us' },
    { name: 'Splunk distro v0.57.0 with a v prefix is µs', input: 'v0.57.0', want: 'us' },
    { name: 'v0.110.0 is µs', input: '0.110.0', want: 'us' },
    { name: 'v0.121.1, the last µs minor, is µs', input: '0.121.1', want: 'us' },
    { name: 'v0.9.0 (single-digit minor) is µs', input: '0.9.0', want: 'us' },
    { name: 'v0.122.0, the first ms minor, is ms', input: '0.122.0', want: 'ms' },
    { name: 'v0.140.0 is ms', input: '0.140.0', want: 'ms' },
    { name: 'a 1.x distribution version is ms', input: '1.2.0', want: 'ms' },
    { name: 'no service_version label (≥ v0.149) is ms', input: '', want: 'ms' },
  ];
  for (const { name, input, want } of cases) {
    it(name, () => expect(matchesAnchored(MICROSECOND_VERSIONS_PATTERN, input) ? 'us' : 'ms').toBe(want));
  }
});

describe('buildSignalQueries', () => {
  const queries = buildSignalQueries({ gatewaySelector: 'job="otel-gateway",namespace="obs"', rateWindowSeconds: 120 });
  const all = Object.values(queries);

  it('has one query per signal plus the per-gateway accepted rate and tick p99, the scrape targets that are down, the fill a window before and the builds', () => {
    const want: CatalogueQueryName[] = [...SIGNAL_NAMES, 'acceptedSpansPerSecondByGateway', 'decisionLatencyP99MsByGateway', 'unscrapedGateways', 'queueFillMaxWindowAgo', 'collectorBuilds'];
    expect(Object.keys(queries).sort()).toEqual([...want].sort());
  });

  it('applies the gateway selector to every series selector of every query', () => {
    for (const query of all) {
      const selectors = query.promql.match(/\{[^{}]*\}/g) ?? [];
      expect(selectors.length, query.name).toBeGreaterThan(0);
      for (const selector of selectors) expect(selector, query.name).toContain('job="otel-gateway",namespace="obs"');
    }
  });

  const rateCases: { name: string; input: { query: Exclude<CatalogueQueryName, 'offeredSpansPerSecond'>; rateWindowSeconds: number }; want: string | undefined }[] = [
    { name: 'rates use the target rate window (2m)', input: { query: 'acceptedSpansPerSecond', rateWindowSeconds: 120 }, want: '[2m]' },
    { name: 'a 90 s window stays 90s', input: { query: 'sentSpansPerSecond', rateWindowSeconds: 90 }, want: '[90s]' },
    { name: 'the decision latency histogram uses the rate window', input: { query: 'decisionLatencyP99Ms', rateWindowSeconds: 300 }, want: '[5m]' },
    { name: 'gauges (queue fill) take no range', input: { query: 'queueFillMax', rateWindowSeconds: 120 }, want: undefined },
    { name: 'gauges (traces on memory) take no range', input: { query: 'tracesOnMemory', rateWindowSeconds: 120 }, want: undefined },
  ];
  for (const { name, input, want } of rateCases) {
    it(name, () => {
      const { promql } = buildSignalQueries({ gatewaySelector: 'job="gw"', rateWindowSeconds: input.rateWindowSeconds })[input.query];
      // A range selector follows the closing brace of a series selector.
      const ranges = (promql.match(/\}\[[^\]]+\]/g) ?? []).map((range) => range.slice(1));
      if (want === undefined) expect(ranges).toEqual([]);
      else {
        expect(ranges.length).toBeGreaterThan(0);
        for (const range of ranges) expect(range).toBe(want);
      }
    });
  }

  it('queue fill divides ignoring(data_type) with capacity collapsed over data_type', () => {
    expect(queries.queueFillMax.promql).toMatch(/\/ ignoring\(data_type\) group_left max without\(data_type\)/);
    expect(queries.queueFillMax.promql).toMatch(/^max\(max by \(instance\)/);
    expect(queries.queueFillMean.promql).toMatch(/^avg\(max by \(instance\)/);
  });

  it('the fill a rate window ago is the fill query with both metrics read that long before', () => {
    const windowAgo = queries.queueFillMaxWindowAgo.promql;
    expect(windowAgo.match(/\} offset 2m/g)?.length).toBe(2);
    expect(windowAgo.replaceAll(' offset 2m', '')).toBe(queries.queueFillMax.promql);
  });

  it('refused spans prefer the receiver counter and fall back per gateway with `or`, never summing two families', () => {
    const { promql } = queries.refusedSpansPerSecond;
    const positions = REFUSED_FAMILIES.map((family) => promql.indexOf(family));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(promql.match(/ or /g)?.length).toBe(REFUSED_FAMILIES.length - 1);
    expect(promql).not.toMatch(/\) \+ /);
  });

  it('decision latency reads every unit variant per gateway and scales µs to ms', () => {
    const { promql } = queries.decisionLatencyP99Ms;
    expect(promql).toContain(`${DECISION_TIMER_BASE}_milliseconds_bucket`);
    expect(promql).toContain(`${DECISION_TIMER_BASE}_microseconds_bucket`);
    expect(promql.match(/sum by \(instance, le\)/g)?.length).toBe(4);
    expect(promql.match(/\* 0\.001/g)?.length).toBe(2);
    expect(promql).toMatch(/^max\(/);
  });

  it('counts reporting gateways as instances with a collector process metric', () => {
    expect(queries.reportingReplicas.promql).toMatch(/^count\(count by \(instance\) \(\{__name__=~"otelcol_process_uptime/);
  });

  it('counts expected gateways as scrape targets up or down, never fewer than report', () => {
    const { promql } = queries.currentReplicas;
    expect(promql).toMatch(/^max\(/);
    expect(promql).toContain('count(up{job="otel-gateway",namespace="obs"})');
    expect(promql).toContain(queries.reportingReplicas.promql);
    expect(promql).not.toContain('kube_deployment_status_replicas');
  });

  it('adds the Deployment\'s status replicas from kube-state-metrics when deploymentName is set', () => {
    const withDeployment = buildSignalQueries({ gatewaySelector: 'job="gw"', rateWindowSeconds: 120, deployment: { namespace: 'obs', name: 'otel-gateway' } });
    expect(withDeployment.currentReplicas.promql).toContain('max(kube_deployment_status_replicas{namespace="obs", deployment="otel-gateway"})');
    expect(withDeployment.currentReplicas.promql).toContain('count(up{job="gw"})');
  });

  it('reads the tick p99 per gateway with the expression whose max is decisionLatencyP99Ms', () => {
    expect(queries.decisionLatencyP99MsByGateway.shape).toBe('byGateway');
    expect(queries.decisionLatencyP99Ms.promql).toBe(`max(${queries.decisionLatencyP99MsByGateway.promql})`);
  });

  it('names the scrape targets that are down', () => {
    expect(queries.unscrapedGateways).toMatchObject({ promql: 'up{job="otel-gateway",namespace="obs"} == 0', shape: 'instances' });
  });

  it("reads the agents' intake, accepted plus refused at their receivers, only for a trigger that names them", () => {
    expect(queries.offeredSpansPerSecond).toBeUndefined();
    const withAgents = buildSignalQueries({ gatewaySelector: 'job="otel-gateway"', agentSelector: 'job="otel-agent"', rateWindowSeconds: 120 });
    const offered = withAgents.offeredSpansPerSecond;
    expect(offered?.shape).toBe('scalar');
    const selectors = offered?.promql.match(/\{[^{}]*\}/g) ?? [];
    expect(selectors.length).toBe(2);
    for (const selector of selectors) {
      expect(selector).toContain('job="otel-agent"');
      expect(selector).not.toContain('otel-gateway');
    }
    expect(offered?.promql).toContain('otelcol_receiver_accepted_spans');
    expect(offered?.promql).toContain('otelcol_receiver_refused_spans');
    expect(offered?.promql).toContain('[2m]');
  });

  it('refuses an agentSelector it cannot read, naming the key', () => {
    expect(() => buildSignalQueries({ gatewaySelector: 'job="gw"', agentSelector: '{job="agent"}', rateWindowSeconds: 60 })).toThrow(/agentSelector/);
  });

  const badInputs: { name: string; input: { gatewaySelector: string; rateWindowSeconds: number }; want: RegExp }[] = [
    { name: 'a zero rate window is refused naming rateWindow', input: { gatewaySelector: 'job="gw"', rateWindowSeconds: 0 }, want: /rateWindow/ },
    { name: 'a NaN rate window is refused naming rateWindow', input: { gatewaySelector: 'job="gw"', rateWindowSeconds: Number.NaN }, want: /rateWindow/ },
    { name: 'an empty selector is refused naming gatewaySelector', input: { gatewaySelector: ' ', rateWindowSeconds: 60 }, want: /gatewaySelector/ },
    { name: 'a selector with braces is refused naming gatewaySelector', input: { gatewaySelector: '{job="gw"}', rateWindowSeconds: 60 }, want: /gatewaySelector/ },
    { name: 'a selector on __name__ is refused: the catalogue picks the metrics', input: { gatewaySelector: 'job="gw", __name__=~"up"', rateWindowSeconds: 60 }, want: /gatewaySelector must not match __name__/ },
  ];
  for (const { name, input, want } of badInputs) {
    it(name, () => {
      let caught: unknown;
      try {
        buildSignalQueries(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScalerError);
      expect((caught as ScalerError).code).toBe('INVALID_METADATA');
      expect((caught as ScalerError).message).toMatch(want);
    });
  }

  it('every query is valid PromQL for Prometheus 2.42 (promtool check rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
    try {
      const file = join(dir, 'rules.yml');
      // The RE2-only constructs the selector grammar accepts, too: promtool compiles them with Go's regexp.
      const selectors = [
        'job="otel-gateway"',
        'namespace=~"obs|tracing", pod!~"canary-.*", service_name="otelcol"',
        String.raw`job=~"(?i)gateway-\\d+", pod=~'\\pL[[:alnum:]]*\\Q.x\\E(?P<n>a{0,3})', team="\u00e9\x41\101"`,
      ];
      const rules = selectors.flatMap((gatewaySelector, index) =>
        Object.values(buildSignalQueries({ gatewaySelector, agentSelector: 'job="otel-agent"', rateWindowSeconds: 120 })).map((query) => ({ record: `catalogue:${query.name}:${index}`, expr: query.promql })),
      );
      writeFileSync(file, toYaml({ groups: [{ name: 'catalogue', rules }] }));
      const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(result.error).toBeUndefined();
      expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
