// Two scaler processes on one Prometheus, asked over real gRPC sockets, give the same answer: after a
// load peak (one saw it, the other started after it), after one restarts, and in the middle of a
// scale-in window. Their decision state is rebuilt from what Prometheus holds, not from what each
// process happened to see.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { LOAD_SAMPLES } from '../../src/policy/load-variation.ts';
import { type CollectorExporter, setSteadyLoad, startCollectorExporter } from '../support/collector-exporter.ts';
import { type RunningPrometheus, startPrometheus, waitForScrapeHistory } from '../support/prometheus.ts';
import { answeredReplicas, type RunningScaler, ScalerProcesses } from '../support/scaler-process.ts';

const GATEWAYS = 4;
/**
 * Spans/s per gateway: 4 × 25 fits 2 gateways of 1,000 spans/s at 70 %; 4 × 1,500 needs 9. Calm is
 * small because Prometheus' history starts with the rate window filling, so the load seems to rise
 * from 0 for 15 s and the scaler keeps room for that growth. From 4 × 25 that room stays below 4;
 * from 4 × 200 it asked for 5–7 for about 30 s and restarted the scale-in window, and on a loaded
 * machine a slowly starting process was asked during it.
 */
const CALM_PER_GATEWAY = 25;
const PEAK_PER_GATEWAY = 1500;

const METADATA = { rateWindow: '15s', pollingInterval: '2s', capacitySpansPerReplica: '1000', minReplicas: '2', maxReplicas: '20' };
const PEAK_METADATA = { ...METADATA, gatewaySelector: 'job="gw-peak"', scaleInWindow: '20s' };
const CALM_METADATA = { ...METADATA, gatewaySelector: 'job="gw-calm"', scaleInWindow: '60s' };

describe('two scaler processes on one Prometheus', () => {
  let dir: string;
  let configFile: string;
  let peak: CollectorExporter;
  let calm: CollectorExporter;
  let prometheus: RunningPrometheus;
  const scalers = new ScalerProcesses();
  const start = () => scalers.start(configFile);
  const stop = (scaler: RunningScaler) => scalers.stop(scaler);
  const answer = answeredReplicas;
  /** Both answers, asked back to back. */
  const both = async (a: RunningScaler, b: RunningScaler, name: string, metadata: Record<string, string>) => [await answer(a, name, metadata), await answer(b, name, metadata)] as const;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scaler-replicas-'));
    peak = await startCollectorExporter({ spelling: 'modern', gateways: GATEWAYS });
    calm = await startCollectorExporter({ spelling: 'modern', gateways: GATEWAYS });
    setSteadyLoad(peak, CALM_PER_GATEWAY);
    setSteadyLoad(calm, CALM_PER_GATEWAY);
    prometheus = await startPrometheus({
      scrapeJobs: [
        { jobName: 'gw-peak', targets: peak.targets },
        { jobName: 'gw-calm', targets: calm.targets },
      ],
    });
    configFile = join(dir, 'scaler.yaml');
    writeFileSync(
      configFile,
      ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', '  port: 0', 'prometheus:', '  default:', `    url: ${prometheus.url}`, ''].join('\n'),
    );
    await waitForScrapeHistory(prometheus.url, 'job=~"gw-.*"', 16);
  }, 120_000);

  afterAll(async () => {
    await scalers.stopAll();
    await prometheus?.stop();
    await Promise.all([peak, calm].filter(Boolean).map((exporter) => exporter.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('agree in the middle of a scale-in window, one having watched it from the start and one started during it, and step together', async () => {
    const watcher = await start();
    const firstAskedAtMs = Date.now();
    expect(await answer(watcher, 'calm', CALM_METADATA)).toBe(GATEWAYS);
    await sleep(15_000);
    const late = await start();
    // Each process's step lies after the last answer that still held (when it was asked) and by the first
    // that stepped (when it came back): bounds that do not widen with how long answers take under load.
    const heldAtMs: [number | undefined, number | undefined] = [firstAskedAtMs, undefined];
    const steppedByMs: [number | undefined, number | undefined] = [undefined, undefined];
    const deadline = Date.now() + 90_000;
    while (steppedByMs.includes(undefined) && Date.now() < deadline) {
      for (const [index, scaler] of [watcher, late].entries()) {
        if (steppedByMs[index] !== undefined) continue;
        const askedAtMs = Date.now();
        if ((await answer(scaler, 'calm', CALM_METADATA)) < GATEWAYS) steppedByMs[index] = Date.now();
        else heldAtMs[index] = askedAtMs;
      }
      await sleep(500);
    }
    expect(heldAtMs[1], 'the late starter starts before the window ends').toBeDefined();
    expect(steppedByMs[0], 'the watcher steps in').toBeDefined();
    expect(steppedByMs[1], 'the late starter steps in').toBeDefined();
    // The window is one window, wherever a process started: the two steps' bounds overlap, give or take a
    // poll (a process keeping its own window would step 15 s later, when its own window ends).
    const warnings = [watcher, late].map((scaler) => scaler.process.stdout().split('\n').filter((line) => line.includes('"level":40') || line.includes('"level":50')).slice(0, 3).join('\n'));
    const apartMs = Math.max(heldAtMs[0]!, heldAtMs[1]!) - Math.min(steppedByMs[0]!, steppedByMs[1]!);
    expect(apartMs, warnings.join('\n')).toBeLessThanOrEqual(5000);
    await stop(watcher);
    await stop(late);
  }, 180_000);

  it('agree after a load peak that only one of them saw, and after that one restarts', async () => {
    // Before the peak the load fits 2: the first answer may already be a scale-in step (the window ran while no scaler did).
    const witness = await start();
    expect(await answer(witness, 'peak', PEAK_METADATA)).toBeLessThanOrEqual(GATEWAYS);
    setSteadyLoad(peak, PEAK_PER_GATEWAY);
    let atPeak = 0;
    for (let poll = 0; poll < 40 && atPeak <= GATEWAYS; poll++) {
      atPeak = await answer(witness, 'peak', PEAK_METADATA);
      await sleep(1000);
    }
    expect(atPeak, 'the witness scales out during the peak').toBeGreaterThan(GATEWAYS);
    // Room is kept for a load level (the median of the last LOAD_SAMPLES readings, one per poll), so the peak is held that long.
    await sleep(LOAD_SAMPLES * parseTargetMetadata(PEAK_METADATA).pollingIntervalSeconds * 1000);
    setSteadyLoad(peak, CALM_PER_GATEWAY);
    // The rate window (15 s) and the settling delay pass: the load now fits 2 again.
    await sleep(20_000);
    const afterPeak = await answer(witness, 'peak', PEAK_METADATA);
    expect(afterPeak, 'the witness keeps room for the recent peak').toBeGreaterThan(GATEWAYS);

    const newcomer = await start();
    for (let poll = 0; poll < 5; poll++) {
      const [witnessAnswer, newcomerAnswer] = await both(witness, newcomer, 'peak', PEAK_METADATA);
      expect(newcomerAnswer, `poll ${poll}`).toBe(witnessAnswer);
      await sleep(1000);
    }

    await stop(witness);
    const restarted = await start();
    for (let poll = 0; poll < 5; poll++) {
      const [restartedAnswer, newcomerAnswer] = await both(restarted, newcomer, 'peak', PEAK_METADATA);
      expect(restartedAnswer, `poll ${poll}`).toBe(newcomerAnswer);
      expect(restartedAnswer).toBe(afterPeak);
      await sleep(1000);
    }
  }, 240_000);
});
