// What the agents hold that the gateways have not taken yet, as the agents' intake (the snapshot's
// offeredSpansPerSecond) and the gateways' accepted rate say it grew and shrank between snapshots, and
// the load the proposals size for while the gateways take it. Only a backlog the agents built can make
// the gateways take more than the agents take in: a gateway tier that keeps taking more than the
// selected agents, with nothing held, is fed by agents the trigger does not select, and their intake
// is then no measure of the load.
import { AGENT_SHORTFALL_TOLERANCE } from './capacity-estimate.ts';

/** One rate above another by more than AGENT_SHORTFALL_TOLERANCE: apart beyond the two readings' noise. */
export function exceedsBeyondTolerance(higher: number, lower: number): boolean {
  return higher > (1 + AGENT_SHORTFALL_TOLERANCE) * lower;
}

export interface AgentsBacklog {
  /** Spans held at the agents, as far as the two rates tell; 0 once the gateways have taken as much as was built. */
  readonly spans: number;
  /** The snapshot it was last advanced with. */
  readonly atMs: number;
}

/**
 * The backlog after the snapshot at `atMs`: grown by (offered − accepted) × the time since the last
 * snapshot while the agents take in more than (1 + AGENT_SHORTFALL_TOLERANCE) × what the gateways
 * accept, shrunk by the gateways' excess while they accept more than that multiple of the agents'
 * intake, and unchanged between (the two rates within each other's noise). Undefined without both
 * rates: nothing is known, and nothing is held over a gap.
 */
export function advanceAgentsBacklog(previous: AgentsBacklog | undefined, atMs: number, acceptedSpansPerSecond: number | undefined, offeredSpansPerSecond: number | undefined): AgentsBacklog | undefined {
  if (acceptedSpansPerSecond === undefined || offeredSpansPerSecond === undefined) return undefined;
  if (previous === undefined) return { spans: 0, atMs };
  const seconds = Math.max(0, (atMs - previous.atMs) / 1000);
  const apart = exceedsBeyondTolerance(offeredSpansPerSecond, acceptedSpansPerSecond) || exceedsBeyondTolerance(acceptedSpansPerSecond, offeredSpansPerSecond);
  const spans = apart ? Math.max(0, previous.spans + (offeredSpansPerSecond - acceptedSpansPerSecond) * seconds) : previous.spans;
  return { spans, atMs: Math.max(atMs, previous.atMs) };
}

/** The load the proposals size for (tierLoadOf, PolicyContext.load). */
export interface TierLoad {
  readonly spansPerSecond: number;
  /** Where that is the agents' intake, below what the gateways accepted: what they accepted, the agents' backlog included. */
  readonly gatewaysAcceptedSpansPerSecond?: number;
}

/**
 * The gateways' accepted rate, or the agents' intake (the snapshot's offeredSpansPerSecond) where the
 * gateways accepted more than (1 + AGENT_SHORTFALL_TOLERANCE) × it while the agents held a backlog
 * (`agentsHeldSpans`, advanceAgentsBacklog). Gateways take in more than the agents do while the agents send
 * what they held (the tier fell behind, then grew): spans that came earlier and will not come again,
 * which sized as load grow the tier for minutes and shrink it after. With nothing held, agents the
 * trigger does not select feed the gateways too, and the gateways' rate stays the load. Below the
 * agents' intake it stays the load as well: the agents hold a burst the gateways cannot take at once,
 * and a tier sized for each burst whole grows and shrinks with every one (docs/benchmark.md,
 * conditions outside the matrix).
 */
export function tierLoadOf(acceptedSpansPerSecond: number | undefined, offeredSpansPerSecond: number | undefined, agentsHeldSpans: number | undefined): TierLoad | undefined {
  if (acceptedSpansPerSecond === undefined) return undefined;
  const draining = offeredSpansPerSecond !== undefined && agentsHeldSpans !== undefined && agentsHeldSpans > 0 && exceedsBeyondTolerance(acceptedSpansPerSecond, offeredSpansPerSecond);
  return draining ? { spansPerSecond: offeredSpansPerSecond, gatewaysAcceptedSpansPerSecond: acceptedSpansPerSecond } : { spansPerSecond: acceptedSpansPerSecond };
}
