// Pod startup and the agents' re-resolve learned end to end: a day and an hour of history written into
// a real Prometheus through its remote-write receiver, read back through the replica history's read
// window at its 15 s step. kube-state-metrics' spec replicas of a Deployment, the gateways' uptime
// series that begin a known delay after each rise (one rise from zero gateways), and two agents' rings
// that let a removed gateway go a known delay after each fall, next to another namespace's Deployment
// of the same name and another Deployment of the namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RERESOLVE_NEEDS_AGENTS, ReplicaHistoryRefresher, replicaHistoryReadWindow } from '../../src/advisor/replica-history-refresher.ts';
import { decide } from '../../src/policy/decide.ts';
import { LEARNED_DELAY_EVIDENCE } from '../../src/policy/learned-delay.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { settings as settingsFor, snapshot } from '../policy/policy-fixtures.ts';
import { ringBackendsSeries, type Scrapes, specReplicasSeries, uptimeSeries } from '../support/gateway-history.ts';
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
/** How long after a fall each agent's ring still holds the removed gateways: one re-resolves fast, one behind a long DNS TTL. */
const AGENT_RERESOLVE_S = [8, 65] as const;
/** How long after a new gateway's first scrape each agent's ring takes it in: the same two, the cached answer without it. */
const AGENT_JOIN_S = [3, 40] as const;
/** Agents are scraped 11 s into each 15 s. */
const AGENT_PHASE_S = 11;
/** The documented resolution: every series is read at 15 s steps. */
const RESOLUTION_S = 15;

const ref = { namespace: 'observability', name: 'otel-gateway' };

/** Scrapes every SCRAPE_S from `fromS` until `toS`, by default through the end of the history. */
const scrapesFrom = (fromS: number, toS = END_S + 1): Scrapes => ({ fromS, toS, everyS: SCRAPE_S });

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

/** Each agent's ring: the pods that reported its join delay ago and were not removed more than its re-resolve ago. */
function agentRingSeries(plan: ReplicaPlan, startupOf: (askedAtS: number) => number): RemoteWriteSeries[] {
  const pods = podsOf(plan, startupOf);
  return AGENT_RERESOLVE_S.map((reresolveS, index) =>
    ringBackendsSeries({ job: 'otel-agent', namespace: 'observability', pod: `otel-agent-x7k2${index}`, instance: `10.244.3.${20 + index}:8888` }, scrapesFrom(START_S + AGENT_PHASE_S), (t) =>
      pods.filter((pod) => pod.firstS + (pod.askedAtS === undefined ? 0 : AGENT_JOIN_S[index]!) <= t && t < pod.lastS + reresolveS).length,
    ),
  );
}

/** Gateways removed within the reads' day, each by a fall of the spec replicas. */
function leavesInDay(plan: ReplicaPlan): number {
  const dayStartS = END_S - 24 * HOUR_S;
  let leaves = 0;
  plan.forEach(([atS, replicas], index) => {
    if (index > 0 && atS >= dayStartS) leaves += Math.max(0, plan[index - 1]![1] - replicas);
  });
  return leaves;
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
    ...agentRingSeries(GATEWAY_PLAN, gatewayStartup),
  ]);
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('pod startup learned from a real Prometheus', () => {
  it("reads the Deployment's spec replicas and the gateways reporting at every 15 s step of the day", async () => {
    const window = replicaHistoryReadWindow(END_S * 1000);
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
    const refresher = new ReplicaHistoryRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    expect(refresher.figuresFor(ref, startupSettings, nowMs)).toBeUndefined();
    const { startup: estimate } = await refresher.refresh(ref, startupSettings, nowMs);
    if (estimate.kind !== 'learned') throw new Error(`expected a learned startup, got: ${estimate.reason}`);
    // 2 (2 → 4) + 1 (2 → 3) + 1 (0 → 1) + 2 (1 → 3); not the slow one before the day, nor the canary's.
    const joins = joinsInDay(GATEWAY_PLAN, gatewayStartup);
    expect(joins).toBe(6);
    expect(estimate.observations).toBe(joins);
    expect(Math.abs(estimate.seconds - STARTUP_S)).toBeLessThanOrEqual(RESOLUTION_S);
    expect(Math.abs(estimate.medianSeconds - STARTUP_S)).toBeLessThanOrEqual(RESOLUTION_S);
    expect(estimate.fromMs).toBeGreaterThanOrEqual(at(23, 4) * 1000);
    expect(estimate.fromMs).toBeLessThan((at(23, 4) + 2 * SCRAPE_S) * 1000);

    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), startup: refresher.figuresFor(ref, startupSettings, nowMs)?.startup }, startupSettings);
    expect(decision.startup).toMatchObject({ source: 'learned', seconds: estimate.seconds, triggerSeconds: 45 });
    expect(decision.reasons.join('\n')).toContain(`learned from ${joins} gateways seen joining after scale-outs`);
  });

  it(`keeps the trigger's podStartup, and says why, with fewer than ${LEARNED_DELAY_EVIDENCE.minObservations} gateways seen joining`, async () => {
    const refresher = new ReplicaHistoryRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const canaryRef = { namespace: 'observability', name: 'otel-gateway-canary' };
    const { startup: estimate } = await refresher.refresh(canaryRef, canarySettings, nowMs);
    const joins = joinsInDay(CANARY_PLAN, canaryStartup);
    expect(joins).toBeLessThan(LEARNED_DELAY_EVIDENCE.minObservations);
    expect(estimate).toEqual({ kind: 'insufficient', observations: joins, reason: `only ${joins} gateways seen joining after a scale-out; ${LEARNED_DELAY_EVIDENCE.minObservations} needed` });
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), startup: estimate }, canarySettings);
    expect(decision.startup).toMatchObject({ source: 'trigger', seconds: 45 });
    expect(decision.reasons).toContain(
      `Pod startup 45s from the trigger's podStartup (not learned yet: only ${joins} gateways seen joining after a scale-out; ${LEARNED_DELAY_EVIDENCE.minObservations} needed); + the agents' re-resolve 35s (DNS interval 5s + DNS TTL 30s) before the agents send to it.`,
    );
  });
});

describe("the agents' re-resolve learned from a real Prometheus", () => {
  const agentSettings = settingsFor({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway', agentSelector: 'job="otel-agent"', scaleInDrain: '40s' });

  it('reads the largest and the smallest ring of the agents at every step, beside the spec replicas', async () => {
    const samples = await source.readReplicaCounts(ref, agentSettings, replicaHistoryReadWindow(END_S * 1000));
    const pods = podsOf(GATEWAY_PLAN, gatewayStartup);
    const slowest = Math.max(...AGENT_RERESOLVE_S, ...AGENT_JOIN_S);
    let checked = 0;
    for (const sample of samples) {
      const tS = sample.atMs / 1000;
      const near = (changeS: number) => tS >= changeS && tS < changeS + slowest + 2 * SCRAPE_S;
      if (pods.some((pod) => near(pod.firstS) || near(pod.lastS))) continue;
      // Away from the changes every agent's ring holds the gateways running.
      const running = pods.filter((pod) => pod.firstS <= tS && tS < pod.lastS).length;
      expect({ atS: tS, largest: sample.largestRing, smallest: sample.smallestRing }).toEqual({ atS: tS, largest: running, smallest: running });
      checked++;
    }
    expect(checked).toBeGreaterThan(samples.length * 0.9);
  });

  it('learns the slowest agent\'s re-resolve from every gateway removed in the day, and judges the drain by it', async () => {
    const refresher = new ReplicaHistoryRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const { reresolve } = await refresher.refresh(ref, agentSettings, nowMs);
    if (reresolve.kind !== 'learned') throw new Error(`expected a learned re-resolve, got: ${reresolve.reason}`);
    // 4 → 2, 3 → 2 and 2 → 0; not the 3 → 2 before the day.
    const leaves = leavesInDay(GATEWAY_PLAN);
    expect(leaves).toBe(5);
    expect(reresolve.observations).toBe(leaves);
    // Timed from the last step that still showed the old count: long by less than two steps, short by less than a scrape.
    const slowest = Math.max(...AGENT_RERESOLVE_S);
    expect(reresolve.seconds).toBeGreaterThan(slowest - SCRAPE_S);
    expect(reresolve.seconds).toBeLessThan(slowest + 2 * RESOLUTION_S);

    // The trigger states 5 s + 30 s; the 40 s drain covers that, not what the agents showed.
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), reresolve }, agentSettings);
    expect(decision.drain).toMatchObject({ reresolveSource: 'learned', reresolveSeconds: reresolve.seconds, tooShort: true, preStopSeconds: reresolve.seconds + 5 });
    expect(decision.guards).toContainEqual(expect.objectContaining({ name: 'drainTooShort' }));
    expect(decision.reasons.join('\n')).toContain(`learned from ${leaves} gateways seen leaving the agents' rings after scale-ins, p90; the trigger says 35s`);
  });

  it("learns the join to every agent's ring, the slower agent's DNS cache included, and looks ahead by it", async () => {
    const refresher = new ReplicaHistoryRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const { startup } = await refresher.refresh(ref, agentSettings, nowMs);
    if (startup.kind !== 'learned') throw new Error(`expected a learned startup, got: ${startup.reason}`);
    // The 0 → 1 rise counts too: the written rings fell to zero with the spec.
    const joins = joinsInDay(GATEWAY_PLAN, gatewayStartup);
    expect(startup).toMatchObject({ joinSeenBy: 'rings', observations: joins });
    const slowerJoin = STARTUP_S + Math.max(...AGENT_JOIN_S);
    expect(Math.abs(startup.seconds - slowerJoin)).toBeLessThanOrEqual(RESOLUTION_S);

    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), startup }, agentSettings);
    // The rings timed the re-resolve: the trigger's 5 s + 30 s is not added to it.
    expect(decision.startup).toMatchObject({ source: 'learned', seconds: startup.seconds, joinSeconds: startup.seconds });
    expect(decision.reasons.join('\n')).toContain(`learned from ${joins} gateways seen entering every agent's ring after scale-outs`);
  });

  it("learns the start from the gateways reporting where the agents it names show no ring, and adds the stated re-resolve", async () => {
    const refresher = new ReplicaHistoryRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const noRings = settingsFor({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway', agentSelector: 'job="otel-agent-unscraped"' });
    const { startup } = await refresher.refresh(ref, noRings, END_S * 1000);
    if (startup.kind !== 'learned') throw new Error(`expected a learned startup, got: ${startup.reason}`);
    expect(startup).toMatchObject({ joinSeenBy: 'reporting', observations: joinsInDay(GATEWAY_PLAN, gatewayStartup) });
    expect(Math.abs(startup.seconds - STARTUP_S)).toBeLessThanOrEqual(RESOLUTION_S);
    const { decision } = decide({ nowMs: END_S * 1000, snapshot: snapshot({ observedAtMs: END_S * 1000 }), startup }, noRings);
    expect(decision.startup.joinSeconds).toBe(startup.seconds + 5 + 30);
  });

  it('keeps the trigger\'s DNS interval + TTL, and says why, for a trigger that names no agents', async () => {
    const refresher = new ReplicaHistoryRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const { reresolve } = await refresher.refresh(ref, startupSettings, END_S * 1000);
    expect(reresolve).toEqual(RERESOLVE_NEEDS_AGENTS);
    const withoutAgents = settingsFor({ gatewaySelector: 'job="otel-gateway"', deploymentName: 'otel-gateway', scaleInDrain: '40s' });
    const { decision } = decide({ nowMs: END_S * 1000, snapshot: snapshot({ observedAtMs: END_S * 1000 }), reresolve }, withoutAgents);
    expect(decision.drain).toMatchObject({ reresolveSource: 'trigger', reresolveSeconds: 35, tooShort: false });
  });
});
