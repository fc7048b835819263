import { describe, expect, it } from 'vitest';
import { parseTargetMetadata } from '../../src/config/target-metadata.ts';
import { startupFromCounts, replicaHistoryReadWindow } from '../../src/advisor/replica-history-refresher.ts';
import { CPU_WITNESS_UTILIZATION, estimateCapacity } from '../../src/policy/capacity-estimate.ts';
import { SimulatedSignalSource } from '../../src/signals/simulated-source.ts';
import { Fleet } from '../../src/sim/fleet.ts';
import { FleetRecorder } from '../../src/sim/fleet-recorder.ts';
import { fleetRoster } from '../../src/sim/fleet-roster.ts';
import { DEFAULT_FLEET_SETTINGS } from '../../src/sim/fleet-settings.ts';
import { SimulatedStartupReads } from '../../src/sim/scaler-autoscaler.ts';
import { seededRandom } from '../../src/sim/seeded-random.ts';
import { SIMULATED_TARGET } from '../../src/sim/simulated-target.ts';

const settings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', rateWindow: '1m', deploymentName: 'otel-gateway' });
const startMs = Date.parse('2026-01-05T00:00:00Z');
const dt = DEFAULT_FLEET_SETTINGS.stepSeconds;

/** A fleet, what Prometheus keeps of it for `retentionSeconds`, and a source whose re-reads are checked against fresh ones. */
function simulatedTier(initialReplicas: number, retentionSeconds: number) {
  const fleet = new Fleet(DEFAULT_FLEET_SETTINGS, { initialReplicas });
  const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds });
  recorder.record(fleet.observed);
  const roster = fleetRoster(fleet, recorder);
  return { fleet, recorder, roster, rereading: new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster }) };
}

/**
 * Three hours of a load that swings between about 10,000 and 110,000 spans/s, now and then at another
 * replica count: yields each step once it is recorded, with the time a read at that step is made.
 */
function* swingingLoad(fleet: Fleet, recorder: FleetRecorder, random: () => number): Generator<{ readonly step: number; readonly nowMs: number }> {
  for (let step = 1; step <= 3 * 720; step++) {
    if (random() < 0.01) fleet.setReplicas(2 + Math.floor(random() * 6));
    fleet.step(Math.round((50_000 + 40_000 * Math.sin(step / 150) + 20_000 * random()) * dt), 300_000, false);
    recorder.record(fleet.observed);
    yield { step, nowMs: startMs + step * dt * 1000 };
  }
}

describe('SimulatedSignalSource re-reads (CPU samples, replica counts, accepted-spans history, ring shares)', () => {
  it('answers every overlapping re-read as a first read would, up to the retention edge and after it', () => {
    // Retention shorter than the 2 h windows read, so early steps fall out while they are re-read.
    const { fleet, recorder, roster, rereading } = simulatedTier(4, 3600);
    const random = seededRandom(11);
    let reads = 0;
    let sampled = 0;
    let counted = 0;
    let historySamples = 0;
    let shared = 0;
    for (let step = 1; step <= 4 * 720; step++) {
      if (random() < 0.01) fleet.setReplicas(2 + Math.floor(random() * 8));
      // Load that swings, sometimes past what the fleet can take, with a backend outage in the third hour.
      const load = 60_000 + 50_000 * Math.sin(step / 200) + 30_000 * random();
      fleet.step(Math.round(load * dt), 400_000, step > 1440 && step < 1500);
      recorder.record(fleet.observed);
      if (step % 60 !== 0) continue;
      const nowMs = startMs + step * dt * 1000;
      const window = { startMs: nowMs - 2 * 3600_000, endMs: nowMs, stepSeconds: 60 };
      const fresh = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster });
      const got = rereading.cpuLoadSamples(SIMULATED_TARGET, settings, window);
      expect(got, new Date(nowMs).toISOString()).toEqual(fresh.cpuLoadSamples(SIMULATED_TARGET, settings, window));
      const countsWindow = { startMs: nowMs - 3 * 3600_000, endMs: nowMs, stepSeconds: 15 };
      const counts = rereading.replicaCounts(SIMULATED_TARGET, settings, countsWindow);
      expect(counts, new Date(nowMs).toISOString()).toEqual(fresh.replicaCounts(SIMULATED_TARGET, settings, countsWindow));
      counted += counts.filter((sample) => sample.desiredReplicas !== undefined).length;
      // As a forecast refit reads it: every step of the window, at a step longer than the rate window.
      const historyWindow = { startMs: nowMs - 3 * 3600_000, endMs: nowMs, stepSeconds: 300 };
      const history = rereading.acceptedSpansHistory(SIMULATED_TARGET, settings, historyWindow);
      expect(history, new Date(nowMs).toISOString()).toEqual(fresh.acceptedSpansHistory(SIMULATED_TARGET, settings, historyWindow));
      historySamples += history.length;
      // As the ring's judgement reads it: a day of shares every five minutes.
      const sharesWindow = { startMs: nowMs - 24 * 3600_000, endMs: nowMs, stepSeconds: 60 };
      const shares = rereading.ringShares(SIMULATED_TARGET, settings, sharesWindow);
      expect(shares, new Date(nowMs).toISOString()).toEqual(fresh.ringShares(SIMULATED_TARGET, settings, sharesWindow));
      shared += shares.length;
      // A caller may change what it was given: the next read is unaffected.
      shares.reverse();
      history.splice(0, 1);
      reads++;
      sampled += got.samples.length;
    }
    expect(reads).toBe(48);
    expect(sampled).toBeGreaterThan(48 * 30);
    expect(counted).toBeGreaterThan(48 * 100);
    expect(historySamples).toBeGreaterThan(48 * 10);
    expect(shared).toBeGreaterThan(48 * 30);
    // Another rate window is another read, not the samples kept for the first.
    const other = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', rateWindow: '2m' });
    const nowMs = startMs + 4 * 720 * dt * 1000;
    const window = { startMs: nowMs - 1800_000, endMs: nowMs, stepSeconds: 120 };
    const fresh = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster });
    expect(rereading.cpuLoadSamples(SIMULATED_TARGET, other, window)).toEqual(fresh.cpuLoadSamples(SIMULATED_TARGET, other, window));
  });
  it('answers reads in any order (backwards, with gaps, off the step grid, shrinking) as a first read would', () => {
    const { fleet, recorder, roster, rereading } = simulatedTier(3, 5400);
    const random = seededRandom(23);
    let compared = 0;
    for (const { nowMs } of swingingLoad(fleet, recorder, random)) {
      if (random() > 0.05) continue;
      for (let read = 0; read < 4; read++) {
        // Ends up to a minute ahead of the newest sample and as far back as before the retention; starts off the grid at times.
        // Some steps are not whole ms (a rateWindow such as 1m0s123ms): their times are accumulated, not multiplied.
        const stepSeconds = [15, 60, 60, 120, 14.9995, 60.123][Math.floor(random() * 6)]!;
        const endMs = nowMs + 60_000 - Math.floor(random() * 7200) * 1000;
        const startMsOfRead = endMs - Math.floor(random() * 3600) * 1000 - (random() < 0.5 ? Math.floor(random() * stepSeconds) * 1000 : 0);
        const window = { startMs: startMsOfRead, endMs, stepSeconds };
        const fresh = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster });
        const when = `${new Date(startMsOfRead).toISOString()}..${new Date(endMs).toISOString()} step ${stepSeconds}`;
        expect(rereading.cpuLoadSamples(SIMULATED_TARGET, settings, window), when).toEqual(fresh.cpuLoadSamples(SIMULATED_TARGET, settings, window));
        expect(rereading.replicaCounts(SIMULATED_TARGET, settings, window), when).toEqual(fresh.replicaCounts(SIMULATED_TARGET, settings, window));
        expect(rereading.acceptedSpansHistory(SIMULATED_TARGET, settings, window), when).toEqual(fresh.acceptedSpansHistory(SIMULATED_TARGET, settings, window));
        expect(rereading.ringShares(SIMULATED_TARGET, settings, window), when).toEqual(fresh.ringShares(SIMULATED_TARGET, settings, window));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
  });
  it('keeps answers read before as a first read would give them, however the window end moves and whatever a caller does with its answers', () => {
    // Retention longer than the run: every settled step is kept from one read to the next.
    const { fleet, recorder, roster, rereading } = simulatedTier(3, 86_400);
    const random = seededRandom(37);
    let compared = 0;
    for (const { step, nowMs } of swingingLoad(fleet, recorder, random)) {
      if (step % 60 !== 0) continue;
      // The start slides with the clock; the end falls back as far as 20 minutes, then comes forward again.
      const window = { startMs: nowMs - 3600_000, endMs: nowMs - Math.floor(random() * 20) * 60_000, stepSeconds: 60 };
      const fresh = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster });
      const when = new Date(nowMs).toISOString();
      const shares = rereading.ringShares(SIMULATED_TARGET, settings, window);
      expect(shares, when).toEqual(fresh.ringShares(SIMULATED_TARGET, settings, window));
      const { samples } = rereading.cpuLoadSamples(SIMULATED_TARGET, settings, window);
      expect(samples, when).toEqual(fresh.cpuLoadSamples(SIMULATED_TARGET, settings, window).samples);
      shares.reverse();
      (samples as unknown[]).reverse();
      compared++;
    }
    expect(compared).toBe(36);
  });
});

describe('SimulatedSignalSource saturation witness from the agents', () => {
  /**
   * Four gateways that fall behind at 80 % of their CPU (--cpu-ceiling 0.8): a load of 0.7 × their
   * capacity for half an hour, then 0.95 × for half an hour. Read with and without agentSelector.
   */
  function samplesAt(agentSelector: string | undefined) {
    const fleet = new Fleet({ ...DEFAULT_FLEET_SETTINGS, cpuCeiling: 0.8 }, { initialReplicas: 4 });
    const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds: 7200 });
    recorder.record(fleet.observed);
    const capacity = 4 * DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond;
    const halfHourSteps = 1800 / dt;
    for (let step = 1; step <= 2 * halfHourSteps; step++) {
      fleet.step(Math.round((step <= halfHourSteps ? 0.7 : 0.95) * capacity * dt), 10 * capacity, false);
      recorder.record(fleet.observed);
    }
    const source = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster: fleetRoster(fleet, recorder) });
    const withAgents = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', rateWindow: '1m', ...(agentSelector === undefined ? {} : { agentSelector }) });
    const endMs = startMs + 2 * halfHourSteps * dt * 1000;
    const { samples } = source.cpuLoadSamples(SIMULATED_TARGET, withAgents, { startMs, endMs, stepSeconds: 60 });
    const behindFromMs = startMs + (1800 + 60) * 1000;
    return { within: samples.filter((sample) => sample.atMs < startMs + 1800_000), behind: samples.filter((sample) => sample.atMs >= behindFromMs) };
  }

  it('flags the steps where the agents take in more than 1.1 × what the gateways accept, with their CPU short of what the CPU witness needs', () => {
    const { within, behind } = samplesAt('job="otel-agent"');
    expect(within.length).toBeGreaterThan(20);
    expect(within.filter((sample) => sample.agentsAhead || sample.saturated)).toEqual([]);
    expect(behind.length).toBeGreaterThan(20);
    expect(behind.filter((sample) => !sample.agentsAhead)).toEqual([]);
    // While behind, each gateway takes about 80 % of its capacity (the load the witness lowers capacity
    // to), its CPU under the 91 % at which the CPU alone would witness it.
    for (const sample of behind) {
      expect(sample.acceptedSpansPerSecond / DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond).toBeGreaterThan(0.75);
      expect(sample.acceptedSpansPerSecond / DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond).toBeLessThan(0.85);
      expect(sample.cpuCores / sample.allotmentCores!).toBeLessThan(CPU_WITNESS_UTILIZATION);
    }
    // Behind for half an hour, far longer than a rate window: the load to export for later peaks.
    const { lastingShortfall } = estimateCapacity([...within, ...behind], undefined, 'kube-state-metrics requests');
    expect(lastingShortfall!.medianSpansPerSecond / DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond).toBeGreaterThan(0.75);
    expect(lastingShortfall!.medianSpansPerSecond / DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond).toBeLessThan(0.85);
    expect(lastingShortfall!.atMs).toBe(behind[behind.length - 1]!.atMs);
  });

  it('reads no agents where the trigger selects none: the same steps are not flagged', () => {
    const { behind } = samplesAt(undefined);
    expect(behind.length).toBeGreaterThan(20);
    expect(behind.filter((sample) => sample.saturated || sample.agentsAhead)).toEqual([]);
  });
});

describe('SimulatedStartupReads', () => {
  it.each([
    ['shorter than the day read, so its early steps fall out while they are re-read', 3600, 8 * 720],
    ['longer than the day read', 2 * 86_400, 30 * 720],
  ])('learns startup as a fresh read of the day before would, with a retention %s', (_, retentionSeconds, steps) => {
    const fleet = new Fleet(DEFAULT_FLEET_SETTINGS, { initialReplicas: 4 });
    const recorder = new FleetRecorder({ startMs, stepSeconds: dt, retentionSeconds });
    recorder.record(fleet.observed);
    const source = new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster: fleetRoster(fleet, recorder) });
    const reads = new SimulatedStartupReads();
    const random = seededRandom(5);
    const kinds = new Set<string>();
    for (let step = 1; step <= steps; step++) {
      if (random() < 0.01) fleet.setReplicas(2 + Math.floor(random() * 8));
      fleet.step(Math.round(60_000 * dt), 400_000, false);
      recorder.record(fleet.observed);
      // Reads at steps not on the 15 s grid too, so some of the window's last steps are not final yet.
      if (step % 59 !== 0) continue;
      const nowMs = startMs + step * dt * 1000;
      const batch = startupFromCounts(settings, new SimulatedSignalSource({ target: SIMULATED_TARGET, recorder, roster: fleetRoster(fleet, recorder) }).replicaCounts(SIMULATED_TARGET, settings, replicaHistoryReadWindow(nowMs)));
      expect(reads.estimateAt(source, settings, nowMs), new Date(nowMs).toISOString()).toEqual(batch);
      kinds.add(batch.kind);
    }
    expect([...kinds].sort()).toEqual(['insufficient', 'learned']);
  });
});
