import { describe, expect, it } from 'vitest';
import { type BackendCeiling, ceilingHeldBy } from '../../src/policy/backend-ceiling.ts';
import { decide } from '../../src/policy/decide.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { rebuildPolicyState } from '../../src/policy/rebuild-state.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

const target = settings({ capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60' });
/** An earlier peak: gateways added beyond 18 did not raise the sent rate above 200k spans/s. */
const CEILING: BackendCeiling = { sentSpansPerSecond: 200_000, fromReplicas: 18 };

interface Poll {
  readonly replicas: number;
  readonly fill: number;
  readonly sent: number;
}

/** Polls 90 s apart, each decided on the one before, with `ceiling` (if any) read from the decision series. */
function polls(list: readonly Poll[], ceiling?: BackendCeiling) {
  let state: PolicyState | undefined;
  return list.map((poll, i) => {
    const nowMs = T0_MS + i * 90_000;
    const signals = { currentReplicas: poll.replicas, acceptedSpansPerSecond: 205_000, sentSpansPerSecond: poll.sent, queueFillMax: poll.fill, queueFillMean: poll.fill - 0.05 };
    const result = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }), ...(ceiling ? { backendCeiling: ceiling } : {}) }, target, state);
    state = result.state;
    return result.decision;
  });
}

const queueOf = (decision: ReturnType<typeof polls>[number]) => decision.proposals.find((proposal) => proposal.name === 'queue')!;

describe('the backend ceiling an earlier peak showed', () => {
  it('holds the first poll of a new filling at the sent rate it showed, from the count it grew from on', () => {
    const [held] = polls([{ replicas: 18, fill: 0.55, sent: 198_000 }], CEILING);
    expect(queueOf(held!).replicas).toBe(18);
    expect(queueOf(held!).reason).toMatch(/held at 18: on a peak within the last week, gateways added beyond 18 did not raise the sent rate above 200k spans\/s, and it is 198k spans\/s now, so the backend is the ceiling/);
    expect(held!.recommended).toBe(18);
    // Without it, the same poll grows the tier for the queues, as the first peak did.
    const [unknown] = polls([{ replicas: 18, fill: 0.55, sent: 198_000 }]);
    expect(queueOf(unknown!).replicas).toBe(20);
  });

  it('does not hold when the backend takes clearly more than then, or a smaller tier sends clearly less', () => {
    expect(queueOf(polls([{ replicas: 18, fill: 0.55, sent: 211_000 }], CEILING)[0]!).replicas).toBe(20);
    // Fewer gateways than it grew from, sending less than the ceiling: they may be the limit themselves.
    expect(queueOf(polls([{ replicas: 12, fill: 0.55, sent: 180_000 }], CEILING)[0]!).replicas).toBe(14);
    // Clearly less, with as many gateways as sent more then: a slower backend, or sends still ramping up.
    expect(queueOf(polls([{ replicas: 18, fill: 0.55, sent: 150_000 }], CEILING)[0]!).reason).toMatch(/held at 18: .* it is 150k spans\/s now/);
    // Queues at or below target: nothing to hold.
    expect(queueOf(polls([{ replicas: 18, fill: 0.5, sent: 200_000 }], CEILING)[0]!).reason).not.toMatch(/held at/);
  });

  it('holds a smaller tier that sends the ceiling itself, and exports that count', () => {
    const [held] = polls([{ replicas: 12, fill: 0.55, sent: 196_000 }], CEILING);
    expect(queueOf(held!).replicas).toBe(12);
    expect(queueOf(held!).reason).toMatch(/held at 12: on a peak within the last week, gateways added beyond 18 did not raise the sent rate above 200k spans\/s, and 12 send as much now \(196k spans\/s\), so the backend is the ceiling/);
    expect(ceilingHeldBy(held!)).toEqual({ sentSpansPerSecond: 200_000, fromReplicas: 12 });
    // The next poll of the same filling keeps it, from the smaller count on.
    const decisions = polls([{ replicas: 12, fill: 0.55, sent: 196_000 }, { replicas: 12, fill: 0.7, sent: 185_000 }], CEILING);
    expect(decisions.map((decision) => queueOf(decision).replicas)).toEqual([12, 12]);
  });

  it('keeps holding for the rest of the filling, as its own evidence would, and is met again at the next one', () => {
    const decisions = polls([
      { replicas: 18, fill: 0.55, sent: 200_000 },
      // The backend wobbles below the rate it showed while the queues stay full: still its ceiling.
      { replicas: 18, fill: 0.9, sent: 170_000 },
      // Drained with the sent rate below it: the filling is over.
      { replicas: 18, fill: 0.3, sent: 150_000 },
      { replicas: 18, fill: 0.56, sent: 201_000 },
    ], CEILING);
    expect(decisions.map((decision) => queueOf(decision).replicas)).toEqual([18, 18, 11, 18]);
    expect(queueOf(decisions[1]!).reason).toMatch(/held at 18/);
  });

  it('is what a decision exports only when its queue proposal held', () => {
    const [held] = polls([{ replicas: 18, fill: 0.55, sent: 198_000 }], CEILING);
    expect(ceilingHeldBy(held!)).toEqual(CEILING);
    const [grown] = polls([{ replicas: 18, fill: 0.55, sent: 198_000 }]);
    expect(ceilingHeldBy(grown!)).toBeUndefined();
  });

  it('holds in the state folded from history as in the live decision', () => {
    const snapshots = [0, 1, 2].map((i) =>
      snapshot({ observedAtMs: T0_MS + i * 30_000, signals: { currentReplicas: 18, acceptedSpansPerSecond: 205_000, sentSpansPerSecond: 200_000, queueFillMax: 0.6, queueFillMean: 0.55 } }),
    );
    const folded = rebuildPolicyState(snapshots, target, { backendCeiling: CEILING });
    expect(folded?.queueGrowth).toEqual({ ...CEILING, shownOnEarlierPeak: { fromReplicas: 18 } });
    expect(rebuildPolicyState(snapshots, target, {})?.queueGrowth).toEqual({ fromReplicas: 18, sentSpansPerSecond: 200_000 });
  });
});
