// What an alert says the scaler did must agree with the decision's own summary, also when the HPA
// will ignore the recommendation: then the tier holds, and both say so.
import { describe, expect, it } from 'vitest';
import { describeScalerAction } from '../../src/alerts/rules/scaler-action.ts';
import { decide } from '../../src/policy/decide.ts';
import { settings, snapshot, T0_MS } from '../policy/policy-fixtures.ts';

describe('describeScalerAction', () => {
  const insideTolerance = (mode: 'enforce' | 'dry-run') =>
    decide({ nowMs: T0_MS, snapshot: snapshot({ signals: { currentReplicas: 20, acceptedSpansPerSecond: 290_000, sentSpansPerSecond: 29_000 } }) }, settings({ mode })).decision;
  const outsideTolerance = decide({ nowMs: T0_MS, snapshot: snapshot({ signals: { currentReplicas: 20, acceptedSpansPerSecond: 420_000, sentSpansPerSecond: 42_000 } }) }, settings()).decision;

  it('a recommendation inside the HPA tolerance is a hold, in the same words as the summary', () => {
    const decision = insideTolerance('enforce');
    expect(decision.withinHpaTolerance).toBe(true);
    expect(decision.summary).toMatch(/^Holding at 20: 21 is inside the HPA's ±10%/);
    expect(describeScalerAction(decision, false)).toBe("Held at 20 replicas: 21 is inside the HPA's ±10%, so the HPA does not act on it.");
    expect(describeScalerAction(insideTolerance('dry-run'), true)).toBe("Advisory only: recommends keeping 20 replicas (21 is inside the HPA's ±10%); nothing was changed.");
  });

  it('a change the HPA acts on is reported as asked', () => {
    expect(outsideTolerance.withinHpaTolerance).toBe(false);
    expect(outsideTolerance.summary).toMatch(/^Scaling out 20 → /);
    expect(describeScalerAction(outsideTolerance, false)).toMatch(/^Asked KEDA for \d+ replicas \(running 20\)\.$/);
  });
});
