// The ring judged end to end: six hours of per-gateway accepted-span counters, written into a real
// Prometheus through its remote-write receiver, in which a third gateway joins half-way. Read back
// through the ring-share range queries, judged, and fed to decide().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RingSpreadRefresher } from '../../src/advisor/ring-spread-refresher.ts';
import { decide } from '../../src/policy/decide.ts';
import { PrometheusSignalSource } from '../../src/signals/prometheus-source.ts';
import { settings as settingsFor, snapshot } from '../policy/policy-fixtures.ts';
import { acceptedSpansSeries } from '../support/gateway-history.ts';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';
import { historyEndSeconds, type RemoteWriteSeries, remoteWrite } from '../support/remote-write.ts';
import { silentLogger as silent } from '../support/recording-logger.ts';

const HOUR_S = 3600;
const STEP_S = 15;
const END_S = historyEndSeconds();
const START_S = END_S - 6 * HOUR_S;
const JOIN_S = START_S + 3 * HOUR_S;
const TOTAL = 80_000;

/**
 * Each gateway's share of TOTAL before and after gateway-2 joins. `arc`: gateway-0 owns a wide arc of
 * the hash ring, which the newcomer takes part of; `key`: one traceID carries most of gateway-0's load,
 * and the newcomer takes only from the rest.
 */
const SHARES = {
  arc: { before: [0.75, 0.25], after: [0.5, 0.25, 0.25] },
  key: { before: [0.75, 0.25], after: [0.72, 0.14, 0.14] },
} as const;

function acceptedSpans(job: keyof typeof SHARES, gateway: number): RemoteWriteSeries {
  const pod = `${job}-gateway-${gateway}`;
  return acceptedSpansSeries(
    { job: `${job}-gateway`, namespace: 'observability', pod, instance: `${pod}:8888` },
    { receiver: 'otlp', transport: 'grpc' },
    { fromS: gateway === 2 ? JOIN_S : START_S, toS: END_S + 1, everyS: STEP_S },
    (t) => TOTAL * (t < JOIN_S ? SHARES[job].before : SHARES[job].after)[gateway]!,
  );
}

const ref = { namespace: 'observability', name: 'otel-gateway' };
const settingsOf = (job: keyof typeof SHARES) => settingsFor({ gatewaySelector: `job="${job}-gateway"` });
/** Now: three gateways, gateway-0 at the share the history ends with. */
const byGateway = (job: keyof typeof SHARES) => Object.fromEntries(SHARES[job].after.map((share, gateway) => [`gateway-${gateway}`, share * TOTAL]));

let prometheus: RunningPrometheus;
let source: PrometheusSignalSource;

beforeAll(async () => {
  prometheus = await startPrometheus({ extraFlags: ['--web.enable-remote-write-receiver'] });
  await remoteWrite(prometheus.url, [0, 1, 2].flatMap((gateway) => [acceptedSpans('arc', gateway), acceptedSpans('key', gateway)]));
  source = new PrometheusSignalSource({ serverName: 'default', server: { url: prometheus.url, queryTimeoutMs: 10_000, cacheTtlMs: 0 } });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
});

describe('the ring judged from a real Prometheus', () => {
  it("finds a hash arc's share halved when a third gateway joined, and then sizes the busiest gateway", async () => {
    const refresher = new RingSpreadRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    expect(refresher.spreadFor(ref, settingsOf('arc'), nowMs)).toBeUndefined();
    const spread = await refresher.refresh(ref, settingsOf('arc'), nowMs);
    if (spread.kind === 'unknown') throw new Error(spread.reason);
    expect(spread.kind).toBe('follows-ring');
    expect(spread.before.gateways).toBe(2);
    expect(spread.before.hottestShare).toBeCloseTo(0.75, 6);
    expect(spread.before.atMs).toBeLessThanOrEqual(JOIN_S * 1000);
    expect(spread.after.gateways).toBe(3);
    expect(spread.after.hottestShare).toBeCloseTo(0.5, 6);

    const signals = { currentReplicas: 3, acceptedSpansPerSecond: TOTAL };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, byGateway: byGateway('arc'), signals }), ringSpread: spread }, settingsOf('arc'));
    const throughput = decision.proposals.find((proposal) => proposal.name === 'throughput')!;
    expect(throughput.inputs.busiestGatewayShareMultiple).toBeCloseTo(1.5, 6);
    expect(throughput.reason).toContain('its share went from 75% at 2 gateways to 50% at 3');
  });

  it("finds a hot key's share kept when a third gateway joined, and leaves it to the routing-imbalance note", async () => {
    const refresher = new RingSpreadRefresher({ history: source, forgetAfterSeconds: 3600, logger: silent });
    const nowMs = END_S * 1000;
    const spread = await refresher.refresh(ref, settingsOf('key'), nowMs);
    expect(spread).toMatchObject({ kind: 'stays', before: { gateways: 2 }, after: { gateways: 3 } });
    const signals = { currentReplicas: 3, acceptedSpansPerSecond: TOTAL };
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, byGateway: byGateway('key'), signals }), ringSpread: spread }, settingsOf('key'));
    expect(decision.proposals.find((proposal) => proposal.name === 'throughput')!.inputs.busiestGatewayShareMultiple).toBeUndefined();
    expect(decision.guards.find((guard) => guard.name === 'routingImbalance')?.reason).toContain('its share went from 75% at 2 gateways to 72% at 3');
  });

  it('says the history could not be read when Prometheus does not answer; the overloaded hot gateway is sized until a change of size tells', async () => {
    const unreachable = new PrometheusSignalSource({ serverName: 'gone', server: { url: 'http://127.0.0.1:9', queryTimeoutMs: 2000, cacheTtlMs: 0 } });
    const refresher = new RingSpreadRefresher({ history: unreachable, forgetAfterSeconds: 3600, logger: silent });
    const spread = await refresher.refresh(ref, settingsOf('arc'), END_S * 1000);
    expect(spread).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/^the ring's history could not be read/) });
    const nowMs = END_S * 1000;
    const { decision } = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, byGateway: byGateway('arc'), signals: { currentReplicas: 3, acceptedSpansPerSecond: TOTAL } }), ringSpread: spread }, settingsOf('arc'));
    expect(decision.proposals.find((proposal) => proposal.name === 'throughput')!.reason).toContain("not known (the ring's history could not be read");
    expect(decision.guards.find((guard) => guard.name === 'routingImbalance')?.reason).toContain('so the throughput proposal sizes the tier for that gateway');
  });
});
