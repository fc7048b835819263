// Large trigger metadata against the scaler as a process: a map with a 1 MiB value is INVALID_ARGUMENT
// with a short message, and many distinct maps near the 32 KiB limit leave resident memory flat (the
// parse cache is bounded in bytes). Bounds are generous: not a benchmark (npm run bench:memory is).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inParallel,
  type KedaClient,
  kedaClient,
  residentBytes,
  type RunningScaler,
  settledResidentBytes,
  startPrometheusStandIn,
  startScalerProcess,
} from '../bench/memory-harness.ts';

const MIB = 1024 * 1024;

/** A valid map of about 30 KB, distinct per index: every numeric key padded with leading zeros to 4,000 characters. */
function nearLimitMetadata(index: number): Record<string, string> {
  const padded = (value: string) => value.padStart(3900, '0');
  return {
    gatewaySelector: `job="gateway-${index}",pod=~"${'p'.repeat(3800)}"`,
    scalerAddress: `scaler-${index}-`.padEnd(3900, 'x'),
    minReplicas: padded('2'),
    maxReplicas: padded('60'),
    numTraces: padded(String(50_000 + index)),
    scaleInStep: padded('1'),
    capacitySpansPerReplica: padded('20000'),
    targetQueueFill: padded('0.5'),
  };
}

describe('large metadata against the scaler process', () => {
  let stopPrometheus: () => Promise<void>;
  let scaler: RunningScaler;
  let client: KedaClient;

  beforeAll(async () => {
    const prometheus = await startPrometheusStandIn();
    stopPrometheus = prometheus.stop;
    // A heap tighter than production's: garbage is collected rather than kept, so RSS shows what is retained.
    scaler = await startScalerProcess({ prometheusUrl: prometheus.url, built: false, maxOldSpaceMiB: 96 });
    client = kedaClient(scaler.grpcAddress);
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await scaler?.stop();
    await stopPrometheus?.();
  });

  it('answers a 1 MiB value with INVALID_ARGUMENT and a short message naming the key', async () => {
    const answer = await client.metricSpec('observability', 'otel-gateway', { gatewaySelector: `job="${'g'.repeat(MIB)}"` });
    expect(answer.code).toBe(3);
    expect(answer.details).toMatch(/^scalerMetadata\.gatewaySelector holds 1048582 bytes; a metadata value may hold at most 4096 bytes/);
    expect(answer.details.length).toBeLessThan(300);
  });

  it('keeps resident memory flat across thousands of distinct large maps and 1 MiB values', async () => {
    expect(Object.values(nearLimitMetadata(0)).reduce((sum, value) => sum + value.length, 0)).toBeGreaterThan(28_000);
    const send = async (first: number, large: number, oversized: number) => {
      await inParallel(large, 16, async (index) => {
        expect((await client.metricSpec('bench', `large-${index % 20}`, nearLimitMetadata(first + index))).code).toBe(0);
      });
      await inParallel(oversized, 4, async (index) => {
        expect((await client.metricSpec('bench', 'oversized', { gatewaySelector: `job="${first + index}${'g'.repeat(MIB)}"` })).code).toBe(3);
      });
    };
    // RSS wanders by about 10 MiB between settled reads while the heap finds its working size, so each side
    // is the largest of two rounds' settled reads. Warm-up: the parse cache fills to its byte bound.
    const largestAfter = async (rounds: readonly [first: number, large: number, oversized: number][]) => {
      let largest = 0;
      for (const [first, large, oversized] of rounds) {
        await send(first, large, oversized);
        largest = Math.max(largest, await settledResidentBytes(scaler.pid));
      }
      return largest;
    };
    const before = await largestAfter([[0, 1000, 30], [1000, 1500, 30]]);
    // Unbounded, 3,000 more distinct maps would keep about 90 MB of keys and settings.
    const after = await largestAfter([[2500, 1500, 60], [4000, 1500, 60]]);
    expect(after - before, `RSS ${Math.round(before / MIB)} → ${Math.round(after / MIB)} MiB`).toBeLessThan(16 * MIB);
    expect(residentBytes(scaler.pid)).toBeGreaterThan(0);
  }, 300_000);
});
