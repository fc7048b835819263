// Scale-in drain behind a cluster DNS cache: the agents resolve the gateways through a real CoreDNS
// that answers with a TTL of 30 s and caches its answers as long, as the Corefile Kubernetes installs
// does for a headless Service (`ttl 30`, `cache 30`). A removed gateway goes on being named by the
// cached answer, so the agents keep sending it spans for up to the TTL after it left, however often
// their resolver asks. src/policy/drain-check.ts counts the TTL (dnsTtl) in the drain it asks for;
// this test measures what a drain that leaves it out breaks, and that the scaler learns the re-resolve
// from the agents' own rings through the tier's Prometheus when the trigger leaves the TTL out.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { decide } from '../../src/policy/decide.ts';
import type { Decision } from '../../src/policy/decision.ts';
import { preStopSecondsFor } from '../../src/policy/drain-check.ts';
import { estimateReresolve, type ReresolveEstimate } from '../../src/policy/reresolve-estimate.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { snapshot } from '../policy/policy-fixtures.ts';
import { GATEWAY_HOSTNAME, GATEWAY_SELECTOR, type GatewayTier, startGatewayTier } from './support/gateway-tier.ts';
import { brokenTraces } from './support/broken-traces.ts';
import { type DeploymentSpecExposition, startDeploymentSpecExposition } from './support/deployment-spec.ts';
import { type LoadGenerator, startLoadGenerator } from './support/load-generator.ts';

const TRACES_PER_SECOND = 100;
const SPANS_PER_TRACE = 5;
const TRACE_DURATION_MS = 500;
const DECISION_WAIT_SECONDS = 10;
const RESOLVER_INTERVAL_SECONDS = 1;
/** kubeadm's Corefile: `ttl 30` on the kubernetes plugin, `cache 30`. */
const DNS_TTL_SECONDS = 30;
/** A removal waits until the cached answer has this long to run, so each one meets most of a TTL. */
const CACHED_AT_LEAST_SECONDS = 20;
const GATEWAYS = 4;
const DEPLOYMENT = { namespace: 'observability', name: 'otel-gateway' };
const AGENT_JOB = 'otel-agent';
/** The tier's Prometheus scrapes every second; the replica history is read at that step. */
const SCRAPE_SECONDS = 1;

/** The preStop drain-check.ts asks for, from a trigger stating this tier, with `dnsTtl` as given. */
function preStopSeconds(dnsTtl: string): number {
  const metadata = { gatewaySelector: GATEWAY_SELECTOR, decisionWait: `${DECISION_WAIT_SECONDS}s`, dnsResolverInterval: `${RESOLVER_INTERVAL_SECONDS}s`, dnsTtl };
  return preStopSecondsFor(parseTargetMetadata(metadata));
}
/** Before the TTL was counted: the resolver's interval + 5 s. */
const DRAIN_WITHOUT_TTL_SECONDS = preStopSeconds('0s');
const DRAIN_WITH_TTL_SECONDS = preStopSeconds(`${DNS_TTL_SECONDS}s`);

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

async function acceptedSpans(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('otelcol_receiver_accepted_spans')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** Waits for a fresh cached answer, removes the gateway (the spec replicas fall with it), and follows its accepted spans until it is stopped. */
async function removeWhileCached(tier: GatewayTier, spec: DeploymentSpecExposition, load: LoadGenerator, id: string, drainSeconds: number): Promise<{ startedAt: number; cachedSeconds: number; lastSpansAfterSeconds: number | undefined }> {
  const dns = tier.clusterDns!;
  let cachedSeconds = await dns.remainingTtlSeconds(GATEWAY_HOSTNAME);
  while (cachedSeconds < CACHED_AT_LEAST_SECONDS) {
    await sleep(500);
    cachedSeconds = await dns.remainingTtlSeconds(GATEWAY_HOSTNAME);
  }
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

describe('a scale-in drain behind a cluster DNS cache (CoreDNS, TTL 30 s)', () => {
  let removals: RemovalOutcome[];
  let completeTraces: number;
  let missingAnywhere: number;
  let reresolve: ReresolveEstimate;
  /** A trigger that leaves the cache out (dnsTtl 0s) and drains what it then asks for, decided with the learned re-resolve. */
  let unawareTrigger: Decision;

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
      const source = new PrometheusSignalSource({ serverName: 'default', server: { url: tier.prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
      const metadata = { gatewaySelector: GATEWAY_SELECTOR, agentSelector: `job="${AGENT_JOB}"`, deploymentName: DEPLOYMENT.name, decisionWait: `${DECISION_WAIT_SECONDS}s`, dnsResolverInterval: `${RESOLVER_INTERVAL_SECONDS}s`, dnsTtl: '0s', scaleInDrain: `${DRAIN_WITHOUT_TTL_SECONDS}s` };
      const settings = parseTargetMetadata(metadata);
      const nowMs = Math.floor(Date.now() / 1000) * 1000;
      const samples = await source.readReplicaCounts(DEPLOYMENT, settings, { startMs: Math.ceil(startedMs / 1000) * 1000, endMs: nowMs, stepSeconds: SCRAPE_SECONDS });
      reresolve = estimateReresolve(samples);
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
      console.info(JSON.stringify({ removals, completeTraces, missingAnywhere, reresolve }));
    } finally {
      await load.stop();
      await tier.stop();
      await spec.close();
    }
  }, 600_000);

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
});
