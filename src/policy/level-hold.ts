// How long a load level keeps its replicas, learned from what the tier's own scale-ins did
// (DESIGN.md "Learned, not assumed"). Keeping a level the load has left costs replica-hours; giving it
// back and needing it again costs two ring changes, each splitting the traces in flight, and a pod
// start. Whether a fall comes back is known only afterwards, so the tier's recent past answers it: each
// time the Deployment stepped in (kube-state-metrics' spec replicas fell), the time until a scale-out
// asked for more than that count again, if one did within RECENT_PEAK_WINDOW_SECONDS, is one
// observation. A level is held as long as the longest of them over the read (a day): a tier whose
// scale-ins were undone within 20 minutes holds 20 minutes; one whose scale-ins all stood (a load
// declining through the evening, a spike's fall) holds none; one with no scale-in to judge holds the
// whole window. Pure: the samples come from signals/ (the read pod startup is learned from).
import type { ReplicaCountSample } from '../signals/replica-count-history.ts';
import { formatSeconds } from './format.ts';
import { RECENT_PEAK_WINDOW_SECONDS } from './load-peaks.ts';

export type LevelHoldEstimate =
  | {
      readonly kind: 'learned';
      /** The longest a scale-in stood before a scale-out undid it; 0 when none was undone. */
      readonly seconds: number;
      /** Scale-ins judged: undone, or standing for the whole window. */
      readonly scaleIns: number;
      readonly undone: number;
    }
  | { readonly kind: 'insufficient'; readonly reason: string };

/** One step in: at `atMs` the Deployment asked for `toReplicas`, fewer than at the step before. */
interface ScaleIn {
  readonly atMs: number;
  readonly toReplicas: number;
  /** When a later step asked for more than `toReplicas`, within the window. */
  undoneAtMs: number | undefined;
  /** A step without data came before it was undone or had stood for the window: it cannot be judged. */
  unseen: boolean;
}

const WINDOW_MS = RECENT_PEAK_WINDOW_SECONDS * 1000;

/** Follows the desired replicas step by step, recording each scale-in and whether a scale-out undid it. */
class ScaleInWalk {
  private constructor(
    readonly scaleIns: ScaleIn[],
    /** Scale-ins neither undone nor past the window, oldest first. */
    private open: ScaleIn[],
    private previousDesired: number | undefined,
  ) {}

  static start(): ScaleInWalk {
    return new ScaleInWalk([], [], undefined);
  }

  add(sample: ReplicaCountSample): void {
    const desired = sample.desiredReplicas;
    if (desired === undefined) {
      for (const scaleIn of this.open) scaleIn.unseen = true;
      this.open = [];
      this.previousDesired = undefined;
      return;
    }
    if (this.open.length > 0) {
      this.open = this.open.filter((scaleIn) => {
        if (sample.atMs - scaleIn.atMs > WINDOW_MS) return false;
        if (desired <= scaleIn.toReplicas) return true;
        scaleIn.undoneAtMs = sample.atMs;
        return false;
      });
    }
    if (this.previousDesired !== undefined && desired < this.previousDesired) {
      const scaleIn: ScaleIn = { atMs: sample.atMs, toReplicas: desired, undoneAtMs: undefined, unseen: false };
      this.scaleIns.push(scaleIn);
      this.open.push(scaleIn);
    }
    this.previousDesired = desired;
  }

  /**
   * The walk a window starting at `fromMs` makes: its scale-ins after `fromMs` (one at `fromMs` was a
   * fall from a step before the window), copied, so walking a tail on the copy leaves this walk as it was.
   */
  after(fromMs: number): ScaleInWalk {
    const copies = new Map<ScaleIn, ScaleIn>();
    for (const scaleIn of this.scaleIns) if (scaleIn.atMs > fromMs) copies.set(scaleIn, { ...scaleIn });
    const open: ScaleIn[] = [];
    for (const scaleIn of this.open) {
      const copy = copies.get(scaleIn);
      if (copy !== undefined) open.push(copy);
    }
    return new ScaleInWalk([...copies.values()], open, this.previousDesired);
  }

  /** Forgets scale-ins at or before `fromMs`: no later window holds them. */
  dropThrough(fromMs: number): void {
    let first = 0;
    while (first < this.scaleIns.length && this.scaleIns[first]!.atMs <= fromMs) first++;
    if (first > 0) this.scaleIns.splice(0, first);
  }

  /** The hold the scale-ins judged by `lastMs` (the window's last step) give. */
  estimate(lastMs: number): LevelHoldEstimate {
    let scaleIns = 0;
    let undone = 0;
    let longestMs = 0;
    for (const scaleIn of this.scaleIns) {
      if (scaleIn.undoneAtMs !== undefined) {
        scaleIns++;
        undone++;
        longestMs = Math.max(longestMs, scaleIn.undoneAtMs - scaleIn.atMs);
      } else if (!scaleIn.unseen && lastMs - scaleIn.atMs >= WINDOW_MS) scaleIns++;
    }
    if (scaleIns === 0) return { kind: 'insufficient', reason: 'no scale-in in the replica history was undone or stood for the window' };
    return { kind: 'learned', seconds: longestMs / 1000, scaleIns, undone };
  }
}

/** The hold learned from the replica counts of one read, in time order. */
export function estimateLevelHold(samples: readonly ReplicaCountSample[]): LevelHoldEstimate {
  const walk = ScaleInWalk.start();
  for (const sample of samples) walk.add(sample);
  return walk.estimate(samples.length === 0 ? Number.NEGATIVE_INFINITY : samples[samples.length - 1]!.atMs);
}

/**
 * estimateLevelHold over a window that slides forward (the benchmark reads a day every five simulated
 * minutes), without walking the whole window at each read: one walk over every sample appended, whose
 * scale-ins after the window's start are the window's own (a scale-in's fate depends only on the
 * steps after it), continued on a copy over the samples not final yet.
 */
export class SlidingLevelHold {
  private readonly walk = ScaleInWalk.start();
  private lastMs = Number.NEGATIVE_INFINITY;

  /** Adds the next sample; samples come in time order and are final (a later read gives the same). */
  append(sample: ReplicaCountSample): void {
    if (!(sample.atMs > this.lastMs)) throw new RangeError(`samples must come in time order: ${sample.atMs} after ${this.lastMs}`);
    this.lastMs = sample.atMs;
    this.walk.add(sample);
  }

  /** estimateLevelHold of the appended samples from `fromMs` on (which never goes back) followed by `tail`. */
  estimate(fromMs: number, tail: readonly ReplicaCountSample[]): LevelHoldEstimate {
    this.walk.dropThrough(fromMs);
    const window = this.walk.after(fromMs);
    for (const sample of tail) window.add(sample);
    return window.estimate(tail.length > 0 ? tail[tail.length - 1]!.atMs : this.lastMs);
  }
}

/** The hold one decision keeps load levels for, and why. */
export interface LevelHoldInUse {
  readonly seconds: number;
  readonly source: 'learned' | 'window';
  /** "none of the last day's 14 scale-ins was undone within 1h", "the whole 1h (no replica history read for this target)". */
  readonly sentence: string;
}

/** Resolves the hold for one decision; `estimate` undefined means no replica history was read. */
export function levelHoldInUse(estimate: LevelHoldEstimate | undefined): LevelHoldInUse {
  const window = formatSeconds(RECENT_PEAK_WINDOW_SECONDS);
  if (estimate?.kind === 'learned') {
    const seconds = Math.min(RECENT_PEAK_WINDOW_SECONDS, estimate.seconds);
    const judged = `${estimate.scaleIns} scale-in${estimate.scaleIns === 1 ? '' : 's'} of the replica history`;
    const sentence =
      estimate.undone === 0
        ? `none of the ${judged} was undone within ${window}`
        : `the longest any of the ${judged} stood before a scale-out undid it (${estimate.undone} undone within ${window})`;
    return { seconds, source: 'learned', sentence };
  }
  const why = estimate === undefined ? 'no replica history read for this target' : estimate.reason;
  return { seconds: RECENT_PEAK_WINDOW_SECONDS, source: 'window', sentence: `the whole ${window}, as nothing says sooner (${why})` };
}
