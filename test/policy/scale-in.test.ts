import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.ts';
import type { DecideInput } from '../../src/policy/decide-input.ts';
import type { Decision } from '../../src/policy/decision.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { type DecisionWant, expectDecision, type SignalOverrides, settings, snapshot, T0_MS } from './policy-fixtures.ts';
import { startupInUse } from '../../src/policy/startup-in-use.ts';

const PER_REPLICA = 20_000 * 0.7;
/** Load that five replicas carry at target utilization. */
const FITS_FIVE = 5 * PER_REPLICA;
const PEAK = 10 * PER_REPLICA;
const HELD_TRACES = 17_000;

interface Poll {
  readonly atSeconds: number;
  readonly signals: SignalOverrides;
  readonly want: DecisionWant;
}

/** Runs polls in order through one target's state, each snapshot observed at the poll's time. */
function runPolls(polls: readonly Poll[], metadata: Record<string, string> = {}, extra: Partial<DecideInput> = {}): Decision[] {
  const target = settings(metadata);
  let state: PolicyState | undefined;
  const decisions: Decision[] = [];
  for (const poll of polls) {
    const nowMs = T0_MS + poll.atSeconds * 1000;
    const result = decide({ ...extra, nowMs, snapshot: snapshot({ signals: { tracesOnMemory: HELD_TRACES, ...poll.signals }, observedAtMs: nowMs }) }, target, state);
    state = result.state;
    decisions.push(result.decision);
  }
  return decisions;
}

function expectPolls(polls: readonly Poll[], metadata?: Record<string, string>, extra?: Partial<DecideInput>): void {
  const decisions = runPolls(polls, metadata, extra);
  polls.forEach((poll, index) => {
    expect.soft(() => expectDecision(decisions[index]!, poll.want), `poll at ${poll.atSeconds}s`).not.toThrow();
  });
}

const low = (current: number): SignalOverrides => ({ currentReplicas: current, acceptedSpansPerSecond: FITS_FIVE });

describe('stateful scale-in', () => {
  it('load drop after a peak: waits a full window, steps one replica, repeats until the HPA acts, waits again after the ring change, and a bounce scales out at once', () => {
    expectPolls([
      { atSeconds: 0, signals: low(8), want: { replicas: 8, guards: ['scaleInWindow'], summary: /^Holding at 8: load fits 5; scale-in waits 90s more of its 90s window\.$/ } },
      { atSeconds: 30, signals: low(8), want: { replicas: 8, summary: /waits 60s more/ } },
      { atSeconds: 60, signals: low(8), want: { replicas: 8, summary: /waits 30s more/ } },
      {
        atSeconds: 90,
        signals: low(8),
        want: {
          replicas: 7,
          guards: ['scaleInStep'],
          estimatedBrokenTraces: HELD_TRACES / 8,
          summary: /^Scaling in 8 → 7 \(step 1 of 3\): load has stayed below 8 replicas' worth for 90s; ~2,100 traces will be split\.$/,
        },
      },
      { atSeconds: 120, signals: low(8), want: { replicas: 7, summary: /^Scaling in 8 → 7 \(step 1 of 3\)/ } },
      { atSeconds: 150, signals: low(7), want: { replicas: 7, guards: ['scaleInWindow'], summary: /waits a full 90s after the ring changed to 7/ } },
      { atSeconds: 180, signals: low(7), want: { replicas: 7 } },
      { atSeconds: 210, signals: low(7), want: { replicas: 7 } },
      { atSeconds: 240, signals: low(7), want: { replicas: 6, estimatedBrokenTraces: HELD_TRACES / 7, summary: /^Scaling in 7 → 6 \(step 2 of 3\)/ } },
      { atSeconds: 270, signals: { currentReplicas: 7, acceptedSpansPerSecond: 8 * PER_REPLICA }, want: { replicas: 8, guards: [], summary: /^Scaling out 7 → 8/ } },
      // The bounce is among the load's recent readings: stepping in again would be undone by it (the dead band).
      { atSeconds: 300, signals: low(8), want: { replicas: 8, guards: ['loadNoise'], summary: /would be undone by the load's noise/ } },
    ]);
  });

  it('an HPA that removes one pod at a time: the step is asked for while it approaches, and is done once the rest is inside the HPA’s tolerance', () => {
    expectPolls([
      { atSeconds: 0, signals: low(20), want: { replicas: 20 } },
      { atSeconds: 90, signals: low(20), want: { replicas: 17 } },
      { atSeconds: 120, signals: low(19), want: { replicas: 17, summary: /^Scaling in 19 → 17 \(step 1 of/ } },
      { atSeconds: 150, signals: low(18), want: { replicas: 18, guards: ['scaleInWindow'], summary: /the ring changed to 18/ } },
      { atSeconds: 240, signals: low(18), want: { replicas: 16, summary: /^Scaling in 18 → 16 \(step 2 of/ } },
    ]);
  });

  it('a step the HPA ignores because the load allowed no wider one is re-planned once the load falls further, never repeated all night', () => {
    const fits = (current: number, replicas: number): SignalOverrides => ({ currentReplicas: current, acceptedSpansPerSecond: replicas * PER_REPLICA });
    expectPolls([
      { atSeconds: 0, signals: fits(20, 19), want: { replicas: 20, guards: ['scaleInWindow'] } },
      { atSeconds: 90, signals: fits(20, 19), want: { replicas: 19, withinHpaTolerance: true, summary: /^Holding at 20: 19 is inside the HPA's ±10%; load has stayed below 20 replicas' worth for /, reasons: /Holding at 20: 19 is inside the HPA's ±10%, so 20 → 19 will not happen/ } },
      { atSeconds: 120, signals: fits(20, 19), want: { replicas: 19, withinHpaTolerance: true } },
      { atSeconds: 150, signals: fits(20, 3), want: { replicas: 17, withinHpaTolerance: false, summary: /^Scaling in 20 → 17 \(step 1 of/ } },
      { atSeconds: 180, signals: fits(17, 3), want: { replicas: 17, guards: ['scaleInWindow'], summary: /the ring changed to 17/ } },
      { atSeconds: 270, signals: fits(17, 3), want: { replicas: 15, summary: /^Scaling in 17 → 15 \(step 2 of/ } },
    ]);
  });

  const stepCases: { name: string; input: { metadata: Record<string, string>; current: number; accepted: number }; want: DecisionWant }[] = [
    {
      name: 'a step of 3 is limited to 3 when load fits far fewer',
      input: { metadata: { scaleInStep: '3' }, current: 10, accepted: FITS_FIVE },
      want: { replicas: 7, guards: ['scaleInStep'], summary: /step 1 of 2/ },
    },
    {
      name: 'a step stops at what load needs, not at the step size',
      input: { metadata: { scaleInStep: '3' }, current: 10, accepted: 8 * PER_REPLICA },
      want: { replicas: 8, guards: ['scaleInStep'], summary: /step 1 of 1/ },
    },
    {
      name: 'from 10 or more replicas a one-replica step is widened just enough for the HPA to act (18/20 is inside its ±10%)',
      input: { metadata: {}, current: 20, accepted: FITS_FIVE },
      want: { replicas: 17, guards: ['scaleInStep'], withinHpaTolerance: false, reasons: /a step of 3 instead of scaleInStep 1, because the HPA ignores changes within ±10% of 20/ },
    },
    {
      name: 'a step is never widened past what the load allows; the HPA ignoring it is said instead',
      input: { metadata: {}, current: 20, accepted: 19 * PER_REPLICA },
      want: { replicas: 19, guards: ['scaleInStep', 'hpaTolerance'], withinHpaTolerance: true },
    },
    {
      name: 'a step never goes below minReplicas',
      input: { metadata: { scaleInStep: '20', minReplicas: '7' }, current: 10, accepted: 1_000 },
      want: { replicas: 7 },
    },
    {
      name: 'an explicit scaleInWindow replaces decisionWait + 60s',
      input: { metadata: { scaleInWindow: '5m' }, current: 10, accepted: FITS_FIVE },
      want: { replicas: 10, guards: ['scaleInWindow'], summary: /waits 3m30s more of its 5m window/ },
    },
  ];
  for (const row of stepCases) {
    it(row.name, () => {
      const polls = [0, 30, 60, 90].map((atSeconds) => ({ atSeconds, signals: { currentReplicas: row.input.current, acceptedSpansPerSecond: row.input.accepted }, want: {} }));
      const decisions = runPolls(polls, row.input.metadata);
      expectDecision(decisions.at(-1)!, row.want);
    });
  }

  const restarts: { name: string; interruption: SignalOverrides; want: DecisionWant }[] = [
    { name: 'a proposal reaching current', interruption: { currentReplicas: 10, acceptedSpansPerSecond: PEAK }, want: { guards: [] } },
    { name: 'a missing signal', interruption: { ...low(10), decisionLatencyP99Ms: 'missing' }, want: { guards: ['missingData'] } },
    { name: 'a backend bottleneck', interruption: { ...low(10), sendFailedSpansPerSecond: 4_000 }, want: { guards: ['backendBottleneck'] } },
  ];
  for (const row of restarts) {
    it(`the window restarts after ${row.name}`, () => {
      const decisions = runPolls([
        { atSeconds: 0, signals: low(10), want: {} },
        { atSeconds: 30, signals: low(10), want: {} },
        { atSeconds: 60, signals: row.interruption, want: {} },
        { atSeconds: 90, signals: low(10), want: {} },
        { atSeconds: 150, signals: low(10), want: {} },
      ]);
      expectDecision(decisions[2]!, { replicas: 10, ...row.want });
      expectDecision(decisions[3]!, { replicas: 10, summary: /waits 90s more of its 90s window/ });
      expectDecision(decisions[4]!, { replicas: 10, summary: /waits 30s more/ });
    });
  }

  it('the window restarts when the replica count changes without a step of ours (a ring change all the same)', () => {
    const decisions = runPolls([
      { atSeconds: 0, signals: low(10), want: {} },
      { atSeconds: 30, signals: low(10), want: {} },
      { atSeconds: 60, signals: low(11), want: {} },
      { atSeconds: 90, signals: low(11), want: {} },
    ]);
    expectDecision(decisions[2]!, { replicas: 11, summary: /waits 90s more/ });
    expectDecision(decisions[3]!, { replicas: 11, summary: /waits 60s more/ });
  });

  it('a gap in evaluations longer than staleAfter restarts the window (nobody watched the load)', () => {
    const decisions = runPolls([
      { atSeconds: 0, signals: low(10), want: {} },
      { atSeconds: 60, signals: low(10), want: {} },
      { atSeconds: 60 + 121, signals: low(10), want: {} },
    ]);
    expectDecision(decisions[2]!, { replicas: 10, summary: /waits 90s more/ });
  });

  it('the forecast keeps replicas for load it expects back within the lead time', () => {
    const band = { leadTimeSeconds: startupInUse(settings(), undefined).leadTimeSeconds, pointSpansPerSecond: PEAK, upperSpansPerSecond: PEAK * 1.2, quantile: 0.9, fittedAtMs: T0_MS, model: 'seasonal' };
    const decisions = runPolls(
      [0, 30, 60, 90, 120, 150].map((atSeconds) => ({ atSeconds, signals: low(10), want: {} })),
      {},
      { forecast: { kind: 'available', band } },
    );
    for (const decision of decisions) expectDecision(decision, { replicas: 10, notGuards: ['scaleInWindow', 'scaleInStep'] });
  });

  it('dry-run answers current throughout a descent while recording the step it would take', () => {
    const decisions = runPolls(
      [0, 30, 60, 90, 120].map((atSeconds) => ({ atSeconds, signals: low(10), want: {} })),
      { mode: 'dry-run' },
    );
    expect(decisions.map((decision) => decision.replicas)).toEqual([10, 10, 10, 10, 10]);
    expect(decisions.map((decision) => decision.recommended)).toEqual([10, 10, 10, 8, 8]);
    expect(decisions[3]!.summary).toMatch(/^Would scale in 10 → 8 \(step 1 of 3\) \(dry run, answering 10\)/);
  });
});

describe('repeated evaluation within one poll (GetMetrics then IsActive, several scaler replicas)', () => {
  it('deciding the same snapshot twice gives the same answer and the step comes at the same poll', () => {
    const target = settings();
    let once: PolicyState | undefined;
    let twice: PolicyState | undefined;
    for (const atSeconds of [0, 30, 60, 90, 120]) {
      const nowMs = T0_MS + atSeconds * 1000;
      const shot = snapshot({ signals: { ...low(10), tracesOnMemory: HELD_TRACES }, observedAtMs: nowMs });
      const single = decide({ nowMs, snapshot: shot }, target, once);
      once = single.state;
      const first = decide({ nowMs, snapshot: shot }, target, twice);
      const second = decide({ nowMs: nowMs + 40, snapshot: shot }, target, first.state);
      twice = second.state;
      expect(first.decision.summary).toBe(single.decision.summary);
      expect(second.decision.recommended, `poll at ${atSeconds}s`).toBe(single.decision.recommended);
      expect(second.decision.summary, `poll at ${atSeconds}s`).toBe(single.decision.summary);
    }
  });

  it('a repeated snapshot is compared with the same earlier one, so a backend trend still holds on the second call', () => {
    const target = settings();
    const before = snapshot({ signals: { queueFillMax: 0.4, sentSpansPerSecond: 8_000, sendFailedSpansPerSecond: 100 }, observedAtMs: T0_MS - 30_000 });
    const now = snapshot({ signals: { queueFillMax: 0.55, sentSpansPerSecond: 8_100, sendFailedSpansPerSecond: 300 }, observedAtMs: T0_MS });
    const base = decide({ nowMs: T0_MS - 30_000, snapshot: before }, target).state;
    const first = decide({ nowMs: T0_MS, snapshot: now }, target, base);
    const second = decide({ nowMs: T0_MS + 40, snapshot: now }, target, first.state);
    expectDecision(first.decision, { guards: ['backendBottleneck'] });
    expectDecision(second.decision, { guards: ['backendBottleneck'] });
  });

  it('an older snapshot arriving after a newer one neither breaks the trend nor the window', () => {
    const target = settings();
    const newer = decide({ nowMs: T0_MS, snapshot: snapshot({ signals: low(10), observedAtMs: T0_MS }) }, target).state;
    const late = decide({ nowMs: T0_MS - 500, snapshot: snapshot({ signals: low(10), observedAtMs: T0_MS - 30_000 }) }, target, newer);
    expect(late.state.trend).toEqual(newer.trend);
    expect(late.state.scaleIn.windowStartMs).toBe(newer.scaleIn.windowStartMs);
    expect(late.state.evaluatedAtMs).toBe(T0_MS);
  });
});
