// The two step-by-step range reads behind learned figures, end to end: a day and an hour of history
// written into a real Prometheus through its remote-write receiver, read back through the product's
// read windows. Pod startup: kube-state-metrics' spec replicas of a Deployment, and the gateways'
// uptime series that begin a known delay after each rise (one rise from zero gateways), next to another
// namespace's Deployment of the same name and another Deployment of the namespace. The ring: accepted
// spans per gateway and receiver, where a third gateway joins 20 hours before the read, in a tier whose
// hot spot is a wide hash arc and in one whose hot spot is one traceID (with a gateway that never became
// ready and accepts nothing), next to agents that accept spans too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingSpreadRefresher, ringShareReadWindow } from '../../src/advisor/ring-spread-refresher.ts';
import { StartupRefresher, startupReadWindow } from '../../src/advisor/startup-refresher.ts';
import { decide } from '../../src/policy/decide.ts';
import { arcShareAt } from '../../src/policy/ring-spread.ts';
import { STARTUP_EVIDENCE } from '../../src/policy/startup-estimate.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { settings as settingsFor, snapshot } from '../policy/policy-fixtures.ts';
import { acceptedSpansSeries, type Scrapes, specReplicasSeries, uptimeSeries } from '../support/gateway-history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { historyEndSeconds, type RemoteWriteSeries, remoteWrite } from '../support/remote-write.ts';
import { silentLogger as silent } from '../support/recording-logger.ts';

const HOUR_S = 3600;
const SCRAPE_S = 15;
/** History ends a little in the past, as at a read shortly after; a multiple of the startup step. */
const END_S = historyEndSeconds();
/** An hour more than the reads look back, so a window longer than theirs would see more. */
const START_S = END_S - 25 * HOUR_S;
/** kube-state-metrics is scraped 7 s into each 15 s, off the reads' step grid. */
const KSM_PHASE_S = 7;
/** Every new gateway's first scrape comes this long after the Deployment asked for it. */
const STARTUP_S = 90;
/** The documented resolution: both series are read at 15 s steps. */
const RESOLUTION_S = 15;

const ref = { namespace: 'observability', name: 'otel-gateway' };

/** Scrapes every SCRAPE_S from `fromS` until `toS`, by default through the end of the history. */
const scrapesFrom = (fromS: number, toS = END_S + 1): Scrapes => ({ fromS, toS, everyS: SCRAPE_S });

// ---------------------------------------------------------------------------------------------------
// Pod startup

/** A Deployment's spec replicas from START_S: `[atS, replicas]` in time order, the first at START_S. */
type ReplicaPlan = readonly (readonly [number, number])[];

const at = (hoursBeforeEnd: number, plusSeconds = 0) => END_S - hoursBeforeEnd * HOUR_S + plusSeconds;

/**
 * The gateway Deployment's day: 2 → 4, back to 2, 2 → 3, back to 2, down to zero, 0 → 1 and 1 → 3; and
 * half an hour before the reads' day begins, 2 → 3 with a gateway that took 300 s (outside the window).
 */
const GATEWAY_PLAN: ReplicaPlan = [
  [START_S, 2],
  [at(24.5, 13), 3],
  [at(24.25, 41), 2],
  [at(23, 4), 4],
  [at(20, 22), 2],
  [at(12, 31), 3],
  [at(10, 9), 2],
  [at(8, 44), 0],
  [at(6, 19), 1],
  [at(5, 52), 3],
];
/** The one slow start, before the day the reads cover. */
const EARLY_STARTUP_S = 300;
/** A canary Deployment of the same namespace: 1 → 3 once, so two gateways seen joining. */
const CANARY_PLAN: ReplicaPlan = [
  [START_S, 1],
  [at(15, 26), 3],
];

function replicasAt(plan: ReplicaPlan, tS: number): number {
  let replicas = plan[0]![1];
  for (const [fromS, value] of plan) if (fromS <= tS) replicas = value;
  return replicas;
}

/**
 * The pods a plan runs, each from its first scrape to its removal: a rise asks for new pods, which report
 * `startupOf(askedAtS)` later; a fall removes the newest. The pods at START_S have run for a while.
 */
function podsOf(plan: ReplicaPlan, startupOf: (askedAtS: number) => number): { firstS: number; lastS: number; askedAtS: number | undefined }[] {
  const pods: { firstS: number; lastS: number; askedAtS: number | undefined }[] = [];
  const running: (typeof pods)[number][] = [];
  for (const [atS, replicas] of plan) {
    while (running.length > replicas) running.pop()!.lastS = atS;
    while (running.length < replicas) {
      const pod = atS === START_S ? { firstS: START_S, lastS: END_S + 1, askedAtS: undefined } : { firstS: atS + startupOf(atS), lastS: END_S + 1, askedAtS: atS };
      running.push(pod);
      pods.push(pod);
    }
  }
  return pods;
}

function kubeStateMetricsSeries(namespace: string, deployment: string, plan: ReplicaPlan): RemoteWriteSeries {
  return specReplicasSeries({ namespace, name: deployment }, scrapesFrom(START_S + KSM_PHASE_S), (t) => replicasAt(plan, t));
}

/** Each pod's own uptime counter from its first scrape, under the job and namespace a PodMonitor gives it. */
function gatewayUptimeSeries(job: string, namespace: string, plan: ReplicaPlan, startupOf: (askedAtS: number) => number): RemoteWriteSeries[] {
  return podsOf(plan, startupOf).map(({ firstS, lastS }, index) =>
    uptimeSeries({ job, namespace, pod: `${job}-6b8f9d${index}`, instance: `10.244.2.${10 + index}:8888` }, scrapesFrom(firstS, lastS)),
  );
}

/** Pods asked for within the reads' day (a rise, not the pods at START_S) that reported in it. */
function joinsInDay(plan: ReplicaPlan, startupOf: (askedAtS: number) => number): number {
  const dayStartS = END_S - 24 * HOUR_S;
  return podsOf(plan, startupOf).filter((pod) => pod.askedAtS !== undefined && pod.askedAtS >= dayStartS && pod.firstS <= END_S).length;
}

const gatewayStartup = (askedAtS: number) => (askedAtS < END_S - 24 * HOUR_S ? EARLY_STARTUP_S : STARTUP_S);
const canaryStartup = () => STARTUP_S;
const startupSettings = settingsFor({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway', podStartup: '45s' });
const canarySettings = settingsFor({ gatewaySelector: 'job="otel-gateway-canary"', deploymentName: 'otel-gateway-canary', podStartup: '45s' });

// ---------------------------------------------------------------------------------------------------
// The ring

/** Gateway-2 joins both ring tiers at this time: 20 hours before the read, 37 s after a ring-read step. */
const JOIN_S = Math.floor(at(20) / 120) * 120 + 37;
const TOTAL_SPANS = 60_000;
/**
 * `arc`: gateway-0 owns 3/4 of the hash ring; a joining gateway takes a third of every arc.
 * `key`: one traceID carries HOT_KEY of all spans, always on gateway-0; the rest spreads evenly.
 */
const HOT_KEY = 0.6;
const RING_SHARES = {
  arc: { before: [0.75, 0.25], after: [0.75 * (2 / 3), 0.25 * (2 / 3), 1 / 3] },
  key: { before: [HOT_KEY + (1 - HOT_KEY) / 2, (1 - HOT_KEY) / 2], after: [HOT_KEY + (1 - HOT_KEY) / 3, (1 - HOT_KEY) / 3, (1 - HOT_KEY) / 3] },
} as const;
type Tier = keyof typeof RING_SHARES;
/** Each gateway takes spans on two receivers: this part over gRPC, the rest over HTTP. */
const GRPC_PART = 0.8;

function gatewaysAt(tS: number): number {
  return tS < JOIN_S ? 2 : 3;
}

function shareOf(tier: Tier, gateway: number, tS: number): number {
  return (tS < JOIN_S ? RING_SHARES[tier].before : RING_SHARES[tier].after)[gateway] ?? 0;
}

/**
 * Each gateway's counters on both receivers. The key tier has a fourth gateway all day that never became
 * ready: scraped, but out of the headless Service the agents resolve, so it accepts nothing.
 */
function ringTierSeries(tier: Tier): RemoteWriteSeries[] {
  return (tier === 'key' ? [0, 1, 2, 3] : [0, 1, 2]).flatMap((gateway) => {
    const pod = `${tier}-gateway-${gateway}`;
    const labels = { job: `${tier}-gateway`, namespace: 'observability', pod, instance: `${pod}:8888` };
    const fromS = gateway === 2 ? JOIN_S : START_S;
    return [
      acceptedSpansSeries(labels, { receiver: 'otlp', transport: 'grpc' }, scrapesFrom(fromS), (t) => TOTAL_SPANS * shareOf(tier, gateway, t) * GRPC_PART),
      acceptedSpansSeries(labels, { receiver: 'otlp', transport: 'http' }, scrapesFrom(fromS), (t) => TOTAL_SPANS * shareOf(tier, gateway, t) * (1 - GRPC_PART)),
    ];
  });
}

/** Agents on every node take the applications' spans too, under their own job. */
function agentSeries(): RemoteWriteSeries[] {
  return [0, 1, 2, 3].map((agent) =>
    acceptedSpansSeries(
      { job: 'otel-agent', namespace: 'observability', pod: `otel-agent-${agent}`, instance: `otel-agent-${agent}:8888` },
      { receiver: 'otlp', transport: 'grpc' },
      scrapesFrom(START_S),
      () => TOTAL_SPANS / 4,
    ),
  );
}

const ringSettings = (tier: Tier) => settingsFor({ gatewaySelector: `job="${tier}-gateway"` });

// ---------------------------------------------------------------------------------------------------

let prometheus: RunningPrometheus;
let source: PrometheusSignalSource;

beforeAll(async () => {
  prometheus = await startPrometheus({ extraFlags: ['--web.enable-remote-write-receiver'] });
  await remoteWrite(prometheus.url, [
    kubeStateMetricsSeries('observability', 'otel-gateway', GATEWAY_PLAN),
    kubeStateMetricsSeries('observability', 'otel-gateway-canary', CANARY_PLAN),
    // Another namespace's Deployment of the same name, at 6 replicas throughout.
    kubeStateMetricsSeries('staging', 'otel-gateway', [[START_S, 6]]),
    ...gatewayUptimeSeries('otel-gateway', 'observability', GATEWAY_PLAN, gatewayStartup),
    ...gatewayUptimeSeries('otel-gateway-canary', 'observability', CANARY_PLAN, canaryStartup),
    ...gatewayUptimeSeries('otel-gateway-staging', 'staging', [[START_S, 6]], canaryStartup),
    ...ringTierSeries('arc'),
    ...ringTierSeries('key'),
    ...agentSeries(),
  ]);
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('pod startup learned from a real Prometheus', () => {
  it("reads the Deployment's spec replicas and the gateways reporting at every 15 s step of the day", async () => {
    const window = startupReadWindow(END_S * 1000);
    // A day, one step per scrape: a start is told to a scrape, no finer.
    expect((window.endMs - window.startMs) / 1000).toBe(24 * HOUR_S);
    expect(window.stepSeconds).toBe(SCRAPE_S);
    const samples = await source.readReplicaCounts(ref, startupSettings, window);
    expect(samples).toHaveLength((24 * HOUR_S) / SCRAPE_S + 1);
    const pods = podsOf(GATEWAY_PLAN, gatewayStartup);
    let checked = 0;
    for (const sample of samples) {
      const tS = sample.atMs / 1000;
      // Away from the changes (a scrape and Prometheus' 5-minute look-back after them), each is the truth.
      const near = (changeS: number) => tS >= changeS && tS < changeS + 5 * 60 + SCRAPE_S;
      if (GATEWAY_PLAN.some(([changeS]) => near(changeS)) || pods.some((pod) => near(pod.firstS) || near(pod.lastS))) continue;
      const reporting = pods.filter((pod) => pod.firstS <= tS && tS < pod.lastS).length;
      expect({ atS: tS, desired: sample.desiredReplicas, reporting: sample.reportingReplicas }).toEqual({ atS: tS, desired: replicasAt(GATEWAY_PLAN, tS), reporting });
      checked++;
    }
    expect(checked).toBeGreaterThan(samples.length * 0.9);
  });

  it('learns the true startup to the 15 s resolution from every gateway that joined in the day, the rise from zero included', async () => {
    const refresher = new StartupRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    expect(refresher.estimateFor(ref, startupSettings, nowMs)).toBeUndefined();
    const estimate = await refresher.refresh(ref, startupSettings, nowMs);
    if (estimate.kind !== 'learned') throw new Error(`expected a learned startup, got: ${estimate.reason}`);
    // 2 (2 → 4) + 1 (2 → 3) + 1 (0 → 1) + 2 (1 → 3); not the slow one before the day, nor the canary's.
    const joins = joinsInDay(GATEWAY_PLAN, gatewayStartup);
    expect(joins).toBe(6);
    expect(estimate.observations).toBe(joins);
    expect(Math.abs(estimate.seconds - STARTUP_S)).toBeLessThanOrEqual(RESOLUTION_S);
    expect(Math.abs(estimate.medianSeconds - STARTUP_S)).toBeLessThanOrEqual(RESOLUTION_S);
    expect(estimate.fromMs).toBeGreaterThanOrEqual(at(23, 4) * 1000);
    expect(estimate.fromMs).toBeLessThan((at(23, 4) + 2 * SCRAPE_S) * 1000);

    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), startup: refresher.estimateFor(ref, startupSettings, nowMs) }, startupSettings);
    expect(decision.startup).toMatchObject({ source: 'learned', seconds: estimate.seconds, triggerSeconds: 45 });
    expect(decision.reasons.join('\n')).toContain(`learned from ${joins} gateways seen joining after scale-outs`);
  });

  it(`keeps the trigger's podStartup, and says why, with fewer than ${STARTUP_EVIDENCE.minObservations} gateways seen joining`, async () => {
    const refresher = new StartupRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const canaryRef = { namespace: 'observability', name: 'otel-gateway-canary' };
    const estimate = await refresher.refresh(canaryRef, canarySettings, nowMs);
    const joins = joinsInDay(CANARY_PLAN, canaryStartup);
    expect(joins).toBeLessThan(STARTUP_EVIDENCE.minObservations);
    expect(estimate).toEqual({ kind: 'insufficient', observations: joins, reason: `only ${joins} gateways seen joining after a scale-out; ${STARTUP_EVIDENCE.minObservations} needed` });
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), startup: estimate }, canarySettings);
    expect(decision.startup).toMatchObject({ source: 'trigger', seconds: 45 });
    expect(decision.reasons).toContain(
      `Pod startup 45s from the trigger's podStartup (not learned yet: only ${joins} gateways seen joining after a scale-out; ${STARTUP_EVIDENCE.minObservations} needed).`,
    );
  });
});

describe('the ring judged from a real Prometheus', () => {
  it('reads the gateways accepting spans and the busiest share at every step of the day, only the selected tier', async () => {
    for (const tier of ['arc', 'key'] as const) {
      const settings = ringSettings(tier);
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
        // A rate window after the join mixes both rings; a scrape after it, gateway-2 has no rate yet.
        if (tS >= JOIN_S && tS < JOIN_S + settings.rateWindowSeconds) continue;
        const gateways = gatewaysAt(tS);
        const hottest = Math.max(...[0, 1, 2].map((gateway) => shareOf(tier, gateway, tS)));
        expect({ tier, atS: tS, gateways: sample.acceptingGateways }).toEqual({ tier, atS: tS, gateways });
        expect(Math.abs(sample.hottestShare - hottest), `${tier} at ${tS}`).toBeLessThan(0.005);
        checked++;
      }
      expect(checked).toBe(samples.length - 1);
    }
  });

  it("judges the arc's share to follow the ring and the hot key's to stay, from the join 20 hours back", async () => {
    const refresher = new RingSpreadRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    for (const tier of ['arc', 'key'] as const) {
      const spread = await refresher.refresh(ref, ringSettings(tier), nowMs);
      if (spread.kind === 'unknown') throw new Error(`${tier}: ${spread.reason}`);
      const before = Math.max(...RING_SHARES[tier].before);
      const after = Math.max(...RING_SHARES[tier].after);
      // The truth's own judgement: nearer the arc's prediction, or nearer the share it had.
      const followsRing = Math.abs(after - arcShareAt({ gateways: 2, hottestShare: before }, 3)) < Math.abs(after - before);
      expect(followsRing).toBe(tier === 'arc');
      expect(spread.kind).toBe(followsRing ? 'follows-ring' : 'stays');
      expect(spread.before.gateways).toBe(2);
      expect(spread.before.hottestShare).toBeCloseTo(before, 3);
      expect(spread.before.atMs).toBeLessThan(JOIN_S * 1000);
      expect(spread.before.atMs).toBeGreaterThan((JOIN_S - 2 * ringShareReadWindow(ringSettings(tier), nowMs).stepSeconds) * 1000);
      expect(spread.after.gateways).toBe(3);
      expect(spread.after.hottestShare).toBeCloseTo(after, 3);
    }
  });
});
