import { describe, expect, it } from 'vitest';
import { initialReplicas, WhatIfReplay } from '../../src/advisor/what-if.ts';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { decide } from '../../src/policy/decide.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import { startDemoFleet } from '../../src/sim/demo-fleet.ts';

/** A wall clock the test moves by hand. */
function manualClock(startMs: number) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const wallStart = Date.parse('2026-03-02T09:00:00Z');

describe('startDemoFleet', () => {
  it('starts with simulated history, so forecasts and replays have data at once', async () => {
    const clock = manualClock(wallStart);
    const demo = startDemoFleet({ nowMs: clock.now, tickMs: 0, warmupDays: 1 });
    const settings = parseTargetMetadata(demo.metadata);
    const history = await demo.source.readAcceptedSpansHistory(demo.target, settings, { startMs: wallStart - 86_400_000 + 300_000, endMs: wallStart, stepSeconds: 300 });
    expect(history).toHaveLength(288);
    expect(Math.max(...history.map((s) => s.value))).toBeGreaterThan(3 * Math.min(...history.map((s) => s.value)));
    demo.stop();
  });

  it('keeps past snapshots as complete as live ones, so a what-if replay over its history can scale in', async () => {
    const clock = manualClock(wallStart);
    const demo = startDemoFleet({ nowMs: clock.now, tickMs: 0, warmupDays: 1 });
    const settings = parseTargetMetadata(demo.metadata);
    // The dashboard's default what-if step: the target's pollingInterval.
    const stepSeconds = settings.pollingIntervalSeconds;
    const window = { startMs: wallStart - 12 * 3_600_000, endMs: wallStart, stepSeconds };
    const snapshots = await demo.source.readRange(demo.target, settings, window);
    const byGatewayMissing = snapshots.filter((s) => s.acceptedSpansPerSecondByGateway.kind !== 'ok').map((s) => new Date(s.observedAtMs).toISOString());
    expect(byGatewayMissing).toEqual([]);
    const replay = new WhatIfReplay(settings, stepSeconds, initialReplicas(snapshots));
    for (const snapshot of snapshots) replay.add(snapshot);
    const result = replay.result();
    expect(result.replay.scaleIns).toBeGreaterThan(0);
    expect(result.replay.scaleOuts).toBeGreaterThan(0);
    demo.stop();
  });

  it('runs simSpeed times faster than the wall clock and polls every pollingInterval of simulated time', async () => {
    const clock = manualClock(wallStart);
    const polls: number[] = [];
    const demo = startDemoFleet({ nowMs: clock.now, tickMs: 0, warmupDays: 0, simSpeed: 60, poll: async (simulatedNowMs) => void polls.push(simulatedNowMs) });
    clock.advance(2000);
    expect(demo.simulatedNowMs()).toBe(wallStart + 120_000);
    await demo.advance();
    expect(demo.status().simulatedNowMs).toBe(wallStart + 120_000);
    expect(polls.map((t) => (t - wallStart) / 1000)).toEqual([0, 30, 60, 90]);
    demo.stop();
  });

  it("closes the loop: the scaler's answers drive the replicas through the example ScaledObject's HPA", async () => {
    const clock = manualClock(wallStart);
    const demo = startDemoFleet({ nowMs: clock.now, tickMs: 0, warmupDays: 0, poll: async () => 40 });
    const before = demo.status().replicas;
    expect(before).toBeLessThan(20);
    // 250 ms of wall clock = 15 simulated seconds: one HPA sync, limited to max(+100 %, +4 pods).
    clock.advance(250);
    await demo.advance();
    expect(demo.status().replicas).toBe(Math.max(2 * before, before + 4));
    clock.advance(250);
    await demo.advance();
    expect(demo.status().replicas).toBe(40);
    demo.stop();
  });

  it('follows decide() itself when the poll runs it on the demo signals', async () => {
    const clock = manualClock(wallStart);
    let state: PolicyState | undefined;
    const demo = startDemoFleet({
      nowMs: clock.now,
      tickMs: 0,
      warmupDays: 1,
      poll: async (nowMs) => {
        const settings = parseTargetMetadata(demo.metadata);
        const result = decide({ nowMs, snapshot: demo.source.snapshotAt(nowMs, settings) }, settings, state);
        state = result.state;
        return result.decision.replicas;
      },
    });
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      await demo.advance();
    }
    const status = demo.status();
    expect(status.ringReplicas * 20_000).toBeGreaterThan(status.offeredSpansPerSecond);
    demo.stop();
  });

  it('has one backend outage per simulated day, and the exposition shows its send failures', async () => {
    const clock = manualClock(wallStart);
    const demo = startDemoFleet({ nowMs: clock.now, tickMs: 0, warmupDays: 0, simSpeed: 600 });
    const outage = demo.status().outage;
    expect(outage.endMs - outage.startMs).toBe(1_800_000);
    clock.advance((outage.endMs - 60_000 - wallStart) / 600);
    // One advance simulates at most 6 hours; repeat until the fleet reaches the clock.
    while (demo.status().simulatedNowMs <= outage.endMs - 65_000) await demo.advance();
    expect(demo.status().outage.active).toBe(true);
    expect(demo.exposition()).toMatch(/otelcol_exporter_send_failed_spans\{exporter="otlp",instance="otel-gateway-\d+",pod="otel-gateway-\d+"\} [1-9]/);
    clock.advance(120_000 / 600);
    await demo.advance();
    const next = demo.status().outage;
    expect(next.active).toBe(false);
    expect(next.startMs).toBeGreaterThan(outage.endMs);
    expect(next.startMs - outage.startMs).toBeLessThan(2 * 86_400_000);
    demo.stop();
  });

  it('rejects a bad speed, naming it', () => {
    expect(() => startDemoFleet({ simSpeed: 0, tickMs: 0 })).toThrow(/demo simSpeed must be a positive number, got 0/);
  });
});
