// The backend ceiling an earlier peak showed, per target (LearnedRefresher): the newest queue-proposal
// hold the scaler exported on /metrics, read back from Prometheus (signals/decision-series.ts) and
// given to decide() (policy/backend-ceiling.ts). Without Prometheus scraping the scaler there is none,
// and each peak finds the ceiling out again.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { BackendCeiling } from '../policy/backend-ceiling.ts';
import type { BackendCeilingHistory } from '../signals/decision-series.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import { LearnedRefresher, type LearnedRefresherOptions } from './learned-refresher.ts';

export interface BackendCeilingRefresherOptions extends LearnedRefresherOptions {
  readonly history: BackendCeilingHistory;
}

/** One backend ceiling per target, or none within the lookback; re-read every LEARNED_REFRESH_SECONDS. */
export class BackendCeilingRefresher extends LearnedRefresher<BackendCeiling | undefined> {
  constructor(options: BackendCeilingRefresherOptions) {
    super(
      {
        name: 'backend ceiling',
        read: (ref, settings, nowMs) => options.history.readBackendCeiling(ref, settings, nowMs),
        readKey: (settings) => JSON.stringify([settings.prometheus]),
        // A ceiling already read stands: the backend has not changed because a read failed.
        afterFailure: (previous) => previous,
      },
      options,
    );
  }

  /** The Advisor's backendCeilingFor hook. */
  ceilingFor(ref: TargetRef, settings: TargetSettings, nowMs: number): BackendCeiling | undefined {
    return this.latestFor(ref, settings, nowMs);
  }
}
