// The proposals of the decision model (docs/how-it-decides.md "Proposals"): each sizes the tier from one kind
// of evidence and says why, in the manner of the HPA's per-metric replica calculations. A proposal
// whose input is missing asks for nothing (replicas undefined) and says which input; the
// missing-data guard then decides what that means for the whole decision.
import type { CalendarInput, ForecastInput } from './decide-input.ts';
import type { Proposal, ProposalName } from './decision.ts';
import { formatCount, formatMilliseconds, formatPercent, formatSeconds, formatSpansPerSecond } from './format.ts';
import { nearestCountOutsideTolerance } from './hpa-tolerance.ts';
import { peakUtilizationOf } from './peak-utilization.ts';
import type { TierLoad } from './agents-backlog.ts';
import { hotSpotSpreads, type PolicyContext } from './policy-context.ts';
import { RECENT_PEAK_WINDOW_SECONDS } from './load-peaks.ts';
import type { LoadLevelPeak, QueueGrowth } from './policy-state.ts';
import { SENT_FLAT_TOLERANCE } from './guards.ts';
import { ceilingInputs } from './backend-ceiling.ts';
import { describeRecovery, type RecentRecovery } from './backend-recovery.ts';
import { type GrowthAhead, type LoadVariation, NOISE_SIGMAS } from './load-variation.ts';
import { describeRingChange, type RingSpread } from './ring-spread.ts';

/** Traces on memory are sized to stay at most this full of num_traces (the 1.2 headroom of the usual sizing rule). */
export const TRACES_ON_MEMORY_TARGET_FILL = 0.8;

/** A proposal plus the phrase the summary uses when it decides ("queues 82% full (target 50%)"). */
export interface ProposalOutcome {
  readonly proposal: Proposal;
  readonly headline: string;
}

// Ratios like 10 × 0.45 / 0.5 come out as 9.000000000000002; an exact fit must not cost a replica.
const CEIL_SLACK = 1e-9;

/** Replicas needed for a fractional demand, HPA style (ceil), never negative. */
export function replicasFor(demand: number): number {
  return Math.max(0, Math.ceil(demand - CEIL_SLACK));
}

function outcome(name: ProposalName, replicas: number | undefined, inputs: Record<string, number>, reason: string, headline = reason): ProposalOutcome {
  return { proposal: { name, replicas, inputs, reason }, headline };
}

function missingInput(name: ProposalName, ctx: PolicyContext, signal: keyof PolicyContext['values']): ProposalOutcome {
  const reason = ctx.missing.find((entry) => entry.name === signal)?.reason ?? 'no data';
  return outcome(name, undefined, {}, `${signal} missing (${reason})`);
}

/**
 * N × fill / targetFill. Fill is the fullest gateway's queue, or the mean when one gateway is hot: a
 * hash hot spot fills one queue, and more gateways would not take its traces off it. Any enqueue
 * failure (queue overflowing, spans lost) asks for at least one more replica unless that hot spot
 * explains it. Gateways added while queues filled that did not raise the sent rate (`growth`) hold it,
 * and so does what a backend that was the bottleneck left when it recovered (`recovery`,
 * backend-recovery.ts): rates reaching back to its failure, or its backlog draining.
 */
export function queueProposal(ctx: PolicyContext, growth?: QueueGrowth, recovery?: RecentRecovery): ProposalOutcome {
  const { queueFillMax, queueFillMean, enqueueFailedSpansPerSecond } = ctx.values;
  if (queueFillMax === undefined) return missingInput('queue', ctx, 'queueFillMax');
  const target = ctx.settings.targetQueueFill;
  const useMean = ctx.imbalance !== undefined && queueFillMean !== undefined;
  const fill = useMean ? queueFillMean : queueFillMax;
  const inputs: Record<string, number> = { queueFillMax, targetQueueFill: target, currentReplicas: ctx.current };
  if (queueFillMean !== undefined) inputs.queueFillMean = queueFillMean;
  let replicas = replicasFor((ctx.current * fill) / target);
  const which = useMean ? 'queues on average' : 'queues';
  let reason = `${which} ${formatPercent(fill)} full vs target ${formatPercent(target)} → ${replicas}`;
  let headline = `${which} ${formatPercent(fill)} full (target ${formatPercent(target)})`;
  if (useMean) reason += ` (mean, not max ${formatPercent(queueFillMax)}: one gateway is hot)`;
  if (enqueueFailedSpansPerSecond !== undefined) {
    inputs.enqueueFailedSpansPerSecond = enqueueFailedSpansPerSecond;
    if (enqueueFailedSpansPerSecond > 0 && !useMean && replicas <= ctx.current) {
      replicas = ctx.current + 1;
      reason = `queues overflowing (${formatSpansPerSecond(enqueueFailedSpansPerSecond)} not enqueued) → ${replicas}`;
      headline = `queues overflowing, ${formatSpansPerSecond(enqueueFailedSpansPerSecond)} lost`;
    }
  }
  // Queues fill because each gateway cannot export faster (more gateways help) or because the backend
  // takes no more (they do not). The tier's own answer tells them apart: gateways added while queues
  // filled that did not raise the sent rate mean the backend is the ceiling, so the queue adds no more.
  const sent = ctx.values.sentSpansPerSecond;
  const joined = ctx.values.reportingReplicas === undefined || ctx.values.reportingReplicas >= ctx.current;
  const earlier = growth?.shownOnEarlierPeak;
  const tried = growth !== undefined && (earlier !== undefined ? ctx.current >= growth.fromReplicas : ctx.current > growth.fromReplicas);
  if (tried && replicas > ctx.current && joined && sent !== undefined && sent <= growth.sentSpansPerSecond * (1 + SENT_FLAT_TOLERANCE)) {
    Object.assign(inputs, ceilingInputs(growth));
    const ceiling = formatSpansPerSecond(growth.sentSpansPerSecond);
    let shown = `the ${ctx.current - growth.fromReplicas} gateways added since ${growth.fromReplicas} did not raise the sent rate (${ceiling} → ${formatSpansPerSecond(sent)})`;
    if (earlier !== undefined) {
      shown = `on a peak within the last week, gateways added beyond ${earlier.fromReplicas} did not raise the sent rate above ${ceiling}, and `;
      shown += growth.fromReplicas < earlier.fromReplicas ? `${growth.fromReplicas} send as much now (${formatSpansPerSecond(sent)})` : `it is ${formatSpansPerSecond(sent)} now`;
    }
    reason = `${reason}; held at ${ctx.current}: ${shown}, so the backend is the ceiling and more would not help`;
    replicas = ctx.current;
  }
  // Overflow counted before the backend recovered, a sent rate still climbing, a backlog draining:
  // none says the tier is too small, so the queues' count waits for the tier's own filling.
  if (replicas > ctx.current && recovery !== undefined) {
    inputs.secondsSinceBackendBottleneck = recovery.secondsSinceBottleneck;
    reason = `${reason}; held at ${ctx.current}: ${describeRecovery(recovery, ctx.settings.rateWindowSeconds)}`;
    replicas = ctx.current;
  }
  return outcome('queue', replicas, inputs, reason, headline);
}

/** The throughput proposal's count for a load, without growth: the load at the target utilization. */
export function throughputReplicasFor(load: number, capacitySpansPerReplica: number, targetUtilization: number): number {
  return replicasFor(load / (capacitySpansPerReplica * targetUtilization));
}

/**
 * Total accepted spans/s ÷ (capacity per replica × target utilization); the total, so hot spots do
 * not count twice. A load rising clearly above its noise is sized at what it will be when a pod asked
 * for now takes traffic (`growth`: trend × lead time, the join in use among it), not at what it
 * is now. The busiest gateway is sized too: the loadbalancing exporter's hash gives one gateway more
 * than its share, and that share shrinks with every gateway added, so the tier grows until the busiest
 * one runs no hotter than a peak may (peakUtilizationOf). A hot spot of ROUTING_IMBALANCE_RATIO or more
 * is a routing problem more gateways would not fix (routingImbalanceGuard), so it is not sized, unless
 * the ring's last change of size moved its share as a hash arc's moves (ring-spread.ts), or the ring has
 * not changed size to tell while that gateway runs hotter than a peak may.
 */
export function throughputProposal(ctx: PolicyContext, growth?: GrowthAhead, share: BusiestShare | undefined = measuredShare(ctx)): ProposalOutcome {
  if (ctx.load === undefined) return missingInput('throughput', ctx, 'acceptedSpansPerSecond');
  const load = ctx.load.spansPerSecond;
  const { targetUtilization } = ctx.settings;
  const capacitySpansPerReplica = ctx.capacity.spansPerReplica;
  const ahead = load + (growth?.spansPerSecond ?? 0);
  const byTotal = throughputReplicasFor(ahead, capacitySpansPerReplica, targetUtilization);
  const perReplica = `${formatPercent(targetUtilization)} of ${formatSpansPerSecond(capacitySpansPerReplica)} per replica`;
  const inputs: Record<string, number> = { ...loadInputs(ctx.load), capacitySpansPerReplica, targetUtilization };
  let rising = '';
  if (growth !== undefined) {
    inputs.growthSpansPerSecond = growth.spansPerSecond;
    inputs.leadTimeSeconds = growth.startup.leadTimeSeconds;
    inputs.podStartupSeconds = growth.startup.seconds;
    inputs.joinSeconds = growth.startup.joinSeconds;
    rising = ` rising to ${formatSpansPerSecond(ahead)} by the time a new pod takes traffic (${formatSeconds(growth.startup.leadTimeSeconds)}: ${growth.startup.joinSummary})`;
  }
  const reason = `${formatSpansPerSecond(load)}${backlogClause(ctx.load)}${rising} at ${perReplica} → ${byTotal}`;
  const headline = `${formatSpansPerSecond(load)}${rising} needs ${byTotal} at ${perReplica}`;
  const busiest = busiestGatewaySizing(ctx, ahead, share);
  if (busiest === undefined || busiest.replicas <= byTotal) return outcome('throughput', byTotal, inputs, reason, headline);
  inputs.busiestGatewaySpansPerSecond = busiest.spansPerSecond;
  inputs.busiestGatewayShareMultiple = busiest.shareMultiple;
  inputs.peakUtilization = busiest.peakUtilization;
  const spreading = ctx.imbalance !== undefined ? ringSpreadClause(ctx.ringSpread) : '';
  const carried = share?.carriedOver === true ? ` as measured before the count changed within the ${formatSeconds(ctx.settings.rateWindowSeconds)} rate window` : '';
  const takes = `gateway ${busiest.gateway} takes ${formatSpansPerSecond(busiest.spansPerSecond)}, ${busiest.shareMultiple.toFixed(2)}× an even share${carried}${spreading}`;
  const at = `${formatPercent(busiest.peakUtilization)} of ${formatSpansPerSecond(capacitySpansPerReplica)}`;
  return outcome(
    'throughput',
    busiest.replicas,
    inputs,
    `${reason}; ${takes}, so ${busiest.replicas} keep it at ${at} → ${busiest.replicas}`,
    `${takes}: ${busiest.replicas} keep it at ${at}`,
  );
}

/** The load in a proposal's inputs: the gateways' accepted rate, and the agents' intake where that is the load. */
function loadInputs(load: TierLoad): Record<string, number> {
  const accepted = load.gatewaysAcceptedSpansPerSecond;
  return accepted === undefined ? { acceptedSpansPerSecond: load.spansPerSecond } : { acceptedSpansPerSecond: accepted, offeredSpansPerSecond: load.spansPerSecond };
}

/** " taken in by the agents (the gateways accepted 190k spans/s, the backlog the agents held with it)" where the agents' intake is the load. */
function backlogClause(load: TierLoad): string {
  const accepted = load.gatewaysAcceptedSpansPerSecond;
  return accepted === undefined ? '' : ` taken in by the agents (the gateways accepted ${formatSpansPerSecond(accepted)}, the backlog the agents held with it)`;
}

/** Why a hot spot past ROUTING_IMBALANCE_RATIO is sized: what the ring's history showed, or that it showed nothing yet. */
function ringSpreadClause(spread: RingSpread | undefined): string {
  if (spread?.kind === 'follows-ring') return ` (${describeRingChange(spread)}, as a hash arc's does)`;
  if (spread?.kind === 'unknown') return ` and overloaded; whether more gateways spread it is not known (${spread.reason}), so it is sized as a hash arc's and the change of size tells`;
  return '';
}

interface BusiestGatewaySizing {
  readonly gateway: string;
  readonly spansPerSecond: number;
  /** The busiest gateway's rate ÷ the mean of the gateways accepting spans. */
  readonly shareMultiple: number;
  readonly peakUtilization: number;
  readonly replicas: number;
}

/**
 * The busiest gateway's accepted rate ÷ the mean of the gateways accepting spans, when the throughput
 * proposal sizes it: per-gateway rates known, and no routing imbalance or one more gateways spread (hotSpotSpreads).
 */
export function busiestShareMultiple(ctx: PolicyContext): number | undefined {
  const busiest = ctx.busiest;
  if (busiest === undefined || (ctx.imbalance !== undefined && !hotSpotSpreads(ctx))) return undefined;
  return (busiest.hottestSpansPerSecond * busiest.acceptingGateways) / busiest.totalSpansPerSecond;
}

/** Replicas at which a gateway taking `shareMultiple` × an even share of `load` runs at `peakUtilization`. */
export function busiestGatewayReplicasFor(load: number, shareMultiple: number, capacitySpansPerReplica: number, peakUtilization: number): number {
  return replicasFor((shareMultiple * load) / (capacitySpansPerReplica * peakUtilization));
}

/** The busiest gateway's share multiple the throughput proposal sizes with, and whether it was carried over a change of count. */
export interface BusiestShare {
  readonly multiple: number;
  readonly carriedOver: boolean;
}

function measuredShare(ctx: PolicyContext): BusiestShare | undefined {
  const multiple = busiestShareMultiple(ctx);
  return multiple === undefined ? undefined : { multiple, carriedOver: false };
}

/**
 * busiestShareMultiple while the replica count held over the whole rate window; after a change within
 * it, the multiple measured before the change (`previous`). A rate over the window mixes the busiest
 * gateway's share before and after the change while the gateways it is divided among are already the
 * new ones: after a scale-out the multiple reads high (so the tier grows again, then shrinks back),
 * after a scale-in low. undefined where the busiest gateway is not sized.
 */
export function settledShare(ctx: PolicyContext, countHeldOverWindow: boolean, previous: number | undefined): BusiestShare | undefined {
  const measured = measuredShare(ctx);
  if (measured === undefined || countHeldOverWindow || previous === undefined) return measured;
  return { multiple: previous, carriedOver: true };
}

function busiestGatewaySizing(ctx: PolicyContext, ahead: number, share: BusiestShare | undefined): BusiestGatewaySizing | undefined {
  const busiest = ctx.busiest;
  if (share === undefined || busiest === undefined) return undefined;
  const shareMultiple = share.multiple;
  const peakUtilization = peakUtilizationOf(ctx.settings.targetUtilization);
  const replicas = busiestGatewayReplicasFor(ahead, shareMultiple, ctx.capacity.spansPerReplica, peakUtilization);
  return { gateway: busiest.hottestGateway, spansPerSecond: busiest.hottestSpansPerSecond, shareMultiple, peakUtilization, replicas };
}

/**
 * The highest load level of the last RECENT_PEAK_WINDOW_SECONDS (or the current load, when higher) ÷
 * (capacity × PEAK_UTILIZATION). A level is the median of the last LOAD_SAMPLES readings, so it is a load
 * the tier held for minutes, not one reading's noise or a burst shorter than half of them: the dead band
 * keeps room for those while they are among the readings. Keeping the level for the hour keeps the tier
 * from stepping down and back up while the load falls and recovers within it. On smooth load the
 * level is close to the current load; it decides after a decline. A level seen while the busiest gateway
 * was sized is kept × its share multiple, so that gateway's room is kept as the total's is.
 */
export function recentPeakProposal(ctx: PolicyContext, peak: LoadLevelPeak | undefined): ProposalOutcome {
  if (ctx.load === undefined) return missingInput('recentPeak', ctx, 'acceptedSpansPerSecond');
  const load = ctx.load.spansPerSecond;
  const { targetUtilization } = ctx.settings;
  const capacitySpansPerReplica = ctx.capacity.spansPerReplica;
  const peakUtilization = peakUtilizationOf(targetUtilization);
  const kept = peak !== undefined && peak.spansPerSecond > load ? peak : undefined;
  const highest = kept?.spansPerSecond ?? load;
  const replicas = replicasFor(highest / (capacitySpansPerReplica * peakUtilization));
  const ageSeconds = kept === undefined ? 0 : Math.max(0, (ctx.nowMs - kept.atMs) / 1000);
  const perReplica = `${formatPercent(peakUtilization)} of ${formatSpansPerSecond(capacitySpansPerReplica)} per replica`;
  const inputs: Record<string, number> = { peakSpansPerSecond: highest, peakAgeSeconds: ageSeconds, ...loadInputs(ctx.load), capacitySpansPerReplica, peakUtilization };
  let seen = `${formatSpansPerSecond(highest)} now`;
  let sized = '';
  let roomFor = 'that level';
  if (kept !== undefined) {
    const multiple = kept.busiestShareMultiple;
    const ago = formatSeconds(ageSeconds);
    seen = `${formatSpansPerSecond(highest)} ${ago} ago`;
    if (multiple !== undefined) {
      inputs.peakBusiestShareMultiple = multiple;
      seen = `${formatSpansPerSecond(highest / multiple)} ${ago} ago with its busiest gateway at ${multiple.toFixed(2)}× an even share`;
      sized = `, sized as ${formatSpansPerSecond(highest)} on an even ring`;
      roomFor = 'that gateway';
    }
  }
  return outcome(
    'recentPeak',
    replicas,
    inputs,
    `highest load level of the last ${formatSeconds(RECENT_PEAK_WINDOW_SECONDS)} ${seen}${sized} at ${perReplica} → ${replicas}`,
    `the load held ${seen}; room kept for ${roomFor} at ${perReplica}`,
  );
}

/** Refused spans (memory_limiter) > 0 → N × (1 + refused share of offered spans), at least N + 1. */
export function refusedProposal(ctx: PolicyContext): ProposalOutcome {
  const refused = ctx.values.refusedSpansPerSecond;
  if (refused === undefined) return missingInput('refused', ctx, 'refusedSpansPerSecond');
  if (refused === 0) return outcome('refused', 0, { refusedSpansPerSecond: 0 }, 'no spans refused → no demand');
  const accepted = ctx.values.acceptedSpansPerSecond;
  if (accepted === undefined) {
    const replicas = ctx.current + 1;
    return outcome(
      'refused',
      replicas,
      { refusedSpansPerSecond: refused, currentReplicas: ctx.current },
      `${formatSpansPerSecond(refused)} refused, share unknown (accepted missing) → ${replicas}`,
      `gateways refuse ${formatSpansPerSecond(refused)} under memory pressure`,
    );
  }
  const share = refused / (accepted + refused);
  const replicas = Math.max(ctx.current + 1, replicasFor(ctx.current * (1 + share)));
  return outcome(
    'refused',
    replicas,
    { refusedSpansPerSecond: refused, acceptedSpansPerSecond: accepted, refusedShare: share, currentReplicas: ctx.current },
    `${formatPercent(share)} of spans refused (${formatSpansPerSecond(refused)}) → ${replicas}`,
    `gateways refuse ${formatPercent(share)} of spans under memory pressure`,
  );
}

/**
 * Within budget, N × p99 decision-tick latency ÷ budget. Over budget, the ticks are waiting for CPU: the
 * gateways have none to spare at the load each carries, so the tier is sized to carry that load at the
 * peak utilization (`baseReplicas` ÷ it), and at least to the nearest count the HPA acts on. How far over
 * budget the p99 is does not say how far over capacity: the wait grows steeply as the CPU fills, so a
 * count in proportion overshoots and the scale-in walks it back. While the ticks stay over budget it
 * steps again. `baseReplicas` is the fewest gateways within the rate window the p99 is measured over:
 * replicas just added are not in that p99 yet, so sizing from the current count would compound on them.
 * With one gateway hot the p99 is likely its own, so the proposal may hold the tier but not grow it;
 * a gateway slower than the hot one makes the spread no hot spot (slowerThanBusiest), and the reason names it.
 */
export function decisionLatencyProposal(ctx: PolicyContext, baseReplicas: number = ctx.current): ProposalOutcome {
  const latencyMs = ctx.values.decisionLatencyP99Ms;
  if (latencyMs === undefined) return missingInput('decisionLatency', ctx, 'decisionLatencyP99Ms');
  const budgetMs = ctx.settings.decisionLatencyBudgetMs;
  const ratio = latencyMs / budgetMs;
  const overBudget = ratio > 1;
  const base = overBudget ? Math.min(baseReplicas, ctx.current) : ctx.current;
  const peakUtilization = peakUtilizationOf(ctx.settings.targetUtilization);
  const proposed = replicasFor(overBudget ? base / peakUtilization : base * ratio);
  // Only a count over budget exceeds the current one, which is then too few: one inside the HPA's tolerance would be ignored.
  const sized = proposed > ctx.current ? nearestCountOutsideTolerance(ctx.current, proposed) : proposed;
  const capped = ctx.imbalance !== undefined && sized > ctx.current;
  const replicas = capped ? ctx.current : sized;
  const figures = `${formatMilliseconds(latencyMs)} (budget ${formatMilliseconds(budgetMs)})`;
  const bounds: string[] = [];
  if (base < ctx.current) bounds.push(`sized from ${base}, the fewest gateways in the ${formatSeconds(ctx.settings.rateWindowSeconds)} p99 window`);
  if (overBudget) bounds.push(`over budget: sized to run the load of ${base} at ${formatPercent(peakUtilization)} of their CPU`);
  if (capped) bounds.push(`not ${sized}: one gateway is hot`);
  const slower = ctx.slowerGateway;
  if (slower !== undefined) {
    bounds.push(
      `gateway ${slower.gateway} ticks at ${formatMilliseconds(slower.tickP99Ms)}, slower than the busiest ${slower.busiestGateway} at ${formatMilliseconds(slower.busiestTickP99Ms)}: it takes less because it falls behind, not a routing hot spot, and more gateways shrink its share`,
    );
  }
  return outcome(
    'decisionLatency',
    replicas,
    { decisionLatencyP99Ms: latencyMs, decisionLatencyBudgetMs: budgetMs, currentReplicas: ctx.current, baseReplicas: base },
    `decision tick p99 ${figures} → ${replicas}${bounds.length > 0 ? ` (${bounds.join('; ')})` : ''}`,
    `tail-sampling decisions take ${figures}`,
  );
}

/**
 * Traces on memory ÷ (num_traces × TRACES_ON_MEMORY_TARGET_FILL); traces dropped before their decision
 * (num_traces too small) → N × (1 + dropped share of new traces), at least N + 1. New traces/s are
 * estimated as traces on memory ÷ decision_wait.
 */
export function tracesOnMemoryProposal(ctx: PolicyContext): ProposalOutcome {
  const traces = ctx.values.tracesOnMemory;
  if (traces === undefined) return missingInput('tracesOnMemory', ctx, 'tracesOnMemory');
  const { numTraces, decisionWaitSeconds } = ctx.settings;
  const byMemory = replicasFor(traces / (numTraces * TRACES_ON_MEMORY_TARGET_FILL));
  const inputs: Record<string, number> = { tracesOnMemory: traces, numTraces, targetFill: TRACES_ON_MEMORY_TARGET_FILL };
  const heldShare = traces / (ctx.current * numTraces);
  let replicas = byMemory;
  let reason = `${formatCount(traces)} traces held, ${formatPercent(heldShare)} of num_traces → ${byMemory}`;
  let headline = `traces held at ${formatPercent(heldShare)} of num_traces (${formatCount(numTraces)} per gateway)`;
  const dropped = ctx.values.droppedTooEarlyTracesPerSecond;
  if (dropped !== undefined) {
    inputs.droppedTooEarlyTracesPerSecond = dropped;
    if (dropped > 0) {
      const share = dropped / (dropped + traces / decisionWaitSeconds);
      const byDrops = Math.max(ctx.current + 1, replicasFor(ctx.current * (1 + share)));
      replicas = Math.max(byMemory, byDrops);
      inputs.droppedShare = share;
      reason = `${formatCount(dropped)} traces/s (${formatPercent(share)}) dropped before their decision, ${formatPercent(heldShare)} of num_traces held → ${replicas} (or raise num_traces)`;
      headline = `num_traces too small: ${formatCount(dropped)} traces/s dropped before their decision`;
    }
  }
  return outcome('tracesOnMemory', replicas, inputs, reason, headline);
}

/**
 * The forecast at now + lead time. With the accepted load measured, it is the season's change over the
 * lead time on that load: load now × the fit's point at now + lead ÷ its point at now, sized like the
 * current load (at the target utilization); a rise within NOISE_SIGMAS of the load's noise is not
 * counted. A fit is made hourly and read for up to two hours, so its level carries a two-hour-ahead
 * forecast's error; the pods started now meet the load measured now plus the change over their
 * startup, and the change is what the reactive proposals cannot see. The band's
 * upper edge measures the level's error, which the measured load replaces, so it is not added on top
 * (doing so cost 11 % more replica-hours than reactive mode for no less loss with 90–120 s pods).
 * Without the load now or the fit's point at now (0, or not covered), the band itself sizes: its point at
 * the target utilization and its upper edge at PEAK_UTILIZATION (the band is already a high estimate,
 * so the target's headroom on top would provision for the same variation twice). Desired is a maximum,
 * so the forecast can only raise.
 */
export function forecastProposal(ctx: PolicyContext, forecast: ForecastInput | undefined, variation?: LoadVariation): ProposalOutcome {
  if (forecast === undefined) return outcome('forecast', undefined, {}, 'no forecast for this target');
  if (forecast.kind === 'unavailable') return outcome('forecast', undefined, {}, `no forecast: ${forecast.reason}`);
  const band = forecast.band;
  const { targetUtilization } = ctx.settings;
  const capacitySpansPerReplica = ctx.capacity.spansPerReplica;
  const load = ctx.load?.spansPerSecond;
  const nowPoint = band.nowPointSpansPerSecond;
  const lead = formatSeconds(band.leadTimeSeconds);
  if (load !== undefined && nowPoint !== undefined && nowPoint > 0) {
    const change = band.pointSpansPerSecond / nowPoint - 1;
    // A rise no larger than the load's own noise is not told apart from it (as for the trend's growth):
    // counting it would only move the tier across replica boundaries the noise already crosses.
    const withinNoise = variation !== undefined && change > 0 && load * change <= NOISE_SIGMAS * variation.noiseSpansPerSecond;
    // Nor is a rise no larger than the forecast's own error at that step (its band above the point): two
    // neighbouring steps of a forecast differ by that much with no change of level behind it.
    const errorShare = band.pointSpansPerSecond > 0 ? band.upperSpansPerSecond / band.pointSpansPerSecond - 1 : 0;
    const withinError = !withinNoise && change > 0 && change <= errorShare;
    const expected = withinNoise || withinError ? load : load * (1 + change);
    const replicas = replicasFor(expected / (capacitySpansPerReplica * targetUtilization));
    const noise = withinNoise
      ? `, within the load's noise of ${formatSpansPerSecond(variation.noiseSpansPerSecond)}: not counted`
      : withinError
        ? `, within the forecast's own p${Math.round(band.quantile * 100)} error of +${formatPercent(errorShare)}: not counted`
        : '';
    const expects = `${formatSpansPerSecond(expected)} in ${lead} (${change >= 0 ? '+' : '−'}${formatPercent(Math.abs(change))} on ${formatSpansPerSecond(load)} now${noise})`;
    return outcome(
      'forecast',
      replicas,
      {
        expectedSpansPerSecond: expected,
        ...(ctx.load === undefined ? {} : loadInputs(ctx.load)),
        pointSpansPerSecond: band.pointSpansPerSecond,
        nowPointSpansPerSecond: nowPoint,
        leadTimeSeconds: band.leadTimeSeconds,
        targetUtilization,
      },
      `forecast ${expects} → ${replicas} (at ${formatPercent(targetUtilization)} per replica)`,
      `forecast expects ${expects}`,
    );
  }
  const peakUtilization = peakUtilizationOf(targetUtilization);
  const byPoint = replicasFor(band.pointSpansPerSecond / (capacitySpansPerReplica * targetUtilization));
  const byUpper = replicasFor(band.upperSpansPerSecond / (capacitySpansPerReplica * peakUtilization));
  const replicas = Math.max(byPoint, byUpper);
  const quantile = `p${Math.round(band.quantile * 100)}`;
  const expects = `up to ${formatSpansPerSecond(band.upperSpansPerSecond)} in ${lead} (${quantile})`;
  const sizing =
    byUpper >= byPoint
      ? `${quantile} at ${formatPercent(peakUtilization)} per replica`
      : `point ${formatSpansPerSecond(band.pointSpansPerSecond)} at ${formatPercent(targetUtilization)} per replica`;
  return outcome(
    'forecast',
    replicas,
    {
      upperSpansPerSecond: band.upperSpansPerSecond,
      pointSpansPerSecond: band.pointSpansPerSecond,
      quantile: band.quantile,
      leadTimeSeconds: band.leadTimeSeconds,
      targetUtilization,
      peakUtilization,
    },
    `forecast ${expects} → ${replicas} (${sizing})`,
    `forecast expects ${expects}`,
  );
}

/**
 * The largest of the active windows' minimums and of load × loadMultiplier sized like throughput. The
 * load is the forecast's point value when there is one (the seasonal load the event comes on top of),
 * else the current accepted rate.
 */
export function calendarProposal(ctx: PolicyContext, calendar: CalendarInput | undefined, forecast: ForecastInput | undefined): ProposalOutcome {
  const windows = calendar?.activeWindows ?? [];
  if (windows.length === 0) return outcome('calendar', undefined, {}, 'no calendar window active');
  const baseLoad = forecast?.kind === 'available' ? forecast.band.pointSpansPerSecond : ctx.load?.spansPerSecond;
  const baseName = forecast?.kind === 'available' ? 'forecast' : 'current load';
  const perReplica = ctx.capacity.spansPerReplica * ctx.settings.targetUtilization;
  let best: { replicas: number; phrase: string } | undefined;
  const skipped: string[] = [];
  for (const window of windows) {
    if (window.minReplicas !== undefined && (best === undefined || window.minReplicas > best.replicas)) {
      best = { replicas: window.minReplicas, phrase: `calendar window "${window.name}" keeps at least ${window.minReplicas}` };
    }
    if (window.loadMultiplier !== undefined) {
      if (baseLoad === undefined) {
        skipped.push(`"${window.name}" ×${window.loadMultiplier} skipped (no forecast, accepted load missing)`);
        continue;
      }
      const replicas = replicasFor((baseLoad * window.loadMultiplier) / perReplica);
      if (best === undefined || replicas > best.replicas) {
        best = { replicas, phrase: `calendar window "${window.name}" expects ${window.loadMultiplier}× the ${baseName} (${formatSpansPerSecond(baseLoad * window.loadMultiplier)})` };
      }
    }
  }
  const inputs: Record<string, number> = { activeWindows: windows.length };
  if (baseLoad !== undefined) inputs.baseSpansPerSecond = baseLoad;
  if (best === undefined) return outcome('calendar', undefined, inputs, skipped.join('; '));
  const reason = [`${best.phrase} → ${best.replicas}`, ...skipped].join('; ');
  return outcome('calendar', best.replicas, inputs, reason, best.phrase);
}
