// A backend that recovers slowly: the sink fails every export until the gateways' queues have
// overflowed, then takes no more than a little above what the load sends. The backlog the outage left
// drains for longer than a rate window, with the fullest queue above target all the while. Past that
// window the queue proposal's count reads the backlog as a tier too small; it holds while the fullest
// queue is lower than a rate window before (backend-recovery.ts): the gateways already send faster than
// spans arrive, and more of them would only share the backend with more senders. A queue of 30 batches
// moves in steps of 3 %, and polls 1.5 s apart often read it unchanged, so a fall judged between polls
// would let many of them ask for 3 or 4 gateways.
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
const SPANS_PER_SECOND = TRACES_PER_SECOND * SPANS_PER_TRACE;
const QUEUE_BATCHES = 30;
/** Longer than the outage and the drain together: every batch is still being retried when the sink recovers. */
const RETRY_MAX_ELAPSED_SECONDS = 180;
const OVERFLOW_SECONDS = 5;
/** The recovered backend's ceiling: 20 % above the load, so the backlog drains at about 300 spans/s, for longer than a rate window. */
const RECOVERED_SPANS_PER_SECOND = SPANS_PER_SECOND * 1.2;
const TARGET_QUEUE_FILL = 0.5;
const POLL_INTERVAL_MS = 1500;
/** Polls held as a backlog draining: two rate windows' worth would be 20; a few show the hold is not one lucky poll. */
const MIN_DRAINING_POLLS = 4;
/** The queue proposal's count above the running one, held as the backlog draining over the rate window. */
const BACKLOG_HOLD = new RegExp(
  `→ ([3-9]|\\d{2,}); held at ${GATEWAYS}: the backend was the bottleneck \\d+s ago, and the backlog it left is draining \\(fullest queue \\d+% → \\d+% over the ${RATE_WINDOW_SECONDS}s rate window\\)`,
);
/** The load warrants ceil(1500 / (3000 × 0.7)) = 1 gateway; minReplicas keeps 2. */
const METADATA = {
  decisionWait: '2s',
  capacitySpansPerReplica: '3000',
  minReplicas: String(GATEWAYS),
  maxReplicas: '10',
  targetQueueFill: String(TARGET_QUEUE_FILL),
};

interface Poll {
  readonly replicas: number;
  readonly decision: Decision;
}

/** Polls that answered other than the running count, with the decision's summary. */
const scaledAway = (polls: readonly Poll[]) => polls.filter((poll) => poll.replicas !== GATEWAYS).map((poll) => `${poll.replicas}: ${poll.decision.summary}`);
const queueProposal = (decision: Decision) => decision.proposals.find((proposal) => proposal.name === 'queue')!;

describe('a backend recovering slowly under a real collector tier', () => {
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

  it('holds the queue proposal at the running count while the backlog drains above target', async () => {
    // Healthy polls first: the guard's stall rule compares the sent rate with the last healthy snapshot's.
    for (let i = 0; i < 3; i++) {
      expect((await poll()).replicas).toBe(GATEWAYS);
      await sleep(POLL_INTERVAL_MS);
    }

    tier.sink.behave({ kind: 'fail', code: status.UNAVAILABLE });
    const failingDeadline = Date.now() + 60_000;
    let overflowingSince: number | undefined;
    while (overflowingSince === undefined || Date.now() - overflowingSince < OVERFLOW_SECONDS * 1000) {
      if (Date.now() > failingDeadline) throw new Error('the queues did not overflow within 60 s of the outage');
      const latest = await poll();
      expect(latest.replicas).toBe(GATEWAYS);
      if (overflowingSince === undefined && okSignal(latest.decision.snapshot, 'enqueueFailedSpansPerSecond') > 0) overflowingSince = Date.now();
      await sleep(POLL_INTERVAL_MS);
    }

    tier.sink.behave({ kind: 'capped', spansPerSecond: RECOVERED_SPANS_PER_SECOND });
    const afterRecovery: Poll[] = [];
    const drainDeadline = Date.now() + 120_000;
    for (;;) {
      const latest = await poll();
      afterRecovery.push(latest);
      if (okSignal(latest.decision.snapshot, 'queueFillMax') <= TARGET_QUEUE_FILL || Date.now() > drainDeadline) break;
      await sleep(POLL_INTERVAL_MS);
    }

    // Drained to target, and not one poll on the way asked for more gateways.
    expect(okSignal(afterRecovery.at(-1)!.decision.snapshot, 'queueFillMax')).toBeLessThanOrEqual(TARGET_QUEUE_FILL);
    expect(scaledAway(afterRecovery)).toEqual([]);
    // Past the rate window, the polls that read the backlog as a tier too small were held as a backlog draining.
    const draining = afterRecovery.map(({ decision }) => queueProposal(decision)).filter((queue) => BACKLOG_HOLD.test(queue.reason));
    expect(draining.length).toBeGreaterThanOrEqual(MIN_DRAINING_POLLS);
    for (const { decision } of afterRecovery) {
      const others = decision.proposals.filter((proposal) => proposal.name !== 'queue' && proposal.replicas !== undefined && proposal.replicas > GATEWAYS);
      expect(others.map((proposal) => `${proposal.name}: ${proposal.reason}`)).toEqual([]);
    }
  });
});
