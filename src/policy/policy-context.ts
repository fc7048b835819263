// Reads a snapshot once into what every proposal and guard shares: plain numbers (undefined where the
// reading was missing or not a usable number), the list of what was missing and why, the snapshot's
// age and whether routing is imbalanced. Current replicas unknown ends the decision here with the
// error KEDA's fallback acts on.
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import { type TierLoad, tierLoadOf } from './agents-backlog.ts';
import type { CapacityEstimate } from './capacity-estimate.ts';
import { type CapacityInUse, capacityInUse } from './capacity-in-use.ts';
import type { Reading, SignalName, SignalSnapshot } from '../signals/signal-snapshot.ts';
import { peakUtilizationOf } from './peak-utilization.ts';
import type { RingSpread } from './ring-spread.ts';

/**
 * The hottest gateway takes at least this many times the average of the others (hash hot spot, DNS lag):
 * a routing imbalance, whose gateway is sized only where more gateways spread it (hotSpotSpreads).
 */
export const ROUTING_IMBALANCE_RATIO = 2;

export type SignalValues = { readonly [K in SignalName]: number | undefined };

/** A signal the decision could not use, by the name the snapshot gives it. */
export interface MissingSignal {
  readonly name: SignalName | 'acceptedSpansPerSecondByGateway';
  readonly reason: string;
}

/** The busiest gateway against the others: what the per-gateway accepted rates say about the ring. */
export interface GatewaySpread {
  readonly hottestGateway: string;
  readonly hottestSpansPerSecond: number;
  readonly othersMeanSpansPerSecond: number;
  readonly gateways: number;
  /** Of `gateways`, those accepting spans: one that has not joined the agents' ring yet takes none. */
  readonly acceptingGateways: number;
  /** The usable rates summed. */
  readonly totalSpansPerSecond: number;
}

/** One gateway receiving far more than its share of spans (see ROUTING_IMBALANCE_RATIO). */
export type RoutingImbalance = GatewaySpread;

/** A gateway whose decision ticks are slower than the busiest gateway's (see slowerThanBusiest). */
export interface SlowerGateway {
  readonly gateway: string;
  readonly tickP99Ms: number;
  readonly busiestGateway: string;
  readonly busiestTickP99Ms: number;
}

/** Gateways that should exist but whose own metrics Prometheus did not get. */
export interface SilentGateways {
  readonly count: number;
  /** The scrape targets that are down, by `instance`; may name fewer than `count` (not discovered, or up without collector metrics). */
  readonly names: readonly string[];
}

export interface PolicyContext {
  readonly nowMs: number;
  readonly settings: TargetSettings;
  /** Gateways that should exist (N), reporting or not; a positive integer. */
  readonly current: number;
  /** Expected gateways that do not report; undefined when all report (or the count of reporting ones is missing, listed in `missing`). */
  readonly silent: SilentGateways | undefined;
  readonly values: SignalValues;
  /** The load the proposals size for; undefined where the accepted rate is missing. */
  readonly load: TierLoad | undefined;
  readonly missing: readonly MissingSignal[];
  readonly snapshotAgeSeconds: number;
  /** The busiest of at least two reporting gateways, however even the ring; undefined without per-gateway rates. */
  readonly busiest: GatewaySpread | undefined;
  readonly imbalance: RoutingImbalance | undefined;
  /** A gateway slower than the busiest one, which makes an uneven spread of accepted spans no routing imbalance. */
  readonly slowerGateway: SlowerGateway | undefined;
  /** What the ring's last change of size did to the busiest gateway's share; undefined when not read. */
  readonly ringSpread: RingSpread | undefined;
  /** Capacity per replica the proposals size with: learned, the trigger's, or lowered by saturation. */
  readonly capacity: CapacityInUse;
}

/** The reading's value when usable, else undefined with the reason added to `missing`. */
function usable(name: SignalName, reading: Reading, missing: MissingSignal[]): number | undefined {
  if (reading.kind === 'missing') {
    missing.push({ name, reason: reading.reason });
    return undefined;
  }
  if (!Number.isFinite(reading.value) || reading.value < 0) {
    missing.push({ name, reason: `not a usable value (${reading.value})` });
    return undefined;
  }
  return reading.value;
}

function currentReplicas(snapshot: SignalSnapshot): number {
  const reading = snapshot.signals.currentReplicas;
  if (reading.kind === 'missing') {
    throw new ScalerError('CURRENT_REPLICAS_UNKNOWN', `current gateway replicas unknown: ${reading.reason}`);
  }
  if (!Number.isInteger(reading.value) || reading.value < 1) {
    throw new ScalerError('CURRENT_REPLICAS_UNKNOWN', `current gateway replicas unknown: ${reading.value} gateways expected (scrape targets or Deployment replicas)`);
  }
  return reading.value;
}

/** The busiest gateway among at least two that accept spans (ties go to the first name), against the mean of the others. */
export function findBusiestGateway(byGateway: Readonly<Record<string, number>>): GatewaySpread | undefined {
  let gateways = 0;
  let accepting = 0;
  let hottestGateway = '';
  let hottest = 0;
  let total = 0;
  for (const gateway of Object.keys(byGateway)) {
    const rate = byGateway[gateway]!;
    if (!(Number.isFinite(rate) && rate >= 0)) continue;
    total += rate;
    if (rate > 0) accepting++;
    if (gateways === 0 || rate > hottest || (rate === hottest && gateway < hottestGateway)) {
      hottestGateway = gateway;
      hottest = rate;
    }
    gateways++;
  }
  if (gateways < 2 || hottest <= 0) return undefined;
  const othersMean = (total - hottest) / (gateways - 1);
  return { hottestGateway, hottestSpansPerSecond: hottest, othersMeanSpansPerSecond: othersMean, gateways, acceptingGateways: accepting, totalSpansPerSecond: total };
}

/** Finds one hot gateway among at least two; scale-free, so more load never switches it on or off. */
export function findRoutingImbalance(byGateway: Readonly<Record<string, number>>, tickP99MsByGateway?: Readonly<Record<string, number>>): RoutingImbalance | undefined {
  const busiest = findBusiestGateway(byGateway);
  return routingImbalanceOf(busiest, slowerHotSpot(busiest, tickP99MsByGateway));
}

/** slowerThanBusiest for a hot spot; undefined for an even spread, where a slower gateway changes no reading. */
function slowerHotSpot(busiest: GatewaySpread | undefined, tickP99MsByGateway: Readonly<Record<string, number>> | undefined): SlowerGateway | undefined {
  return busiest !== undefined && isHotSpot(busiest) ? slowerThanBusiest(busiest.hottestGateway, tickP99MsByGateway) : undefined;
}

/** Whether the busiest gateway takes ROUTING_IMBALANCE_RATIO or more times the others' mean. */
export function isHotSpot(busiest: GatewaySpread): boolean {
  return busiest.hottestSpansPerSecond >= ROUTING_IMBALANCE_RATIO * busiest.othersMeanSpansPerSecond;
}

/**
 * The slowest gateway whose decision-tick p99 exceeds the busiest gateway's; undefined when none does or
 * the busiest gateway's p99 is unknown. A hot share makes its own gateway's ticks the longest (each
 * holds more traces), so a slower gateway elsewhere is short of CPU (throttled, a noisy node): it
 * accepts less because it falls behind, not because routing sends it less, and more gateways shrink
 * its share.
 */
export function slowerThanBusiest(busiestGateway: string, tickP99MsByGateway: Readonly<Record<string, number>> | undefined): SlowerGateway | undefined {
  const busiestTickP99Ms = tickP99MsByGateway?.[busiestGateway];
  if (tickP99MsByGateway === undefined || busiestTickP99Ms === undefined || !Number.isFinite(busiestTickP99Ms)) return undefined;
  let slowest: SlowerGateway | undefined;
  for (const gateway of Object.keys(tickP99MsByGateway).sort()) {
    const tickP99Ms = tickP99MsByGateway[gateway]!;
    if (Number.isFinite(tickP99Ms) && tickP99Ms > (slowest?.tickP99Ms ?? busiestTickP99Ms)) slowest = { gateway, tickP99Ms, busiestGateway, busiestTickP99Ms };
  }
  return slowest;
}

function routingImbalanceOf(busiest: GatewaySpread | undefined, slower: SlowerGateway | undefined): RoutingImbalance | undefined {
  return busiest !== undefined && isHotSpot(busiest) && slower === undefined ? busiest : undefined;
}

/**
 * Whether more gateways spread the routing imbalance's hot spot, so the throughput proposal sizes its
 * gateway: the ring's history shows its share moving as a hash arc's, or that history cannot tell (no
 * change of size in it) while the hot spot overloads its gateway, when the change of size sizing it
 * causes is the evidence the next judgement reads. Queue fill and decision latency still read a hot
 * spot as one (mean fill, no replicas for latency): both are inflated by it, and while gateways join
 * they are also inflated by the join.
 */
export function hotSpotSpreads(ctx: Pick<PolicyContext, 'imbalance' | 'ringSpread' | 'capacity' | 'settings'>): boolean {
  const { imbalance, ringSpread } = ctx;
  if (imbalance === undefined || ringSpread === undefined) return false;
  if (ringSpread.kind === 'follows-ring') return true;
  return ringSpread.kind === 'unknown' && imbalance.hottestSpansPerSecond > ctx.capacity.spansPerReplica * peakUtilizationOf(ctx.settings.targetUtilization);
}

/** The fullest queue above targetQueueFill: a backlog the gateways are not keeping up with. False when the fill is unknown. */
export function queuesAboveTarget(ctx: Pick<PolicyContext, 'values' | 'settings'>): boolean {
  const fill = ctx.values.queueFillMax;
  return fill !== undefined && fill > ctx.settings.targetQueueFill;
}

/** What a decision knows besides the snapshot; each is left out where it was not read. */
export interface ContextEvidence {
  readonly capacity?: CapacityEstimate;
  readonly ringSpread?: RingSpread;
  /** The capacity in use already resolved for `capacity` (resolveCapacity); resolved here when left out. */
  readonly capacityInUse?: CapacityInUse;
  /** The agents' backlog before this snapshot (tierLoadOf). */
  readonly agentsHeldSpans?: number;
}

/** Builds the shared view of one snapshot; throws ScalerError CURRENT_REPLICAS_UNKNOWN. */
export function readPolicyContext(snapshot: SignalSnapshot, settings: TargetSettings, nowMs: number, evidence: ContextEvidence = {}): PolicyContext {
  const { capacity, ringSpread, capacityInUse: resolved, agentsHeldSpans } = evidence;
  const current = currentReplicas(snapshot);
  const missing: MissingSignal[] = [];
  const signals = snapshot.signals;
  // One literal in SIGNAL_NAMES order (test/policy/policy-context.test.ts holds it to the list), so every context's values have one shape.
  const values: SignalValues = {
    currentReplicas: usable('currentReplicas', signals.currentReplicas, missing),
    reportingReplicas: usable('reportingReplicas', signals.reportingReplicas, missing),
    queueFillMax: usable('queueFillMax', signals.queueFillMax, missing),
    queueFillMean: usable('queueFillMean', signals.queueFillMean, missing),
    refusedSpansPerSecond: usable('refusedSpansPerSecond', signals.refusedSpansPerSecond, missing),
    enqueueFailedSpansPerSecond: usable('enqueueFailedSpansPerSecond', signals.enqueueFailedSpansPerSecond, missing),
    sendFailedSpansPerSecond: usable('sendFailedSpansPerSecond', signals.sendFailedSpansPerSecond, missing),
    sentSpansPerSecond: usable('sentSpansPerSecond', signals.sentSpansPerSecond, missing),
    decisionLatencyP99Ms: usable('decisionLatencyP99Ms', signals.decisionLatencyP99Ms, missing),
    tracesOnMemory: usable('tracesOnMemory', signals.tracesOnMemory, missing),
    droppedTooEarlyTracesPerSecond: usable('droppedTooEarlyTracesPerSecond', signals.droppedTooEarlyTracesPerSecond, missing),
    acceptedSpansPerSecond: usable('acceptedSpansPerSecond', signals.acceptedSpansPerSecond, missing),
  };
  const byGateway = snapshot.acceptedSpansPerSecondByGateway;
  let busiest: GatewaySpread | undefined;
  if (byGateway.kind === 'missing') missing.push({ name: 'acceptedSpansPerSecondByGateway', reason: byGateway.reason });
  else busiest = findBusiestGateway(byGateway.value);
  const reporting = values.reportingReplicas;
  const slowerGateway = slowerHotSpot(busiest, snapshot.decisionLatencyP99MsByGateway);
  const silent = reporting !== undefined && reporting < current ? { count: current - reporting, names: snapshot.unscrapedGateways ?? [] } : undefined;
  return {
    nowMs,
    settings,
    current,
    silent,
    values,
    load: tierLoadOf(values.acceptedSpansPerSecond, snapshot.offeredSpansPerSecond, agentsHeldSpans),
    missing,
    snapshotAgeSeconds: (nowMs - snapshot.observedAtMs) / 1000,
    busiest,
    imbalance: routingImbalanceOf(busiest, slowerGateway),
    slowerGateway,
    ringSpread,
    capacity: resolved ?? capacityInUse(settings, capacity),
  };
}

