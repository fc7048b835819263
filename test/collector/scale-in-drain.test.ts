// Scale-in drain on the real tier: a gateway leaves the agents' ring, keeps running for its drain (the
// preStop sleep), then gets SIGTERM as the kubelet sends it, while it still holds traces within
// decision_wait. The tail-sampling processor this project builds (v0.161.0) decides those traces when
// stopped, so a drain that covers the agents' re-resolve (their resolver's interval, and the hosts
// file Go re-reads at most every 5 s standing for a DNS TTL) is enough; with
// drop_pending_traces_on_shutdown: true (every release before v0.141.0 behaves so) it drops them, and
// the drain must outlast decision_wait too. src/policy/drain-check.ts judges a trigger's drain so.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { preStopSecondsFor } from '../../src/policy/drain-check.ts';
import { GATEWAY_SELECTOR, ringUpdateSeconds, startGatewayTier, tierDnsMetadata } from './support/gateway-tier.ts';
import { brokenTraces } from './support/broken-traces.ts';
import { startLoadGenerator } from './support/load-generator.ts';

const TRACES_PER_SECOND = 100;
const SPANS_PER_TRACE = 5;
const TRACE_DURATION_MS = 500;
const DECISION_WAIT_SECONDS = 15;
/** The tier's DNS interval: how long the agents take to leave a removed gateway. */
const RING_UPDATE_SECONDS = ringUpdateSeconds();
/** Between removals: every trace started before one is decided before the next. */
const SETTLE_MS = (DECISION_WAIT_SECONDS + 5) * 1000;
/** The preStop each kind of gateway needs, as drain-check.ts derives it from a trigger stating this tier's re-resolve. */
function preStopSeconds(dropPendingTracesOnShutdown: boolean): number {
  const metadata = { gatewaySelector: GATEWAY_SELECTOR, decisionWait: `${DECISION_WAIT_SECONDS}s`, dropPendingTracesOnShutdown: String(dropPendingTracesOnShutdown), ...tierDnsMetadata() };
  return preStopSecondsFor(parseTargetMetadata(metadata));
}
const DECIDING_DRAIN_SECONDS = preStopSeconds(false);
const DROPPING_DRAIN_SECONDS = preStopSeconds(true);

interface RemovalOutcome {
  readonly gateway: string;
  readonly drainSeconds: number;
  /** Share of the traces started before the removal that the gateway took, among the gateways then on the ring. */
  readonly share: number;
  /** Traces started from decision_wait before the removal until the agents surely re-resolved, lost or short at the sink. */
  readonly missing: number;
  readonly short: number;
}

interface TierOutcome {
  readonly removals: readonly RemovalOutcome[];
  readonly completeTraces: number;
  /** Traces lost or short anywhere, removals or not. */
  readonly missingAnywhere: number;
}

/** Starts 3 gateways, removes gateway-1 then gateway-2 with the drains given, and reads the sink. */
async function removeWithDrains(dropPendingTracesOnShutdown: boolean | undefined, drainsSeconds: readonly [number, number]): Promise<TierOutcome> {
  const tier = await startGatewayTier({
    gateways: 3,
    gatewaySettings: { decisionWaitSeconds: DECISION_WAIT_SECONDS, ...(dropPendingTracesOnShutdown === undefined ? {} : { dropPendingTracesOnShutdown }) },
  });
  const load = startLoadGenerator(tier.agentEndpoints, { tracesPerSecond: TRACES_PER_SECOND, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: TRACE_DURATION_MS });
  try {
    const removedAt: number[] = [];
    await sleep(SETTLE_MS);
    for (const [index, drainSeconds] of drainsSeconds.entries()) {
      removedAt.push(load.startedTraces());
      await tier.removeGateway(`gateway-${index + 1}`, drainSeconds * 1000);
      await sleep(SETTLE_MS);
    }
    await load.stop();
    await sleep((DECISION_WAIT_SECONDS + 3) * 1000);
    const shareOf = (gateway: string, from: number, to: number) => {
      let whole = 0;
      let on = 0;
      for (const traceId of load.completeTraces.keys()) {
        const sequence = load.sequenceOf(traceId);
        const gateways = tier.sink.traces.get(traceId)?.gateways;
        if (sequence < from || sequence >= to || gateways?.size !== 1) continue;
        whole++;
        if (gateways.has(gateway)) on++;
      }
      return on / whole;
    };
    const removals = drainsSeconds.map((drainSeconds, index) => {
      const at = removedAt[index]!;
      const [from, to] = [at - TRACES_PER_SECOND * (DECISION_WAIT_SECONDS + 3), at + TRACES_PER_SECOND * (RING_UPDATE_SECONDS + 3)];
      const { missing, short } = brokenTraces(load, tier.sink, { from, to });
      const shareFrom = index === 0 ? 0 : removedAt[index - 1]! + TRACES_PER_SECOND * (RING_UPDATE_SECONDS + 3);
      return { gateway: `gateway-${index + 1}`, drainSeconds, share: shareOf(`gateway-${index + 1}`, shareFrom, from), missing, short };
    });
    const anywhere = brokenTraces(load, tier.sink);
    return { removals, completeTraces: load.completeTraces.size, missingAnywhere: anywhere.missing + anywhere.short };
  } finally {
    await load.stop();
    await tier.stop();
  }
}

describe('a gateway stopped within decision_wait of the traces it holds', () => {
  let deciding: TierOutcome;
  let dropping: TierOutcome;

  beforeAll(async () => {
    // Deciding (the processor's default): first the drain its check asks for, below decision_wait; then none at all.
    deciding = await removeWithDrains(undefined, [DECIDING_DRAIN_SECONDS, 0]);
    // Dropping: first the drain that is enough for deciding gateways, then the one its check asks for.
    dropping = await removeWithDrains(true, [DECIDING_DRAIN_SECONDS, DROPPING_DRAIN_SECONDS]);
    console.info(JSON.stringify({ deciding, dropping }));
  }, 600_000);

  it('decides them when stopped: a drain that covers the agents\' re-resolve, shorter than decision_wait, loses no trace', () => {
    expect(DECIDING_DRAIN_SECONDS).toBeLessThan(DECISION_WAIT_SECONDS);
    expect(deciding.completeTraces).toBeGreaterThan(TRACES_PER_SECOND * 60);
    const [covered] = deciding.removals;
    expect(covered!.share).toBeGreaterThan(0.15);
    expect({ missing: covered!.missing, short: covered!.short }).toEqual({ missing: 0, short: 0 });
  });

  it('stopped before the agents re-resolve, it breaks the traces whose spans they still send it', () => {
    const [, immediate] = deciding.removals;
    expect(immediate!.missing + immediate!.short, JSON.stringify(immediate)).toBeGreaterThan(0);
    // Every trace lost was one of the two removals'.
    expect(deciding.missingAnywhere).toBe(deciding.removals.reduce((sum, removal) => sum + removal.missing + removal.short, 0));
  });

  it('with drop_pending_traces_on_shutdown the same drain loses what the gateway took within decision_wait, and decision_wait + DNS + flush loses nothing', () => {
    const [short, covered] = dropping.removals;
    // Traces it took from decision_wait before it stopped until the agents left it: at least decision_wait − drain of its share.
    const atLeast = short!.share * TRACES_PER_SECOND * (DECISION_WAIT_SECONDS - short!.drainSeconds);
    const atMost = short!.share * TRACES_PER_SECOND * (DECISION_WAIT_SECONDS - short!.drainSeconds + RING_UPDATE_SECONDS + TRACE_DURATION_MS / 1000);
    expect(short!.missing + short!.short, JSON.stringify(short)).toBeGreaterThanOrEqual(0.5 * atLeast);
    expect(short!.missing + short!.short, JSON.stringify(short)).toBeLessThanOrEqual(1.5 * atMost);
    expect({ missing: covered!.missing, short: covered!.short }).toEqual({ missing: 0, short: 0 });
    expect(dropping.missingAnywhere).toBe(short!.missing + short!.short);
  });
});
