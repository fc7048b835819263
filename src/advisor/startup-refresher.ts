// Pod startup learned per target (LearnedRefresher): a day of the Deployment's spec replicas against
// the gateways reporting, read from Prometheus and estimated by policy/startup-estimate.ts.
import type { TargetSettings } from '../config/target-metadata.ts';
import { estimateStartup, type StartupEstimate } from '../policy/startup-estimate.ts';
import { type ReplicaCountHistory, STARTUP_LOOKBACK_SECONDS, STARTUP_STEP_SECONDS } from '../signals/replica-count-history.ts';
import { type RangeWindow, type TargetRef, trailingWindow } from '../signals/signal-snapshot.ts';
import { LearnedRefresher, type LearnedRefresherOptions } from './learned-refresher.ts';

/** The range a read at `nowMs` covers: STARTUP_LOOKBACK_SECONDS up to the last whole step. */
export function startupReadWindow(nowMs: number): RangeWindow {
  return trailingWindow(nowMs, STARTUP_LOOKBACK_SECONDS, STARTUP_STEP_SECONDS);
}

/** The estimate when the trigger names no Deployment: kube-state-metrics' spec replicas cannot be found. */
export const STARTUP_NEEDS_DEPLOYMENT: StartupEstimate = Object.freeze({
  kind: 'insufficient',
  reason: 'set the trigger key deploymentName, so kube-state-metrics shows when gateways were asked for',
  observations: 0,
});

/** Estimates startup from replica counts, or says why it cannot. */
export function startupFromCounts(settings: Pick<TargetSettings, 'deploymentName'>, samples: Parameters<typeof estimateStartup>[0]): StartupEstimate {
  return settings.deploymentName === undefined ? STARTUP_NEEDS_DEPLOYMENT : estimateStartup(samples);
}

export interface StartupRefresherOptions extends LearnedRefresherOptions {
  readonly history: ReplicaCountHistory;
}

/** One learned pod startup per target, re-read every LEARNED_REFRESH_SECONDS. */
export class StartupRefresher extends LearnedRefresher<StartupEstimate> {
  constructor(options: StartupRefresherOptions) {
    super(
      {
        name: 'replica count',
        read: async (ref, settings, nowMs) => startupFromCounts(settings, await options.history.readReplicaCounts(ref, settings, startupReadWindow(nowMs))),
        readKey: (settings) => JSON.stringify([settings.prometheus, settings.gatewaySelector, settings.deploymentName]),
        afterFailure: (previous, message) => (previous?.kind === 'learned' ? previous : { kind: 'insufficient', reason: `the replica history could not be read (${message})`, observations: 0 }),
      },
      options,
    );
  }

  /** The Advisor's startupFor hook. */
  estimateFor(ref: TargetRef, settings: TargetSettings, nowMs: number): StartupEstimate | undefined {
    return this.latestFor(ref, settings, nowMs);
  }
}
