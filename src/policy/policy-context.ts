// Reads a snapshot once into what every proposal and guard shares: plain numbers (undefined where the
// reading was missing or not a usable number), the list of what was missing and why, the snapshot's
// age and whether routing is imbalanced. Current replicas unknown ends the decision here with the
// error KEDA's fallback acts on.
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import type { CapacityEstimate } from './capacity-estimate.ts';
import { type CapacityInUse, capacityInUse } from './capacity-in-use.ts';
import { SIGNAL_NAMES, type Reading, type SignalName, type SignalSnapshot } from '../signals/signal-snapshot.ts';

/** The hottest gateway takes at least this many times the average of the others (hash hot spot, DNS lag). */
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
}

/** One gateway receiving far more than its share of spans (see ROUTING_IMBALANCE_RATIO). */
export type RoutingImbalance = GatewaySpread;

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
  readonly missing: readonly MissingSignal[];
  readonly snapshotAgeSeconds: number;
  /** The busiest of at least two reporting gateways, however even the ring; undefined without per-gateway rates. */
  readonly busiest: GatewaySpread | undefined;
  readonly imbalance: RoutingImbalance | undefined;
  /** Capacity per replica the proposals size with: learned, the trigger's, or lowered by saturation. */
  readonly capacity: CapacityInUse;
}

function usable(reading: Reading): { value: number } | { reason: string } {
  if (reading.kind === 'missing') return { reason: reading.reason };
  if (!Number.isFinite(reading.value) || reading.value < 0) return { reason: `not a usable value (${reading.value})` };
  return { value: reading.value };
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
  const entries = Object.entries(byGateway).filter(([, rate]) => Number.isFinite(rate) && rate >= 0);
  if (entries.length < 2) return undefined;
  let hottest = entries[0]!;
  let total = 0;
  let accepting = 0;
  for (const entry of entries) {
    total += entry[1];
    if (entry[1] > 0) accepting++;
    if (entry[1] > hottest[1] || (entry[1] === hottest[1] && entry[0] < hottest[0])) hottest = entry;
  }
  if (hottest[1] <= 0) return undefined;
  const othersMean = (total - hottest[1]) / (entries.length - 1);
  return { hottestGateway: hottest[0], hottestSpansPerSecond: hottest[1], othersMeanSpansPerSecond: othersMean, gateways: entries.length, acceptingGateways: accepting };
}

/** Finds one hot gateway among at least two; scale-free, so more load never switches it on or off. */
export function findRoutingImbalance(byGateway: Readonly<Record<string, number>>): RoutingImbalance | undefined {
  return routingImbalanceOf(findBusiestGateway(byGateway));
}

function routingImbalanceOf(busiest: GatewaySpread | undefined): RoutingImbalance | undefined {
  return busiest !== undefined && busiest.hottestSpansPerSecond >= ROUTING_IMBALANCE_RATIO * busiest.othersMeanSpansPerSecond ? busiest : undefined;
}

/** Builds the shared view of one snapshot; throws ScalerError CURRENT_REPLICAS_UNKNOWN. */
export function readPolicyContext(snapshot: SignalSnapshot, settings: TargetSettings, nowMs: number, capacity?: CapacityEstimate): PolicyContext {
  const current = currentReplicas(snapshot);
  const values = {} as Record<SignalName, number | undefined>;
  const missing: MissingSignal[] = [];
  for (const name of SIGNAL_NAMES) {
    const read = usable(snapshot.signals[name]);
    if ('value' in read) {
      values[name] = read.value;
    } else {
      values[name] = undefined;
      missing.push({ name, reason: read.reason });
    }
  }
  const byGateway = snapshot.acceptedSpansPerSecondByGateway;
  let busiest: GatewaySpread | undefined;
  if (byGateway.kind === 'missing') missing.push({ name: 'acceptedSpansPerSecondByGateway', reason: byGateway.reason });
  else busiest = findBusiestGateway(byGateway.value);
  const reporting = values.reportingReplicas;
  const silent = reporting !== undefined && reporting < current ? { count: current - reporting, names: snapshot.unscrapedGateways ?? [] } : undefined;
  return {
    nowMs,
    settings,
    current,
    silent,
    values,
    missing,
    snapshotAgeSeconds: (nowMs - snapshot.observedAtMs) / 1000,
    busiest,
    imbalance: routingImbalanceOf(busiest),
    capacity: capacityInUse(settings, capacity),
  };
}
