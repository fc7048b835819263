// Scale-in drain behind a cluster DNS cache: the agents resolve the gateways through a real CoreDNS
// that answers with a TTL of 30 s and caches its answers as long, as the Corefile Kubernetes installs
// does for a headless Service (`ttl 30`, `cache 30`). A removed gateway goes on being named by the
// cached answer, so the agents keep sending it spans for up to the TTL after it left, however often
// their resolver asks. src/policy/drain-check.ts counts the TTL (dnsTtl) in the drain it asks for;
// this test measures what a drain that leaves it out breaks, and that the scaler learns the re-resolve
// from the agents' own rings through the tier's Prometheus when the trigger leaves the TTL out.
// The cache holds joins back the same way: a gateway added goes on being left out by the cached answer
// until it expires. After the removals the test adds three gateways back, each while a fresh answer is
// cached, and learns pod startup from those scale-outs twice: timed to the agents' rings, which holds
// the cache, and timed to the gateways reporting, which does not and so needs the trigger's dnsTtl added.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { decide } from '../../src/policy/decide.ts';
import type { Decision } from '../../src/policy/decision.ts';
import { preStopSecondsFor } from '../../src/policy/drain-check.ts';
import { estimateReresolve, type ReresolveEstimate } from '../../src/policy/reresolve-estimate.ts';
import { estimateStartup, type StartupEstimate } from '../../src/policy/startup-estimate.ts';
import { startupInUse } from '../../src/policy/startup-in-use.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { snapshot } from '../policy/policy-fixtures.ts';
import { waitForQuery } from '../support/prometheus.ts';
import { brokenTraces } from './support/broken-traces.ts';
import { type DeploymentSpecExposition, startDeploymentSpecExposition } from './support/deployment-spec.ts';
import { GATEWAY_HOSTNAME, GATEWAY_SELECTOR, type GatewayTier, startGatewayTier } from './support/gateway-tier.ts';
import { type LoadGenerator, startLoadGenerator } from './support/load-generator.ts';

const TRACES_PER_SECOND = 100;
const SPANS_PER_TRACE = 5;
const TRACE_DURATION_MS = 500;
const DECISION_WAIT_SECONDS = 10;
const RESOLVER_INTERVAL_SECONDS = 1;
/** kubeadm's Corefile: `ttl 30` on the kubernetes plugin, `cache 30`. */
const DNS_TTL_SECONDS = 30;
/** A removal or a join waits until the cached answer has this long to run, so each one meets most of a TTL. */
const CACHED_AT_LEAST_SECONDS = 20;
const GATEWAYS = 4;
/** Gateways added back, one at a time, after the removals left one. */
const JOINS = 3;
const DEPLOYMENT = { namespace: 'observability', name: 'otel-gateway' };
const AGENT_JOB = 'otel-agent';
/** The tier's Prometheus scrapes every second; the replica history is read at that step. */
const SCRAPE_SECONDS = 1;
/**
 * The longest Prometheus 2 takes to scrape a target added to its file_sd file: its discovery manager
 * passes new targets on at most every 5 s, and its scrape manager applies them on a 5 s tick.
 */
const TARGET_DISCOVERY_SECONDS = 10;

/** The preStop drain-check.ts asks for, from a trigger stating this tier, with `dnsTtl` as given. */
function preStopSeconds(dnsTtl: string): number {
  const metadata = { gatewaySelector: GATEWAY_SELECTOR, decisionWait: `${DECISION_WAIT_SECONDS}s`, dnsResolverInterval: `${RESOLVER_INTERVAL_SECONDS}s`, dnsTtl };
  return preStopSecondsFor(parseTargetMetadata(metadata));
}
/** Before the TTL was counted: the resolver's interval + 5 s. */
const DRAIN_WITHOUT_TTL_SECONDS = preStopSeconds('0s');
const DRAIN_WITH_TTL_SECONDS = preStopSeconds(`${DNS_TTL_SECONDS}s`);

/** A trigger for this tier that names the Deployment and the agents, so the scaler reads its replica history and rings. */
function tierTrigger(dnsTtl: string, scaleInDrainSeconds: number) {
  return parseTargetMetadata({
    gatewaySelector: GATEWAY_SELECTOR,
    agentSelector: `job="${AGENT_JOB}"`,
    deploymentName: DEPLOYMENT.name,
    decisionWait: `${DECISION_WAIT_SECONDS}s`,
    dnsResolverInterval: `${RESOLVER_INTERVAL_SECONDS}s`,
    dnsTtl,
    scaleInDrain: `${scaleInDrainSeconds}s`,
  });
}

interface RemovalOutcome {
  readonly gateway: string;
  readonly drainSeconds: number;
  /** How long the cached answer still named the gateway when it left DNS. */
  readonly cachedSeconds: number;
  /** The last time the gateway's accepted spans rose after it left DNS, seconds after; undefined when it was stopped first. */
  readonly lastSpansAfterSeconds: number | undefined;
  /** Traces started from decision_wait before the removal until the cache surely expired, lost or short at the sink. */
  readonly missing: number;
  readonly short: number;
}

interface JoinOutcome {
  readonly gateway: string;
  /** How long the cached answer, which leaves the gateway out, still had to run when the spec replicas rose. */
  readonly cachedSeconds: number;
  /** From the spec's rise until the gateway had started and passed its health check, when DNS and Prometheus list it. */
  readonly readyAfterSeconds: number;
  /** From the spec's rise until the gateway first reported accepted spans; undefined when it never did. */
  readonly firstReportedAfterSeconds: number | undefined;
}

async function acceptedSpans(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('otelcol_receiver_accepted_spans')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** Waits until the answer CoreDNS caches for the gateways has at least CACHED_AT_LEAST_SECONDS to run; how long it has. */
async function freshCachedAnswer(tier: GatewayTier): Promise<number> {
  const dns = tier.clusterDns!;
  let cachedSeconds = await dns.remainingTtlSeconds(GATEWAY_HOSTNAME);
  while (cachedSeconds < CACHED_AT_LEAST_SECONDS) {
    await sleep(500);
    cachedSeconds = await dns.remainingTtlSeconds(GATEWAY_HOSTNAME);
  }
  return cachedSeconds;
}

/** Waits for a fresh cached answer, removes the gateway (the spec replicas fall with it), and follows its accepted spans until it is stopped. */
async function removeWhileCached(tier: GatewayTier, spec: DeploymentSpecExposition, load: LoadGenerator, id: string, drainSeconds: number): Promise<{ startedAt: number; cachedSeconds: number; lastSpansAfterSeconds: number | undefined }> {
  const cachedSeconds = await freshCachedAnswer(tier);
  const gateway = tier.gateways().find((candidate) => candidate.id === id)!;
  const startedAt = load.startedTraces();
  const removedMs = Date.now();
  spec.setReplicas(tier.gateways().length - 1);
  const removal = tier.removeGateway(id, drainSeconds * 1000);
  let last = await acceptedSpans(gateway.metricsUrl);
  let lastRiseMs: number | undefined;
  const followUntilMs = removedMs + (drainSeconds - 1) * 1000;
  while (Date.now() < followUntilMs) {
    await sleep(500);
    const now = await acceptedSpans(gateway.metricsUrl).catch(() => last);
    if (now > last) lastRiseMs = Date.now();
    last = now;
  }
  await removal;
  return { startedAt, cachedSeconds, lastSpansAfterSeconds: lastRiseMs === undefined ? undefined : (lastRiseMs - removedMs) / 1000 };
}

/**
 * Waits for a fresh cached answer, raises the spec replicas and adds a gateway, then follows its accepted
 * spans until the cached answer has surely run out and the agents' resolver asked again, so the next
 * join starts from every ring holding this one.
 */
async function addWhileCached(tier: GatewayTier, spec: DeploymentSpecExposition): Promise<JoinOutcome> {
  const cachedSeconds = await freshCachedAnswer(tier);
  const raisedMs = Date.now();
  const replicas = tier.gateways().length + 1;
  spec.setReplicas(replicas);
  // A pod starts only once its Deployment has asked for it, after scheduling and an image pull; a local
  // gateway is ready in a tenth of a second, so it starts a scrape after Prometheus holds the rise.
  await waitForQuery(tier.prometheus.url, 'kube_deployment_spec_replicas', (samples) => samples.some((sample) => sample.value === replicas), 10_000);
  await sleep(SCRAPE_SECONDS * 1000);
  const gateway = await tier.addGateway();
  const readyAfterSeconds = (Date.now() - raisedMs) / 1000;
  const followUntilMs = raisedMs + (DNS_TTL_SECONDS + RESOLVER_INTERVAL_SECONDS + 5) * 1000;
  let firstReportedMs: number | undefined;
  while (firstReportedMs === undefined && Date.now() < followUntilMs) {
    if ((await acceptedSpans(gateway.metricsUrl).catch(() => 0)) > 0) firstReportedMs = Date.now();
    else await sleep(500);
  }
  await sleep(Math.max(0, followUntilMs - Date.now()));
  return { gateway: gateway.id, cachedSeconds, readyAfterSeconds, firstReportedAfterSeconds: firstReportedMs === undefined ? undefined : (firstReportedMs - raisedMs) / 1000 };
}

describe('a scale-in drain behind a cluster DNS cache (CoreDNS, TTL 30 s)', () => {
  let removals: RemovalOutcome[];
  let completeTraces: number;
  let missingAnywhere: number;
  let reresolve: ReresolveEstimate;
  let joins: JoinOutcome[];
  /** Pod startup learned from the joins, timed to the agents' smallest ring and to the gateways reporting. */
  let startupToRings: StartupEstimate;
  let startupToReporting: StartupEstimate;
  /** A trigger that leaves the cache out (dnsTtl 0s) and drains what it then asks for, decided with the learned re-resolve. */
  let unawareTrigger: Decision;

  // Worst case about 8 minutes: the tier's start, 15 s of load, three removals (up to 11 s each waiting
  // for a fresh answer, then the drain and the settle), three joins (the wait, then TTL + interval + 5 s)
  // and the last decision_wait; the rest is margin for a loaded machine.
  beforeAll(async () => {
    const spec = await startDeploymentSpecExposition(DEPLOYMENT, GATEWAYS);
    const tier = await startGatewayTier({
      gateways: GATEWAYS,
      resolverIntervalSeconds: RESOLVER_INTERVAL_SECONDS,
      clusterDnsTtlSeconds: DNS_TTL_SECONDS,
      gatewaySettings: { decisionWaitSeconds: DECISION_WAIT_SECONDS },
      scrapeIntervalSeconds: SCRAPE_SECONDS,
      agentScrapeJob: AGENT_JOB,
      extraScrapeJobs: [{ jobName: 'kube-state-metrics', targets: [spec.target] }],
    }).catch(async (error: unknown) => {
      await spec.close();
      throw error;
    });
    const startedMs = Date.now();
    const load = startLoadGenerator(tier.agentEndpoints, { tracesPerSecond: TRACES_PER_SECOND, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: TRACE_DURATION_MS });
    // After a removal every trace it could touch is decided before the next one: the cache, then decision_wait.
    const settleMs = (DNS_TTL_SECONDS + RESOLVER_INTERVAL_SECONDS + DECISION_WAIT_SECONDS + 5) * 1000;
    try {
      await sleep((DECISION_WAIT_SECONDS + 5) * 1000);
      const drains: [string, number][] = [['gateway-1', DRAIN_WITHOUT_TTL_SECONDS], ['gateway-2', DRAIN_WITH_TTL_SECONDS], ['gateway-3', DRAIN_WITH_TTL_SECONDS]];
      const followed: Awaited<ReturnType<typeof removeWhileCached>>[] = [];
      for (const [id, drainSeconds] of drains) {
        followed.push(await removeWhileCached(tier, spec, load, id, drainSeconds));
        await sleep(settleMs);
      }
      joins = [];
      for (let join = 0; join < JOINS; join++) joins.push(await addWhileCached(tier, spec));
      // One read of the whole run serves both: the removals are the only falls of the spec replicas,
      // and the joins its only rises (it started at GATEWAYS with them all up, which is no rise).
      const source = new PrometheusSignalSource({ serverName: 'default', server: { url: tier.prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
      const settings = tierTrigger('0s', DRAIN_WITHOUT_TTL_SECONDS);
      const nowMs = Math.floor(Date.now() / 1000) * 1000;
      const samples = await source.readReplicaCounts(DEPLOYMENT, settings, { startMs: Math.ceil(startedMs / 1000) * 1000, endMs: nowMs, stepSeconds: SCRAPE_SECONDS });
      reresolve = estimateReresolve(samples);
      startupToRings = estimateStartup(samples, 'rings');
      startupToReporting = estimateStartup(samples, 'reporting');
      unawareTrigger = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs }), reresolve }, settings).decision;
      await load.stop();
      await sleep((DECISION_WAIT_SECONDS + 3) * 1000);
      removals = drains.map(([gateway, drainSeconds], index) => {
        const { startedAt, cachedSeconds, lastSpansAfterSeconds } = followed[index]!;
        const [from, to] = [startedAt - TRACES_PER_SECOND * (DECISION_WAIT_SECONDS + 3), startedAt + TRACES_PER_SECOND * (DNS_TTL_SECONDS + RESOLVER_INTERVAL_SECONDS + 3)];
        const { missing, short } = brokenTraces(load, tier.sink, { from, to });
        return { gateway, drainSeconds, cachedSeconds, lastSpansAfterSeconds, missing, short };
      });
      completeTraces = load.completeTraces.size;
      const anywhere = brokenTraces(load, tier.sink);
      missingAnywhere = anywhere.missing + anywhere.short;
      console.info(JSON.stringify({ removals, joins, completeTraces, missingAnywhere, reresolve, startupToRings, startupToReporting }));
    } finally {
      await load.stop();
      await tier.stop();
      await spec.close();
    }
  }, 840_000);

  it('the agents keep sending a removed gateway spans while the cached answer names it, long past their resolver interval', () => {
    const [, covered] = removals;
    expect(completeTraces).toBeGreaterThan(TRACES_PER_SECOND * 60);
    expect(covered!.lastSpansAfterSeconds, JSON.stringify(covered)).toBeDefined();
    // The cache's answer at the removal, less a second for the agents' last ask before it expired.
    expect(covered!.lastSpansAfterSeconds!).toBeGreaterThanOrEqual(covered!.cachedSeconds - RESOLVER_INTERVAL_SECONDS - 1);
    expect(covered!.lastSpansAfterSeconds!).toBeLessThanOrEqual(DNS_TTL_SECONDS + RESOLVER_INTERVAL_SECONDS + 2);
  });

  it('a drain of the resolver interval + 5 s, without the TTL, breaks traces; the drain the check asks for breaks none', () => {
    const [short, ...covered] = removals;
    expect(DRAIN_WITHOUT_TTL_SECONDS).toBe(RESOLVER_INTERVAL_SECONDS + 5);
    expect(DRAIN_WITH_TTL_SECONDS).toBe(RESOLVER_INTERVAL_SECONDS + DNS_TTL_SECONDS + 5);
    expect(short!.missing + short!.short, JSON.stringify(short)).toBeGreaterThan(0);
    for (const removal of covered) expect({ missing: removal.missing, short: removal.short }, JSON.stringify(removal)).toEqual({ missing: 0, short: 0 });
    // Every trace lost was one of the short drain's.
    expect(missingAnywhere).toBe(short!.missing + short!.short);
  });

  it("learns the re-resolve, cache and all, from the agents' rings through Prometheus, and asks for a drain that covers it where the trigger leaves the TTL out", () => {
    if (reresolve.kind !== 'learned') throw new Error(`expected a learned re-resolve, got: ${reresolve.reason}`);
    expect(reresolve.observations).toBe(removals.length);
    // Each removal met a cached answer with at least CACHED_AT_LEAST_SECONDS to run; the slowest is within
    // the TTL, the resolver's interval, a scrape each side and two steps of the read.
    expect(reresolve.seconds).toBeGreaterThanOrEqual(Math.max(...removals.map((removal) => removal.cachedSeconds)) - SCRAPE_SECONDS);
    expect(reresolve.seconds).toBeLessThanOrEqual(DNS_TTL_SECONDS + RESOLVER_INTERVAL_SECONDS + 4 * SCRAPE_SECONDS);
    // The trigger said interval + 0 s, and its drain was enough for that; the learned figure says it is not.
    expect(unawareTrigger.drain).toMatchObject({ reresolveSource: 'learned', reresolveSeconds: reresolve.seconds, tooShort: true, preStopSeconds: reresolve.seconds + 5 });
    expect(unawareTrigger.guards).toContainEqual(expect.objectContaining({ name: 'drainTooShort' }));
  });

  it("learns pod startup, cache and all, from the agents' rings; timed to the gateways reporting it misses the cache, which the trigger's dnsTtl adds back", () => {
    if (startupToRings.kind !== 'learned') throw new Error(`expected a startup learned from the rings, got: ${startupToRings.reason}`);
    if (startupToReporting.kind !== 'learned') throw new Error(`expected a startup learned from reporting, got: ${startupToReporting.reason}`);
    expect({ rings: startupToRings.joinSeenBy, reporting: startupToReporting.joinSeenBy }).toEqual({ rings: 'rings', reporting: 'reporting' });
    // The joins and nothing else: the tier's start was no rise of the spec replicas.
    expect(startupToRings.observations).toBe(JOINS);
    expect(startupToReporting.observations).toBe(JOINS);
    const longestCached = Math.max(...joins.map((join) => join.cachedSeconds));
    for (const join of joins) {
      expect(join.firstReportedAfterSeconds, JSON.stringify(join)).toBeDefined();
      // No spans before the cached answer without the gateway ran out: CoreDNS truncates its remaining TTL
      // to whole seconds, so the answer ran out less than a second before the figure said.
      expect(join.firstReportedAfterSeconds!, JSON.stringify(join)).toBeGreaterThan(join.cachedSeconds - 1);
      // ... and spans soon after: the resolver's next ask, then a poll of the gateway's metrics.
      expect(join.firstReportedAfterSeconds!, JSON.stringify(join)).toBeLessThanOrEqual(DNS_TTL_SECONDS + RESOLVER_INTERVAL_SECONDS + 2);
    }
    // The join with the longest cached answer entered the ring no sooner than it ran out (less the second
    // CoreDNS truncates); the rise is read at the first step after its scrape, the ring at the first step
    // after its own, so the two scrapes' places in the second can take a scrape off.
    expect(startupToRings.seconds).toBeGreaterThanOrEqual(longestCached - 1 - SCRAPE_SECONDS);
    // No answer is cached longer than the TTL, then the resolver's interval, a scrape each side and two steps of the read.
    expect(startupToRings.seconds).toBeLessThanOrEqual(DNS_TTL_SECONDS + RESOLVER_INTERVAL_SECONDS + 4 * SCRAPE_SECONDS);
    // Reporting needs only the gateway's start and Prometheus finding it (discovery, a scrape, a step of the
    // read, and a second for the file_sd refresh): shorter than any cached answer the joins met.
    const slowestReady = Math.max(...joins.map((join) => join.readyAfterSeconds));
    expect(startupToReporting.seconds).toBeLessThanOrEqual(slowestReady + TARGET_DISCOVERY_SECONDS + 3 * SCRAPE_SECONDS);
    expect(startupToReporting.seconds).toBeLessThan(Math.min(...joins.map((join) => join.cachedSeconds)));
    // Planning: the rings' figure is the join as it is; reporting's adds the re-resolve the trigger states.
    const statesTheCache = tierTrigger(`${DNS_TTL_SECONDS}s`, DRAIN_WITH_TTL_SECONDS);
    expect(startupInUse(statesTheCache, startupToRings).joinSeconds).toBe(startupToRings.seconds);
    const reportingJoin = startupInUse(statesTheCache, startupToReporting).joinSeconds;
    expect(reportingJoin).toBe(startupToReporting.seconds + statesTheCache.dnsResolverIntervalSeconds + statesTheCache.dnsTtlSeconds);
    // With the true TTL stated, that sum covers what the rings showed, but for the two steps the rings' read may run long.
    expect(startupToRings.seconds).toBeLessThanOrEqual(reportingJoin + 2 * SCRAPE_SECONDS);
  });
});
