import { describe, expect, it } from 'vitest';
import type { CapacityEstimate } from '../../src/policy/capacity-estimate.ts';
import { decide } from '../../src/policy/decide.ts';
import { RECENT_PEAK_WINDOW_SECONDS, recentPeak } from '../../src/policy/load-peaks.ts';
import { LOAD_SAMPLES } from '../../src/policy/load-variation.ts';
import { type LearnedFigures, rebuildPolicyState, stateHorizonSeconds } from '../../src/policy/rebuild-state.ts';
import { expectDecision, learnedCapacity, settings, snapshot, T0_MS } from './policy-fixtures.ts';

const STEP_MS = 30_000;
const target = settings({ scaleInWindow: '90s' });

/** A quiet tier (load fits 2 of 6) for `steps` grid steps from T0, with a burst of `burstSteps` steps from step `burstAt`. */
function history(steps: number, burstAt?: number, burstSteps = 1) {
  const inBurst = (step: number) => burstAt !== undefined && step >= burstAt && step < burstAt + burstSteps;
  return Array.from({ length: steps }, (_, step) =>
    snapshot({ observedAtMs: T0_MS + step * STEP_MS, signals: { acceptedSpansPerSecond: inBurst(step) ? 150_000 : 20_000 } }),
  );
}

describe('rebuildPolicyState', () => {
  it('gives the state that deciding every step in turn gives: a fold, not an approximation', () => {
    const snapshots = history(12, 3);
    let kept: ReturnType<typeof decide>['state'] | undefined;
    for (const shot of snapshots) kept = decide({ nowMs: shot.observedAtMs, snapshot: shot }, target, kept).state;
    expect(rebuildPolicyState(snapshots, target, {})).toEqual(kept);
  });

  it('a fold continued from an earlier fold equals one fold over all the steps', () => {
    const snapshots = history(12, 3);
    const whole = rebuildPolicyState(snapshots, target, {});
    const continued = rebuildPolicyState(snapshots.slice(5), target, {}, rebuildPolicyState(snapshots.slice(0, 5), target, {}));
    expect(continued).toEqual(whole);
  });

  it('a rebuilt state keeps a load level held within the hour: the next decision keeps room for it', () => {
    // Held for half the load readings, and past the last of them by the time of the decision.
    const rebuilt = rebuildPolicyState(history(40, 3, Math.ceil(LOAD_SAMPLES / 2)), target, {});
    const now = T0_MS + 40 * STEP_MS;
    const decision = decide({ nowMs: now, snapshot: snapshot({ observedAtMs: now, signals: { acceptedSpansPerSecond: 20_000 } }) }, target, rebuilt).decision;
    const fresh = decide({ nowMs: now, snapshot: snapshot({ observedAtMs: now, signals: { acceptedSpansPerSecond: 20_000 } }) }, target).decision;
    expect(decision.recommended).toBeGreaterThan(fresh.recommended);
    expect(decision.recommended).toBe(Math.ceil(150_000 / (20_000 * 0.9)));
  });

  it('a rebuilt scale-in window continues where the history left it: a step once it has lasted scaleInWindow', () => {
    const rebuilt = rebuildPolicyState(history(4), target, {});
    const now = T0_MS + 4 * STEP_MS;
    const decision = decide({ nowMs: now, snapshot: snapshot({ observedAtMs: now, signals: { acceptedSpansPerSecond: 20_000 } }) }, target, rebuilt).decision;
    expect(decision.recommended).toBe(5);
    expect(decision.guards.map((guard) => guard.name)).toContain('scaleInStep');
  });

  describe('decides past steps with the learned figures the live decision uses', () => {
    /** `steps` grid steps of a steady load on the fixture's 6 gateways, then the live decision one step later at `nowLoad`. */
    function liveAfterFold(load: number, nowLoad: number, foldedWith: LearnedFigures, capacity: CapacityEstimate) {
      const steps = 4;
      const snapshots = Array.from({ length: steps }, (_, step) => snapshot({ observedAtMs: T0_MS + step * STEP_MS, signals: { acceptedSpansPerSecond: load } }));
      const now = T0_MS + steps * STEP_MS;
      const live = snapshot({ observedAtMs: now, signals: { acceptedSpansPerSecond: nowLoad } });
      return decide({ nowMs: now, snapshot: live, capacity }, target, rebuildPolicyState(snapshots, target, foldedWith)).decision;
    }

    it('a learned capacity above the trigger\'s: the window the live decision would open has run its course, and the tier steps in', () => {
      // 80k spans/s needs 6 at the trigger's 20k × 0.7 and 4 at a learned 30k.
      const capacity = learnedCapacity(30_000);
      expectDecision(liveAfterFold(80_000, 80_000, { capacity }, capacity), { recommended: 5, guards: ['scaleInStep'] });
      // Folded on the trigger's figure the window never opened, so every poll starts it afresh and holds.
      expectDecision(liveAfterFold(80_000, 80_000, {}, capacity), { recommended: 6, guards: ['scaleInWindow'] });
    });

    it('a learned capacity below the trigger\'s: no window opened by the trigger\'s figure lets the tier step in without one', () => {
      // 60k spans/s needs 5 of 6 at the trigger's 20k × 0.7 but all 6 at a learned 15k; then the load falls to 50k (5 at 15k).
      const capacity = learnedCapacity(15_000);
      expectDecision(liveAfterFold(60_000, 50_000, { capacity }, capacity), { recommended: 6, guards: ['scaleInWindow'] });
      expectDecision(liveAfterFold(60_000, 50_000, {}, capacity), { recommended: 5, guards: ['scaleInStep'] });
    });
  });

  it('skips steps without a gateway count instead of failing the fold', () => {
    const snapshots = [...history(3), snapshot({ observedAtMs: T0_MS + 3 * STEP_MS, signals: { currentReplicas: 'missing' } })];
    expect(rebuildPolicyState(snapshots, target, {})?.evaluatedAtMs).toBe(T0_MS + 2 * STEP_MS);
  });

  it("a fold from the horizon keeps the same room as one from long before: a level held as the hour's window opens is the median of readings older than the window", () => {
    const target30s = settings({ scaleInWindow: '90s', pollingInterval: '30s' });
    const steps = 200;
    const nowMs = T0_MS + steps * STEP_MS;
    // High for 26 readings that end five before the hour's window opens: the level at its oldest instant is high.
    const highFrom = steps - 150;
    const snapshots = Array.from({ length: steps + 1 }, (_, step) =>
      snapshot({ observedAtMs: T0_MS + step * STEP_MS, signals: { acceptedSpansPerSecond: step >= highFrom && step < highFrom + 26 ? 150_000 : 20_000 } }),
    );
    const fromHorizon = snapshots.filter((shot) => shot.observedAtMs >= nowMs - stateHorizonSeconds(target30s) * 1000);
    const whole = rebuildPolicyState(snapshots, target30s, {});
    const rebuilt = rebuildPolicyState(fromHorizon, target30s, {});
    expect(recentPeak(whole?.loadPeaks ?? [])?.spansPerSecond).toBe(150_000);
    expect(recentPeak(rebuilt?.loadPeaks ?? [])).toEqual(recentPeak(whole?.loadPeaks ?? []));
  });

  it('reaches back over the recent-peak hour and the readings of its oldest level, or two scale-in windows when those are longer', () => {
    expect(stateHorizonSeconds(settings({ scaleInWindow: '90s', pollingInterval: '30s' }))).toBe(RECENT_PEAK_WINDOW_SECONDS + (LOAD_SAMPLES - 1) * 30);
    expect(stateHorizonSeconds(settings({ scaleInWindow: '2h', staleAfter: '2m' }))).toBe(2 * 7200 + 120);
  });
});
