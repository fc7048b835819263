// The ring judged end to end: per-gateway accepted-span counters written into a real Prometheus through
// its remote-write receiver, read back through the ring-share range queries, judged, and fed to decide().
// Two tiers have a day of history in which a third gateway joins 20 hours before the read: one whose hot
// spot is a wide hash arc and one whose hot spot is one traceID (with a gateway that never became ready
// and accepts nothing), each gateway taking spans over two transports, next to agents that accept spans
// too. Three more have six hours in which a third gateway joins half-way; in one of them no application
// sends spans for 40 minutes after the join.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingSpreadRefresher, ringShareReadWindow } from '../../src/advisor/ring-spread-refresher.ts';
import { decide } from '../../src/policy/decide.ts';
import { arcShareAt } from '../../src/policy/ring-spread.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import type { RangeWindow } from '../../src/signals/signal-snapshot.ts';
import { settings as settingsFor, snapshot } from '../policy/policy-fixtures.ts';
import { acceptedSpansSeries, type Scrapes } from '../support/gateway-history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { historyEndSeconds, type RemoteWriteSeries, remoteWrite } from '../support/remote-write.ts';
import { silentLogger as silent } from '../support/recording-logger.ts';

const HOUR_S = 3600;
const SCRAPE_S = 15;
const END_S = historyEndSeconds();

/** One tier's history: gateway-2 joins at joinS, and each gateway's share of the tier's spans before and after. */
interface RingTier {
  readonly job: string;
  readonly startS: number;
  readonly joinS: number;
  readonly spansPerSecond: number;
  readonly shares: { readonly before: readonly number[]; readonly after: readonly number[] };
  /** Gateways scraped all along that never became ready: out of the headless Service the agents resolve, so they accept nothing. */
  readonly idleGateways: number;
  /** How each gateway's spans split over its OTLP receiver's transports. */
  readonly transportParts: readonly (readonly [transport: string, part: number])[];
  /** No application sends spans from fromS up to toS: every gateway is still scraped, its counters flat. */
  readonly silence?: { readonly fromS: number; readonly toS: number };
}

/** An hour more than the reads look back, so a window longer than theirs would see more. */
const DAY_START_S = END_S - 25 * HOUR_S;
const DAY_SPANS_PER_SECOND = 60_000;
/** Each day-tier gateway takes this part of its spans over gRPC, the rest over HTTP. */
const GRPC_PART = 0.8;
const DAY_TIER = {
  startS: DAY_START_S,
  /** 20 hours before the read, 37 s after a ring-read step. */
  joinS: Math.floor((END_S - 20 * HOUR_S) / 120) * 120 + 37,
  spansPerSecond: DAY_SPANS_PER_SECOND,
  transportParts: [
    ['grpc', GRPC_PART],
    ['http', 1 - GRPC_PART],
  ],
} as const;
/** The hot key tier's one traceID carries this part of all spans, always on gateway-0; the rest spreads evenly. */
const HOT_KEY = 0.6;
const SIX_HOUR_START_S = END_S - 6 * HOUR_S;
/** Gateway-0 owns a wide arc of the hash ring, which the newcomer takes part of. */
const WIDE_ARC_SHARES = { before: [0.75, 0.25], after: [0.5, 0.25, 0.25] } as const;
const SIX_HOUR_TIER = { startS: SIX_HOUR_START_S, joinS: SIX_HOUR_START_S + 3 * HOUR_S, spansPerSecond: 80_000, idleGateways: 0, transportParts: [['grpc', 1]] } as const;

const TIERS = {
  /** Gateway-0 owns 3/4 of the hash ring; a joining gateway takes a third of every arc. */
  arc: { ...DAY_TIER, job: 'arc-gateway', shares: { before: [0.75, 0.25], after: [0.75 * (2 / 3), 0.25 * (2 / 3), 1 / 3] }, idleGateways: 0 },
  key: {
    ...DAY_TIER,
    job: 'key-gateway',
    shares: { before: [HOT_KEY + (1 - HOT_KEY) / 2, (1 - HOT_KEY) / 2], after: [HOT_KEY + (1 - HOT_KEY) / 3, (1 - HOT_KEY) / 3, (1 - HOT_KEY) / 3] },
    idleGateways: 1,
  },
  recentArc: { ...SIX_HOUR_TIER, job: 'recent-arc-gateway', shares: WIDE_ARC_SHARES },
  /** One traceID carries most of gateway-0's load, and the newcomer takes only from the rest. */
  recentKey: { ...SIX_HOUR_TIER, job: 'recent-key-gateway', shares: { before: [0.75, 0.25], after: [0.72, 0.14, 0.14] } },
  /** The recent arc's ring, silent from two hours before the read for 40 minutes. */
  quietArc: { ...SIX_HOUR_TIER, job: 'quiet-arc-gateway', shares: WIDE_ARC_SHARES, silence: { fromS: END_S - 2 * HOUR_S, toS: END_S - 80 * 60 } },
} satisfies Record<string, RingTier>;
type TierName = keyof typeof TIERS;

const throughEnd = (fromS: number): Scrapes => ({ fromS, toS: END_S + 1, everyS: SCRAPE_S });

function gatewaysAt(tier: RingTier, tS: number): number {
  return (tS < tier.joinS ? tier.shares.before : tier.shares.after).length;
}

function shareOf(tier: RingTier, gateway: number, tS: number): number {
  return (tS < tier.joinS ? tier.shares.before : tier.shares.after)[gateway] ?? 0;
}

function isSilent(tier: RingTier, tS: number): boolean {
  return tier.silence !== undefined && tS >= tier.silence.fromS && tS < tier.silence.toS;
}

/** What a ring read at tS must say; undefined a rate window after the join, which mixes both rings (and gateway-2 has no rate a scrape after it). */
function writtenRingAt(tier: RingTier, tS: number, rateWindowSeconds: number): { readonly gateways: number; readonly hottestShare: number } | undefined {
  if (tS >= tier.joinS && tS < tier.joinS + rateWindowSeconds) return undefined;
  return { gateways: gatewaysAt(tier, tS), hottestShare: Math.max(...[0, 1, 2].map((gateway) => shareOf(tier, gateway, tS))) };
}

/** The step times of a read window, oldest first. */
function stepTimesS(window: RangeWindow): number[] {
  const times: number[] = [];
  for (let atMs = window.startMs; atMs <= window.endMs; atMs += window.stepSeconds * 1000) times.push(atMs / 1000);
  return times;
}

/** Each gateway's counters on every transport; gateway-2's from when it joins. */
function ringTierSeries(tier: RingTier): RemoteWriteSeries[] {
  const gateways = Array.from({ length: tier.shares.after.length + tier.idleGateways }, (_, gateway) => gateway);
  return gateways.flatMap((gateway) => {
    const pod = `${tier.job}-${gateway}`;
    const labels = { job: tier.job, namespace: 'observability', pod, instance: `${pod}:8888` };
    const scrapes = throughEnd(gateway === 2 ? tier.joinS : tier.startS);
    return tier.transportParts.map(([transport, part]) =>
      acceptedSpansSeries(labels, { receiver: 'otlp', transport }, scrapes, (t) => (isSilent(tier, t) ? 0 : tier.spansPerSecond * shareOf(tier, gateway, t) * part)),
    );
  });
}

/** Agents on every node take the applications' spans too, under their own job. */
function agentSeries(): RemoteWriteSeries[] {
  return [0, 1, 2, 3].map((agent) =>
    acceptedSpansSeries(
      { job: 'otel-agent', namespace: 'observability', pod: `otel-agent-${agent}`, instance: `otel-agent-${agent}:8888` },
      { receiver: 'otlp', transport: 'grpc' },
      throughEnd(DAY_START_S),
      () => DAY_SPANS_PER_SECOND / 4,
    ),
  );
}

const ref = { namespace: 'observability', name: 'otel-gateway' };
const settingsOf = (tier: TierName) => settingsFor({ gatewaySelector: `job="${TIERS[tier].job}"` });
/** Now: three gateways, gateway-0 at the share the history ends with. */
const byGateway = (tier: TierName) => Object.fromEntries(TIERS[tier].shares.after.map((share, gateway) => [`gateway-${gateway}`, share * TIERS[tier].spansPerSecond]));

let prometheus: RunningPrometheus;
let source: PrometheusSignalSource;

beforeAll(async () => {
  prometheus = await startPrometheus({ extraFlags: ['--web.enable-remote-write-receiver'] });
  await remoteWrite(prometheus.url, [...Object.values(TIERS).flatMap(ringTierSeries), ...agentSeries()]);
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('the ring judged from a real Prometheus', () => {
  it('reads the gateways accepting spans and the busiest share at every step of the day, only the selected tier', async () => {
    for (const tier of ['arc', 'key'] as const) {
      const settings = settingsOf(tier);
      const window = ringShareReadWindow(settings, END_S * 1000);
      // A day at the rate window's step (2 minutes), every step with spans.
      expect((window.endMs - window.startMs) / 1000).toBe(24 * HOUR_S);
      expect(window.stepSeconds).toBe(settings.rateWindowSeconds);
      const samples = await source.readRingShares(ref, settings, window);
      expect(samples).toHaveLength((24 * HOUR_S) / settings.rateWindowSeconds + 1);
      expect(samples[0]!.atMs).toBe(window.startMs);
      let checked = 0;
      for (const sample of samples) {
        const tS = sample.atMs / 1000;
        const written = writtenRingAt(TIERS[tier], tS, settings.rateWindowSeconds);
        if (written === undefined) continue;
        expect({ tier, atS: tS, gateways: sample.acceptingGateways }).toEqual({ tier, atS: tS, gateways: written.gateways });
        expect(Math.abs(sample.hottestShare - written.hottestShare), `${tier} at ${tS}`).toBeLessThan(0.005);
        checked++;
      }
      expect(checked).toBe(samples.length - 1);
    }
  });

  it('reads no share at a step whose rate window saw no spans on any gateway, and the written ring at the steps around it', async () => {
    const tier = TIERS.quietArc;
    const settings = settingsOf('quietArc');
    const window = ringShareReadWindow(settings, END_S * 1000);
    const samples = await source.readRingShares(ref, settings, window);
    const sampleAt = new Map(samples.map((sample) => [sample.atMs / 1000, sample]));
    const rateWindowS = settings.rateWindowSeconds;
    const { fromS, toS } = tier.silence;
    // RingShareHistory's contract: a sample only for a step that had accepted spans; no share of nothing.
    const silentSteps = stepTimesS(window).filter((tS) => tS - rateWindowS >= fromS && tS <= toS);
    expect(silentSteps.length).toBeGreaterThanOrEqual(15);
    for (const tS of silentSteps) expect(sampleAt.get(tS), `silent step at ${tS}`).toBeUndefined();
    // A rate window reaching over either edge still sees spans, all gateways' cut alike, so its shares hold.
    const stepsWithSpans = stepTimesS(window).filter((tS) => tS - rateWindowS >= tier.startS && (tS < fromS || tS - rateWindowS >= toS));
    for (const tS of stepsWithSpans) expect(sampleAt.has(tS), `step at ${tS}`).toBe(true);
    for (const sample of samples) {
      const written = writtenRingAt(tier, sample.atMs / 1000, rateWindowS);
      if (written === undefined) continue;
      expect({ atS: sample.atMs / 1000, gateways: sample.acceptingGateways }).toEqual({ atS: sample.atMs / 1000, gateways: written.gateways });
      expect(sample.hottestShare, `at ${sample.atMs / 1000}`).toBeCloseTo(written.hottestShare, 6);
    }
  });

  it('judges the ring across a silence as it does the same ring without one', async () => {
    const refresher = new RingSpreadRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const quiet = await refresher.refresh(ref, settingsOf('quietArc'), nowMs);
    const loud = await refresher.refresh(ref, settingsOf('recentArc'), nowMs);
    expect(quiet).toEqual(loud);
    expect(quiet).toMatchObject({ kind: 'follows-ring', before: { gateways: 2 }, after: { gateways: 3, atMs: ringShareReadWindow(settingsOf('quietArc'), nowMs).endMs } });
  });

  it("judges the arc's share to follow the ring and the hot key's to stay, from the join 20 hours back", async () => {
    const refresher = new RingSpreadRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    for (const tier of ['arc', 'key'] as const) {
      const spread = await refresher.refresh(ref, settingsOf(tier), nowMs);
      if (spread.kind === 'unknown') throw new Error(`${tier}: ${spread.reason}`);
      const before = Math.max(...TIERS[tier].shares.before);
      const after = Math.max(...TIERS[tier].shares.after);
      // The truth's own judgement: nearer the arc's prediction, or nearer the share it had.
      const followsRing = Math.abs(after - arcShareAt({ gateways: 2, hottestShare: before }, 3)) < Math.abs(after - before);
      expect(followsRing).toBe(tier === 'arc');
      expect(spread.kind).toBe(followsRing ? 'follows-ring' : 'stays');
      expect(spread.before.gateways).toBe(2);
      expect(spread.before.hottestShare).toBeCloseTo(before, 3);
      expect(spread.before.atMs).toBeLessThan(TIERS[tier].joinS * 1000);
      expect(spread.before.atMs).toBeGreaterThan((TIERS[tier].joinS - 2 * ringShareReadWindow(settingsOf(tier), nowMs).stepSeconds) * 1000);
      expect(spread.after.gateways).toBe(3);
      expect(spread.after.hottestShare).toBeCloseTo(after, 3);
    }
  });

  it("finds a hash arc's share halved when a third gateway joined, and then sizes the busiest gateway", async () => {
    const refresher = new RingSpreadRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    expect(refresher.spreadFor(ref, settingsOf('recentArc'), nowMs)).toBeUndefined();
    const spread = await refresher.refresh(ref, settingsOf('recentArc'), nowMs);
    if (spread.kind === 'unknown') throw new Error(spread.reason);
    expect(spread.kind).toBe('follows-ring');
    expect(spread.before.gateways).toBe(2);
    expect(spread.before.hottestShare).toBeCloseTo(0.75, 6);
    expect(spread.before.atMs).toBeLessThanOrEqual(TIERS.recentArc.joinS * 1000);
    expect(spread.after.gateways).toBe(3);
    expect(spread.after.hottestShare).toBeCloseTo(0.5, 6);

    const signals = { currentReplicas: 3, acceptedSpansPerSecond: TIERS.recentArc.spansPerSecond };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, byGateway: byGateway('recentArc'), signals }), ringSpread: spread }, settingsOf('recentArc'));
    const throughput = decision.proposals.find((proposal) => proposal.name === 'throughput')!;
    expect(throughput.inputs.busiestGatewayShareMultiple).toBeCloseTo(1.5, 6);
    expect(throughput.reason).toContain('its share went from 75% at 2 gateways to 50% at 3');
  });

  it("finds a hot key's share kept when a third gateway joined, and leaves it to the routing-imbalance note", async () => {
    const refresher = new RingSpreadRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const spread = await refresher.refresh(ref, settingsOf('recentKey'), nowMs);
    expect(spread).toMatchObject({ kind: 'stays', before: { gateways: 2 }, after: { gateways: 3 } });
    const signals = { currentReplicas: 3, acceptedSpansPerSecond: TIERS.recentKey.spansPerSecond };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, byGateway: byGateway('recentKey'), signals }), ringSpread: spread }, settingsOf('recentKey'));
    expect(decision.proposals.find((proposal) => proposal.name === 'throughput')!.inputs.busiestGatewayShareMultiple).toBeUndefined();
    expect(decision.guards.find((guard) => guard.name === 'routingImbalance')?.reason).toContain('its share went from 75% at 2 gateways to 72% at 3');
  });

  it('says the history could not be read when Prometheus does not answer; the overloaded hot gateway is sized until a change of size tells', async () => {
    const unreachable = new PrometheusSignalSource({ serverName: 'gone', server: { url: 'http://127.0.0.1:9', queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    const refresher = new RingSpreadRefresher({ history: unreachable, forgetAfterSeconds: 3600, logger: silent });
    const spread = await refresher.refresh(ref, settingsOf('recentArc'), END_S * 1000);
    expect(spread).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/^the ring's history could not be read/) });
    const nowMs = END_S * 1000;
    const signals = { currentReplicas: 3, acceptedSpansPerSecond: TIERS.recentArc.spansPerSecond };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, byGateway: byGateway('recentArc'), signals }), ringSpread: spread }, settingsOf('recentArc'));
    expect(decision.proposals.find((proposal) => proposal.name === 'throughput')!.reason).toContain("not known (the ring's history could not be read");
    expect(decision.guards.find((guard) => guard.name === 'routingImbalance')?.reason).toContain('so the throughput proposal sizes the tier for that gateway');
  });
});
