// The Decision is the one record every user of the policy reads: the gRPC answer, the dashboard,
// alerts, the benchmark. Every number they show comes from here, so it carries its own explanation.
import type { Mode } from '../config/target-metadata.ts';
import type { SignalSnapshot } from '../signals/signal-snapshot.ts';
import type { CapacityInUse } from './capacity-in-use.ts';
import type { DrainCheck } from './drain-check.ts';
import type { StartupInUse } from './startup-in-use.ts';

export const PROPOSAL_NAMES = ['queue', 'throughput', 'recentPeak', 'refused', 'decisionLatency', 'tracesOnMemory', 'forecast', 'calendar'] as const;
export type ProposalName = (typeof PROPOSAL_NAMES)[number];

/** One way of sizing the tier; desired replicas is the maximum over the proposals that had data. */
export interface Proposal {
  readonly name: ProposalName;
  /** Replicas this proposal asks for; undefined when its inputs were missing (see `reason`). */
  readonly replicas: number | undefined;
  /** The numbers it used, by name with unit (e.g. queueFillMax: 0.82, targetQueueFill: 0.5). */
  readonly inputs: Readonly<Record<string, number>>;
  /** One line an SRE reads: "queue 82% full vs target 50% → 10". */
  readonly reason: string;
}

export const GUARD_NAMES = ['backendBottleneck', 'missingData', 'scaleInWindow', 'scaleInStep', 'forecastOnly', 'clamp', 'hpaTolerance', 'routingImbalance', 'drainTooShort', 'loadNoise', 'unlearnedCapacity'] as const;
export type GuardName = (typeof GUARD_NAMES)[number];

/** What a guard did to the desired count: held it, limited it, or only noted something. */
export type GuardEffect = 'hold' | 'limit' | 'note';

export interface GuardAction {
  readonly name: GuardName;
  readonly effect: GuardEffect;
  /** Replicas before and after this guard. */
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

/** Forecast used by the decision, if any: load expected at now + lead time. */
export interface ForecastUse {
  readonly leadTimeSeconds: number;
  readonly pointSpansPerSecond: number;
  readonly upperSpansPerSecond: number;
  /**
   * The same fit's point for the step holding now: the forecast's own view of the load now, so the
   * proposal can take the seasonal change over the lead time on top of the load measured now.
   * Absent when the fit does not cover now (and in inputs recorded before it existed).
   */
  readonly nowPointSpansPerSecond?: number;
  readonly quantile: number;
  readonly fittedAtMs: number;
  readonly model: string;
}

export interface Decision {
  /** What the scaler answers KEDA: `recommended` in enforce mode, `current` in dry-run. */
  readonly replicas: number;
  /** What the policy recommends, whatever the mode. */
  readonly recommended: number;
  readonly current: number;
  readonly mode: Mode;
  /** Evaluation time, ms since epoch, as passed in by the caller. */
  readonly at: number;
  readonly proposals: readonly Proposal[];
  readonly guards: readonly GuardAction[];
  /** Plain sentences, most important first; `summary` is the first. */
  readonly reasons: readonly string[];
  readonly summary: string;
  /** Traces the recommended step would split or drop (ring change + removed replicas' buffers). */
  readonly estimatedBrokenTraces: number;
  /** At maxReplicas while a proposal wants more. */
  readonly atMaxUnderPressure: boolean;
  /** The HPA will not act on this change (inside its ±10% tolerance). */
  readonly withinHpaTolerance: boolean;
  readonly forecast: ForecastUse | undefined;
  /** The capacity per replica the proposals sized with, where it came from and why. */
  readonly capacity: CapacityInUse;
  /** The scale-in drain against decision_wait + the DNS interval, with the preStop to set. */
  readonly drain: DrainCheck;
  /** The pod startup the forecast's lead time and the throughput proposal's growth headroom plan with, where it came from and why. */
  readonly startup: StartupInUse;
  /** The signals the decision was made from, for the dashboard and alerts. */
  readonly snapshot: SignalSnapshot;
}
