import { describe, expect, it } from 'vitest';
import { advanceBottleneckSeen, recentRecovery } from '../../src/policy/backend-recovery.ts';
import { decide } from '../../src/policy/decide.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { rebuildPolicyState } from '../../src/policy/rebuild-state.ts';
import { HEALTHY, type SignalOverrides, settings, snapshot, T0_MS } from './policy-fixtures.ts';

const target = settings({ capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60', rateWindow: '1m' });

/** Six gateways at 80k spans/s, 30 s apart: a backend outage of three polls, its recovery, then a real overflow. */
const POLLS: readonly SignalOverrides[] = [
  { sentSpansPerSecond: 80_000 },
  { sentSpansPerSecond: 0, sendFailedSpansPerSecond: 500, queueFillMax: 1, queueFillMean: 1, enqueueFailedSpansPerSecond: 70_000 },
  { sentSpansPerSecond: 0, sendFailedSpansPerSecond: 500, queueFillMax: 1, queueFillMean: 1, enqueueFailedSpansPerSecond: 70_000 },
  { sentSpansPerSecond: 0, sendFailedSpansPerSecond: 500, queueFillMax: 1, queueFillMean: 1, enqueueFailedSpansPerSecond: 70_000 },
  // Recovered within the last poll interval: the 1m rates still count the overflow and failures before it.
  { sentSpansPerSecond: 90_000, sendFailedSpansPerSecond: 300, queueFillMax: 0.1, queueFillMean: 0.1, enqueueFailedSpansPerSecond: 40_000 },
  // The backlog still draining above target, the rates still reaching back to the recovery.
  { sentSpansPerSecond: 120_000, sendFailedSpansPerSecond: 50, queueFillMax: 0.8, queueFillMean: 0.7, enqueueFailedSpansPerSecond: 10_000 },
  // A rate window past the recovery: queues overflowing now are the tier's.
  { sentSpansPerSecond: 80_000, queueFillMax: 0.95, queueFillMean: 0.9, enqueueFailedSpansPerSecond: 5_000 },
];

const snapshots = POLLS.map((signals, i) => snapshot({ observedAtMs: T0_MS + i * 30_000, signals }));

/**
 * Snapshots of `polls` `intervalMs` apart from T0, each with the fullest queue's fill a rate window
 * (1m) before it as the polls had it then; the polls in the first window have none, as a tier younger
 * than its rate window has none.
 */
function withWindowAgoFill(polls: readonly SignalOverrides[], intervalMs: number): ReturnType<typeof snapshot>[] {
  const lag = 60_000 / intervalMs;
  const fillAt = (i: number) => {
    const fill = polls[i]!.queueFillMax ?? HEALTHY.queueFillMax;
    return fill === 'missing' ? {} : { fillWindowAgo: fill };
  };
  return polls.map((signals, i) => snapshot({ observedAtMs: T0_MS + i * intervalMs, signals, ...(i < lag ? {} : fillAt(i - lag)) }));
}

function decideAll(polls: typeof snapshots, from?: PolicyState) {
  let state = from;
  return polls.map((polled) => {
    const result = decide({ nowMs: polled.observedAtMs, snapshot: polled }, target, state);
    state = result.state;
    return result.decision;
  });
}

const queueOf = (decision: ReturnType<typeof decideAll>[number]) => decision.proposals.find((proposal) => proposal.name === 'queue')!;

describe('queues after the backend recovers', () => {
  it('do not grow the tier while the rate window still reaches back to the recovery', () => {
    const decisions = decideAll(snapshots);
    expect(decisions.slice(1, 4).every((decision) => decision.guards.some((guard) => guard.name === 'backendBottleneck'))).toBe(true);
    expect(decisions.map((decision) => decision.recommended)).toEqual([6, 6, 6, 6, 6, 6, 12]);
    expect(queueOf(decisions[4]!).reason).toMatch(/queues overflowing .*; held at 6: the backend was the bottleneck 30s ago, and the 60s rate window still reaches back to its recovery/);
    expect(queueOf(decisions[5]!).reason).toMatch(/queues 80% full .*; held at 6: the backend was the bottleneck 60s ago/);
    expect(queueOf(decisions[6]!).reason).not.toMatch(/held at/);
  });

  it('do not grow the tier while the backlog the outage left drains, and do once the queues fill again', () => {
    const outage = POLLS.slice(0, 4);
    const after: SignalOverrides[] = [0.98, 0.94, 0.9, 0.85, 0.93].map((fill) => ({ sentSpansPerSecond: 150_000, queueFillMax: fill, queueFillMean: fill - 0.05 }));
    const decisions = decideAll(withWindowAgoFill([...outage, ...after], 30_000));
    expect(decisions.map((decision) => decision.recommended)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 12]);
    expect(queueOf(decisions[6]!).reason).toMatch(
      /held at 6: the backend was the bottleneck 90s ago, and the backlog it left is draining \(fullest queue 98% → 90% over the 60s rate window\): more gateways would only share the backend with more senders/,
    );
    // 93 % against 90 % a rate window before: the queues fill again, and that is the tier's own filling.
    expect(queueOf(decisions[8]!).reason).not.toMatch(/held at/);
  });

  it('judge the drain over the rate window: a queue read unchanged between two polls is still draining', () => {
    // A queue counts whole batches: polls 15 s apart read each step twice.
    const fills = [0.9, 0.9, 0.86, 0.86, 0.83, 0.83, 0.8, 0.8, 0.76, 0.76, 0.73, 0.73];
    const after: SignalOverrides[] = fills.map((fill) => ({ sentSpansPerSecond: 150_000, queueFillMax: fill, queueFillMean: fill - 0.05 }));
    const decisions = decideAll(withWindowAgoFill([...POLLS.slice(0, 4), ...after], 15_000));
    expect(decisions.map((decision) => decision.recommended)).toEqual(decisions.map(() => 6));
    const draining = decisions.filter((decision) => /the backlog it left is draining/.test(queueOf(decision).reason));
    // Every poll past the rate window after the recovery (the first four after it still reach back to it).
    expect(draining.length).toBe(fills.length - 4);
  });

  it('judge the drain the same in a state folded at the polling interval as in the polls it replaces', () => {
    // Live polls 15 s apart; a restarted scaler folds its state from Prometheus at a 30 s grid, which
    // here has the outage's last poll on it (else it dates the bottleneck a grid step earlier).
    const fills = [0.9, 0.9, 0.86, 0.86, 0.83, 0.83, 0.8, 0.8, 0.76, 0.76, 0.73, 0.73];
    const polled = withWindowAgoFill([...POLLS.slice(0, 4), ...fills.map((fill) => ({ sentSpansPerSecond: 150_000, queueFillMax: fill, queueFillMean: fill - 0.05 }))], 15_000);
    const restartAt = 12;
    const live = decideAll(polled).slice(restartAt);
    const folded = rebuildPolicyState(polled.slice(0, restartAt).filter((_, i) => i % 2 === 1), target, {});
    const afterRestart = decideAll(polled.slice(restartAt), folded);
    expect(afterRestart.map((decision) => queueOf(decision).reason)).toEqual(live.map((decision) => queueOf(decision).reason));
    expect(afterRestart.map((decision) => decision.recommended)).toEqual(live.map(() => 6));
  });

  it('hold nothing and miss nothing without the fill a rate window before: a tier younger than its window may scale in', () => {
    // A quiet tier of 6 at a fifth of its capacity, polled 15 s apart from its first scrape.
    const quiet: SignalOverrides = { acceptedSpansPerSecond: 20_000, sentSpansPerSecond: 20_000, queueFillMax: 0, queueFillMean: 0 };
    const young = decideAll(withWindowAgoFill(Array.from({ length: 40 }, () => quiet), 15_000));
    const known = decideAll(Array.from({ length: 40 }, (_, i) => snapshot({ observedAtMs: T0_MS + i * 15_000, signals: quiet, fillWindowAgo: 0 })));
    expect(young.flatMap((decision) => decision.guards.map((guard) => guard.name))).not.toContain('missingData');
    // Its first minute without the reading moves nothing: it scales in when a tier with it does.
    expect(young.map((decision) => decision.recommended)).toEqual(known.map((decision) => decision.recommended));
    expect(young.at(-1)!.recommended).toBeLessThan(6);
  });

  it('are held the same in the state folded from history', () => {
    const folded = rebuildPolicyState(snapshots.slice(0, 5), target, {});
    const [next, after] = decideAll(snapshots.slice(5), folded);
    expect(next!.recommended).toBe(6);
    expect(after!.recommended).toBe(12);
  });

  it('date the recovery once no queue is full: a queue still full after the guard lets go may still be overflowing', () => {
    const failing = POLLS[1]!;
    const drained = { sentSpansPerSecond: 120_000, queueFillMean: 0.1 };
    const polls: SignalOverrides[] = [
      POLLS[0]!,
      failing,
      failing,
      failing,
      // Sends resumed on most gateways; one gateway's queue is still full, its consumers waiting out their retry backoff.
      { sentSpansPerSecond: 90_000, sendFailedSpansPerSecond: 300, queueFillMax: 1, queueFillMean: 0.6, enqueueFailedSpansPerSecond: 40_000 },
      { sentSpansPerSecond: 120_000, sendFailedSpansPerSecond: 50, queueFillMax: 1, queueFillMean: 0.5, enqueueFailedSpansPerSecond: 30_000 },
      // Its queue has room again: its overflow ended by now, and the rate window counts it for another minute.
      { ...drained, queueFillMax: 0.3, enqueueFailedSpansPerSecond: 20_000 },
      { ...drained, queueFillMax: 0.2, enqueueFailedSpansPerSecond: 15_000 },
      { ...drained, queueFillMax: 0.2, enqueueFailedSpansPerSecond: 10_000 },
      { ...drained, queueFillMax: 0.2, enqueueFailedSpansPerSecond: 5_000 },
      // A rate window past the drain: queues overflowing now are the tier's.
      { ...drained, queueFillMax: 0.95, queueFillMean: 0.9, enqueueFailedSpansPerSecond: 5_000 },
    ];
    const decisions = decideAll(polls.map((signals, i) => snapshot({ observedAtMs: T0_MS + i * 15_000, signals })));
    expect(decisions.slice(4).filter((decision) => decision.guards.some((guard) => guard.name === 'backendBottleneck'))).toEqual([]);
    expect(decisions.map((decision) => decision.recommended)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 12]);
    expect(queueOf(decisions[8]!).reason).toMatch(/queues overflowing .*; held at 6: the backend was the bottleneck 75s ago, and the 60s rate window still reaches back to its recovery/);
  });

  it('date the recovery at the first snapshot with room in every queue, or a rate window after the bottleneck if a queue stays full', () => {
    const failing = advanceBottleneckSeen(undefined, true, 1_000, 60, 1, true);
    expect(advanceBottleneckSeen(failing, false, 31_000, 60, 1, true)).toBe(failing);
    expect(advanceBottleneckSeen(failing, false, 61_000, 60, 1, true)).toEqual({ lastSeenAtMs: 1_000, recoveredByMs: 61_000 });
    expect(advanceBottleneckSeen(failing, false, 31_000, 60, 0.98, true)).toEqual({ lastSeenAtMs: 1_000, recoveredByMs: 31_000 });
  });

  it('keep the failure for one rate window after the recovery, then while the queues stay above target', () => {
    const failing = advanceBottleneckSeen(undefined, true, 1_000, 60, 1, true);
    expect(recentRecovery(failing, 31_000, 60, [1, 0.2])).toEqual({ kind: 'ratesReachBack', secondsSinceBottleneck: 30 });
    const recovered = advanceBottleneckSeen(failing, false, 31_000, 60, 0.9, true);
    expect(recovered).toEqual({ lastSeenAtMs: 1_000, recoveredByMs: 31_000 });
    expect(recentRecovery(recovered, 90_000, 60, [0.9, 0.95])).toEqual({ kind: 'ratesReachBack', secondsSinceBottleneck: 89 });
    // Past the window: only a fullest queue lower than a rate window before is the backlog draining.
    expect(recentRecovery(recovered, 91_000, 60, [0.9, 0.85])).toEqual({ kind: 'backlogDraining', secondsSinceBottleneck: 90, queueFillMax: [0.9, 0.85] });
    expect(recentRecovery(recovered, 91_000, 60, [0.85, 0.85])).toBeUndefined();
    expect(recentRecovery(recovered, 91_000, 60, [undefined, 0.85])).toBeUndefined();
    expect(advanceBottleneckSeen(recovered, false, 91_000, 60, 0.85, true)).toBe(recovered);
    // Drained to target once: a later filling is the tier's own.
    expect(advanceBottleneckSeen(recovered, false, 91_000, 60, 0.4, false)).toBeUndefined();
    expect(advanceBottleneckSeen(recovered, false, 61_000, 60, 0.4, false)).toBe(recovered);
    expect(advanceBottleneckSeen(undefined, false, 91_000, 60, 1, true)).toBeUndefined();
  });
});
