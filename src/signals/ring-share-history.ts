// How the busiest gateway's share of spans moved with the ring's size, step by step: the evidence that
// tells a hash hot spot (its share shrinks as gateways join the agents' ring) from one more gateways do
// not spread, such as one traceID carrying a large part of the load (policy/ring-spread.ts). Prometheus
// answers it with two range queries over the gateways' accepted spans; the simulated fleet from its
// recorded counters.
import { formatDuration } from '../config/duration.ts';
import type { TargetSettings } from '../config/target-metadata.ts';
import { acceptedByGatewayExpression, checkedSelector } from './promql-catalogue.ts';
import type { RangeWindow, TargetRef } from './signal-snapshot.ts';

/** One step: how many gateways accepted spans and the busiest one's share of them. */
export interface RingShareSample {
  readonly atMs: number;
  readonly acceptingGateways: number;
  /** The busiest gateway's accepted spans/s ÷ all gateways'; in (0, 1]. */
  readonly hottestShare: number;
}

/** The ring history of a target's gateways. */
export interface RingShareHistory {
  /** One sample per step that had accepted spans (gaps are absent); rejects with ScalerError PROMETHEUS_UNAVAILABLE when nothing answers. */
  readRingShares(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RingShareSample[]>;
}

/** A daily cycle: a tier's ring sizes repeat every day, so the last change to or from any size is in it. */
export const RING_SHARE_LOOKBACK_SECONDS = 86_400;
/** The two range queries, each one series: gateways accepting spans, and the busiest one's share. */
export function buildRingShareQueries(settings: Pick<TargetSettings, 'gatewaySelector' | 'rateWindowSeconds'>): {
  readonly acceptingGateways: string;
  readonly hottestShare: string;
} {
  const byGateway = acceptedByGatewayExpression(checkedSelector(settings), formatDuration(settings.rateWindowSeconds));
  return {
    acceptingGateways: `count(${byGateway} > 0)`,
    // A silent tier's 0 / 0 would read NaN; the reader drops it anyway, but the query as docs/signals.md
    // prints it for pasting into Prometheus or Grafana should show a gap there, not NaN.
    hottestShare: `max(${byGateway}) / sum(${byGateway}) > 0`,
  };
}
