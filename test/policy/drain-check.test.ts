import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.ts';
import { checkDrain, describeDrain } from '../../src/policy/drain-check.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

describe('checkDrain', () => {
  const dropping = { dropPendingTracesOnShutdown: 'true' };
  const rows: { name: string; metadata: Record<string, string>; want: { tooShort: boolean; neededSeconds: number; preStopSeconds: number } }[] = [
    { name: 'gateways that decide pending traces when stopped need the DNS interval only: the example drains 10 s', metadata: { decisionWait: '30s', scaleInDrain: '10s' }, want: { tooShort: false, neededSeconds: 5, preStopSeconds: 10 } },
    { name: 'deciding gateways: a drain shorter than decision_wait is enough', metadata: { decisionWait: '60s', scaleInDrain: '5s' }, want: { tooShort: false, neededSeconds: 5, preStopSeconds: 10 } },
    { name: 'deciding gateways stopped before the agents re-resolve break traces', metadata: { decisionWait: '30s', scaleInDrain: '2s' }, want: { tooShort: true, neededSeconds: 5, preStopSeconds: 10 } },
    { name: 'dropping gateways: decision_wait 30 s, drain 40 s covers 30 + 5', metadata: { ...dropping, decisionWait: '30s', scaleInDrain: '40s' }, want: { tooShort: false, neededSeconds: 35, preStopSeconds: 40 } },
    { name: 'dropping gateways: decision_wait 60 s with a 40 s drain breaks traces', metadata: { ...dropping, decisionWait: '60s', scaleInDrain: '40s' }, want: { tooShort: true, neededSeconds: 65, preStopSeconds: 70 } },
    { name: 'dropping gateways: a drain exactly decision_wait + DNS is enough', metadata: { ...dropping, decisionWait: '10s', scaleInDrain: '15s' }, want: { tooShort: false, neededSeconds: 15, preStopSeconds: 20 } },
    { name: 'no drain stated: nothing to judge', metadata: { ...dropping, decisionWait: '60s' }, want: { tooShort: false, neededSeconds: 65, preStopSeconds: 70 } },
  ];
  for (const row of rows) it(row.name, () => expect(checkDrain(settings(row.metadata))).toMatchObject(row.want));

  it('says the preStop to set, and why, for gateways that drop what they hold', () => {
    expect(describeDrain(checkDrain(settings({ ...dropping, decisionWait: '60s', scaleInDrain: '40s' })))).toBe(
      "scale-in drain 40s is shorter than decision_wait 60s + the agents' DNS interval 5s, since they drop the traces they hold when stopped (dropPendingTracesOnShutdown): every scale-in breaks the traces the removed gateways still hold; set the gateways' preStop sleep to 70s (terminationGracePeriodSeconds above it) and scaleInDrain to match",
    );
  });

  it('says the preStop to set, and why, for gateways that decide what they hold', () => {
    expect(describeDrain(checkDrain(settings({ decisionWait: '60s', scaleInDrain: '2s' })))).toBe(
      "scale-in drain 2s is shorter than the agents' DNS interval 5s: every scale-in breaks the traces whose spans the agents still send to the removed gateways; set the gateways' preStop sleep to 10s (terminationGracePeriodSeconds above it) and scaleInDrain to match",
    );
  });
});

describe('decide() and the drain', () => {
  it('notes drainTooShort on every decision while the drain is too short, even when holding', () => {
    const { decision } = decide({ nowMs: T0_MS, snapshot: snapshot({ observedAtMs: T0_MS }) }, settings({ dropPendingTracesOnShutdown: 'true', decisionWait: '60s', scaleInDrain: '40s' }));
    expect(decision.recommended).toBe(decision.current);
    expect(decision.guards).toContainEqual(expect.objectContaining({ name: 'drainTooShort', effect: 'note' }));
    expect(decision.reasons.some((reason) => reason.includes('preStop sleep to 70s'))).toBe(true);
    expect(decision.drain).toMatchObject({ drainSeconds: 40, tooShort: true, preStopSeconds: 70 });
  });

  it('says nothing about a drain that is long enough', () => {
    const { decision } = decide({ nowMs: T0_MS, snapshot: snapshot({ observedAtMs: T0_MS }) }, settings({ decisionWait: '30s', scaleInDrain: '40s' }));
    expect(decision.guards.map((guard) => guard.name)).not.toContain('drainTooShort');
    expect(decision.reasons.join(' ')).not.toMatch(/drain/);
  });

  it('says on a scale-in step that the drain is unknown and what it must be, when no drain is stated', () => {
    // 8 gateways carrying what 5 carry at target utilization: after the 90 s window, one step in.
    const low = { currentReplicas: 8, acceptedSpansPerSecond: 5 * 20_000 * 0.7, tracesOnMemory: 17_000 };
    const target = settings({ dropPendingTracesOnShutdown: 'true', decisionWait: '60s', scaleInWindow: '90s' });
    let state: Parameters<typeof decide>[2];
    let last: ReturnType<typeof decide>['decision'] | undefined;
    for (const atSeconds of [0, 30, 60, 90]) {
      const nowMs = T0_MS + atSeconds * 1000;
      const result = decide({ nowMs, snapshot: snapshot({ signals: low, observedAtMs: nowMs }) }, target, state);
      state = result.state;
      last = result.decision;
      if (atSeconds < 90) expect(result.decision.reasons.join(' ')).not.toMatch(/drain/);
    }
    expect(last!.recommended).toBe(7);
    expect(last!.reasons).toContain(
      "Scale-in drain unknown (scaleInDrain not set): a removed gateway needs at least decision_wait 60s + the agents' DNS interval 5s, since they drop the traces they hold when stopped (dropPendingTracesOnShutdown); set the gateways' preStop sleep to 70s (terminationGracePeriodSeconds above it) and scaleInDrain to match.",
    );
  });
});
