// One gateway of the built collector with the shipped config, fed directly by the load generator, and
// the readings of its /metrics that `collector:calibrate` and `collector:saturate` take.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, release as kernelRelease, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { RunFailure } from '../../../src/cli/command-line.ts';
import { freePort } from '../../support/free-port.ts';
import { type CollectorProcess, type CpuLimit, startCollectorProcess } from './collector-process.ts';

export const SHIPPED_CONFIG = fileURLToPath(new URL('../../../deploy/examples/gateway/gateway-collector.yaml', import.meta.url));

/** The tail-sampling processor's decision-tick histogram (milliseconds). */
export const DECISION_TICK_HISTOGRAM = 'otelcol_processor_tail_sampling_sampling_decision_timer_latency';

type Config = Record<string, Record<string, unknown>>;

export const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** Refused before minutes of measuring: the directory --out names must exist. */
export function assertOutputDirectory(output: string): void {
  if (!existsSync(dirname(output)) || !statSync(dirname(output)).isDirectory()) throw new RunFailure(`--out ${output}: the directory ${dirname(output)} does not exist`);
}

/** The machine a measurement was taken on, recorded with its figures: they hold for this machine only. */
export function machineFacts(): { cpu: string; cores: number; memoryGiB: number; kernel: string; node: string } {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30, 1), kernel: kernelRelease(), node: process.version };
}

/** The shipped gateway config with only its listen addresses and backend changed. */
function shippedConfig(ports: { otlp: number; metrics: number; health: number }, backend: string): Config {
  const config = parseYaml(readFileSync(SHIPPED_CONFIG, 'utf8')) as Config;
  const set = (path: string[], value: unknown) => {
    let node = config as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[path.at(-1)!] = value;
  };
  set(['receivers', 'otlp', 'protocols', 'grpc', 'endpoint'], `127.0.0.1:${ports.otlp}`);
  set(['extensions', 'health_check', 'endpoint'], `127.0.0.1:${ports.health}`);
  set(['exporters', 'otlp', 'endpoint'], backend);
  set(['service', 'telemetry', 'metrics', 'readers'], [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: ports.metrics } } } }]);
  return config;
}

export interface MeasuredGateway {
  readonly process: CollectorProcess;
  readonly metricsUrl: string;
  /** host:port the load generator sends OTLP/gRPC to. */
  readonly otlp: string;
}

export async function startMeasuredGateway(binary: string, backend: string, name: string, cpuLimit?: CpuLimit): Promise<MeasuredGateway> {
  const ports = { otlp: await freePort(), metrics: await freePort(), health: await freePort() };
  const process = await startCollectorProcess({
    name,
    binary,
    config: shippedConfig(ports, backend),
    healthUrl: `http://127.0.0.1:${ports.health}/`,
    ...(cpuLimit ? { cpuLimit } : {}),
  });
  return { process, metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`, otlp: `127.0.0.1:${ports.otlp}` };
}

function sampleValue(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Sum of the samples of one family (all label sets) in a /metrics exposition. */
export function metricSum(exposition: string, name: string): number {
  let total = 0;
  let seen = false;
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      total += sampleValue(line);
      seen = true;
    }
  }
  if (!seen) throw new Error(`${name} is not exposed`);
  return total;
}

/** Cumulative bucket counts of a histogram by upper bound (`le`), summed over its other labels. */
export function histogramBuckets(exposition: string, histogram: string): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${histogram}_bucket{`)) continue;
    const le = /[{,]le="([^"]+)"/.exec(line)?.[1];
    if (le === undefined) throw new Error(`${histogram}_bucket sample without an le label: ${line}`);
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + sampleValue(line));
  }
  if (buckets.size === 0) throw new Error(`${histogram}_bucket is not exposed`);
  return buckets;
}

/** Bucket counts of `after` less `before`: the observations between two scrapes. */
export function bucketIncrease(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): Map<number, number> {
  return new Map([...after].map(([bound, count]) => [bound, count - (before.get(bound) ?? 0)]));
}

/**
 * The q-quantile of cumulative buckets as Prometheus's histogram_quantile computes it (what the scaler
 * reads): linear within the bucket the rank falls in, from 0 for the first bucket; a rank in the +Inf
 * bucket gives the highest finite bound. NaN when there are no observations.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number {
  const sorted = [...buckets].sort(([a], [b]) => a - b);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
