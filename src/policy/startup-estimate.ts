// Pod startup learned from what the tier did (DESIGN.md "Learned, not assumed"): each time the
// Deployment asked for more gateways (kube-state-metrics' spec replicas rose), the time until that many
// gateways took part is one observation. For a trigger that names the agents (agentSelector) that is
// when the agent that re-resolved last held them in its loadbalancing ring: scheduling, image pull,
// collector start, readiness, and the cluster DNS serving its cached answer without them until the TTL
// ran out, all of it. Without the agents it is when they reported, and the trigger's DNS keys are added.
// The trigger's figures are the prior until LEARNED_DELAY_EVIDENCE observations exist. Pure: the
// samples come from signals/.
import type { ReplicaCountSample } from '../signals/replica-count-history.ts';
import { type DelayObservation, type LearnedDelay, learnedDelay } from './learned-delay.ts';

export type { ReplicaCountSample };

/**
 * What a joining gateway is seen doing to close an observation: reporting (its own uptime series), or
 * held by every agent's ring (the smallest ring), which counts the agents' re-resolve too.
 */
export type JoinSeenBy = 'reporting' | 'rings';

/** A learned startup says what it ran until (`joinSeenBy`); an insufficient one is not used. */
export type StartupEstimate = LearnedDelay & { readonly joinSeenBy?: JoinSeenBy };

/** The startup walk for a trigger: the agents' rings when it names them. */
export function joinSeenByFor(settings: { readonly agentSelector?: string | undefined }): JoinSeenBy {
  return settings.agentSelector === undefined ? 'reporting' : 'rings';
}

/** Range reads come in time order; sorting a copy only when they do not gives the same order (the sort is stable). */
export function inTimeOrder(samples: readonly ReplicaCountSample[]): readonly ReplicaCountSample[] {
  return isInTimeOrder(samples) ? samples : [...samples].sort((a, b) => a.atMs - b.atMs);
}

function isInTimeOrder(samples: readonly ReplicaCountSample[]): boolean {
  for (let i = 1; i < samples.length; i++) if (samples[i]!.atMs < samples[i - 1]!.atMs) return false;
  return true;
}

/** Gateways taking part at a step as `seenBy` counts them; undefined where that was not read. */
function joinedAt(sample: ReplicaCountSample, seenBy: JoinSeenBy): number | undefined {
  return seenBy === 'rings' ? sample.smallestRing : sample.reportingReplicas;
}

/**
 * Follows desired replicas and the gateways taking part (reporting, or in every agent's ring) step by
 * step. A rise in desired opens one ask per replica above those taking part before it; the ask closes
 * when that many take part (one observation) or when desired drops below it again (cancelled: the pod
 * may never have started).
 */
class StartupWalk {
  private readonly askedAt: Map<number, number>;
  /** The last step's desired replicas and gateways taking part; undefined after a gap. */
  private previousDesired: number | undefined;
  private previousJoined = 0;
  private previousAtMs = 0;
  /** One per replica seen joining: asked for at `fromMs`, taking part at `toMs`. */
  readonly joins: DelayObservation[] = [];

  constructor(
    private readonly seenBy: JoinSeenBy,
    from?: StartupWalk,
  ) {
    this.askedAt = new Map(from?.askedAt);
    this.previousDesired = from?.previousDesired;
    this.previousJoined = from?.previousJoined ?? 0;
    this.previousAtMs = from?.previousAtMs ?? 0;
  }

  /** No ask open: from here on, a walk started at any earlier sample makes the same steps as this one. */
  get idle(): boolean {
    return this.askedAt.size === 0;
  }

  add(sample: ReplicaCountSample): void {
    const { askedAt } = this;
    const desired = sample.desiredReplicas;
    const joined = joinedAt(sample, this.seenBy);
    if (desired === undefined || joined === undefined) {
      this.previousDesired = undefined;
      // Clearing allocates a new table even when empty, and most steps without data come in long runs.
      if (askedAt.size > 0) askedAt.clear();
      return;
    }
    const previousDesired = this.previousDesired;
    if (previousDesired !== undefined && desired > previousDesired) {
      // Above what took part before the rise. A gateway that joined within the step the rise shows up in
      // started within that step: counted as the whole step, not as none, and not as no time at all.
      for (let level = Math.max(previousDesired, this.previousJoined) + 1; level <= desired; level++) {
        if (askedAt.has(level)) continue;
        if (joined >= level) this.joins.push({ fromMs: this.previousAtMs, toMs: sample.atMs });
        else askedAt.set(level, sample.atMs);
      }
    }
    // Most steps have no ask open; iterating an empty map still costs an iterator per step.
    if (askedAt.size > 0) {
      for (const [level, atMs] of askedAt) {
        if (level > desired) askedAt.delete(level);
        else if (joined >= level) {
          this.joins.push({ fromMs: atMs, toMs: sample.atMs });
          askedAt.delete(level);
        }
      }
    }
    this.previousDesired = desired;
    this.previousJoined = joined;
    this.previousAtMs = sample.atMs;
  }
}

function estimateFromJoins(joins: readonly DelayObservation[], seenBy: JoinSeenBy): StartupEstimate {
  const estimate = learnedDelay(joins, seenBy === 'rings' ? "entering every agent's ring after a scale-out" : 'joining after a scale-out');
  return estimate.kind === 'learned' ? { ...estimate, joinSeenBy: seenBy } : estimate;
}

/** Learned startup from the replica counts of a window (see StartupWalk); `rings` needs `smallestRing`. */
export function estimateStartup(samples: readonly ReplicaCountSample[], seenBy: JoinSeenBy): StartupEstimate {
  const walk = new StartupWalk(seenBy);
  for (const sample of inTimeOrder(samples)) walk.add(sample);
  return estimateFromJoins(walk.joins, seenBy);
}

/**
 * estimateStartup over a window that slides forward, without walking the whole window at each read:
 * the same estimate (the same joins, in the same order) from one walk over every sample appended.
 * A walk started at the window's first sample and the walk over everything appended differ only in asks
 * opened before the window; the window's walk never has an ask the long walk lacks (they open and close
 * the same levels on the same samples), so once the long walk has no ask open, both are in the same
 * state from then on. The window's own walk therefore runs only up to that point.
 */
export class SlidingStartupEstimate {
  private readonly walk: StartupWalk;
  /** Appended samples not yet before a window, oldest first (from `head`). */
  private readonly samples: ReplicaCountSample[] = [];
  private head = 0;
  /** Times of appended samples after which the long walk had no ask open, oldest first (from `idleHead`). */
  private readonly idleAfterMs: number[] = [];
  private idleHead = 0;
  /** The long walk's joins already used (joins before a window are dropped from the front). */
  private joinHead = 0;
  private firstMs: number | undefined;
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly seenBy: JoinSeenBy) {
    this.walk = new StartupWalk(seenBy);
  }

  /** Time of the last appended sample (−∞ before the first). */
  get lastAppendedMs(): number {
    return this.lastMs;
  }

  /** Adds the next sample; samples come in time order and are final (a later read gives the same). */
  append(sample: ReplicaCountSample): void {
    if (!(sample.atMs > this.lastMs)) throw new RangeError(`samples must come in time order: ${sample.atMs} after ${this.lastMs}`);
    this.firstMs ??= sample.atMs;
    this.lastMs = sample.atMs;
    this.walk.add(sample);
    this.samples.push(sample);
    if (this.walk.idle) this.idleAfterMs.push(sample.atMs);
  }

  /**
   * estimateStartup of the appended samples at or after `fromMs` followed by `tail` (later samples not
   * final yet, in time order). `fromMs` never goes back, and is at or after the first appended sample;
   * the appended samples from `fromMs` on are the window's, with no step left out.
   */
  estimate(fromMs: number, tail: readonly ReplicaCountSample[]): StartupEstimate {
    if (this.firstMs !== undefined && fromMs < this.firstMs) throw new RangeError(`the window starting at ${fromMs} begins before the first appended sample`);
    const { samples, idleAfterMs, walk } = this;
    while (this.head < samples.length && samples[this.head]!.atMs < fromMs) this.head++;
    while (this.idleHead < idleAfterMs.length && idleAfterMs[this.idleHead]! < fromMs) this.idleHead++;
    while (this.joinHead < walk.joins.length && walk.joins[this.joinHead]!.toMs < fromMs) this.joinHead++;
    this.compact();
    const syncMs = this.idleHead < idleAfterMs.length ? idleAfterMs[this.idleHead]! : undefined;
    const own = new StartupWalk(this.seenBy);
    let index = this.head;
    for (; index < samples.length && (syncMs === undefined || samples[index]!.atMs <= syncMs); index++) own.add(samples[index]!);
    const joins = own.joins;
    let continued = own;
    if (syncMs !== undefined) {
      for (let j = this.joinHead; j < walk.joins.length; j++) if (walk.joins[j]!.toMs > syncMs) joins.push(walk.joins[j]!);
      continued = new StartupWalk(this.seenBy, walk);
    }
    for (const sample of tail) continued.add(sample);
    if (continued !== own) joins.push(...continued.joins);
    return estimateFromJoins(joins, this.seenBy);
  }

  /** Drops what lies before the window once it is most of what is kept. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.samples.length) {
      this.samples.splice(0, this.head);
      this.head = 0;
    }
    if (this.idleHead > 1024 && this.idleHead * 2 > this.idleAfterMs.length) {
      this.idleAfterMs.splice(0, this.idleHead);
      this.idleHead = 0;
    }
    if (this.joinHead > 1024 && this.joinHead * 2 > this.walk.joins.length) {
      this.walk.joins.splice(0, this.joinHead);
      this.joinHead = 0;
    }
  }
}
