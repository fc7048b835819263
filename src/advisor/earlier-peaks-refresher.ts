// What earlier peaks showed, per target (LearnedRefresher): the newest queue-proposal hold at the
// backend's ceiling and the newest load at which the gateways fell behind, as the scaler exported them
// on /metrics, read back from Prometheus (signals/decision-series.ts) and given to decide()
// (policy/backend-ceiling.ts, policy/capacity-in-use.ts). Without Prometheus scraping the scaler there
// are none, and each peak finds them out again.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { EarlierPeaks } from '../policy/earlier-peaks.ts';
import type { EarlierPeaksHistory } from '../signals/decision-series.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';
import { LearnedRefresher, type LearnedRefresherOptions } from './learned-refresher.ts';

export interface EarlierPeaksRefresherOptions extends LearnedRefresherOptions {
  readonly history: EarlierPeaksHistory;
}

/** What earlier peaks within the lookback showed, per target; re-read every LEARNED_REFRESH_SECONDS. */
export class EarlierPeaksRefresher extends LearnedRefresher<EarlierPeaks> {
  constructor(options: EarlierPeaksRefresherOptions) {
    super(
      {
        name: 'earlier peaks',
        read: (ref, settings, nowMs) => options.history.readEarlierPeaks(ref, settings, nowMs),
        readKey: (settings) => JSON.stringify([settings.prometheus]),
        // What was read stands: the backend and the gateways have not changed because a read failed.
        afterFailure: (previous) => previous ?? {},
      },
      options,
    );
  }

  /** The Advisor's earlierPeaksFor hook. */
  earlierPeaksFor(ref: TargetRef, settings: TargetSettings, nowMs: number): EarlierPeaks | undefined {
    return this.latestFor(ref, settings, nowMs);
  }
}
