// How long load levels are held, learned per target (LearnedRefresher): the same day of the
// Deployment's spec replicas pod startup is learned from, read from Prometheus and estimated by
// policy/level-hold.ts.
import type { TargetSettings } from '../config/target-metadata.ts';
import { estimateLevelHold, type LevelHoldEstimate } from '../policy/level-hold.ts';
import type { ReplicaCountHistory } from '../signals/replica-count-history.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import { LearnedRefresher, type LearnedRefresherOptions } from './learned-refresher.ts';
import { startupReadWindow } from './startup-refresher.ts';

/** The estimate when the trigger names no Deployment: kube-state-metrics' spec replicas cannot be found. */
export const LEVEL_HOLD_NEEDS_DEPLOYMENT: LevelHoldEstimate = Object.freeze({
  kind: 'insufficient',
  reason: 'set the trigger key deploymentName, so kube-state-metrics shows when gateways were given back',
});

/** Estimates the hold from replica counts, or says why it cannot. */
export function levelHoldFromCounts(settings: Pick<TargetSettings, 'deploymentName'>, samples: Parameters<typeof estimateLevelHold>[0]): LevelHoldEstimate {
  return settings.deploymentName === undefined ? LEVEL_HOLD_NEEDS_DEPLOYMENT : estimateLevelHold(samples);
}

export interface LevelHoldRefresherOptions extends LearnedRefresherOptions {
  readonly history: ReplicaCountHistory;
}

/** One learned level hold per target, re-read every LEARNED_REFRESH_SECONDS. */
export class LevelHoldRefresher extends LearnedRefresher<LevelHoldEstimate> {
  constructor(options: LevelHoldRefresherOptions) {
    super(
      {
        name: 'scale-in',
        read: async (ref, settings, nowMs) => levelHoldFromCounts(settings, await options.history.readReplicaCounts(ref, settings, startupReadWindow(nowMs))),
        readKey: (settings) => JSON.stringify([settings.prometheus, settings.gatewaySelector, settings.deploymentName]),
        // A learned hold stays: the scale-ins it was learned from have not gone away.
        afterFailure: (previous, message) => (previous?.kind === 'learned' ? previous : { kind: 'insufficient', reason: `the replica history could not be read (${message})` }),
      },
      options,
    );
  }

  /** The Advisor's levelHoldFor hook. */
  estimateFor(ref: TargetRef, settings: TargetSettings, nowMs: number): LevelHoldEstimate | undefined {
    return this.latestFor(ref, settings, nowMs);
  }
}
