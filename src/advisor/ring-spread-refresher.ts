// What the ring's last change of size did to the busiest gateway's share, per target (LearnedRefresher):
// a day of per-gateway accepted spans read from Prometheus and judged by policy/ring-spread.ts.
import type { TargetSettings } from '../config/target-metadata.ts';
import { findRingSpread, type RingSpread } from '../policy/ring-spread.ts';
import { capacityStepSeconds } from '../signals/capacity-queries.ts';
import { RING_SHARE_LOOKBACK_SECONDS, type RingShareHistory } from '../signals/ring-share-history.ts';
import { type RangeWindow, type TargetRef, trailingWindow } from '../signals/signal-snapshot.ts';
import { LearnedRefresher, type LearnedRefresherOptions } from './learned-refresher.ts';

/** The range a read at `nowMs` covers: RING_SHARE_LOOKBACK_SECONDS at the capacity reads' step (one sample per gateway per minute or rate window). */
export function ringShareReadWindow(settings: Pick<TargetSettings, 'rateWindowSeconds'>, nowMs: number): RangeWindow {
  return trailingWindow(nowMs, RING_SHARE_LOOKBACK_SECONDS, capacityStepSeconds(settings));
}

export interface RingSpreadRefresherOptions extends LearnedRefresherOptions {
  readonly history: RingShareHistory;
}

/** One judgement of the ring per target, re-read every LEARNED_REFRESH_SECONDS. */
export class RingSpreadRefresher extends LearnedRefresher<RingSpread> {
  constructor(options: RingSpreadRefresherOptions) {
    super(
      {
        name: 'ring share',
        read: async (ref, settings, nowMs) => findRingSpread(await options.history.readRingShares(ref, settings, ringShareReadWindow(settings, nowMs)), settings.rateWindowSeconds),
        readKey: (settings) => JSON.stringify([settings.prometheus, settings.gatewaySelector, settings.rateWindowSeconds]),
        // A judgement already made stands: the ring's hashing has not changed because a read failed.
        afterFailure: (previous, message) => (previous !== undefined && previous.kind !== 'unknown' ? previous : { kind: 'unknown', reason: `the ring's history could not be read (${message})` }),
      },
      options,
    );
  }

  /** The Advisor's ringSpreadFor hook. */
  spreadFor(ref: TargetRef, settings: TargetSettings, nowMs: number): RingSpread | undefined {
    return this.latestFor(ref, settings, nowMs);
  }
}
