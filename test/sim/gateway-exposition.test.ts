import { describe, expect, it } from 'vitest';
import { counterNamePattern, DECISION_TIMER_BASE, gaugeNamePattern, REFUSED_FAMILIES, UPTIME_NAME_PATTERN } from '../../src/signals/promql-catalogue.ts';
import { Fleet } from '../../src/sim/fleet.ts';
import { DEFAULT_FLEET_SETTINGS, type FleetSettings, memoryRequestBytes } from '../../src/sim/fleet-settings.ts';
import { renderGatewayExposition } from '../../src/sim/gateway-exposition.ts';
import { GatewayLedger } from '../../src/sim/gateway-ledger.ts';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (-?[0-9.e+]+|\+Inf)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels = Object.fromEntries([...match[2]!.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

const dt = DEFAULT_FLEET_SETTINGS.stepSeconds;
const startMs = Date.parse('2026-01-05T00:00:00Z');

function simulate(settings: Partial<FleetSettings> = {}) {
  const fleet = new Fleet({ ...DEFAULT_FLEET_SETTINGS, drainSeconds: 40, ...settings }, { initialReplicas: 3 });
  const ledger = new GatewayLedger(fleet);
  const step = (count: number, offeredPerSecond: number, outage = false) => {
    for (let i = 0; i < count; i++) {
      fleet.step(offeredPerSecond * dt, 420_000, outage);
      ledger.update(startMs + fleet.stepIndex * dt * 1000);
    }
  };
  const render = () => parse(renderGatewayExposition(ledger.gatewaysNow(), startMs + fleet.stepIndex * dt * 1000));
  return { fleet, step, render };
}

describe('renderGatewayExposition', () => {
  it('uses names every query of the PromQL catalogue matches', () => {
    const { step, render } = simulate();
    step(30, 30_000);
    const { samples, types } = render();
    const names = new Set(samples.map((s) => s.name));
    const matches = (pattern: string) => [...names].some((name) => new RegExp(`^${pattern}$`).test(name));
    expect(matches(UPTIME_NAME_PATTERN)).toBe(true);
    for (const family of ['otelcol_receiver_accepted_spans', 'otelcol_exporter_sent_spans', 'otelcol_exporter_send_failed_spans', 'otelcol_exporter_enqueue_failed_spans', 'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early', ...REFUSED_FAMILIES.slice(0, 2)]) {
      expect(matches(counterNamePattern(family)), family).toBe(true);
    }
    for (const family of ['otelcol_exporter_queue_size', 'otelcol_exporter_queue_capacity', 'otelcol_processor_tail_sampling_sampling_traces_on_memory']) {
      expect(matches(gaugeNamePattern(family)), family).toBe(true);
    }
    expect(names.has(`${DECISION_TIMER_BASE}_bucket`)).toBe(true);
    expect(types.get(DECISION_TIMER_BASE)).toBe('histogram');
    expect(types.get('otelcol_receiver_accepted_spans')).toBe('counter');
    expect(types.get('otelcol_exporter_queue_size')).toBe('gauge');
    // No service_version on the series: the catalogue then reads the decision timer in ms (v0.149+).
    expect(samples.filter((s) => s.name !== 'target_info').every((s) => !('service_version' in s.labels))).toBe(true);
  });

  it('shows one instance per scraped pod: pods on or joining the ring, not starting or terminating ones', () => {
    const { fleet, step, render } = simulate();
    step(10, 30_000);
    fleet.setReplicas(5);
    step(2, 30_000);
    expect(new Set(render().samples.map((s) => s.labels.instance))).toEqual(new Set(['otel-gateway-0', 'otel-gateway-1', 'otel-gateway-2']));
    step(10, 30_000);
    expect(new Set(render().samples.map((s) => s.labels.instance)).size).toBe(5);
    fleet.setReplicas(4);
    step(1, 30_000);
    const instances = new Set(render().samples.map((s) => s.labels.instance));
    expect(instances.size).toBe(4);
    expect(fleet.drainingReplicas).toBe(1);
  });

  it('counters never go down, per gateway, through load changes, outages and scaling', () => {
    const { fleet, step, render } = simulate();
    let previous = new Map<string, number>();
    const check = () => {
      const { samples, types } = render();
      const current = new Map<string, number>();
      for (const sample of samples) {
        const family = sample.name.replace(/_(bucket|sum|count)$/, '');
        if (types.get(family) === 'gauge' || types.get(sample.name) === 'gauge') continue;
        const key = `${sample.name}${JSON.stringify(sample.labels)}`;
        current.set(key, sample.value);
        const before = previous.get(key);
        if (before !== undefined) expect(sample.value, key).toBeGreaterThanOrEqual(before);
      }
      previous = current;
    };
    for (const [replicas, offered, outage] of [
      [3, 30_000, false],
      [6, 90_000, false],
      [6, 90_000, true],
      [4, 20_000, false],
      [4, 80_000, false],
    ] as const) {
      fleet.setReplicas(replicas);
      for (let i = 0; i < 80; i++) {
        step(1, offered, outage);
        check();
      }
    }
    expect(fleet.totals.sendFailed).toBeGreaterThan(0);
  });

  it('adds up to what the fleet accepted, and keeps histograms cumulative', () => {
    const { fleet, step, render } = simulate();
    step(40, 30_000);
    const { samples } = render();
    const accepted = samples.filter((s) => s.name === 'otelcol_receiver_accepted_spans').reduce((sum, s) => sum + s.value, 0);
    expect(accepted).toBeCloseTo(fleet.totals.accepted, -1);
    for (const pod of ['otel-gateway-0', 'otel-gateway-1']) {
      const buckets = samples.filter((s) => s.name === `${DECISION_TIMER_BASE}_bucket` && s.labels.pod === pod);
      const values = buckets.map((s) => s.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      const count = samples.find((s) => s.name === `${DECISION_TIMER_BASE}_count` && s.labels.pod === pod)!.value;
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      expect(buckets.at(-1)!.value).toBe(count);
      expect(count).toBeGreaterThan(0);
    }
  });

  it('spends one CPU-second per μ spans of work plus the decision ticks, so CPU against accepted spans reveals the true capacity', () => {
    const cpuPerAcceptedSpan = (capacitySpansPerSecond: number) => {
      const { step, render } = simulate({ capacitySpansPerSecond });
      step(20, 30_000);
      const sum = (name: string) => render().samples.filter((s) => s.name === name && s.labels.pod === 'otel-gateway-1').reduce((total, s) => total + s.value, 0);
      const [cpuBefore, acceptedBefore] = [sum('otelcol_process_cpu_seconds'), sum('otelcol_receiver_accepted_spans')];
      step(60, 30_000);
      return (sum('otelcol_process_cpu_seconds') - cpuBefore) / (sum('otelcol_receiver_accepted_spans') - acceptedBefore);
    };
    for (const capacity of [14_000, 20_000, 26_000]) {
      const spansPerCpuSecond = 1 / cpuPerAcceptedSpan(capacity);
      // Every accepted span is ingested and exported (one μ-unit of work); ticks take a few percent more.
      expect(spansPerCpuSecond, `capacity ${capacity}`).toBeLessThan(capacity);
      expect(spansPerCpuSecond, `capacity ${capacity}`).toBeGreaterThan(capacity * 0.85);
    }
  });

  it('shows each gateway\'s resident memory growing with what it holds: an outage fills the queue and the memory with it', () => {
    const { step, render } = simulate();
    const rss = () => render().samples.find((s) => s.name === 'otelcol_process_memory_rss' && s.labels.pod === 'otel-gateway-0')!.value;
    step(20, 30_000);
    const steady = rss();
    // A replica holds decision_wait × 10,000 spans/s in its tail-sampling buffer.
    expect(steady).toBeCloseTo(DEFAULT_FLEET_SETTINGS.memoryBaseBytesPerReplica + 30 * 10_000 * DEFAULT_FLEET_SETTINGS.memoryBytesPerSpan, -7);
    step(40, 30_000, true);
    expect(rss()).toBeGreaterThan(steady * 1.5);
    expect(rss()).toBeLessThanOrEqual(memoryRequestBytes(DEFAULT_FLEET_SETTINGS));
    step(60, 30_000);
    expect(rss()).toBeCloseTo(steady, -7);
  });
});
