import { describe, expect, it } from 'vitest';
import type { AutoscalerName } from '../../src/sim/autoscaler.ts';
import { type PolicyResult, runBench } from '../../src/sim/bench.ts';
import { benchOptionsFrom, parseBenchArgs } from '../../src/sim/bench-cli.ts';
import type { Trace } from '../../src/sim/trace-csv.ts';

const monday = Date.parse('2026-01-05T00:00:00Z');

/** Runs `autoscalers` closed loop with bench flags, on `trace` or the synthetic day. */
async function bench(args: string[], autoscalers: AutoscalerName[], trace?: Trace): Promise<Record<string, PolicyResult>> {
  const options = benchOptionsFrom(parseBenchArgs(['--autoscalers', autoscalers.join(','), ...(trace ? [] : ['--days', '1']), ...args]), trace);
  const result = await runBench(options);
  return Object.fromEntries(result.policies.map((policy) => [policy.name, policy]));
}

/** One value per minute: `minutes` minutes at each level in turn. */
function levels(minutes: number, ...values: number[]): Trace {
  const points = values.flatMap((value) => Array.from({ length: minutes }, () => value));
  return { name: 'levels', timestampsMs: Float64Array.from(points, (_, i) => monday + i * 60_000), values: Float64Array.from(points) };
}

const lastReplicas = (policy: PolicyResult) => policy.series.replicas.at(-1)!;

describe('each baseline behaves as its recipe says, closed loop', () => {
  it('a lower CPU target runs more replica-hours: hpa-cpu-50 > 60 > 70 > 90', async () => {
    const runs = await bench([], ['hpa-cpu-50', 'hpa-cpu-60', 'hpa-cpu-70', 'hpa-cpu-90']);
    const hours = ['hpa-cpu-50', 'hpa-cpu-60', 'hpa-cpu-70', 'hpa-cpu-90'].map((name) => runs[name]!.replicaHours);
    expect(hours).toEqual([...hours].sort((a, b) => b - a));
    expect(hours[0]).toBeGreaterThan(hours[3]! * 1.4);
  });

  it('hpa-cpu-mem scales on memory once the spans held pass 60 % of the request, where CPU at 50 % does not ask for it', async () => {
    // decision_wait 180 s with room for the traces: near 50 % CPU a gateway holds about 9,000 × 180 spans, 80 % of its memory request.
    const runs = await bench(['--decision-wait', '180s', '--num-traces', '150000'], ['hpa-cpu-50', 'hpa-cpu-mem']);
    expect(runs['hpa-cpu-mem']!.replicaHours).toBeGreaterThan(runs['hpa-cpu-50']!.replicaHours * 1.1);
    const defaults = await bench([], ['hpa-cpu-50', 'hpa-cpu-mem']);
    expect(defaults['hpa-cpu-mem']!.replicaHours).toBeCloseTo(defaults['hpa-cpu-50']!.replicaHours, 6);
  });

  it('keda-prometheus-rate settles at load / (the trigger capacity × 0.7), whatever the true capacity', async () => {
    // Peak 280,000 spans/s, then 55 % of it: 154,000 spans/s / 14,000 per replica = 11 replicas, or 12
    // left inside the HPA's 10 % tolerance on the way down.
    const trace = levels(90, 100, 55);
    const told = await bench([], ['keda-prometheus-rate'], trace);
    expect([11, 12]).toContain(lastReplicas(told['keda-prometheus-rate']!));
    const strongerFleet = await bench(['--capacity', '26000'], ['keda-prometheus-rate'], trace);
    expect(lastReplicas(strongerFleet['keda-prometheus-rate']!)).toBe(lastReplicas(told['keda-prometheus-rate']!));
    // Told 26,000: threshold 18,200 per replica, ceil(154,000 / 18,200) = 9.
    const toldMore = await bench(['--metadata', 'capacitySpansPerReplica=26000'], ['keda-prometheus-rate'], trace);
    expect(lastReplicas(toldMore['keda-prometheus-rate']!)).toBe(9);
  });

  it('keda-prometheus-queue reacts only once CPU-starved gateways back up their queues, so it loses spans the oracle keeps', async () => {
    const runs = await bench([], ['keda-prometheus-queue']);
    const queue = runs['keda-prometheus-queue']!;
    expect(queue.lostSpansPct).toBeGreaterThan(1);
    expect(queue.lostSpansByCause.failedAtAgents).toBeGreaterThan(0.9 * queue.lostSpans);
  });
});

describe('each scenario changes what it claims to change', () => {
  it('buffer-bound: num_traces binds before CPU, so a CPU baseline drops traces too early', async () => {
    const defaults = await bench([], ['hpa-cpu-70']);
    const bound = await bench(['--scenario', 'buffer-bound'], ['hpa-cpu-70']);
    expect(defaults['hpa-cpu-70']!.lostSpansByCause.droppedTooEarly).toBe(0);
    expect(bound['hpa-cpu-70']!.lostSpansByCause.droppedTooEarly).toBeGreaterThan(0);
  });

  it('slow-backend: queues fill and overflow at peaks without any outage', async () => {
    const defaults = await bench([], ['hpa-cpu-70']);
    const slow = await bench(['--scenario', 'slow-backend'], ['hpa-cpu-70']);
    expect(defaults['hpa-cpu-70']!.lostSpansByCause.enqueueFailed).toBe(0);
    expect(slow['hpa-cpu-70']!.lostSpansByCause.enqueueFailed).toBeGreaterThan(0);
    expect(slow['hpa-cpu-70']!.lostSpansByCause.sendFailed).toBe(0);
  });

  it('bursty: one short burst an hour after the warm-up, and the oracle needs more replica-hours for them', async () => {
    const options = benchOptionsFrom(parseBenchArgs(['--days', '2', '--scenario', 'bursty', '--autoscalers', 'oracle']));
    const result = await runBench(options);
    expect(result.scenario.bursts.length).toBe(47);
    expect(result.scenario.bursts.every((burst) => burst.endMs - burst.startMs === 30_000)).toBe(true);
    const calm = await runBench(benchOptionsFrom(parseBenchArgs(['--days', '2', '--autoscalers', 'oracle'])));
    expect(result.policies[0]!.replicaHours).toBeGreaterThan(calm.policies[0]!.replicaHours);
  });

  it('skewed-ring: the hot gateway loses spans a CPU baseline does not see on the mean', async () => {
    const defaults = await bench([], ['hpa-cpu-70']);
    const skewed = await bench(['--scenario', 'skewed-ring'], ['hpa-cpu-70']);
    expect(skewed['hpa-cpu-70']!.lostSpans).toBeGreaterThan(defaults['hpa-cpu-70']!.lostSpans * 2 + 1000);
  });
});
