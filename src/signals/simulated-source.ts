// The simulated fleet seen through the same interfaces as Prometheus: every signal of a
// SignalSnapshot computed from the fleet's recorded scrapes, the way the PromQL catalogue's queries
// would compute it (rates over the target's rateWindow, p99 from histogram buckets, gauges at the
// last scrape). The benchmark reads it synchronously; the demo through SignalSource/SignalHistory.
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import type { FleetRecorder, RecordedValue } from '../sim/fleet-recorder.ts';
import { EXPOSITION_COLLECTOR_VERSION, EXPOSITION_SERVICE_NAME } from '../sim/gateway-exposition.ts';
import { AGENT_SHORTFALL_TOLERANCE } from '../policy/capacity-estimate.ts';
import type { CpuLoadHistory, CpuLoadSample, CpuLoadSamples } from './cpu-load-history.ts';
import { MAX_RANGE_POINTS, minRangeStepSeconds } from './prometheus-source.ts';
import type { ReplicaCountHistory, ReplicaCountSample } from './replica-count-history.ts';
import type { RingShareHistory, RingShareSample } from './ring-share-history.ts';
import type { RangeSample, RangeWindow, Reading, SignalHistory, SignalName, SignalSnapshot, SignalSource, TargetRef } from './signal-snapshot.ts';
import { SIGNAL_NAMES, targetKey } from './signal-snapshot.ts';

/** Names of the pods a scrape would find on the ring at a time (for accepted spans per gateway). */
export interface GatewayRoster {
  /** Pods on the ring (they share the load evenly) and ready pods not yet on it (they get none). */
  gatewaysAt(timeMs: number): { readonly ring: readonly string[]; readonly joining: readonly string[] } | undefined;
}

export interface SimulatedSignalSourceOptions {
  /** The one target the simulated fleet stands for; reads of any other target have no data. */
  readonly target: TargetRef;
  readonly recorder: FleetRecorder;
  readonly roster: GatewayRoster;
  /** Simulated time for `read` (the demo's clock); the benchmark passes times to `snapshotAt` instead. */
  readonly nowMs?: () => number;
}

const P99 = 0.99;

/**
 * CPU request of a simulated gateway, as kube-state-metrics would report it for the example Deployment
 * (`requests.cpu: "1"`): the fleet's 100 % CPU, at which a replica handles its true capacity, is one core.
 */
export const SIMULATED_CPU_REQUEST_CORES = 1;

/** A gauge's value, undefined where there was no data. */
function numberOf(reading: RecordedValue): number | undefined {
  return reading.kind === 'ok' ? reading.value : undefined;
}

/** A read as PromQL answers it while no simulated gateway reports: missing. (Module functions, not closures: snapshotAt runs at every poll.) */
function whenReporting(value: RecordedValue, anyReporting: boolean): Reading {
  return anyReporting || value.kind === 'missing' ? value : { kind: 'missing', reason: 'no simulated gateway is reporting' };
}

/** A sum over the scraped gateways: the scraped share of the (evenly loaded) gateways' total. */
function summed(value: RecordedValue, anyReporting: boolean, scrapedShare: number): Reading {
  const reading = whenReporting(value, anyReporting);
  return reading.kind === 'ok' ? { kind: 'ok', value: reading.value * scrapedShare } : reading;
}

/** SignalSource + SignalHistory over a simulated fleet. */
export class SimulatedSignalSource implements SignalSource, SignalHistory, CpuLoadHistory, ReplicaCountHistory, RingShareHistory {
  private readonly options: SimulatedSignalSourceOptions;
  /**
   * CPU samples already read, by step time, for the settings they were read with: the benchmark re-reads
   * six hours every five minutes, so all but a few steps of each read were read before. Only settled
   * steps are kept (FleetRecorder.readSettlement), so a kept sample is what a fresh read would give.
   */
  private readonly cpuSampleMemo = new SettledSteps<CpuLoadSample>();
  /** The same for replica counts, re-read over a day every five minutes. */
  private readonly replicaCountMemo = new SettledSteps<ReplicaCountSample>();
  /** The same for the accepted-spans history, re-read over two weeks at every hourly forecast refit. */
  private readonly acceptedHistoryMemo = new SettledSteps<RangeSample>();
  /** The same for the ring's shares, re-read over a day every five minutes. */
  private readonly ringShareMemo = new SettledSteps<RingShareSample>();

  constructor(options: SimulatedSignalSourceOptions) {
    this.options = options;
  }

  /**
   * The snapshot a Prometheus read at `timeMs` would give for the simulated target. Ready pods are the
   * scrape targets (expected gateways); those whose target is down add nothing to sums, so sums cover
   * the scraped share of the (evenly loaded) gateways, as `sum(rate(…))` over the series present would.
   */
  snapshotAt(timeMs: number, settings: Pick<TargetSettings, 'rateWindowSeconds' | 'agentSelector'>): SignalSnapshot {
    const { recorder, roster } = this.options;
    const window = settings.rateWindowSeconds;
    const scrapeMs = recorder.scrapeTimeMs(timeMs);
    const expected = recorder.gauge('reportingReplicas', timeMs);
    const unscrapedGauge = recorder.gauge('unscrapedReplicas', timeMs);
    const unscraped = expected.kind === 'ok' && unscrapedGauge.kind === 'ok' ? Math.min(unscrapedGauge.value, expected.value) : 0;
    const reporting: RecordedValue = expected.kind === 'ok' ? { kind: 'ok', value: expected.value - unscraped } : expected;
    const anyReporting = reporting.kind === 'ok' && reporting.value > 0;
    const scrapedShare = expected.kind === 'ok' && expected.value > 0 ? (expected.value - unscraped) / expected.value : 1;
    const anyExpected = expected.kind === 'ok' && expected.value > 0;
    // Read once: the total and the per-gateway rates both come from it.
    const acceptedRate = recorder.rate('acceptedSpans', timeMs, window);
    let byGateway: SignalSnapshot['acceptedSpansPerSecondByGateway'] = { kind: 'missing', reason: 'no simulated gateway is reporting' };
    let latencyByGateway: Record<string, number> | undefined;
    const accepted = whenReporting(acceptedRate, anyReporting);
    const pods = roster.gatewaysAt(timeMs);
    // The newest pods are the ones whose scrapes fail: a stable choice, so the names stay put while the window lasts.
    const unscrapedNames = pods && unscraped > 0 ? [...pods.ring, ...pods.joining].slice(Math.max(0, pods.ring.length + pods.joining.length - unscraped)) : [];
    const silent = unscrapedNames.length > 0 ? new Set(unscrapedNames) : undefined;
    if (accepted.kind === 'missing') byGateway = accepted;
    else if (pods && pods.ring.length + pods.joining.length > (silent?.size ?? 0)) {
      const perGateway: Record<string, number> = {};
      // A skewed ring's hot gateway is its oldest pod (scale-in removes the newest); the rest share the remainder.
      const hot = pods.ring.length > 1 ? recorder.rate('hotGatewayAcceptedSpans', timeMs, window) : undefined;
      const hotRate = hot?.kind === 'ok' ? hot.value : 0;
      const othersShare = hotRate > 0 ? (accepted.value - hotRate) / (pods.ring.length - 1) : accepted.value / pods.ring.length;
      for (const name of pods.ring) if (silent === undefined || !silent.has(name)) perGateway[name] = hotRate > 0 && name === pods.ring[0] ? hotRate : othersShare;
      for (const name of pods.joining) if (silent === undefined || !silent.has(name)) perGateway[name] = 0;
      byGateway = { kind: 'ok', value: perGateway };
      latencyByGateway = this.tickP99ByGateway(pods.ring, silent, timeMs, window);
    }
    // The catalogue's query is the largest per-gateway p99, not the p99 of every tick pooled: on a skewed
    // ring that is the hot gateway's own, whatever share of the ticks it runs. Pooled only without a gateway to read.
    const slowestTicks = latencyByGateway === undefined ? Number.NaN : Math.max(...Object.values(latencyByGateway));
    const signals: Record<SignalName, Reading> = {
      currentReplicas: anyExpected || expected.kind === 'missing' ? expected : { kind: 'missing', reason: 'no simulated gateway is reporting' },
      reportingReplicas: anyExpected ? reporting : whenReporting(reporting, anyReporting),
      queueFillMax: whenReporting(recorder.gauge('queueFillMax', timeMs), anyReporting),
      queueFillMean: whenReporting(recorder.gauge('queueFillMean', timeMs), anyReporting),
      refusedSpansPerSecond: summed(recorder.rate('refusedSpans', timeMs, window), anyReporting, scrapedShare),
      enqueueFailedSpansPerSecond: summed(recorder.rate('enqueueFailedSpans', timeMs, window), anyReporting, scrapedShare),
      sendFailedSpansPerSecond: summed(recorder.rate('sendFailedSpans', timeMs, window), anyReporting, scrapedShare),
      sentSpansPerSecond: summed(recorder.rate('sentSpans', timeMs, window), anyReporting, scrapedShare),
      decisionLatencyP99Ms: Number.isFinite(slowestTicks)
        ? { kind: 'ok', value: slowestTicks }
        : whenReporting(recorder.decisionLatencyQuantileMs(P99, timeMs, window), anyReporting),
      tracesOnMemory: summed(recorder.gauge('tracesOnMemory', timeMs), anyReporting, scrapedShare),
      droppedTooEarlyTracesPerSecond: summed(recorder.rate('droppedTooEarlyTraces', timeMs, window), anyReporting, scrapedShare),
      acceptedSpansPerSecond: summed(minRate(acceptedRate, recorder.rate('agentAcceptedSpans', timeMs, window)), anyReporting, scrapedShare),
    };
    const fillWindowAgo = whenReporting(recorder.gauge('queueFillMax', timeMs - window * 1000), anyReporting);
    // The agents are read only where the trigger selects them, as the catalogue does; their scrapes never fail here.
    const offered = settings.agentSelector === undefined ? undefined : recorder.rate('agentAcceptedSpans', timeMs, window);
    return {
      observedAtMs: scrapeMs ?? timeMs,
      signals,
      acceptedSpansPerSecondByGateway: byGateway,
      ...(latencyByGateway === undefined ? {} : { decisionLatencyP99MsByGateway: latencyByGateway }),
      ...(unscraped > 0 ? { unscrapedGateways: unscrapedNames.sort() } : {}),
      ...(fillWindowAgo.kind === 'ok' ? { queueFillMaxWindowAgo: fillWindowAgo.value } : {}),
      ...(offered?.kind === 'ok' ? { offeredSpansPerSecond: offered.value } : {}),
      // The build the simulated gateways' target_info names, counted over the gateways scraped.
      ...(reporting.kind === 'ok' && anyReporting ? { collectorBuilds: [{ name: EXPOSITION_SERVICE_NAME, version: EXPOSITION_COLLECTOR_VERSION, gateways: reporting.value }] } : {}),
    };
  }

  /**
   * Each scraped ring pod's decision-tick p99, as `histogram_quantile` by instance reads it: the hot
   * gateway (the oldest pod, as for the accepted rates) its own, every other pod the others'. Pods not
   * on the ring yet hold no traces and are left out, as are all when either quantile is missing.
   */
  private tickP99ByGateway(ring: readonly string[], silent: ReadonlySet<string> | undefined, timeMs: number, windowSeconds: number): Record<string, number> | undefined {
    const { recorder } = this.options;
    const hot = recorder.decisionLatencyQuantileMs(P99, timeMs, windowSeconds, 'hotGateway');
    const other = recorder.decisionLatencyQuantileMs(P99, timeMs, windowSeconds, 'otherGateway');
    if (hot.kind === 'missing' || other.kind === 'missing') return undefined;
    const byGateway: Record<string, number> = {};
    ring.forEach((name, index) => {
      if (silent === undefined || !silent.has(name)) byGateway[name] = index === 0 && ring.length > 1 ? hot.value : other.value;
    });
    return byGateway;
  }

  /** sum(otelcol_exporter_queue_size) in batches at the last scrape: the KEDA queue recipe's query. */
  queueBatchesAt(timeMs: number): RecordedValue {
    const share = this.scrapedShareAt(timeMs);
    if (share.kind === 'missing') return share;
    const total = this.options.recorder.gauge('queueBatchesTotal', timeMs);
    return total.kind === 'ok' ? { kind: 'ok', value: total.value * share.value } : total;
  }

  /**
   * sum(rate(otelcol_receiver_accepted_spans[w]) + rate(otelcol_receiver_refused_spans[w])): the spans
   * offered to the gateways Prometheus scrapes, the KEDA throughput recipe's query.
   */
  receivedSpansPerSecondAt(timeMs: number, windowSeconds: number): RecordedValue {
    const { recorder } = this.options;
    const share = this.scrapedShareAt(timeMs);
    if (share.kind === 'missing') return share;
    const accepted = recorder.rate('acceptedSpans', timeMs, windowSeconds);
    if (accepted.kind === 'missing') return accepted;
    const refused = recorder.rate('refusedSpans', timeMs, windowSeconds);
    if (refused.kind === 'missing') return refused;
    return { kind: 'ok', value: (accepted.value + refused.value) * share.value };
  }

  /** The share of the reporting gateways Prometheus scrapes: a sum over the series present leaves the others out. */
  private scrapedShareAt(timeMs: number): RecordedValue {
    const { recorder } = this.options;
    const reporting = recorder.gauge('reportingReplicas', timeMs);
    if (reporting.kind === 'missing') return reporting;
    const unscraped = recorder.gauge('unscrapedReplicas', timeMs);
    const scraped = reporting.value - (unscraped.kind === 'ok' ? Math.min(unscraped.value, reporting.value) : 0);
    if (scraped === 0) return { kind: 'missing', reason: 'no simulated gateway is reporting' };
    return { kind: 'ok', value: scraped / reporting.value };
  }

  private unknownTarget(target: TargetRef, timeMs: number): SignalSnapshot {
    const reason = `no simulated gateways for ${targetKey(target)}; the simulated fleet is ${targetKey(this.options.target)}`;
    const signals = Object.fromEntries(SIGNAL_NAMES.map((name) => [name, { kind: 'missing', reason }])) as Record<SignalName, Reading>;
    return { observedAtMs: timeMs, signals, acceptedSpansPerSecondByGateway: { kind: 'missing', reason } };
  }

  private isOwnTarget(target: TargetRef): boolean {
    return targetKey(target) === targetKey(this.options.target);
  }

  private now(): number {
    const { nowMs } = this.options;
    if (!nowMs) throw new Error('SimulatedSignalSource.read needs the nowMs clock option');
    return nowMs();
  }

  async read(target: TargetRef, settings: TargetSettings): Promise<SignalSnapshot> {
    const timeMs = this.now();
    return this.isOwnTarget(target) ? this.snapshotAt(timeMs, settings) : this.unknownTarget(target, timeMs);
  }

  async readRange(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly SignalSnapshot[]> {
    return this.snapshotsOver(target, settings, window);
  }

  /** What `readRange` answers, without waiting: the benchmark's scaler folds its state from it at every poll. */
  snapshotsOver(target: TargetRef, settings: Pick<TargetSettings, 'rateWindowSeconds' | 'agentSelector'>, window: RangeWindow): readonly SignalSnapshot[] {
    assertWindow(window);
    const snapshots: SignalSnapshot[] = [];
    for (let timeMs = window.startMs; timeMs <= window.endMs; timeMs += window.stepSeconds * 1000) {
      const snapshot = this.isOwnTarget(target) ? this.snapshotAt(timeMs, settings) : this.unknownTarget(target, timeMs);
      snapshots.push({ ...snapshot, observedAtMs: timeMs });
    }
    return snapshots;
  }

  /** Accepted spans/s per step, each averaged over max(step, rateWindow) so no step's load is skipped. */
  async readAcceptedSpansHistory(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RangeSample[]> {
    return this.acceptedSpansHistory(target, settings, window);
  }

  async readCpuLoadSamples(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<CpuLoadSamples> {
    return this.cpuLoadSamples(target, settings, window);
  }

  /**
   * Synchronous form of readCpuLoadSamples, for the benchmark. Ring gateways share the load evenly, so
   * one sample per step stands for each of them: the tier's CPU and accepted rates over the ring count.
   */
  cpuLoadSamples(target: TargetRef, settings: Pick<TargetSettings, 'agentSelector' | 'rateWindowSeconds' | 'decisionWaitSeconds' | 'targetQueueFill' | 'decisionLatencyBudgetMs'>, window: RangeWindow): CpuLoadSamples {
    assertWindow(window);
    if (!this.isOwnTarget(target)) return { samples: [], allotmentSource: undefined };
    const key = `${settings.agentSelector ?? ''} ${settings.rateWindowSeconds} ${settings.decisionWaitSeconds} ${settings.targetQueueFill} ${settings.decisionLatencyBudgetMs}`;
    // A step reads back a rate window and a decision_wait (the intake its exports pay for).
    const readsBackSeconds = settings.rateWindowSeconds + settings.decisionWaitSeconds;
    const samples = this.cpuSampleMemo.read(this.options.recorder, key, window, readsBackSeconds, (timeMs) => this.cpuLoadSampleAt(timeMs, settings) ?? null);
    return { samples, allotmentSource: 'kube-state-metrics requests' };
  }

  async readReplicaCounts(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly ReplicaCountSample[]> {
    return this.replicaCounts(target, settings, window);
  }

  /**
   * Synchronous form of readReplicaCounts, for the benchmark. As with Prometheus, the Deployment's spec
   * replicas exist only for a trigger that names the Deployment (`deploymentName`), and the agents' rings
   * only for one that names the agents (`agentSelector`).
   */
  replicaCounts(target: TargetRef, settings: Pick<TargetSettings, 'deploymentName' | 'agentSelector'>, window: RangeWindow): ReplicaCountSample[] {
    assertWindow(window);
    if (!this.isOwnTarget(target) || settings.deploymentName === undefined) return [];
    const { recorder } = this.options;
    const withRings = settings.agentSelector !== undefined;
    return this.replicaCountMemo.read(recorder, withRings ? 'rings' : '', window, 0, (timeMs) => {
      // The simulated agents share one ring: its largest and smallest are the same.
      const ring = withRings ? numberOf(recorder.gauge('ringReplicas', timeMs)) : undefined;
      return {
        atMs: timeMs,
        desiredReplicas: numberOf(recorder.gauge('desiredReplicas', timeMs)),
        reportingReplicas: numberOf(recorder.gauge('reportingReplicas', timeMs)),
        largestRing: ring,
        smallestRing: ring,
      };
    });
  }

  /**
   * Which steps of a gauge range read over `window` are final: steps before `retainedFromMs` have no data
   * for good (older than the retention), steps after `settledUntilMs` may still read differently (their
   * scrape is not recorded yet); each bound is a step of the window, or past its end or before its start.
   */
  settledGaugeSteps(window: RangeWindow): { readonly retainedFromMs: number; readonly settledUntilMs: number } {
    const stepMs = window.stepSeconds * 1000;
    // A gauge read has no window: nothing is cut at the retention edge, so the open steps are those not recorded yet.
    const { dropped, keptTo } = this.options.recorder.readSettlements(window, 0);
    return { retainedFromMs: window.startMs + dropped * stepMs, settledUntilMs: window.startMs + (keptTo - 1) * stepMs };
  }

  /** One step's CPU sample of the ring (undefined when the ring is empty or a rate is missing). */
  private cpuLoadSampleAt(timeMs: number, settings: Pick<TargetSettings, 'agentSelector' | 'rateWindowSeconds' | 'decisionWaitSeconds' | 'targetQueueFill' | 'decisionLatencyBudgetMs'>): CpuLoadSample | undefined {
    const { recorder } = this.options;
    const rateWindow = settings.rateWindowSeconds;
    const ring = recorder.gauge('ringReplicas', timeMs);
    const cpu = recorder.rate('cpuSeconds', timeMs, rateWindow);
    const accepted = recorder.rate('acceptedSpans', timeMs, rateWindow);
    if (ring.kind !== 'ok' || ring.value <= 0 || cpu.kind !== 'ok' || accepted.kind !== 'ok') return undefined;
    const queueFill = recorder.gauge('queueFillMax', timeMs);
    const queueFilling = queueFill.kind === 'ok' && queueFill.value > settings.targetQueueFill;
    const sendFailed = recorder.rate('sendFailedSpans', timeMs, rateWindow);
    const refused = recorder.rate('refusedSpans', timeMs, rateWindow);
    const latency = recorder.decisionLatencyQuantileMs(P99, timeMs, rateWindow);
    const offered = recorder.rate('agentAcceptedSpans', timeMs, rateWindow);
    // The agents are read only where the trigger selects them, as the range query does.
    const agentsAhead = settings.agentSelector !== undefined && offered.kind === 'ok' && offered.value > (1 + AGENT_SHORTFALL_TOLERANCE) * accepted.value && !queueFilling;
    // The ring's average gateway a decision_wait ago, 0 where the ring accepted nothing then (as the range query's `or`).
    const earlierMs = timeMs - settings.decisionWaitSeconds * 1000;
    const ringEarlier = recorder.gauge('ringReplicas', earlierMs);
    const acceptedEarlier = recorder.rate('acceptedSpans', earlierMs, rateWindow);
    const perGatewayEarlier = ringEarlier.kind === 'ok' && ringEarlier.value > 0 && acceptedEarlier.kind === 'ok' ? acceptedEarlier.value / ringEarlier.value : 0;
    return {
      atMs: timeMs,
      gateway: 'ring',
      cpuCores: cpu.value / ring.value,
      acceptedSpansPerSecond: accepted.value / ring.value,
      acceptedSpansPerSecondDecisionWaitAgo: perGatewayEarlier,
      allotmentCores: SIMULATED_CPU_REQUEST_CORES,
      saturated: (latency.kind === 'ok' && latency.value > settings.decisionLatencyBudgetMs) || (refused.kind === 'ok' && refused.value > 0 && !queueFilling),
      agentsAhead,
      exportDisturbed: (sendFailed.kind === 'ok' && sendFailed.value > 0) || queueFilling,
    };
  }

  async readRingShares(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RingShareSample[]> {
    return this.ringShares(target, settings, window);
  }

  /**
   * Synchronous form of readRingShares, for the benchmark. The gateways on the agents' ring accept spans;
   * a skewed ring's hot gateway is the busiest, an even ring's gateways share alike.
   */
  ringShares(target: TargetRef, settings: Pick<TargetSettings, 'rateWindowSeconds'>, window: RangeWindow): RingShareSample[] {
    assertWindow(window);
    if (!this.isOwnTarget(target)) return [];
    const { recorder } = this.options;
    const rateWindow = settings.rateWindowSeconds;
    return this.ringShareMemo.read(recorder, String(rateWindow), window, rateWindow, (timeMs) => {
      const ring = recorder.gauge('ringReplicas', timeMs);
      const accepted = recorder.rate('acceptedSpans', timeMs, rateWindow);
      if (ring.kind !== 'ok' || ring.value < 1 || accepted.kind !== 'ok' || accepted.value <= 0) return null;
      const hot = ring.value > 1 ? recorder.rate('hotGatewayAcceptedSpans', timeMs, rateWindow) : undefined;
      const hottestShare = hot?.kind === 'ok' && hot.value > 0 ? Math.min(1, hot.value / accepted.value) : 1 / ring.value;
      return { atMs: timeMs, acceptingGateways: ring.value, hottestShare };
    });
  }

  /** Synchronous form of readAcceptedSpansHistory, for the benchmark's refits. */
  acceptedSpansHistory(target: TargetRef, settings: Pick<TargetSettings, 'rateWindowSeconds'>, window: RangeWindow): RangeSample[] {
    assertWindow(window);
    if (!this.isOwnTarget(target)) return [];
    const { recorder } = this.options;
    const averageSeconds = Math.max(window.stepSeconds, settings.rateWindowSeconds);
    return this.acceptedHistoryMemo.read(recorder, String(averageSeconds), window, averageSeconds, (timeMs) => {
      const rate = minRate(recorder.rate('acceptedSpans', timeMs, averageSeconds), recorder.rate('agentAcceptedSpans', timeMs, averageSeconds));
      return rate.kind === 'ok' ? { timestampMs: timeMs, value: rate.value } : null;
    });
  }
}

/** How a kept answer's step had settled when it was computed (FleetRecorder.readSettlement); 0: not kept. */
const SETTLED_KEPT = 1;
const SETTLED_DROPPED = 2;

function settledCode(settlement: 'kept' | 'dropped' | 'open'): number {
  return settlement === 'kept' ? SETTLED_KEPT : settlement === 'dropped' ? SETTLED_DROPPED : 0;
}

/** Where a range read on a whole-ms grid found its steps settled (FleetRecorder.readSettlements), by step number (time / step). */
interface GridSettlements {
  readonly startMs: number;
  readonly firstStep: number;
  /** Steps before it are dropped for good. */
  readonly droppedTo: number;
  /** Steps from keptFrom to before keptTo are kept for good; the others may read differently later. */
  readonly keptFrom: number;
  readonly keptTo: number;
}

function settlementOnGrid(grid: GridSettlements, step: number): number {
  return step < grid.droppedTo ? SETTLED_DROPPED : step >= grid.keptFrom && step < grid.keptTo ? SETTLED_KEPT : 0;
}

/**
 * How many steps from `now.firstStep` on (at most `limit`) are read at the same times and settled alike
 * by both reads, none of them open: their answers from `before` stand. Each read's settlement changes at
 * three steps only, so the steps between two changes are judged together.
 */
function stepsSettledAlike(before: GridSettlements, now: GridSettlements, limit: number, stepMs: number): number {
  if (now.startMs - before.startMs !== (now.firstStep - before.firstStep) * stepMs) return 0;
  const changes = [before.droppedTo, before.keptFrom, before.keptTo, now.droppedTo, now.keptFrom, now.keptTo];
  const end = now.firstStep + limit;
  let step = now.firstStep;
  while (step < end) {
    const code = settlementOnGrid(now, step);
    if (code === 0 || code !== settlementOnGrid(before, step)) break;
    let next = end;
    for (const change of changes) if (change > step && change < next) next = change;
    step = next;
  }
  return step - now.firstStep;
}

/**
 * Per-step answers of a range read kept by step time, for reads that overlap the last one: only steps
 * whose reads are settled (FleetRecorder.readSettlement) are kept, each with the settlement it was
 * computed under, so a kept answer is what computing it again would give (a step that left the
 * retention since is computed again). A new key (other settings) starts over; steps before the window
 * are dropped, and so are steps past its end. Answers are `null` where a step has none; `read` leaves
 * those out.
 *
 * The answers are columns indexed by step number from the window's first step, read from `head`:
 * windows slide forward, so a read moves `head` past the steps it drops instead of shifting the columns
 * (they are shifted once `head` passes half of them). Beside them, the answers that are not null are
 * kept in order (`present`), each step holding how many came before it, so a read copies its answers
 * out in one slice and rebuilds them only from the first step it computes again. On a whole-ms grid
 * that step is found from where the two reads' settlements change, not by visiting each step: the
 * benchmark re-reads a day of steps every five simulated minutes for a few new ones.
 */
class SettledSteps<T> {
  private key: string | undefined;
  /** Step number (time / step) of the column entry at `head`. */
  private firstStep = 0;
  /** Column entries before it belong to steps already dropped. */
  private head = 0;
  private readonly times: number[] = [];
  private readonly answers: (T | null)[] = [];
  private readonly settlements: number[] = [];
  /** Per step, the count of answers that are not null before it, counted since the key's first read. */
  private readonly presentBefore: number[] = [];
  /** The answers that are not null, in step order; `present[0]` is the answer counted `presentBase`. */
  private readonly present: T[] = [];
  private presentBase = 0;
  /** How the last read, on a whole-ms grid, found its steps settled; every stored step was read by it. */
  private lastGrid: GridSettlements | undefined;

  read(recorder: FleetRecorder, key: string, window: RangeWindow, windowSeconds: number, compute: (timeMs: number) => T | null): T[] {
    const stepMs = window.stepSeconds * 1000;
    const fullKey = `${key} ${stepMs}`;
    const windowStep = Math.floor(window.startMs / stepMs);
    const { times, answers, settlements, presentBefore, present } = this;
    if (fullKey !== this.key || windowStep < this.firstStep || windowStep - this.firstStep >= times.length - this.head) {
      this.key = fullKey;
      this.head = 0;
      times.length = 0;
      answers.length = 0;
      settlements.length = 0;
      presentBefore.length = 0;
      present.length = 0;
      this.presentBase = 0;
      this.lastGrid = undefined;
    } else {
      this.dropSteps(windowStep - this.firstStep);
    }
    this.firstStep = windowStep;
    const { head } = this;
    const stored = times.length - head;
    // On a whole-ms grid the times below are start + i × step exactly, as readSettlements takes them; off
    // it (a step with a fraction of a ms) each step's settlement is asked at the very time it is read.
    const whole = Number.isInteger(stepMs) && Number.isInteger(window.startMs);
    const settled = whole ? recorder.readSettlements(window, windowSeconds) : undefined;
    const grid: GridSettlements | undefined = settled && {
      startMs: window.startMs,
      firstStep: windowStep,
      droppedTo: windowStep + settled.dropped,
      keptFrom: windowStep + settled.keptFrom,
      keptTo: windowStep + settled.keptTo,
    };
    // Index i is step windowStep + i (on a whole-ms grid exactly; off it the time kept with each answer tells).
    // The steps kept from the last read, up to the first that is computed again, keep their present answers.
    let i = 0;
    let timeMs = window.startMs;
    if (grid !== undefined && this.lastGrid !== undefined) {
      // Every stored step was settled as the last read found it: whole runs of steps are judged at once.
      i = stepsSettledAlike(this.lastGrid, grid, Math.min(stored, Math.floor((window.endMs - window.startMs) / stepMs) + 1), stepMs);
      timeMs += i * stepMs;
    } else {
      for (; timeMs <= window.endMs && i < stored; i++, timeMs += stepMs) {
        const code = grid ? settlementOnGrid(grid, windowStep + i) : settledCode(recorder.readSettlement(timeMs, windowSeconds));
        if (code === 0 || settlements[head + i] !== code || times[head + i] !== timeMs) break;
      }
    }
    const presentFrom = presentBefore[head] ?? this.presentBase;
    if (i < stored) present.length = presentBefore[head + i]! - this.presentBase;
    for (; timeMs <= window.endMs; i++, timeMs += stepMs) {
      const at = head + i;
      const code = grid ? settlementOnGrid(grid, windowStep + i) : settledCode(recorder.readSettlement(timeMs, windowSeconds));
      let answer: T | null;
      if (code !== 0 && i < stored && settlements[at] === code && times[at] === timeMs) {
        answer = answers[at]!;
      } else {
        answer = compute(timeMs);
        times[at] = timeMs;
        answers[at] = answer;
        settlements[at] = code;
      }
      presentBefore[at] = this.presentBase + present.length;
      if (answer !== null) present.push(answer);
    }
    // Steps past the window's end are not kept: the columns end with the window, as the present answers do.
    const end = head + i;
    times.length = end;
    answers.length = end;
    settlements.length = end;
    presentBefore.length = end;
    this.lastGrid = grid;
    return present.slice(presentFrom - this.presentBase);
  }

  /** Moves `head` past `count` steps; once the dropped entries outnumber the kept ones, shifts them out. */
  private dropSteps(count: number): void {
    this.head += count;
    const { head, times, answers, settlements, presentBefore, present } = this;
    if (head < times.length - head) return;
    const presentDropped = presentBefore[head]! - this.presentBase;
    times.splice(0, head);
    answers.splice(0, head);
    settlements.splice(0, head);
    presentBefore.splice(0, head);
    present.splice(0, presentDropped);
    this.presentBase += presentDropped;
    this.head = 0;
  }
}

/** The same limits as the Prometheus source, so a window that works on the demo works in production. */
function assertWindow(window: RangeWindow): void {
  if (!(window.stepSeconds > 0)) throw new ScalerError('BAD_REQUEST', `window.stepSeconds must be > 0, got ${window.stepSeconds}`);
  if (!(window.endMs >= window.startMs)) throw new ScalerError('BAD_REQUEST', `window.endMs must be ≥ startMs (${window.startMs}), got ${window.endMs}`);
  const points = Math.floor((window.endMs - window.startMs) / (window.stepSeconds * 1000)) + 1;
  if (points > MAX_RANGE_POINTS) {
    throw new ScalerError('BAD_REQUEST', `window.stepSeconds ${window.stepSeconds} needs ${points} points; at most ${MAX_RANGE_POINTS}: use stepSeconds ≥ ${minRangeStepSeconds(window)} or a shorter window`);
  }
}

function minRate(a: RecordedValue, b: RecordedValue): RecordedValue {
  return a.kind === 'ok' && b.kind === 'ok' ? { kind: 'ok', value: Math.min(a.value, b.value) } : a;
}
