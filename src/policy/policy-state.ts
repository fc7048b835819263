// The memory `decide` needs between evaluations of one target: the scale-in window and the last two
// distinct snapshots' backend figures (for the "queues rising, sent flat, failures rising" and
// "queues filling, sent collapsed" rules). The caller keeps it per target and passes it back; `decide`
// never mutates it, it returns the next one.
import type { AgentsBacklog } from './agents-backlog.ts';
import type { ResolvedCapacity } from './capacity-in-use.ts';

/** A scale-in step that was recommended and that the HPA has not carried out yet. */
export interface PendingScaleInStep {
  readonly fromReplicas: number;
  readonly toReplicas: number;
}

export interface ScaleInState {
  /** Start of the current window during which every proposal stayed below current; undefined outside one. */
  readonly windowStartMs: number | undefined;
  /** The replica count the window was measured against: any other count (a ring change) restarts it. */
  readonly windowReplicas: number | undefined;
  readonly pendingStep: PendingScaleInStep | undefined;
  /** Steps taken since load first fell below current (for "step 2 of 3"); 0 outside a descent. */
  readonly stepsTaken: number;
}

/** Sent rate at the last snapshot where the backend took what the gateways sent. */
export interface SentReference {
  readonly sentSpansPerSecond: number;
  readonly sentShareOfAccepted: number;
}

/** Backend-side figures of one snapshot; undefined where the reading was missing. */
export interface TrendPoint {
  readonly observedAtMs: number;
  readonly queueFillMax: number | undefined;
  readonly sentSpansPerSecond: number | undefined;
  readonly sendFailedSpansPerSecond: number | undefined;
  readonly acceptedSpansPerSecond: number | undefined;
  /** The last healthy snapshot's sent rate before this one (for the backend-stall rule). */
  readonly sentReference: SentReference | undefined;
  /**
   * The backend took what the gateways sent at this snapshot: no bottleneck found and queues not
   * rising (an outage's first seconds already fill them). Only such a snapshot becomes the sent reference.
   */
  readonly backendHealthy: boolean;
}

export interface TrendState {
  /** The newest distinct snapshot seen. */
  readonly latest: TrendPoint | undefined;
  /** The one before it: what a repeated (cached) snapshot is compared with, so a second call in one poll sees the same trend. */
  readonly prior: TrendPoint | undefined;
}

/** A replica count and when the tier first had it. */
export interface ReplicaCount {
  readonly replicas: number;
  readonly sinceMs: number;
}

/** Accepted spans/s of one snapshot and when it was observed. */
export interface LoadPeak {
  readonly atMs: number;
  readonly spansPerSecond: number;
}

/** A reading of the load: with the busiest gateway's share multiple when the throughput proposal sized that gateway. */
export interface LoadReading extends LoadPeak {
  readonly busiestShareMultiple?: number;
}

/**
 * A load level the recent peak keeps: `spansPerSecond` is the level as the tier is sized for it, the
 * level × `busiestShareMultiple` (the level of the readings' multiples) where the busiest gateway was
 * sized (that gateway then carries what every gateway would at this total on an even ring).
 */
export interface LoadLevelPeak extends LoadPeak {
  readonly busiestShareMultiple?: number;
}

/** The tier's count and sent rate when queues filling first made it grow; kept until the backend takes more or the queues drain below it (see advanceQueueGrowth in decide.ts). */
export interface QueueGrowth {
  readonly fromReplicas: number;
  readonly sentSpansPerSecond: number;
  /**
   * Shown by an earlier peak (backend-ceiling.ts): gateways were already added beyond the count it grew
   * from then, so it holds from `fromReplicas` on: that count, or fewer gateways sending as much now.
   */
  readonly shownOnEarlierPeak?: { readonly fromReplicas: number };
}

/** The newest snapshot that found the backend the bottleneck, and the first after it that did not (by then it had recovered). */
export interface BackendBottleneckSeen {
  readonly lastSeenAtMs: number;
  readonly recoveredByMs?: number;
}

/** Returned by every `decide` call and passed to the next one for the same target. */
export interface PolicyState {
  /** The latest `nowMs` decided at; a longer gap than staleAfter breaks the scale-in window's continuity. */
  readonly evaluatedAtMs: number;
  readonly scaleIn: ScaleInState;
  readonly trend: TrendState;
  /** Replica counts within the last rate window, oldest first (see replica-history.ts). */
  readonly replicaCounts?: readonly ReplicaCount[];
  /** Load levels within the last hour, highest (oldest) first (see load-peaks.ts). */
  readonly loadPeaks?: readonly LoadLevelPeak[];
  /** The accepted load of the last distinct snapshots, oldest first, for its trend and noise (see load-variation.ts). */
  readonly loadSamples?: readonly LoadReading[];
  /** The slopes between neighbouring loadSamples in ascending order, kept up to date with them (see load-variation.ts); absent, they are computed afresh. */
  readonly loadSlopes?: readonly number[];
  /** The capacity in use as the last decision resolved it, answered again while the estimate and trigger figure stay the same (see capacity-in-use.ts). */
  readonly capacityInUse?: ResolvedCapacity;
  /** The busiest gateway's share multiple the throughput proposal last sized with, carried over a change of count within the rate window (see settledShare). */
  readonly busiestShareMultiple?: number;
  /** When the replica count last rose; for the hour after, scale-in keeps the dead band of the load's noise (see load-variation.ts). */
  readonly lastRiseAtMs?: number;
  /** Set from the scale-out the queues led until the backend takes more or they drain (see the queue proposal). */
  readonly queueGrowth?: QueueGrowth;
  /** When the backend was last the bottleneck, until a rate window past its recovery and the backlog it left has drained to target (see backend-recovery.ts). */
  readonly backendBottleneck?: BackendBottleneckSeen;
  /** What the agents hold that the gateways have not taken, where the agents are read (see agents-backlog.ts). */
  readonly agentsBacklog?: AgentsBacklog;
}

/** The scale-in part of a state outside any descent. */
export const NO_SCALE_IN: ScaleInState = Object.freeze({ windowStartMs: undefined, windowReplicas: undefined, pendingStep: undefined, stepsTaken: 0 });
