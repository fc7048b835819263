// Pod startup and the agents' re-resolve learned per target (LearnedRefresher): a day of the
// Deployment's spec replicas against the gateways reporting and the agents' rings, read from
// Prometheus once and estimated by policy/startup-estimate.ts and policy/reresolve-estimate.ts.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { LearnedDelay } from '../policy/learned-delay.ts';
import { estimateReresolve, type ReresolveEstimate } from '../policy/reresolve-estimate.ts';
import { estimateStartup, joinSeenByFor, type StartupEstimate } from '../policy/startup-estimate.ts';
import { type ReplicaCountHistory, type ReplicaCountSample, REPLICA_HISTORY_LOOKBACK_SECONDS, REPLICA_HISTORY_STEP_SECONDS } from '../signals/replica-count-history.ts';
import { type RangeWindow, type TargetRef, trailingWindow } from '../signals/signal-snapshot.ts';
import { LearnedRefresher, type LearnedRefresherOptions } from './learned-refresher.ts';

/** The range a read at `nowMs` covers: REPLICA_HISTORY_LOOKBACK_SECONDS up to the last whole step. */
export function replicaHistoryReadWindow(nowMs: number): RangeWindow {
  return trailingWindow(nowMs, REPLICA_HISTORY_LOOKBACK_SECONDS, REPLICA_HISTORY_STEP_SECONDS);
}

/** The estimate when the trigger names no Deployment: kube-state-metrics' spec replicas cannot be found. */
export const HISTORY_NEEDS_DEPLOYMENT = Object.freeze({
  kind: 'insufficient',
  reason: 'set the trigger key deploymentName, so kube-state-metrics shows when gateways were asked for',
  observations: 0,
} as const);

/** The re-resolve estimate when the trigger names no agents: their rings cannot be read. */
export const RERESOLVE_NEEDS_AGENTS = Object.freeze({
  kind: 'insufficient',
  reason: "set the trigger key agentSelector, so the agents' rings show when they stop sending to a removed gateway",
  observations: 0,
} as const);

/** Estimates startup from replica counts, to the agents' rings where the trigger names them, or says why it cannot. */
export function startupFromCounts(settings: Pick<TargetSettings, 'deploymentName' | 'agentSelector'>, samples: readonly ReplicaCountSample[]): StartupEstimate {
  if (settings.deploymentName === undefined) return HISTORY_NEEDS_DEPLOYMENT;
  const seenBy = joinSeenByFor(settings);
  // Agents named whose rings the day's read never saw (their metrics not scraped, a selector that
  // matches none): the gateways reporting still show the start, and the stated re-resolve is added.
  const ringsRead = seenBy === 'reporting' || samples.some((sample) => sample.smallestRing !== undefined);
  return estimateStartup(samples, ringsRead ? seenBy : 'reporting');
}

/** Estimates the agents' re-resolve from replica counts, or says why it cannot. */
export function reresolveFromCounts(settings: Pick<TargetSettings, 'deploymentName' | 'agentSelector'>, samples: readonly ReplicaCountSample[]): ReresolveEstimate {
  if (settings.deploymentName === undefined) return HISTORY_NEEDS_DEPLOYMENT;
  return settings.agentSelector === undefined ? RERESOLVE_NEEDS_AGENTS : estimateReresolve(samples);
}

/** What a target's replica history shows. */
export interface ReplicaHistoryFigures {
  readonly startup: StartupEstimate;
  readonly reresolve: ReresolveEstimate;
}

export interface ReplicaHistoryRefresherOptions extends LearnedRefresherOptions {
  readonly history: ReplicaCountHistory;
}

/** A figure learned before a failed read stays (its evidence has not gone away); else the failure is the reason. */
function keptAfterFailure(previous: LearnedDelay | undefined, message: string): LearnedDelay {
  return previous?.kind === 'learned' ? previous : { kind: 'insufficient', reason: `the replica history could not be read (${message})`, observations: 0 };
}

/** One learned pod startup and re-resolve per target, re-read every LEARNED_REFRESH_SECONDS. */
export class ReplicaHistoryRefresher extends LearnedRefresher<ReplicaHistoryFigures> {
  constructor(options: ReplicaHistoryRefresherOptions) {
    super(
      {
        name: 'replica history',
        read: async (ref, settings, nowMs) => {
          const samples = await options.history.readReplicaCounts(ref, settings, replicaHistoryReadWindow(nowMs));
          return { startup: startupFromCounts(settings, samples), reresolve: reresolveFromCounts(settings, samples) };
        },
        readKey: (settings) => JSON.stringify([settings.prometheus, settings.gatewaySelector, settings.deploymentName, settings.agentSelector]),
        afterFailure: (previous, message) => ({ startup: keptAfterFailure(previous?.startup, message), reresolve: keptAfterFailure(previous?.reresolve, message) }),
      },
      options,
    );
  }

  /** The Advisor's replicaHistoryFor hook. */
  figuresFor(ref: TargetRef, settings: TargetSettings, nowMs: number): ReplicaHistoryFigures | undefined {
    return this.latestFor(ref, settings, nowMs);
  }
}
