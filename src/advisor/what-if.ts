// What-if replay: runs the same decide() the scaler uses over past signal snapshots, with settings the
// caller may have overridden, and sets what it would have run next to what the gateways actually ran.
// Pure given the snapshots (fetching them is the caller's I/O).
//
// The replay closes the loop on the replica count only: each step's decision sees the count the replay
// itself chose, with per-gateway queue fill spread over that count (total backlog kept); load, send
// failures, traces held and decision latency are taken as observed. Forecast and calendar proposals are
// left out: the forecast that would have been fitted at the time is not kept.
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import { decide } from '../policy/decide.ts';
import type { Decision } from '../policy/decision.ts';
import type { PolicyState } from '../policy/policy-state.ts';
import type { Reading, SignalSnapshot } from '../signals/signal-snapshot.ts';
import { startupInUse } from '../policy/startup-in-use.ts';

/** How lost spans are estimated, in words the dashboard and the API answer show next to the number. */
export const WHAT_IF_ESTIMATOR =
  'Estimated lost spans = Σ over steps of max(0, offered − ready replicas × capacitySpansPerReplica) × step, where offered = accepted + refused spans/s as observed. ' +
  'A replica asked for counts as ready after the trigger’s join: podStartup + dnsResolverInterval + dnsTtl (its start, then the agents’ re-resolve through the cluster DNS’s cache); removed replicas stop counting at once. ' +
  'Exporter queues absorbing short bursts are not credited, and spans an outage of the backend costs are not counted: it is a capacity estimate, the same for both columns. ' +
  'Replica-hours count the replicas asked for (starting pods cost too). Both columns sum only the steps where the load and the replicas the gateways ran were both known.';

export interface WhatIfInput {
  /** The target's settings with the what-if overrides applied. */
  readonly settings: TargetSettings;
  /** One per step, oldest first, as SignalHistory.readRange returns them. */
  readonly snapshots: readonly SignalSnapshot[];
  readonly stepSeconds: number;
}

export interface ReplicaRunTotals {
  readonly replicaHours: number;
  readonly estimatedLostSpans: number;
  /** Changes of the replica count between consecutive steps. */
  readonly scaleActions: number;
  readonly scaleOuts: number;
  readonly scaleIns: number;
  readonly peakReplicas: number | null;
}

export interface ReplayedScaleAction {
  readonly atMs: number;
  readonly from: number;
  readonly to: number;
  /** The decision's summary sentence at that step. */
  readonly summary: string;
}

export interface WhatIfResult {
  readonly steps: number;
  /** Steps where offered load and the gateways' replica count were both known; the totals cover these. */
  readonly comparedSteps: number;
  readonly replay: ReplicaRunTotals;
  readonly actual: ReplicaRunTotals;
  /** The replay's scale actions, oldest first, at most MAX_LISTED_SCALE_ACTIONS. */
  readonly scaleActions: readonly ReplayedScaleAction[];
  readonly scaleActionsTruncated: boolean;
  /** Columns aligned on atMs, for a chart of both runs. */
  readonly series: {
    readonly atMs: readonly number[];
    readonly offeredSpansPerSecond: readonly (number | null)[];
    readonly actualReplicas: readonly (number | null)[];
    readonly replayedReplicas: readonly number[];
    readonly replayedReadyReplicas: readonly number[];
  };
}

/** The answer lists this many scale actions; the counts in the totals are complete. */
export const MAX_LISTED_SCALE_ACTIONS = 200;

function readingValue(reading: Reading): number | undefined {
  return reading.kind === 'ok' ? reading.value : undefined;
}

/** Offered load: what the gateways accepted plus what memory_limiter refused. Unknown when accepted is missing. */
export function offeredSpansPerSecond(snapshot: SignalSnapshot): number | undefined {
  const accepted = readingValue(snapshot.signals.acceptedSpansPerSecond);
  if (accepted === undefined) return undefined;
  return accepted + (readingValue(snapshot.signals.refusedSpansPerSecond) ?? 0);
}

/**
 * The snapshot as the replayed fleet would have reported it: its replica count, and per-gateway queue
 * fill spread over that count (total backlog = fill × actual replicas, capped at full). Gateways that
 * were silent then stay silent: the replayed fleet reports that many fewer than it has.
 */
export function withReplayedReplicas(snapshot: SignalSnapshot, replicas: number): SignalSnapshot {
  const actual = readingValue(snapshot.signals.currentReplicas);
  const actualReporting = readingValue(snapshot.signals.reportingReplicas);
  const silent = actual !== undefined && actualReporting !== undefined ? Math.max(0, actual - actualReporting) : 0;
  const spreadFill = (fill: number) => (actual === undefined ? fill : Math.min(1, (fill * actual) / replicas));
  const spread = (reading: Reading): Reading => (reading.kind === 'ok' ? { kind: 'ok', value: spreadFill(reading.value) } : reading);
  const { queueFillMaxWindowAgo } = snapshot;
  return {
    ...snapshot,
    ...(queueFillMaxWindowAgo === undefined ? {} : { queueFillMaxWindowAgo: spreadFill(queueFillMaxWindowAgo) }),
    signals: {
      ...snapshot.signals,
      currentReplicas: { kind: 'ok', value: replicas },
      reportingReplicas: snapshot.signals.reportingReplicas.kind === 'ok' ? { kind: 'ok', value: Math.max(0, replicas - silent) } : snapshot.signals.reportingReplicas,
      queueFillMax: spread(snapshot.signals.queueFillMax),
      queueFillMean: spread(snapshot.signals.queueFillMean),
    },
  };
}

/** Replicas that take traffic: asked-for replicas take it after their join; removals act at once. */
export class ReadyReplicas {
  private ready: number;
  private readonly starting: { readyAtMs: number; count: number }[] = [];

  constructor(initial: number, private readonly joinMs: number) {
    this.ready = initial;
  }

  /** Applies the count asked for at `atMs` and returns the replicas ready then. */
  advance(atMs: number, asked: number): number {
    while (this.starting.length > 0 && this.starting[0]!.readyAtMs <= atMs) this.ready += this.starting.shift()!.count;
    const total = this.ready + this.starting.reduce((sum, batch) => sum + batch.count, 0);
    if (asked > total) this.starting.push({ readyAtMs: atMs + this.joinMs, count: asked - total });
    let surplus = Math.max(0, total - asked);
    // Pods still starting are removed first, newest first, as a ReplicaSet does.
    while (surplus > 0 && this.starting.length > 0) {
      const newest = this.starting[this.starting.length - 1]!;
      const removed = Math.min(surplus, newest.count);
      newest.count -= removed;
      surplus -= removed;
      if (newest.count === 0) this.starting.pop();
    }
    this.ready -= surplus;
    return this.ready;
  }
}

class RunTotals {
  replicaSeconds = 0;
  lostSpans = 0;
  scaleOuts = 0;
  scaleIns = 0;
  peak: number | null = null;
  private previous: number | undefined;

  count(replicas: number | undefined): void {
    if (replicas === undefined) return;
    if (this.previous !== undefined && replicas > this.previous) this.scaleOuts++;
    if (this.previous !== undefined && replicas < this.previous) this.scaleIns++;
    this.previous = replicas;
    this.peak = Math.max(this.peak ?? replicas, replicas);
  }

  add(replicas: number, readyReplicas: number, offeredSpansPerSecond: number, stepSeconds: number, capacitySpansPerReplica: number): void {
    this.replicaSeconds += replicas * stepSeconds;
    this.lostSpans += Math.max(0, offeredSpansPerSecond - readyReplicas * capacitySpansPerReplica) * stepSeconds;
  }

  totals(): ReplicaRunTotals {
    return {
      replicaHours: this.replicaSeconds / 3600,
      estimatedLostSpans: this.lostSpans,
      scaleActions: this.scaleOuts + this.scaleIns,
      scaleOuts: this.scaleOuts,
      scaleIns: this.scaleIns,
      peakReplicas: this.peak,
    };
  }
}

/** The only call into the policy: the replay decides exactly as the scaler does, in enforce terms. */
function decideStep(snapshot: SignalSnapshot, settings: TargetSettings, previous: PolicyState | undefined): { decision: Decision; state: PolicyState } {
  return decide({ nowMs: snapshot.observedAtMs, snapshot }, settings, previous);
}

/**
 * The replay, one snapshot at a time, so a caller holding many steps can hand them over in slices
 * and let other work (KEDA's polls) run in between. Deterministic: the same snapshots give the same result.
 */
export class WhatIfReplay {
  private readonly settings: TargetSettings;
  private readonly stepSeconds: number;
  private readonly ready: ReadyReplicas;
  private readonly replay = new RunTotals();
  private readonly actual = new RunTotals();
  private readonly series = {
    atMs: [] as number[],
    offeredSpansPerSecond: [] as (number | null)[],
    actualReplicas: [] as (number | null)[],
    replayedReplicas: [] as number[],
    replayedReadyReplicas: [] as number[],
  };
  private readonly scaleActions: ReplayedScaleAction[] = [];
  private replicas: number;
  private state: PolicyState | undefined;
  private comparedSteps = 0;

  /** `initialReplicas`: the count the replayed fleet starts from (see initialReplicas()). */
  constructor(settings: TargetSettings, stepSeconds: number, initialReplicas: number) {
    this.settings = settings;
    this.stepSeconds = stepSeconds;
    this.replicas = initialReplicas;
    // A replayed replica takes traffic once the trigger's join has passed: its start, then the agents' re-resolve.
    this.ready = new ReadyReplicas(initialReplicas, startupInUse(settings, undefined).joinSeconds * 1000);
  }

  /** Decides the next step; snapshots must come oldest first, one per step. */
  add(snapshot: SignalSnapshot): void {
    const { settings, stepSeconds } = this;
    const step = decideStep(withReplayedReplicas(snapshot, this.replicas), settings, this.state);
    this.state = step.state;
    // The HPA ignores a change inside its tolerance, so the fleet would have stayed where it was.
    const next = step.decision.withinHpaTolerance ? this.replicas : step.decision.recommended;
    if (next !== this.replicas) {
      this.scaleActions.push({ atMs: snapshot.observedAtMs, from: this.replicas, to: next, summary: step.decision.summary });
      this.replicas = next;
    }
    const readyNow = this.ready.advance(snapshot.observedAtMs, this.replicas);
    const actualReplicas = readingValue(snapshot.signals.currentReplicas);
    const offered = offeredSpansPerSecond(snapshot);
    this.replay.count(this.replicas);
    this.actual.count(actualReplicas);
    if (offered !== undefined && actualReplicas !== undefined) {
      this.comparedSteps++;
      this.replay.add(this.replicas, readyNow, offered, stepSeconds, settings.capacitySpansPerReplica);
      this.actual.add(actualReplicas, actualReplicas, offered, stepSeconds, settings.capacitySpansPerReplica);
    }
    this.series.atMs.push(snapshot.observedAtMs);
    this.series.offeredSpansPerSecond.push(offered ?? null);
    this.series.actualReplicas.push(actualReplicas ?? null);
    this.series.replayedReplicas.push(this.replicas);
    this.series.replayedReadyReplicas.push(readyNow);
  }

  result(): WhatIfResult {
    return {
      steps: this.series.atMs.length,
      comparedSteps: this.comparedSteps,
      replay: this.replay.totals(),
      actual: this.actual.totals(),
      scaleActions: this.scaleActions.slice(0, MAX_LISTED_SCALE_ACTIONS),
      scaleActionsTruncated: this.scaleActions.length > MAX_LISTED_SCALE_ACTIONS,
      series: this.series,
    };
  }
}

/** The first replica count the gateways reported in the window; throws CURRENT_REPLICAS_UNKNOWN when no step reports one. */
export function initialReplicas(snapshots: readonly SignalSnapshot[]): number {
  for (const snapshot of snapshots) {
    const replicas = readingValue(snapshot.signals.currentReplicas);
    if (replicas !== undefined) return replicas;
  }
  throw new ScalerError('CURRENT_REPLICAS_UNKNOWN', 'no step in the window reports how many gateways ran; check gatewaySelector and that the window has data');
}

/** Replays the policy over all snapshots at once, starting from the first replica count the gateways reported. */
export function replayWhatIf(input: WhatIfInput): WhatIfResult {
  const replay = new WhatIfReplay(input.settings, input.stepSeconds, initialReplicas(input.snapshots));
  for (const snapshot of input.snapshots) replay.add(snapshot);
  return replay.result();
}
