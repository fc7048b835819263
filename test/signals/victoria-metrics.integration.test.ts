// The signal catalogue on a second real query engine: VictoriaMetrics (MetricsQL) scrapes the same
// simulated gateways as a real Prometheus, reached like a Prometheus-compatible store in front of a
// fleet (path prefix, basic auth from a file, a tenant header), and every signal the scaler reads
// from it must equal what it reads from Prometheus within 5 %: the instant reads of every poll, and the
// range reads of what-if replays, forecast refits and learned capacity.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata, type TargetSettings } from '../../src/config/target-metadata.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import type { CpuLoadSample } from '../../src/signals/cpu-load-history.ts';
import { type RangeWindow, type Reading, SIGNAL_NAMES, type SignalSnapshot } from '../../src/signals/signal-snapshot.ts';
import { type CollectorExporter, type CollectorSpelling, startCollectorExporter } from '../support/collector-exporter.ts';
import { type RunningPrometheus, type ScrapeJob, startPrometheus, waitForScrapeHistory } from '../support/prometheus.ts';
import { type RunningVictoriaMetrics, startVictoriaMetrics } from '../support/victoria-metrics.ts';

const RATE_WINDOW_SECONDS = 15;
/** Range reads: three steps ending this far behind now, each with a full rate window of scraped history. */
const RANGE_STEP_SECONDS = 2;
const RANGE_STEPS = 3;
const RANGE_END_BEHIND_MS = 3000;
const RANGE_HISTORY_SECONDS = RATE_WINDOW_SECONDS + (RANGE_STEPS - 1) * RANGE_STEP_SECONDS + RANGE_END_BEHIND_MS / 1000 + 3;
/** The issue's bar for a second engine: every signal within 5 % of Prometheus'. */
const ENGINE_TOLERANCE = 0.05;
const SPELLINGS: readonly CollectorSpelling[] = ['legacy', 'suffixed', 'modern'];
const jobOf = (spelling: CollectorSpelling) => `gw-${spelling}`;
const settingsFor = (selector: string): TargetSettings => parseTargetMetadata({ gatewaySelector: selector, rateWindow: `${RATE_WINDOW_SECONDS}s` });

/** Gateway i of every tier: different rates per gateway, so sums, maxima and per-gateway keys all matter. */
function configure(exporter: CollectorExporter): void {
  exporter.gateways.forEach((gateway, index) => {
    const scale = index + 1;
    gateway.setRate('acceptedSpans', 1500 * scale);
    gateway.setRate('sentSpans', 1400 * scale);
    gateway.setRate('sendFailedSpans', 8 * scale);
    gateway.setRate('enqueueFailedSpans', 3 * scale);
    gateway.setRate('droppedTooEarlyTraces', 2 * scale);
    gateway.setRate('refusedSpans', 5 * scale);
    gateway.setRate('processorRefusedSpans', 5 * scale);
    gateway.setGauge('queueSize', 150 * scale);
    gateway.setGauge('queueCapacity', 1000);
    gateway.setGauge('tracesOnMemory', 12_000 * scale);
    gateway.setDecisionTicks(2, 4 * scale);
    gateway.setCpuCores(0.25 * scale);
  });
}

function expectClose(name: string, fromVictoria: Reading, fromPrometheus: Reading): void {
  if (process.env.SHOW_ENGINE_DIFF && fromVictoria.kind === 'ok' && fromPrometheus.kind === 'ok') console.log(`DIFF ${name} ${fromPrometheus.value} ${fromVictoria.value} ${((fromVictoria.value - fromPrometheus.value) / (fromPrometheus.value || 1) * 100).toFixed(3)}%`);
  expect(fromPrometheus.kind, `${name} from Prometheus`).toBe('ok');
  expect(fromVictoria, `${name} from VictoriaMetrics`).toMatchObject({ kind: 'ok' });
  if (fromPrometheus.kind !== 'ok' || fromVictoria.kind !== 'ok') return;
  expect(Math.abs(fromVictoria.value - fromPrometheus.value), `${name}: VictoriaMetrics ${fromVictoria.value}, Prometheus ${fromPrometheus.value}`).toBeLessThanOrEqual(
    Math.abs(fromPrometheus.value) * ENGINE_TOLERANCE + 1e-9,
  );
}

/** The fullest queue a rate window before, an optional field of a snapshot, as a reading to compare. */
function fillWindowAgo(snapshot: SignalSnapshot): Reading {
  const fill = snapshot.queueFillMaxWindowAgo;
  return fill === undefined ? { kind: 'missing', reason: 'no queueFillMaxWindowAgo' } : { kind: 'ok', value: fill };
}

describe('the signal catalogue on VictoriaMetrics, against Prometheus scraping the same gateways', () => {
  const exporters = new Map<CollectorSpelling, CollectorExporter>();
  let idle: CollectorExporter;
  let prometheus: RunningPrometheus;
  let victoria: RunningVictoriaMetrics;
  let fromPrometheus: PrometheusSignalSource;
  let fromVictoria: PrometheusSignalSource;
  let secrets: string;

  beforeAll(async () => {
    for (const spelling of SPELLINGS) {
      const exporter = await startCollectorExporter({ spelling, gateways: 2 });
      configure(exporter);
      exporters.set(spelling, exporter);
    }
    idle = await startCollectorExporter({ spelling: 'modern', gateways: 1 });
    const scrapeJobs: ScrapeJob[] = [
      ...SPELLINGS.map((spelling) => ({ jobName: jobOf(spelling), targets: exporters.get(spelling)!.targets, labels: { namespace: 'observability' } })),
      { jobName: 'gw-idle', targets: idle.targets },
    ];
    const password = 'victoria-test-password';
    [prometheus, victoria] = await Promise.all([
      startPrometheus({ scrapeJobs }),
      startVictoriaMetrics({ scrapeJobs, scrapeIntervalSeconds: 1, pathPrefix: '/prometheus', basicAuth: { username: 'scaler', password } }),
    ]);
    secrets = mkdtempSync(join(tmpdir(), 'victoria-secrets-'));
    writeFileSync(join(secrets, 'password'), `${password}\n`);
    fromPrometheus = new PrometheusSignalSource({ serverName: 'prometheus', server: { url: prometheus.url, queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    fromVictoria = new PrometheusSignalSource({
      serverName: 'victoria-metrics',
      server: {
        url: victoria.url,
        pathPrefix: '/prometheus',
        basicAuth: { username: 'scaler', passwordFile: join(secrets, 'password') },
        headers: { 'X-Scope-OrgID': 'observability' },
        queryTimeoutMs: 2000,
        cacheTtlMs: 0,
      },
    });
    await waitForScrapeHistory(prometheus.url, 'job=~"gw-.*"', RATE_WINDOW_SECONDS + 2);
  }, 90_000);

  /** The last steps on a grid both engines align to, whose rate windows lie inside the scraped history. */
  async function rangeWindow(): Promise<RangeWindow> {
    await waitForScrapeHistory(prometheus.url, 'job=~"gw-.*"', RANGE_HISTORY_SECONDS);
    const stepMs = RANGE_STEP_SECONDS * 1000;
    const endMs = Math.floor((Date.now() - RANGE_END_BEHIND_MS) / stepMs) * stepMs;
    return { startMs: endMs - (RANGE_STEPS - 1) * stepMs, endMs, stepSeconds: RANGE_STEP_SECONDS };
  }

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), victoria?.stop(), ...[...exporters.values(), idle].filter(Boolean).map((exporter) => exporter.stop())]);
    if (secrets) rmSync(secrets, { recursive: true, force: true });
  });

  it('reaches VictoriaMetrics below its path prefix with basic auth from the file, and is refused without it', async () => {
    expect(await fromVictoria.checkReachable()).toEqual({ kind: 'reachable' });
    const withoutAuth = new PrometheusSignalSource({ serverName: 'no-auth', server: { url: victoria.url, pathPrefix: '/prometheus', queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    expect((await withoutAuth.checkReachable()).kind).toBe('unreachable');
  });

  for (const spelling of SPELLINGS) {
    describe(`${spelling} spelling`, () => {
      let pair: { prometheus: SignalSnapshot; victoria: SignalSnapshot };
      beforeAll(async () => {
        const target = { namespace: 'observability', name: spelling };
        const settings = settingsFor(`job="${jobOf(spelling)}",namespace="observability"`);
        const [fromP, fromV] = await Promise.all([fromPrometheus.read(target, settings), fromVictoria.read(target, settings)]);
        pair = { prometheus: fromP, victoria: fromV };
      });

      for (const signal of SIGNAL_NAMES) {
        it(`${signal} is equal within 5 %`, () => expectClose(signal, pair.victoria.signals[signal], pair.prometheus.signals[signal]));
      }

      it('the fullest queue a rate window before is equal within 5 %', () => expectClose('queueFillMaxWindowAgo', fillWindowAgo(pair.victoria), fillWindowAgo(pair.prometheus)));

      it('accepted spans/s per gateway: the same gateways, each within 5 %', () => {
        const [byP, byV] = [pair.prometheus.acceptedSpansPerSecondByGateway, pair.victoria.acceptedSpansPerSecondByGateway];
        if (byP.kind !== 'ok' || byV.kind !== 'ok') throw new Error(`missing: ${JSON.stringify({ prometheus: byP, victoria: byV })}`);
        expect(Object.keys(byV.value).sort()).toEqual(Object.keys(byP.value).sort());
        for (const gateway of Object.keys(byP.value)) {
          expectClose(gateway, { kind: 'ok', value: byV.value[gateway]! }, { kind: 'ok', value: byP.value[gateway]! });
        }
      });
    });
  }

  describe('range reads (what-if replays, forecast refits, learned capacity)', () => {
    for (const spelling of SPELLINGS) {
      it(`${spelling} spelling: every signal at every step, and every gateway's CPU-load sample, equal within 5 %`, async () => {
        const target = { namespace: 'observability', name: spelling };
        const settings = settingsFor(`job="${jobOf(spelling)}",namespace="observability"`);
        const window = await rangeWindow();

        const [stepsP, stepsV] = await Promise.all([fromPrometheus.readRange(target, settings, window), fromVictoria.readRange(target, settings, window)]);
        expect(stepsP.map((step) => step.observedAtMs)).toHaveLength(RANGE_STEPS);
        expect(stepsV.map((step) => step.observedAtMs)).toEqual(stepsP.map((step) => step.observedAtMs));
        stepsP.forEach((stepP, index) => {
          for (const signal of SIGNAL_NAMES) expectClose(`${signal} at step ${index}`, stepsV[index]!.signals[signal], stepP.signals[signal]);
          expectClose(`queueFillMaxWindowAgo at step ${index}`, fillWindowAgo(stepsV[index]!), fillWindowAgo(stepP));
        });

        const [acceptedP, acceptedV] = await Promise.all([
          fromPrometheus.readAcceptedSpansHistory(target, settings, window),
          fromVictoria.readAcceptedSpansHistory(target, settings, window),
        ]);
        expect(acceptedP).toHaveLength(RANGE_STEPS);
        expect(acceptedV.map((sample) => sample.timestampMs)).toEqual(acceptedP.map((sample) => sample.timestampMs));
        for (const [index, sample] of acceptedP.entries()) {
          expectClose(`accepted spans/s history at step ${index}`, { kind: 'ok', value: acceptedV[index]!.value }, { kind: 'ok', value: sample.value });
        }

        const [cpuP, cpuV] = await Promise.all([fromPrometheus.readCpuLoadSamples(target, settings, window), fromVictoria.readCpuLoadSamples(target, settings, window)]);
        const key = (sample: CpuLoadSample) => `${sample.atMs} ${sample.gateway}`;
        const byKey = new Map(cpuV.samples.map((sample) => [key(sample), sample]));
        expect(cpuP.samples.length).toBe(RANGE_STEPS * exporters.get(spelling)!.gateways.length);
        expect([...byKey.keys()].sort()).toEqual(cpuP.samples.map(key).sort());
        expect(cpuV.allotmentSource).toBe(cpuP.allotmentSource);
        for (const sampleP of cpuP.samples) {
          const sampleV = byKey.get(key(sampleP))!;
          expectClose(`CPU cores of ${key(sampleP)}`, { kind: 'ok', value: sampleV.cpuCores }, { kind: 'ok', value: sampleP.cpuCores });
          expectClose(`accepted spans/s of ${key(sampleP)}`, { kind: 'ok', value: sampleV.acceptedSpansPerSecond }, { kind: 'ok', value: sampleP.acceptedSpansPerSecond });
          const earlier = (sample: CpuLoadSample) => ({ kind: 'ok' as const, value: sample.acceptedSpansPerSecondDecisionWaitAgo ?? Number.NaN });
          expectClose(`accepted spans/s a decision_wait before, of ${key(sampleP)}`, earlier(sampleV), earlier(sampleP));
          // Refusals while the queue is not filling, and send failures: both flags are up on every gateway here.
          expect({ saturated: sampleV.saturated, exportDisturbed: sampleV.exportDisturbed }, key(sampleP)).toEqual({ saturated: true, exportDisturbed: true });
          expect({ saturated: sampleP.saturated, exportDisturbed: sampleP.exportDisturbed }, key(sampleP)).toEqual({ saturated: true, exportDisturbed: true });
        }
      }, 60_000);
    }
  });

  it('an idle gateway: the same signals missing on both engines, never 0 on one of them', async () => {
    const target = { namespace: 'observability', name: 'idle' };
    const settings = settingsFor('job="gw-idle"');
    const [byP, byV] = await Promise.all([fromPrometheus.read(target, settings), fromVictoria.read(target, settings)]);
    const missing = (snapshot: SignalSnapshot) => SIGNAL_NAMES.filter((signal) => snapshot.signals[signal].kind === 'missing');
    expect(missing(byP).length).toBeGreaterThan(0);
    expect(missing(byV)).toEqual(missing(byP));
  });
});
