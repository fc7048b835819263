// This project's scaler in the simulated loop: at every KEDA poll it reads the simulated fleet's
// signals, runs the same decide() the gRPC scaler runs, on the state the gRPC scaler folds from
// Prometheus (here from the simulated history, extended by the new grid instants at each poll), and
// answers decision.replicas with targetSize 1; the HPA then applies the example ScaledObject's
// behavior. scaler-forecast adds the advisor's ForecastRefresher, refitted on the simulated history
// at the times of the server config's refitSchedule (hourly by default); scaler-reactive has none.
import { type CronSchedule, nextCronMatch, parseCron } from '../../forecasting/cron.ts';
import type { AdvisorLogger } from '../advisor/advisor-logger.ts';
import { capacityReadWindow } from '../advisor/capacity-refresher.ts';
import { LEARNED_REFRESH_SECONDS } from '../advisor/learned-refresher.ts';
import { ringShareReadWindow } from '../advisor/ring-spread-refresher.ts';
import { startupFromCounts, replicaHistoryReadWindow } from '../advisor/replica-history-refresher.ts';
import { ForecastRefresher } from '../advisor/forecast-refresher.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import { ceilingHeldBy } from '../policy/backend-ceiling.ts';
import { EARLIER_PEAK_LOOKBACK_SECONDS, type EarlierPeaks } from '../policy/earlier-peaks.ts';
import { type CapacityEstimate, CapacityWorkspace, estimateCapacity } from '../policy/capacity-estimate.ts';
import { decide } from '../policy/decide.ts';
import { type LearnedFigures, rebuildPolicyState, stateHorizonSeconds } from '../policy/rebuild-state.ts';
import { nextStateFoldRead } from '../signals/state-grid.ts';
import { findRingSpread, type RingSpread } from '../policy/ring-spread.ts';
import { joinSeenByFor, SlidingStartupEstimate, type StartupEstimate } from '../policy/startup-estimate.ts';
import { startupInUse } from '../policy/startup-in-use.ts';
import type { Decision } from '../policy/decision.ts';
import type { PolicyState } from '../policy/policy-state.ts';
import type { Autoscaler, AutoscalerName, ControlContext, ExternalLoopSettings } from './autoscaler.ts';
import { KedaHpaLoop } from './autoscaler.ts';
import { startingReplicas } from './baseline-autoscalers.ts';
import { type CapacityTally, CapacityTallyRecorder } from './capacity-tally.ts';
import type { Forecaster } from './forecast-cache.ts';
import type { FleetSettings } from './fleet-settings.ts';
import type { LoadCurve } from './load-curve.ts';
import { inWindows, type TimeWindow } from './scenario.ts';
import { SIMULATED_TARGET } from './simulated-target.ts';

/** decide() answers the replica count itself, so KEDA's targetSize (AverageValue) is 1. */
const TARGET_SIZE = 1;
/** How far ahead the next refit time is looked for. */
const REFIT_SEARCH_MS = 2 * 86_400_000;

/** The forecast side of scaler-forecast, as the server config sets it. */
export interface SimulatedForecasts {
  /** node-cron expression (server config `forecast.refitSchedule`). */
  readonly refitSchedule: string;
  /** Targets not asked for a forecast for this long are forgotten (server config `advisor.forgetAfter`). */
  readonly forgetAfterSeconds: number;
  /** Computes each fit; default forecast() (see forecast-cache.ts for the benchmark's cached one). */
  readonly forecast?: Forecaster;
}

/** The refresher logs each refit; a benchmark of thousands of refits keeps quiet. */
const QUIET: AdvisorLogger = { info() {}, warn() {}, error() {} };

/** The replica counts from `startMs` to `endMs`; none when the range is empty. */
function readCounts(source: ControlContext['source'], settings: TargetSettings, startMs: number, endMs: number, stepSeconds: number) {
  return startMs <= endMs ? source.replicaCounts(SIMULATED_TARGET, settings, { startMs, endMs, stepSeconds }) : [];
}

/**
 * startupFromCounts over the read a ReplicaHistoryRefresher makes at each time asked, kept up to date step by
 * step instead of walking a day of counts at each read: final steps are appended to a
 * SlidingStartupEstimate once, the few not final yet are passed as its tail. Steps older than the
 * retention read as gaps, and a walk is back to its start after a gap, so the window's walk is the walk
 * from its first retained step.
 */
export class SimulatedStartupReads {
  private window: SlidingStartupEstimate | undefined;

  estimateAt(source: ControlContext['source'], settings: TargetSettings, nowMs: number): StartupEstimate {
    if (settings.deploymentName === undefined) return startupFromCounts(settings, []);
    this.window ??= new SlidingStartupEstimate(joinSeenByFor(settings));
    const window = replicaHistoryReadWindow(nowMs);
    const stepMs = window.stepSeconds * 1000;
    const { retainedFromMs, settledUntilMs } = source.settledGaugeSteps(window);
    const fromMs = Math.max(window.startMs, retainedFromMs);
    for (const sample of readCounts(source, settings, Math.max(fromMs, this.window.lastAppendedMs + stepMs), settledUntilMs, window.stepSeconds)) this.window.append(sample);
    return this.window.estimate(fromMs, readCounts(source, settings, Math.max(fromMs, settledUntilMs + stepMs), window.endMs, window.stepSeconds));
  }
}

/** One exported figure as Prometheus keeps it: only the newest matters, and it outlives a restart of the scaler. */
class SimulatedExportedSeries<T> {
  private newest: { readonly atMs: number; readonly value: T } | undefined;

  record(atMs: number, value: T): void {
    this.newest = { atMs, value };
  }

  /** The newest value within EARLIER_PEAK_LOOKBACK_SECONDS before `nowMs`, as last_over_time reads it. */
  readAt(nowMs: number): T | undefined {
    return this.newest !== undefined && this.newest.atMs >= nowMs - EARLIER_PEAK_LOOKBACK_SECONDS * 1000 ? this.newest.value : undefined;
  }
}

/**
 * What earlier peaks showed as the scaler exports it on /metrics (self-metrics.ts) and reads it back
 * (signals/decision-series.ts): the backend ceiling and the load the gateways fell behind at.
 */
class SimulatedEarlierPeaks {
  readonly backendCeiling = new SimulatedExportedSeries<NonNullable<EarlierPeaks['backendCeiling']>>();
  readonly fellBehind = new SimulatedExportedSeries<NonNullable<EarlierPeaks['fellBehind']>>();

  /** What a decision exports at `atMs`. */
  recordFrom(atMs: number, decision: Decision): void {
    const held = ceilingHeldBy(decision);
    if (held !== undefined) this.backendCeiling.record(atMs, held);
    const { fellBehindNow } = decision.capacity;
    if (fellBehindNow !== undefined) this.fellBehind.record(atMs, fellBehindNow);
  }

  readAt(nowMs: number): EarlierPeaks {
    const backendCeiling = this.backendCeiling.readAt(nowMs);
    const fellBehind = this.fellBehind.readAt(nowMs);
    return { ...(backendCeiling === undefined ? {} : { backendCeiling }), ...(fellBehind === undefined ? {} : { fellBehind }) };
  }
}

/** The decision state as the gRPC scaler rebuilds it (advisor.ts): a fold over the simulated history on the shared grid. */
class SimulatedStateFold {
  private state: PolicyState | undefined;
  private foldedToMs: number | undefined;

  /** The fold brought up to the newest settled grid instant at `nowMs`, with the figures the live decision uses. */
  at(source: ControlContext['source'], settings: TargetSettings, learned: LearnedFigures, nowMs: number): PolicyState | undefined {
    const next = nextStateFoldRead(nowMs, settings, stateHorizonSeconds(settings), this.foldedToMs);
    if (next === undefined) return this.state;
    const snapshots = source.snapshotsOver(SIMULATED_TARGET, settings, next.window);
    this.state = rebuildPolicyState(snapshots, settings, learned, next.extendsFold ? this.state : undefined);
    this.foldedToMs = next.instantMs;
    return this.state;
  }
}

export class ProjectScalerAutoscaler implements Autoscaler {
  readonly name: AutoscalerName;
  private readonly loop: KedaHpaLoop;
  private fold = new SimulatedStateFold();
  /** The last live decision's state: what the gRPC scaler decides on while the fold has none yet. */
  private state: PolicyState | undefined;
  /** The latest decision, for the demo's dashboard and for tests. */
  latestDecision: Decision | undefined;
  /** Polls that ended in a ScalerError (the HPA keeps the count, as with KEDA's fallback not yet engaged). */
  failedPolls = 0;
  /** The benchmark's record of every decision's capacity; not the scaler's state, so it outlives restarts. */
  private readonly capacities = new CapacityTallyRecorder();
  /** Polls while the scaler was down for a restart (the HPA keeps the count). */
  pollsWhileDown = 0;
  /** Down for a restart since the last poll or refit: the next one outside a restart window starts with no process memory. */
  private restarting = false;
  private readonly refitSchedule: CronSchedule | undefined;
  private nextRefitMs = Number.NEGATIVE_INFINITY;
  /** What the simulated gateways' CPU says about capacity, re-read every LEARNED_REFRESH_SECONDS as the Advisor does. */
  private capacity: CapacityEstimate | undefined;
  /** What the simulated Deployment's scale-outs say about pod startup, re-read with the capacity. */
  private startup: StartupEstimate | undefined;
  /** What the ring's last change of size did to the busiest gateway's share, re-read with the capacity. */
  private ringSpread: RingSpread | undefined;
  /** What earlier peaks showed, as the scaler's own exported series hold it, re-read with the capacity. */
  private earlierPeaks: EarlierPeaks = {};
  /** What Prometheus keeps of the scaler's exported series: not process memory, so a restart keeps it. */
  private readonly exportedPeaks = new SimulatedEarlierPeaks();
  private nextLearnedReadMs = Number.NEGATIVE_INFINITY;
  /** Where every capacity estimate of this run computes: one every five simulated minutes, each over six hours of samples. */
  private capacityWorkspace = new CapacityWorkspace();
  private startupReads = new SimulatedStartupReads();
  private leadTimeOf: { readonly startup: StartupEstimate | undefined; readonly leadTimeSeconds: number } | undefined;
  /** Built on the first step, over that run's simulated Prometheus. */
  private refresher: ForecastRefresher | undefined;

  constructor(
    private readonly settings: TargetSettings,
    private readonly fleetSettings: FleetSettings,
    private readonly loopSettings: Omit<ExternalLoopSettings, 'targetAverageValue'>,
    private readonly forecasts: SimulatedForecasts | undefined,
    /** Windows in which the scaler is down; it comes back from each as a new process would. */
    private readonly restarts: readonly TimeWindow[] = [],
  ) {
    this.name = forecasts ? 'scaler-forecast' : 'scaler-reactive';
    this.refitSchedule = forecasts ? parseCron(forecasts.refitSchedule) : undefined;
    this.loop = new KedaHpaLoop({ ...loopSettings, targetAverageValue: TARGET_SIZE }, (context) => this.poll(context));
  }

  /** Refits at the start (a target seen for the first time) and at every scheduled time after. */
  prepare(context: ControlContext): Promise<void> | undefined {
    const { forecasts } = this;
    if (!forecasts || this.isDown(context.nowMs) || context.nowMs < this.nextRefitMs) return undefined;
    this.refresher ??= new ForecastRefresher({
      history: context.source,
      schedule: forecasts.refitSchedule,
      forgetAfterSeconds: forecasts.forgetAfterSeconds,
      logger: QUIET,
      nowMs: () => context.nowMs,
      ...(forecasts.forecast ? { forecast: forecasts.forecast } : {}),
    });
    this.nextRefitMs = nextCronMatch(this.refitSchedule!, context.nowMs + 1, context.nowMs + REFIT_SEARCH_MS) ?? Number.POSITIVE_INFINITY;
    return this.refresher.refit(SIMULATED_TARGET, this.settings, context.nowMs);
  }

  /** Whether the scaler is down for a restart at `nowMs`; once back, it has forgotten everything a process holds. */
  private isDown(nowMs: number): boolean {
    if (inWindows(this.restarts, nowMs)) {
      this.restarting = true;
      return true;
    }
    if (this.restarting) this.forgetProcessMemory();
    return false;
  }

  /** What a restarted scaler process starts without: its state, its fold, its learned figures and forecasts; Prometheus keeps the rest. */
  private forgetProcessMemory(): void {
    this.restarting = false;
    this.state = undefined;
    this.fold = new SimulatedStateFold();
    this.capacity = undefined;
    this.startup = undefined;
    this.ringSpread = undefined;
    this.earlierPeaks = {};
    this.nextLearnedReadMs = Number.NEGATIVE_INFINITY;
    this.capacityWorkspace = new CapacityWorkspace();
    this.startupReads = new SimulatedStartupReads();
    this.leadTimeOf = undefined;
    this.refresher = undefined;
    this.nextRefitMs = Number.NEGATIVE_INFINITY;
  }

  private poll(context: ControlContext): number | undefined {
    if (this.isDown(context.nowMs)) {
      this.pollsWhileDown++;
      return undefined;
    }
    const snapshot = context.source.snapshotAt(context.nowMs, this.settings);
    if (context.nowMs >= this.nextLearnedReadMs) {
      this.nextLearnedReadMs = context.nowMs + LEARNED_REFRESH_SECONDS * 1000;
      const { samples, allotmentSource } = context.source.cpuLoadSamples(SIMULATED_TARGET, this.settings, capacityReadWindow(this.settings, context.nowMs));
      this.capacity = estimateCapacity(samples, this.settings.cpuPerReplicaCores, allotmentSource, this.capacityWorkspace);
      this.startup = this.startupReads.estimateAt(context.source, this.settings, context.nowMs);
      this.ringSpread = findRingSpread(context.source.ringShares(SIMULATED_TARGET, this.settings, ringShareReadWindow(this.settings, context.nowMs)), this.settings.rateWindowSeconds);
      this.earlierPeaks = this.exportedPeaks.readAt(context.nowMs);
    }
    const forecast = this.refresher?.forecastFor(SIMULATED_TARGET, this.settings, context.nowMs, this.leadTimeSeconds());
    try {
      const { nowMs } = context;
      const { capacity, startup, ringSpread } = this;
      const { backendCeiling, fellBehind } = this.earlierPeaks;
      const folded = this.fold.at(context.source, this.settings, { capacity, startup, ringSpread, backendCeiling, fellBehind }, nowMs);
      // Two literals rather than a spread: one input per poll.
      const input = forecast
        ? { nowMs, snapshot, capacity, startup, ringSpread, backendCeiling, fellBehind, forecast }
        : { nowMs, snapshot, capacity, startup, ringSpread, backendCeiling, fellBehind };
      const result = decide(input, this.settings, folded ?? this.state);
      this.state = result.state;
      this.latestDecision = result.decision;
      this.exportedPeaks.recordFrom(nowMs, result.decision);
      this.capacities.add(result.decision.capacity);
      return result.decision.replicas;
    } catch (error) {
      if (!(error instanceof ScalerError)) throw error;
      this.failedPolls++;
      return undefined;
    }
  }

  /**
   * The lead time the forecast is read at: the startup in use's. Resolved again only when the startup
   * estimate is re-read (every LEARNED_REFRESH_SECONDS), not at every poll.
   */
  private leadTimeSeconds(): number {
    if (this.leadTimeOf === undefined || this.leadTimeOf.startup !== this.startup) {
      this.leadTimeOf = { startup: this.startup, leadTimeSeconds: startupInUse(this.settings, this.startup).leadTimeSeconds };
    }
    return this.leadTimeOf.leadTimeSeconds;
  }

  initialReplicas(load: LoadCurve): number {
    return startingReplicas(load, this.fleetSettings);
  }

  control(context: ControlContext): void {
    this.loop.control(context);
  }

  capacityTally(): CapacityTally | undefined {
    return this.capacities.tally();
  }

  describe(): string {
    const s = this.settings;
    return `decide() every ${this.loopSettings.pollingSeconds}s (targetQueueFill ${s.targetQueueFill}, scaleInStep ${s.scaleInStep}, scaleInWindow ${s.scaleInWindowSeconds}s${this.forecasts ? `, forecast q${s.forecastQuantile} refitted on "${this.forecasts.refitSchedule}"` : ''})`;
  }
}
