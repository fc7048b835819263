import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fleet } from '../../src/sim/fleet.ts';
import { DEFAULT_FLEET_SETTINGS, type FleetSettings, memoryRssBytes, queueCapacitySpans } from '../../src/sim/fleet-settings.ts';
import { decisionTickWorkMs } from '../../src/sim/gateway-model.ts';

const settings: FleetSettings = { ...DEFAULT_FLEET_SETTINGS, drainSeconds: 40 };
const mu = settings.capacitySpansPerSecond;
const dt = settings.stepSeconds;
const backend = 1.5 * 20 * mu * 0.7;

/** Whole spans offered in one step at a utilization of `replicas` replicas. */
function offeredAt(utilization: number, replicas: number): number {
  return Math.round(utilization * mu * replicas * dt);
}

function run(fleet: Fleet, steps: number, offered: number, outage = false): void {
  for (let i = 0; i < steps; i++) fleet.step(offered, backend, outage);
}

function balance(fleet: Fleet): number {
  return fleet.totals.offered - fleet.totals.sent - fleet.lostSpans - fleet.heldSpans;
}

describe('Fleet span accounting', () => {
  it('offered = sent + lost + still held after every step, whatever the load, outages and scaling', () => {
    const step = fc.record({
      utilization: fc.double({ min: 0, max: 3, noNaN: true }),
      outage: fc.boolean(),
      replicas: fc.option(fc.integer({ min: 0, max: 12 }), { freq: 4 }),
    });
    fc.assert(
      fc.property(fc.constantFrom(0, 20, 40), fc.constantFrom(1, 1.5, 3), fc.array(step, { minLength: 1, maxLength: 120 }), (drainSeconds, hotGatewayLoadMultiple, steps) => {
        const fleet = new Fleet({ ...settings, drainSeconds, hotGatewayLoadMultiple }, { initialReplicas: 3 });
        for (const s of steps) {
          if (s.replicas !== null) fleet.setReplicas(s.replicas);
          fleet.step(offeredAt(s.utilization, 4), backend, s.outage);
          expect(balance(fleet)).toBe(0);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('Fleet backend outage', () => {
  it('fills the exporter queues, then send_failed rises once retries pass max_elapsed_time; nothing is sent', () => {
    const fleet = new Fleet(settings, { initialReplicas: 4 });
    run(fleet, 12, offeredAt(0.7, 4));
    expect(fleet.observed.queueFillMax).toBe(0);
    const sentBefore = fleet.totals.sent;
    const queueFill: number[] = [];
    let firstFailureStep = -1;
    for (let i = 0; i < 120; i++) {
      fleet.step(offeredAt(0.7, 4), backend, true);
      queueFill.push(fleet.observed.queueFillMax);
      if (firstFailureStep < 0 && fleet.totals.sendFailed > 0) firstFailureStep = i;
    }
    expect(fleet.totals.sent).toBe(sentBefore);
    expect(queueFill[4]!).toBeGreaterThan(queueFill[1]!);
    expect(queueFill.at(-1)).toBe(1);
    expect(fleet.totals.enqueueFailed).toBeGreaterThan(0);
    expect(firstFailureStep * dt).toBe(settings.retryMaxElapsedSeconds);
    expect(fleet.observed.sendFailedSpans).toBeGreaterThan(0);
  });

  it('adding replicas during an outage does not raise throughput: nothing is sent either way', () => {
    const runOutage = (addReplicas: boolean) => {
      const fleet = new Fleet(settings, { initialReplicas: 4 });
      run(fleet, 12, offeredAt(0.7, 4));
      const sentBefore = fleet.totals.sent;
      if (addReplicas) fleet.setReplicas(12);
      run(fleet, 60, offeredAt(0.7, 4), true);
      return { sent: fleet.totals.sent - sentBefore, ring: fleet.ringReplicas };
    };
    const held = runOutage(false);
    const scaled = runOutage(true);
    expect(scaled.ring).toBe(12);
    expect(scaled.sent).toBe(0);
    expect(held.sent).toBe(0);
  });

  it('drains the backlog once the backend is back, at up to the backend capacity', () => {
    const fleet = new Fleet(settings, { initialReplicas: 4 });
    run(fleet, 60, offeredAt(0.5, 4), true);
    const queued = fleet.observed.queueBatchesTotal;
    expect(queued).toBeGreaterThan(0);
    run(fleet, 40, offeredAt(0.5, 4));
    expect(fleet.observed.queueBatchesTotal).toBe(0);
  });
});

describe('Fleet ring changes', () => {
  const cases: { name: string; input: { from: number; to: number }; want: number }[] = [
    { name: 'scale-out 4 → 5 splits 1/5 of the traces still receiving spans', input: { from: 4, to: 5 }, want: 1 / 5 },
    { name: 'scale-out 4 → 8 splits 4/8', input: { from: 4, to: 8 }, want: 4 / 8 },
    { name: 'scale-in 5 → 4 splits 1/5', input: { from: 5, to: 4 }, want: 1 / 5 },
    { name: 'scale-in 10 → 7 splits 3/10', input: { from: 10, to: 7 }, want: 3 / 10 },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const fleet = new Fleet(settings, { initialReplicas: row.input.from });
      const offered = offeredAt(0.5, row.input.from);
      run(fleet, 20, offered);
      const brokenBefore = fleet.totals.brokenTraces;
      fleet.setReplicas(row.input.to);
      // New pods join the ring after startup + DNS interval.
      while (fleet.ringReplicas !== row.input.to) fleet.step(offered, backend, false);
      // Not the traces held for decision_wait (30 s): only those whose spans still arrive (5 s).
      const receiving = (offered / settings.spansPerTrace / dt) * settings.traceDurationSeconds;
      expect(fleet.totals.brokenTraces - brokenBefore).toBeCloseTo(row.want * receiving, 6);
      expect(fleet.totals.brokenTraces - brokenBefore).toBeLessThan(row.want * fleet.observed.tracesOnMemory);
    });
  }

  it('a new pod takes traffic only after startup (45 s) and the DNS resolver interval (5 s)', () => {
    const fleet = new Fleet(settings, { initialReplicas: 2 });
    fleet.setReplicas(3);
    const joinedAfterSeconds: number[] = [];
    for (let i = 1; i <= 12; i++) {
      fleet.step(offeredAt(0.5, 2), backend, false);
      if (fleet.ringReplicas === 3) joinedAfterSeconds.push(i * dt);
    }
    // The pod is on the ring from the step that starts 50 s after its creation.
    expect(joinedAfterSeconds[0]).toBe(settings.podStartupSeconds + settings.dnsResolverIntervalSeconds + dt);
    const readyStates = new Fleet(settings, { initialReplicas: 2 });
    readyStates.setReplicas(3);
    run(readyStates, settings.podStartupSeconds / dt, 0);
    expect(readyStates.readyReplicas).toBe(3);
    expect(readyStates.ringReplicas).toBe(2);
  });

  it('a removed pod that drops its pending traces when stopped loses what it holds without a drain, and keeps it (deciding and flushing) with one', () => {
    const lostOnScaleIn = (drainSeconds: number) => {
      const fleet = new Fleet({ ...settings, drainSeconds, dropsPendingTracesOnShutdown: true }, { initialReplicas: 4 });
      run(fleet, 20, offeredAt(0.6, 4));
      const heldPerReplica = fleet.heldSpans / 4;
      fleet.setReplicas(3);
      run(fleet, 20, offeredAt(0.6, 3));
      return { lost: fleet.totals.lostOnScaleIn, heldPerReplica };
    };
    const killed = lostOnScaleIn(0);
    expect(killed.lost).toBeGreaterThan(0.9 * killed.heldPerReplica);
    // Stopped within decision_wait of its newest traces (30 s): those are lost.
    expect(lostOnScaleIn(20).lost).toBeGreaterThan(0);
    expect(lostOnScaleIn(40).lost).toBe(0);
  });

  it('a removed pod that decides its pending traces when stopped loses nothing without a drain, unless the backend is down', () => {
    const afterScaleIn = (outage: boolean) => {
      const fleet = new Fleet({ ...settings, drainSeconds: 0, dropsPendingTracesOnShutdown: false }, { initialReplicas: 4 });
      run(fleet, 20, offeredAt(0.6, 4));
      const heldPerReplica = fleet.heldSpans / 4;
      fleet.setReplicas(3);
      for (let i = 0; i < 20; i++) fleet.step(offeredAt(0.6, 3), backend, outage && i === 0);
      return { lost: fleet.totals.lostOnScaleIn, heldPerReplica, drainingAtEnd: fleet.drainingReplicas };
    };
    const healthy = afterScaleIn(false);
    expect(healthy.lost).toBe(0);
    // Gone once its queue is flushed: it costs replica-seconds only while it exports.
    expect(healthy.drainingAtEnd).toBe(0);
    const down = afterScaleIn(true);
    expect(down.lost).toBeGreaterThan(0.9 * down.heldPerReplica);
  });

  it('a stopped pod flushes its queue until its grace period ends, and loses what is left then', () => {
    const lostWithGrace = (terminationGracePeriodSeconds: number) => {
      const fleet = new Fleet({ ...settings, drainSeconds: 40, terminationGracePeriodSeconds }, { initialReplicas: 4 });
      // A backend that takes a tenth of the load: the queues fill.
      const slow = 0.1 * 0.6 * mu * 4;
      for (let i = 0; i < 40; i++) fleet.step(offeredAt(0.6, 4), slow, false);
      fleet.setReplicas(3);
      for (let i = 0; i < 40; i++) fleet.step(offeredAt(0.6, 3), slow, false);
      return fleet.totals.lostOnScaleIn;
    };
    const killedSoon = lostWithGrace(60);
    expect(killedSoon).toBeGreaterThan(0);
    expect(lostWithGrace(600)).toBeLessThan(killedSoon);
  });

  it('removes pods still starting before pods on the ring', () => {
    const fleet = new Fleet(settings, { initialReplicas: 4 });
    fleet.setReplicas(6);
    fleet.setReplicas(4);
    expect(fleet.ringReplicas).toBe(4);
    expect(fleet.drainingReplicas).toBe(0);
    expect(fleet.replicas).toBe(4);
  });
});

describe('Fleet overload', () => {
  it('the memory_limiter refuses once the gateways hold more than 80 % of the limit, never lets memory past it, and the agents retry what it refused', () => {
    // decision_wait × 14,000 spans/s = 420,000 spans held per replica, above 80 % of 300,000.
    const small = { ...settings, memoryLimitSpansPerReplica: 300_000 };
    const fleet = new Fleet(small, { initialReplicas: 2 });
    run(fleet, 40, offeredAt(0.7, 2));
    expect(fleet.totals.refused).toBeGreaterThan(0);
    expect(fleet.lostSpans).toBe(0);
    run(fleet, 200, offeredAt(0.7, 2));
    // Held back for longer than the agents' retries last, refused spans are lost at the agents.
    expect(fleet.lostSpans).toBe(fleet.totals.failedAtAgents);
    expect(fleet.lostSpans).toBeGreaterThan(0);
    expect(fleet.observed.memoryRssBytes).toBeLessThanOrEqual(memoryRssBytes(small, small.memoryLimitSpansPerReplica));
    expect(balance(fleet)).toBe(0);
  });

  it('a CPU-starved tier refuses nothing: it accepts μ per replica, its ticks run long, and the agents drop what waited past max_elapsed_time', () => {
    const fleet = new Fleet(settings, { initialReplicas: 2 });
    const offered = offeredAt(1.5, 2);
    run(fleet, 12, offered);
    expect(fleet.totals.failedAtAgents).toBe(0);
    const gatewayMemory = fleet.observed.memoryRssBytes;
    // The oldest waiting span has waited a third of the time at 1.5 × μ: 300 s after 900 s.
    run(fleet, 168, offered);
    expect(fleet.totals.failedAtAgents).toBe(0);
    run(fleet, 24, offered);
    expect(fleet.totals.refused).toBe(0);
    expect(fleet.observed.refusedSpans).toBe(0);
    // Ingest and export share the CPU: every accepted span is exported, μ per replica in all.
    expect(fleet.observed.acceptedSpans / (2 * mu * dt)).toBeCloseTo(1, 2);
    expect(fleet.observed.ringUtilization).toBeGreaterThan(1);
    expect(fleet.observed.decisionLatencyMs).toBeGreaterThan(15 * decisionTickWorkMs(settings, mu / settings.spansPerTrace, 0));
    // The backlog is the agents': gateway memory holds decision_wait of what it accepts, no more.
    expect(fleet.observed.memoryRssBytes).toBeLessThan(gatewayMemory * 1.5);
    expect(fleet.totals.failedAtAgents).toBeGreaterThan(0);
    expect(fleet.totals.failedAtAgents).toBeLessThan(fleet.totals.offered - fleet.totals.accepted);
    expect(fleet.lostSpans).toBe(fleet.totals.failedAtAgents);
    expect(balance(fleet)).toBe(0);
  });

  it('decision ticks slow down with utilization; past the 1 s tick traces outgrow num_traces and are dropped too early', () => {
    const latencyAt = (utilization: number, decisionTickCostMultiplier = 1) => {
      const fleet = new Fleet({ ...settings, decisionTickCostMultiplier }, { initialReplicas: 4 });
      let latencyMs = 0;
      for (let i = 0; i < 60; i++) {
        fleet.step(offeredAt(utilization, 4), backend, false);
        latencyMs = Math.max(latencyMs, fleet.observed.decisionLatencyMs);
      }
      return { latencyMs, dropped: fleet.totals.droppedTooEarlyTraces };
    };
    const low = latencyAt(0.4);
    const target = latencyAt(0.7);
    const saturated = latencyAt(1.05);
    expect(low.latencyMs).toBeLessThan(target.latencyMs);
    expect(target.latencyMs).toBeLessThan(saturated.latencyMs);
    expect(target.dropped).toBe(0);
    // At the measured tick cost a saturated tick stays within its 1 s period; a policy set 8× costlier passes it.
    expect(saturated.latencyMs).toBeLessThan(1000);
    expect(saturated.dropped).toBe(0);
    const costly = latencyAt(1.05, 8);
    expect(costly.latencyMs).toBeGreaterThan(1000);
    expect(costly.dropped).toBeGreaterThan(0);
  });

  /** Four replicas held at a share of μ long enough for decision_wait's exports to follow the intake: ingest and export both at the load. */
  const steadyAt = (fleetSettings: Partial<FleetSettings>, utilization: number) => {
    const fleet = new Fleet({ ...settings, ...fleetSettings, decisionTickCostMultiplier: 0 }, { initialReplicas: 4 });
    run(fleet, 2 * (settings.decisionWaitSeconds / dt) + 12, offeredAt(utilization, 4));
    return { cpu: fleet.observed.ringUtilization, acceptedPerReplica: fleet.observed.acceptedSpans / (4 * dt) };
  };

  it('with a bent CPU curve reports u^P of the CPU at a share u of capacity, and still saturates at μ per replica', () => {
    const curve = 0.6;
    const steady = (cpuCurveExponent: number, utilization: number) => steadyAt({ cpuCurveExponent }, utilization);
    for (const utilization of [0.2, 0.5, 0.8]) {
      expect(steady(1, utilization).cpu).toBeCloseTo(utilization, 3);
      expect(steady(curve, utilization).cpu).toBeCloseTo(utilization ** curve, 3);
    }
    // Past μ only the report differs: the replicas take what the linear ones take, their CPU full either way.
    const linear = steady(1, 1.3);
    const bent = steady(curve, 1.3);
    expect(bent.acceptedPerReplica).toBe(linear.acceptedPerReplica);
    expect(bent.acceptedPerReplica).toBeLessThan(1.3 * mu);
    expect(linear.cpu).toBeCloseTo(1, 6);
    expect(bent.cpu).toBeCloseTo(1, 6);
    expect(() => new Fleet({ ...settings, cpuCurveExponent: 1.2 }, { initialReplicas: 2 })).toThrow(/cpuCurveExponent must be above 0 and at most 1, got 1.2/);
  });

  it('with a CPU ceiling processes at most that share of μ per replica and reports that share of its CPU, the rest left with the agents', () => {
    const ceiling = 0.8;
    const steady = (cpuCeiling: number, utilization: number) => steadyAt({ cpuCeiling }, utilization);
    // Below the ceiling nothing differs.
    expect(steady(ceiling, 0.5).cpu).toBeCloseTo(0.5, 3);
    expect(steady(ceiling, 0.5).acceptedPerReplica).toBe(steady(1, 0.5).acceptedPerReplica);
    // At 0.9 × μ the replicas fall behind at 0.8, their CPU reading 0.8 where the full allotment would read 0.9.
    const behind = steady(ceiling, 0.9);
    expect(behind.acceptedPerReplica).toBeLessThanOrEqual(ceiling * mu);
    expect(behind.acceptedPerReplica).toBeGreaterThan(0.99 * ceiling * mu);
    expect(behind.cpu).toBeCloseTo(ceiling, 3);
    expect(steady(1, 0.9).cpu).toBeCloseTo(0.9, 3);
    expect(() => new Fleet({ ...settings, cpuCeiling: 0 }, { initialReplicas: 2 })).toThrow(/cpuCeiling must be above 0 and at most 1, got 0/);
  });

  it('keeps the exporter queue within its capacity and counts the overflow as enqueue_failed', () => {
    const fleet = new Fleet(settings, { initialReplicas: 2 });
    run(fleet, 200, offeredAt(0.8, 2), true);
    expect(fleet.observed.queueBatchesTotal * settings.spansPerBatch).toBeLessThanOrEqual(queueCapacitySpans(settings) * 2);
    expect(fleet.totals.enqueueFailed).toBeGreaterThan(0);
  });
});

describe('Fleet skewed ring', () => {
  it('a gateway with 1.5 × its share saturates at 70 % mean CPU and loses spans, where an even ring loses nothing', () => {
    const lostShare = (hotGatewayLoadMultiple: number) => {
      const fleet = new Fleet({ ...settings, hotGatewayLoadMultiple }, { initialReplicas: 10 });
      run(fleet, 2160, offeredAt(0.7, 10));
      expect(balance(fleet)).toBe(0);
      return { lost: fleet.lostSpans / fleet.totals.offered, meanCpu: fleet.observed.ringUtilization };
    };
    const even = lostShare(1);
    const skewed = lostShare(1.5);
    expect(even.lost).toBe(0);
    // The hot gateway needs 105 % of a core: its backlog grows at the agents, which drop a span once it
    // has waited 300 s (after about 105 minutes, the oldest waits 1/21 of the elapsed time), while the mean CPU an HPA
    // reads stays below 80 %.
    expect(skewed.lost).toBeGreaterThan(0.002);
    expect(skewed.meanCpu).toBeLessThan(0.8);
  });
});
