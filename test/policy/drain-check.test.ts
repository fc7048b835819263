import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.ts';
import { checkDrain, type DrainEvidence, preStopSecondsFor } from '../../src/policy/drain-check.ts';
import { settings, snapshot, T0_MS } from './policy-fixtures.ts';

describe('checkDrain', () => {
  const dropping = { dropPendingTracesOnShutdown: 'true' };
  const rows: { name: string; metadata: Record<string, string>; want: { tooShort: boolean; reresolveSeconds: number; neededSeconds: number; preStopSeconds: number } }[] = [
    { name: 'deciding gateways need the agents to re-resolve: DNS interval 5 s + kubeadm\'s DNS TTL 30 s, so the example drains 40 s', metadata: { decisionWait: '30s', scaleInDrain: '40s' }, want: { tooShort: false, reresolveSeconds: 35, neededSeconds: 35, preStopSeconds: 40 } },
    { name: 'deciding gateways: a drain shorter than decision_wait is enough', metadata: { decisionWait: '60s', scaleInDrain: '35s' }, want: { tooShort: false, reresolveSeconds: 35, neededSeconds: 35, preStopSeconds: 40 } },
    { name: 'deciding gateways: a drain covering the DNS interval but not the TTL breaks traces', metadata: { decisionWait: '30s', scaleInDrain: '10s' }, want: { tooShort: true, reresolveSeconds: 35, neededSeconds: 35, preStopSeconds: 40 } },
    { name: "deciding gateways: with the kubernetes plugin's own 5 s TTL, 10 s is enough", metadata: { decisionWait: '30s', scaleInDrain: '10s', dnsTtl: '5s' }, want: { tooShort: false, reresolveSeconds: 10, neededSeconds: 10, preStopSeconds: 15 } },
    { name: 'deciding gateways: an uncached answer (TTL 0) needs the interval only', metadata: { decisionWait: '30s', scaleInDrain: '5s', dnsTtl: '0s' }, want: { tooShort: false, reresolveSeconds: 5, neededSeconds: 5, preStopSeconds: 10 } },
    { name: 'deciding gateways: a longer resolver interval needs a longer drain', metadata: { decisionWait: '30s', scaleInDrain: '40s', dnsResolverInterval: '30s' }, want: { tooShort: true, reresolveSeconds: 60, neededSeconds: 60, preStopSeconds: 65 } },
    { name: 'dropping gateways: decision_wait 30 s, drain 70 s covers 30 + 5 + 30', metadata: { ...dropping, decisionWait: '30s', scaleInDrain: '70s' }, want: { tooShort: false, reresolveSeconds: 35, neededSeconds: 65, preStopSeconds: 70 } },
    { name: 'dropping gateways: decision_wait 60 s with a 40 s drain breaks traces', metadata: { ...dropping, decisionWait: '60s', scaleInDrain: '40s' }, want: { tooShort: true, reresolveSeconds: 35, neededSeconds: 95, preStopSeconds: 100 } },
    { name: 'dropping gateways: a drain exactly decision_wait + the re-resolve is enough', metadata: { ...dropping, decisionWait: '10s', scaleInDrain: '15s', dnsTtl: '0s' }, want: { tooShort: false, reresolveSeconds: 5, neededSeconds: 15, preStopSeconds: 20 } },
    { name: 'no drain stated: nothing to judge', metadata: { ...dropping, decisionWait: '60s' }, want: { tooShort: false, reresolveSeconds: 35, neededSeconds: 95, preStopSeconds: 100 } },
  ];
  for (const row of rows) it(row.name, () => expect(checkDrain(settings(row.metadata))).toMatchObject(row.want));

  it('says the preStop to set, and why, for gateways that drop what they hold', () => {
    expect(checkDrain(settings({ ...dropping, decisionWait: '60s', scaleInDrain: '40s' })).sentence).toBe(
      "scale-in drain 40s is shorter than decision_wait 60s + the agents' re-resolve 35s (DNS interval 5s + DNS TTL 30s), since they drop the traces they hold when stopped (dropPendingTracesOnShutdown): every scale-in breaks the traces the removed gateways still hold; set the gateways' preStop sleep to 100s (terminationGracePeriodSeconds above it) and scaleInDrain to match",
    );
  });

  it('says the preStop to set, and why, for gateways that decide what they hold', () => {
    expect(checkDrain(settings({ decisionWait: '60s', scaleInDrain: '2s', dnsTtl: '5s' })).sentence).toBe(
      "scale-in drain 2s is shorter than the agents' re-resolve 10s (DNS interval 5s + DNS TTL 5s): every scale-in breaks the traces whose spans the agents still send to the removed gateways; set the gateways' preStop sleep to 15s (terminationGracePeriodSeconds above it) and scaleInDrain to match",
    );
  });
});

describe('checkDrain with the builds the gateways report', () => {
  const contrib = (version: string, gateways = 3) => ({ name: 'otelcol-contrib', version, gateways });
  const rows: { name: string; metadata?: Record<string, string>; builds: DrainEvidence['builds']; want: { dropsPendingTraces: boolean; droppingBuild: string | undefined; neededSeconds: number } }[] = [
    { name: 'an upstream release before 0.141.0 drops pending traces though the trigger says it decides them', builds: [contrib('0.140.0')], want: { dropsPendingTraces: true, droppingBuild: 'otelcol-contrib 0.140.0 (3 gateways)', neededSeconds: 65 } },
    { name: 'a v-prefixed release is read the same', builds: [{ name: 'otelcol-k8s', version: 'v0.120.1', gateways: 1 }], want: { dropsPendingTraces: true, droppingBuild: 'otelcol-k8s v0.120.1 (1 gateway)', neededSeconds: 65 } },
    { name: '0.141.0 has the option: the trigger says what it is set to', builds: [contrib('0.141.0')], want: { dropsPendingTraces: false, droppingBuild: undefined, neededSeconds: 35 } },
    { name: 'during a rolling upgrade the oldest release still running decides', builds: [contrib('0.161.0', 2), contrib('0.138.0', 1), contrib('0.139.0', 1)], want: { dropsPendingTraces: true, droppingBuild: 'otelcol-contrib 0.138.0 (1 gateway)', neededSeconds: 65 } },
    { name: "a distribution of one's own says nothing certain about its processor's release", builds: [{ name: 'otelcol-gateway', version: '0.120.0', gateways: 3 }], want: { dropsPendingTraces: false, droppingBuild: undefined, neededSeconds: 35 } },
    { name: 'a version that is no release (a dev build of core) is not read', builds: [{ name: 'otelcol-contrib', version: 'dev', gateways: 3 }], want: { dropsPendingTraces: false, droppingBuild: undefined, neededSeconds: 35 } },
    { name: 'a trigger that already says they drop keeps its own reason', metadata: { dropPendingTracesOnShutdown: 'true' }, builds: [contrib('0.140.0')], want: { dropsPendingTraces: true, droppingBuild: undefined, neededSeconds: 65 } },
    { name: 'builds not read: the trigger alone', builds: undefined, want: { dropsPendingTraces: false, droppingBuild: undefined, neededSeconds: 35 } },
  ];
  for (const row of rows) {
    it(row.name, () => expect(checkDrain(settings({ decisionWait: '30s', scaleInDrain: '40s', ...row.metadata }), { builds: row.builds })).toMatchObject({ ...row.want, tooShort: row.want.neededSeconds > 40 }));
  }

  it('names the release and why the trigger does not hold for it', () => {
    expect(checkDrain(settings({ decisionWait: '30s', scaleInDrain: '40s' }), { builds: [contrib('0.140.0', 2)] }).sentence).toBe(
      "scale-in drain 40s is shorter than decision_wait 30s + the agents' re-resolve 35s (DNS interval 5s + DNS TTL 30s), since otelcol-contrib 0.140.0 (2 gateways) drops the traces it holds when stopped, as every release before 0.141.0 does whatever dropPendingTracesOnShutdown says: every scale-in breaks the traces the removed gateways still hold; set the gateways' preStop sleep to 70s (terminationGracePeriodSeconds above it) and scaleInDrain to match",
    );
  });
});

describe('checkDrain with the re-resolve scale-ins showed', () => {
  const learned = (seconds: number, observations = 6) => ({ kind: 'learned' as const, seconds, medianSeconds: seconds - 10, observations, fromMs: T0_MS - 86_400_000, toMs: T0_MS });
  const rows: { name: string; metadata: Record<string, string>; reresolve: DrainEvidence['reresolve']; want: { reresolveSource: 'learned' | 'trigger'; reresolveSeconds: number; neededSeconds: number; preStopSeconds: number; tooShort: boolean } }[] = [
    { name: 'a DNS cache longer than the trigger states: the learned figure asks for more', metadata: { decisionWait: '30s', scaleInDrain: '40s' }, reresolve: learned(62), want: { reresolveSource: 'learned', reresolveSeconds: 62, neededSeconds: 62, preStopSeconds: 67, tooShort: true } },
    { name: 'scale-ins that showed less than the trigger states do not shorten the drain: they may have met a fresh cache', metadata: { decisionWait: '30s', scaleInDrain: '20s' }, reresolve: learned(15), want: { reresolveSource: 'trigger', reresolveSeconds: 35, neededSeconds: 35, preStopSeconds: 40, tooShort: true } },
    { name: 'dropping gateways add decision_wait to the learned figure', metadata: { dropPendingTracesOnShutdown: 'true', decisionWait: '30s', scaleInDrain: '70s' }, reresolve: learned(45), want: { reresolveSource: 'learned', reresolveSeconds: 45, neededSeconds: 75, preStopSeconds: 80, tooShort: true } },
    { name: 'too few scale-ins seen: the trigger stands', metadata: { decisionWait: '30s', scaleInDrain: '40s' }, reresolve: { kind: 'insufficient', reason: "only 2 gateways seen leaving the agents' rings after a scale-in; 3 needed", observations: 2 }, want: { reresolveSource: 'trigger', reresolveSeconds: 35, neededSeconds: 35, preStopSeconds: 40, tooShort: false } },
  ];
  for (const row of rows) it(row.name, () => expect(checkDrain(settings(row.metadata), { reresolve: row.reresolve })).toMatchObject(row.want));

  it('says where the re-resolve came from and what the trigger says', () => {
    expect(checkDrain(settings({ decisionWait: '30s', scaleInDrain: '40s' }), { reresolve: learned(62, 7) }).sentence).toBe(
      "scale-in drain 40s is shorter than the agents' re-resolve 62s (learned from 7 gateways seen leaving the agents' rings after scale-ins, p90; the trigger says 35s: DNS interval 5s + DNS TTL 30s): every scale-in breaks the traces whose spans the agents still send to the removed gateways; set the gateways' preStop sleep to 67s (terminationGracePeriodSeconds above it) and scaleInDrain to match",
    );
  });

  it('says what a drain that is long enough covers', () => {
    expect(checkDrain(settings({ decisionWait: '30s', scaleInDrain: '40s' }), { reresolve: learned(31, 3) }).sentence).toBe(
      "scale-in drain 40s covers the agents' re-resolve 35s (DNS interval 5s + DNS TTL 30s; scale-ins showed 31s, 3 gateways seen leaving the agents' rings after scale-ins, p90, which does not shorten it)",
    );
    expect(checkDrain(settings({ decisionWait: '30s', scaleInDrain: '40s', dnsTtl: '0s' }), { reresolve: learned(31, 3) }).sentence).toBe(
      "scale-in drain 40s covers the agents' re-resolve 31s (learned from 3 gateways seen leaving the agents' rings after scale-ins, p90; the trigger says 5s: DNS interval 5s + DNS TTL 0s)",
    );
    expect(checkDrain(settings({ decisionWait: '30s', scaleInDrain: '40s' })).sentence).toBe("scale-in drain 40s covers the agents' re-resolve 35s (DNS interval 5s + DNS TTL 30s)");
  });

  it('keeps the preStop the example derives from the trigger alone', () => {
    expect(preStopSecondsFor(settings({ decisionWait: '30s' }))).toBe(40);
  });
});

describe('decide() and the drain', () => {
  it('judges the drain by the builds the gateways report, not only by the trigger', () => {
    const target = settings({ decisionWait: '30s', scaleInDrain: '40s' });
    const upgraded = decide({ nowMs: T0_MS, snapshot: snapshot({ observedAtMs: T0_MS, builds: [{ name: 'otelcol-contrib', version: '0.161.0', gateways: 4 }] }) }, target).decision;
    expect(upgraded.guards.map((guard) => guard.name)).not.toContain('drainTooShort');
    const old = decide({ nowMs: T0_MS, snapshot: snapshot({ observedAtMs: T0_MS, builds: [{ name: 'otelcol-contrib', version: '0.140.0', gateways: 4 }] }) }, target).decision;
    expect(old.guards).toContainEqual(expect.objectContaining({ name: 'drainTooShort', effect: 'note' }));
    expect(old.drain).toMatchObject({ droppingBuild: 'otelcol-contrib 0.140.0 (4 gateways)', preStopSeconds: 70 });
    expect(old.recommended).toBe(upgraded.recommended);
  });

  it('notes drainTooShort on every decision while the drain is too short, even when holding', () => {
    const { decision } = decide({ nowMs: T0_MS, snapshot: snapshot({ observedAtMs: T0_MS }) }, settings({ dropPendingTracesOnShutdown: 'true', decisionWait: '60s', scaleInDrain: '40s' }));
    expect(decision.recommended).toBe(decision.current);
    expect(decision.guards).toContainEqual(expect.objectContaining({ name: 'drainTooShort', effect: 'note' }));
    expect(decision.reasons.some((reason) => reason.includes('preStop sleep to 100s'))).toBe(true);
    expect(decision.drain).toMatchObject({ drainSeconds: 40, tooShort: true, preStopSeconds: 100 });
  });

  it('says nothing about a drain that is long enough', () => {
    const { decision } = decide({ nowMs: T0_MS, snapshot: snapshot({ observedAtMs: T0_MS }) }, settings({ decisionWait: '30s', scaleInDrain: '40s' }));
    expect(decision.drain.tooShort).toBe(false);
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
      "Scale-in drain unknown (scaleInDrain not set): a removed gateway needs at least decision_wait 60s + the agents' re-resolve 35s (DNS interval 5s + DNS TTL 30s), since they drop the traces they hold when stopped (dropPendingTracesOnShutdown); set the gateways' preStop sleep to 100s (terminationGracePeriodSeconds above it) and scaleInDrain to match.",
    );
  });
});
