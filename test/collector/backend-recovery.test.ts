// Backend recovery: the sink fails every export for less than the gateways' retry budget but long
// enough for their queues to overflow, then accepts again. Nothing is given up while it fails
// (send-failed stays 0; the backend-bottleneck guard holds on the stalled sent rate), so the guard lets
// go as soon as the sent rate rises, while the rate window still counts the spans that overflowed. For
// one rate window after that, the queue proposal holds at the running count (backend-recovery.ts) where
// it would read the old overflow as a tier too small and ask for one more gateway. The trigger's
// capacity puts the load below the two running gateways, so only the queue proposal could ask for more.
//
// With backend-failing.test.ts's 8 s retry budget the gateways give up most of the spans they
// accept; that send-failed share keeps the guard on for most of the window after recovery and leaves
// the hold a second or two to show.
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/policy/decision.ts';
import { okSignal } from '../support/signal-reading.ts';
import type { GatewayTier } from './support/gateway-tier.ts';
import type { TierScaler } from './support/tier-scaler.ts';
import { startTierScenario, type TierScenario } from './support/tier-scenario.ts';

const RATE_WINDOW_SECONDS = 15;
const GATEWAYS = 2;
const TRACES_PER_SECOND = 150;
const SPANS_PER_TRACE = 10;
/** Small queues, so an outage of seconds overflows them. */
const QUEUE_BATCHES = 30;
/** Longer than any outage here: every batch is still being retried when the sink recovers. */
const RETRY_MAX_ELAPSED_SECONDS = 120;
/** How long the outage lasts once the queues overflow. */
const OVERFLOW_SECONDS = 8;
const POLL_INTERVAL_MS = 1500;
/** The load (1,500 spans/s) warrants ceil(1500 / (3000 × 0.7)) = 1 gateway; minReplicas keeps 2. */
const METADATA = { decisionWait: '2s', capacitySpansPerReplica: '3000', minReplicas: String(GATEWAYS), maxReplicas: '10' };
const RECOVERY_HOLD = new RegExp(`held at ${GATEWAYS}: the backend was the bottleneck \\d+s ago, and the ${RATE_WINDOW_SECONDS}s rate window still reaches back to its recovery`);

interface Poll {
  readonly replicas: number;
  readonly decision: Decision;
}

/** Polls that answered other than the running count, with the decision's summary. */
const scaledAway = (polls: readonly Poll[]) => polls.filter((poll) => poll.replicas !== GATEWAYS).map((poll) => `${poll.replicas}: ${poll.decision.summary}`);
const heldByBackend = (decision: Decision) => decision.guards.some((guard) => guard.name === 'backendBottleneck');
const queueProposal = (decision: Decision) => decision.proposals.find((proposal) => proposal.name === 'queue')!;

describe('a backend recovering under a real collector tier', () => {
  let scenario: TierScenario;
  let tier: GatewayTier;
  let scaler: TierScaler;

  beforeAll(async () => {
    scenario = await startTierScenario({
      tier: { gateways: GATEWAYS, gatewaySettings: { decisionWaitSeconds: 2, queueSize: QUEUE_BATCHES, retryMaxElapsedSeconds: RETRY_MAX_ELAPSED_SECONDS } },
      load: { tracesPerSecond: TRACES_PER_SECOND, spansPerTrace: SPANS_PER_TRACE, traceDurationMs: 1000 },
      metadata: METADATA,
      rateWindowSeconds: RATE_WINDOW_SECONDS,
    });
    ({ tier, scaler } = scenario);
  }, 240_000);

  afterAll(() => scenario?.stop(), 60_000);

  /** One poll like KEDA's, with the decision behind it. */
  const poll = async (): Promise<Poll> => {
    const replicas = await scaler.poll();
    return { replicas, decision: scaler.latest() };
  };

  it('holds the queue proposal at the running count while the rate window still counts the outage', async () => {
    // Healthy polls first: the guard's stall rule compares the sent rate with the last healthy snapshot's.
    for (let i = 0; i < 3; i++) {
      expect((await poll()).replicas).toBe(GATEWAYS);
      await sleep(POLL_INTERVAL_MS);
    }

    tier.sink.behave({ kind: 'fail', code: status.UNAVAILABLE });
    const whileFailing: Poll[] = [];
    const failingDeadline = Date.now() + 60_000;
    let overflowingSince: number | undefined;
    while (overflowingSince === undefined || Date.now() - overflowingSince < OVERFLOW_SECONDS * 1000) {
      if (Date.now() > failingDeadline) throw new Error('the queues did not overflow within 60 s of the outage');
      const latest = await poll();
      if (overflowingSince === undefined && okSignal(latest.decision.snapshot, 'enqueueFailedSpansPerSecond') > 0) overflowingSince = Date.now();
      if (overflowingSince !== undefined) whileFailing.push(latest);
      await sleep(POLL_INTERVAL_MS);
    }
    expect(scaledAway(whileFailing)).toEqual([]);
    expect(whileFailing.filter(({ decision }) => !heldByBackend(decision)).map(({ decision }) => decision.summary)).toEqual([]);
    // Nothing given up: the guard holds on the stall rule, and once the sent rate rises nothing is left to hold it.
    expect(whileFailing.map(({ decision }) => okSignal(decision.snapshot, 'sendFailedSpansPerSecond')).filter((spansPerSecond) => spansPerSecond > 0)).toEqual([]);
    expect(whileFailing.at(-1)!.decision.summary).toMatch(/the backend has stalled/);

    // Polled from the moment of recovery: a gateway whose consumers all still wait out their retry backoff
    // (up to 5 s here) keeps its queue full and overflowing after another gateway's sends have let the
    // guard go, and the hold's window starts only once the fullest queue drains.
    tier.sink.behave({ kind: 'accept' });
    const afterRecovery: Poll[] = [];
    const recoveryDeadline = Date.now() + (RATE_WINDOW_SECONDS + 30) * 1000;
    for (;;) {
      const latest = await poll();
      afterRecovery.push(latest);
      if (okSignal(latest.decision.snapshot, 'enqueueFailedSpansPerSecond') === 0 || Date.now() > recoveryDeadline) break;
      await sleep(POLL_INTERVAL_MS);
    }

    // No scale-out for overflow that happened while the backend failed, up to the poll whose window no longer holds any.
    expect(scaledAway(afterRecovery)).toEqual([]);
    expect(okSignal(afterRecovery.at(-1)!.decision.snapshot, 'enqueueFailedSpansPerSecond')).toBe(0);
    const stretch = afterRecovery.map(({ decision }) => decision).filter((decision) => !heldByBackend(decision) && okSignal(decision.snapshot, 'enqueueFailedSpansPerSecond') > 0);
    expect(stretch.length).toBeGreaterThan(0);
    for (const decision of stretch) {
      const queue = queueProposal(decision);
      expect(queue.replicas, queue.reason).toBe(GATEWAYS);
      expect(queue.reason).toMatch(RECOVERY_HOLD);
      const others = decision.proposals.filter((proposal) => proposal.name !== 'queue' && proposal.replicas !== undefined && proposal.replicas > GATEWAYS);
      expect(others.map((proposal) => `${proposal.name}: ${proposal.reason}`)).toEqual([]);
    }
  });
});
