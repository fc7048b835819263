// decide(): the one decision function the gRPC scaler, the advisory dashboard and the benchmark share
// (docs/how-it-decides.md). Pure and deterministic: the caller passes `now`, the snapshot, the
// optional forecast and calendar, and the target's previous PolicyState; it gets the Decision and the
// next state back. Nothing here reads a clock, does I/O or logs.
import type { TargetSettings } from '../config/target-metadata.ts';
import { evidenceFromEarlierPeak } from './backend-ceiling.ts';
import { advanceBottleneckSeen, recentRecovery } from './backend-recovery.ts';
import type { DecideInput } from './decide-input.ts';
import type { Decision, GuardAction } from './decision.ts';
import { asSentence, summarize } from './explain.ts';
import { formatApproximate } from './format.ts';
import {
  backendBottleneckGuard,
  backendSaturationHint,
  clampGuard,
  forecastOnlyGuard,
  hpaToleranceGuard,
  missingDataGuard,
  routingImbalanceGuard,
  SENT_FLAT_TOLERANCE,
  withinHpaTolerance,
} from './guards.ts';
import { checkDrain } from './drain-check.ts';
import { type PolicyContext, queuesAboveTarget, readPolicyContext } from './policy-context.ts';
import { unlearnedCapacityGuard } from './unlearned-capacity.ts';
import { resolveCapacity } from './capacity-in-use.ts';
import { startupInUse } from './startup-in-use.ts';
import { NO_SCALE_IN, type PolicyState, type QueueGrowth, type ScaleInState } from './policy-state.ts';
import {
  calendarProposal,
  decisionLatencyProposal,
  forecastProposal,
  type ProposalOutcome,
  queueProposal,
  settledShare,
  recentPeakProposal,
  refusedProposal,
  throughputProposal,
  tracesOnMemoryProposal,
} from './proposals.ts';
import { advanceLoadPeaks, RECENT_PEAK_WINDOW_SECONDS, recentPeak } from './load-peaks.ts';
import { advanceLoadSamples, advanceSortedSlopes, busiestShareLevel, growthAhead, loadLevel, loadVariation, noiseFloor } from './load-variation.ts';
import { advanceReplicaCounts, fewestReplicas } from './replica-history.ts';
import { advanceAgentsBacklog } from './agents-backlog.ts';
import { isContinuous, type ScaleInProgress, scaleInGuard } from './scale-in.ts';
import { advanceTrend } from './trend.ts';
import { describeTargetAboveCeiling, PEAK_UTILIZATION } from './peak-utilization.ts';

/** A decision and the state to pass to the next `decide` for the same target. */
export interface DecideResult {
  readonly decision: Decision;
  readonly state: PolicyState;
}

/** The proposal with the most replicas; on a tie the first in PROPOSAL_NAMES order. */
function leadingProposal(outcomes: readonly ProposalOutcome[]): ProposalOutcome | undefined {
  let leading: ProposalOutcome | undefined;
  for (const outcome of outcomes) {
    const replicas = outcome.proposal.replicas;
    if (replicas !== undefined && (leading === undefined || replicas > leading.proposal.replicas!)) leading = outcome;
  }
  return leading;
}

function maxExcept(outcomes: readonly ProposalOutcome[], excluded: ProposalOutcome): number | undefined {
  let max: number | undefined;
  for (const outcome of outcomes) {
    const replicas = outcome.proposal.replicas;
    if (outcome !== excluded && replicas !== undefined && (max === undefined || replicas > max)) max = replicas;
  }
  return max;
}

/**
 * The evidence the queue proposal compares with: set when the queue proposal leads a scale-out while
 * queues are above target (the count and sent rate before it). Kept until the backend takes more (the
 * sent rate rises past SENT_FLAT_TOLERANCE of it) or the episode ends (queues back at or below target
 * with the sent rate below it: the load fell under the ceiling). A fill that wobbles about its target
 * at the same sent rate, or an outage that stops the sends while queues stay full, says nothing new
 * about the ceiling the gateways added did not raise. Dropped when the fill or sent rate is unknown.
 */
function advanceQueueGrowth(previous: QueueGrowth | undefined, ctx: PolicyContext, recommended: number, queue: ProposalOutcome): QueueGrowth | undefined {
  const sent = ctx.values.sentSpansPerSecond;
  if (ctx.values.queueFillMax === undefined || sent === undefined) return undefined;
  const aboveTarget = queuesAboveTarget(ctx);
  if (previous !== undefined) {
    const ceiling = previous.sentSpansPerSecond;
    const backendTookMore = sent > ceiling * (1 + SENT_FLAT_TOLERANCE);
    const episodeOver = !aboveTarget && sent < ceiling * (1 - SENT_FLAT_TOLERANCE);
    if (!backendTookMore && !episodeOver) return previous;
  }
  if (!aboveTarget) return undefined;
  const queueLeads = queue.proposal.replicas !== undefined && queue.proposal.replicas >= recommended;
  return recommended > ctx.current && queueLeads ? { fromReplicas: ctx.current, sentSpansPerSecond: sent } : undefined;
}

/** Traces a change from `current` to `recommended` splits or drops: |ΔN| / max(N, N') of those held. */
export function estimateBrokenTraces(tracesOnMemory: number | undefined, current: number, recommended: number): number {
  if (tracesOnMemory === undefined || recommended === current) return 0;
  return (tracesOnMemory * Math.abs(recommended - current)) / Math.max(current, recommended);
}

/**
 * Sizes one gateway tier. Throws ScalerError CURRENT_REPLICAS_UNKNOWN when the snapshot does not say
 * how many gateways run (the gRPC layer turns it into an error so KEDA's fallback applies).
 */
export function decide(input: DecideInput, settings: TargetSettings, previous?: PolicyState): DecideResult {
  const capacity = resolveCapacity(settings, input.capacity, input.fellBehind, previous?.capacityInUse);
  const continuous = isContinuous({ nowMs: input.nowMs, settings }, previous);
  const heldBefore = continuous ? previous.agentsBacklog : undefined;
  const ctx = readPolicyContext(input.snapshot, settings, input.nowMs, { capacity: input.capacity, ringSpread: input.ringSpread, capacityInUse: capacity.inUse, agentsHeldSpans: heldBefore?.spans });
  const { current } = ctx;
  const agentsBacklog = advanceAgentsBacklog(heldBefore, input.snapshot.observedAtMs, ctx.values.acceptedSpansPerSecond, input.snapshot.offeredSpansPerSecond);
  const previousCount = continuous ? previous.replicaCounts?.[previous.replicaCounts.length - 1]?.replicas : undefined;
  const lastRiseAtMs = previousCount !== undefined && current > previousCount ? input.nowMs : continuous ? previous.lastRiseAtMs : undefined;
  const replicaCounts = advanceReplicaCounts(continuous ? previous.replicaCounts : undefined, current, input.nowMs, settings.rateWindowSeconds);
  const previousSamples = continuous ? previous.loadSamples : undefined;
  const share = settledShare(ctx, replicaCounts.length === 1, continuous ? previous.busiestShareMultiple : undefined);
  const loadSamples = advanceLoadSamples(previousSamples, input.snapshot.observedAtMs, ctx.load?.spansPerSecond, share?.multiple);
  const measured = ctx.load !== undefined;
  const loadPeaks = advanceLoadPeaks(continuous ? previous.loadPeaks : undefined, input.snapshot.observedAtMs, measured ? loadLevel(loadSamples) : undefined, measured ? busiestShareLevel(loadSamples) : undefined);
  const loadSlopes = advanceSortedSlopes(previousSamples, continuous ? previous.loadSlopes : undefined, loadSamples);
  const variation = loadVariation(loadSamples, loadSlopes);
  const startup = startupInUse(settings, input.startup);
  const growth = growthAhead(variation, startup);
  const queueGrowth = (continuous ? previous.queueGrowth : undefined) ?? evidenceFromEarlierPeak(ctx, input.backendCeiling);
  const bottleneckSeen = continuous ? previous.backendBottleneck : undefined;
  const trend = advanceTrend(previous?.trend, ctx, input.snapshot.observedAtMs);
  const recovery = recentRecovery(bottleneckSeen, input.snapshot.observedAtMs, settings.rateWindowSeconds, [input.snapshot.queueFillMaxWindowAgo, ctx.values.queueFillMax]);
  const outcomes = [
    queueProposal(ctx, queueGrowth, recovery),
    throughputProposal(ctx, growth, share),
    recentPeakProposal(ctx, recentPeak(loadPeaks)),
    refusedProposal(ctx),
    decisionLatencyProposal(ctx, fewestReplicas(replicaCounts)),
    tracesOnMemoryProposal(ctx),
    forecastProposal(ctx, input.forecast, variation),
    calendarProposal(ctx, input.calendar, input.forecast),
  ];
  const leading = leadingProposal(outcomes);
  const desired = leading?.proposal.replicas ?? current;

  const guards: GuardAction[] = [];
  const notes: string[] = [];
  let replicas = desired;
  let holdCause: string | undefined;

  const imbalance = routingImbalanceGuard(ctx, replicas);
  if (imbalance.action) guards.push(imbalance.action);

  const bottleneck = backendBottleneckGuard(ctx, replicas, trend.comparison, trend.sentReference);
  if (bottleneck.action) {
    guards.push(bottleneck.action);
    replicas = bottleneck.replicas;
    holdCause = bottleneck.cause;
  } else {
    const hint = backendSaturationHint(ctx, trend.comparison);
    if (hint !== undefined) notes.push(hint);
  }

  const missing = missingDataGuard(ctx, replicas);
  if (missing.action) {
    guards.push(missing.action);
    replicas = missing.replicas;
    holdCause ??= missing.cause;
  }

  // Hysteresis: after a scale-out within the hour (what happened within the hour comes back, as for the
  // recent peak), scale-in goes only to a count the load's own recent readings would not scale back out
  // of. A tier that has not grown within the hour follows a falling load without this dead band.
  const roseRecently = lastRiseAtMs !== undefined && input.nowMs - lastRiseAtMs <= RECENT_PEAK_WINDOW_SECONDS * 1000;
  if (holdCause === undefined && replicas < current && roseRecently) {
    const floor = noiseFloor(loadSamples, ctx.capacity.spansPerReplica, settings, { tracesOnMemory: ctx.values.tracesOnMemory, spansPerSecond: ctx.load?.spansPerSecond }, share?.multiple);
    if (floor !== undefined && floor.replicas >= current) {
      guards.push({ name: 'loadNoise', effect: 'hold', from: replicas, to: current, reason: `Not scaling in: ${floor.reason}, so a step below ${current} would be undone by the load's noise.` });
      replicas = current;
      holdCause = `${floor.reason}; a step below ${current} would be undone by the load's noise`;
    } else if (floor !== undefined && floor.replicas > replicas) {
      guards.push({ name: 'loadNoise', effect: 'limit', from: replicas, to: floor.replicas, reason: `Scale-in goes no lower than ${floor.replicas}: ${floor.reason}.` });
      replicas = floor.replicas;
    }
  }

  if (holdCause === undefined && replicas < current) {
    const unlearned = unlearnedCapacityGuard(ctx, replicas);
    if (unlearned.action) guards.push(unlearned.action);
    replicas = unlearned.replicas;
    holdCause = unlearned.cause;
  }

  let scaleInState: ScaleInState = NO_SCALE_IN;
  let progress: ScaleInProgress | undefined;
  if (holdCause === undefined && replicas < current) {
    const scaleIn = scaleInGuard(ctx, replicas, previous);
    if (scaleIn.result.action) guards.push(scaleIn.result.action);
    replicas = scaleIn.result.replicas;
    holdCause = scaleIn.result.cause;
    scaleInState = scaleIn.state;
    progress = scaleIn.progress;
  }

  const forecastOutcome = outcomes.find((outcome) => outcome.proposal.name === 'forecast')!;
  if (holdCause === undefined) {
    const forecastOnly = forecastOnlyGuard(replicas, forecastOutcome.proposal.replicas, maxExcept(outcomes, forecastOutcome), forecastOutcome.headline);
    if (forecastOnly.action) guards.push(forecastOnly.action);
  }

  const clamp = clampGuard(settings, replicas);
  if (clamp.action) guards.push(clamp.action);
  const recommended = clamp.replicas;

  const tolerance = hpaToleranceGuard(current, recommended);
  if (tolerance.action) guards.push(tolerance.action);

  // Said on every decision, not only on scale-in: the next scale-in will break traces whenever it comes.
  const drain = checkDrain(settings, { builds: input.snapshot.collectorBuilds, reresolve: input.reresolve });
  if (drain.tooShort) guards.push({ name: 'drainTooShort', effect: 'note', from: recommended, to: recommended, reason: drain.sentence });
  else if (drain.drainSeconds === undefined && recommended < current) notes.push(asSentence(drain.sentence));

  // Said on every decision too: a target above the peak utilization lets a growing load take the
  // gateways past their CPU before the HPA carries out the scale-out.
  if (settings.targetUtilization > PEAK_UTILIZATION) notes.push(describeTargetAboveCeiling(settings.targetUtilization));
  if (input.forecast?.kind === 'unavailable') notes.push(asSentence(forecastOutcome.proposal.reason));
  const estimatedBrokenTraces = estimateBrokenTraces(ctx.values.tracesOnMemory, current, recommended);
  if (recommended > current && estimatedBrokenTraces > 0) {
    notes.push(`Adding ${recommended - current} gateway${recommended - current === 1 ? '' : 's'} moves ~${formatApproximate(estimatedBrokenTraces)} traces in flight to another gateway.`);
  }
  const within = withinHpaTolerance(current, recommended);
  const summary = summarize({
    current,
    recommended,
    mode: settings.mode,
    holdCause,
    clampCause: clamp.cause,
    scaleIn: progress,
    leadingHeadline: leading?.headline,
    estimatedBrokenTraces,
    withinHpaTolerance: within,
  });
  const reasons = [summary, ...guards.map((guard) => asSentence(guard.reason)), ...notes];
  if (leading !== undefined) reasons.push(asSentence(`${leading.proposal.name} proposal: ${leading.proposal.reason}`));
  reasons.push(asSentence(ctx.capacity.sentence));
  reasons.push(asSentence(startup.sentence));

  const decision: Decision = {
    replicas: settings.mode === 'enforce' ? recommended : current,
    recommended,
    current,
    mode: settings.mode,
    at: input.nowMs,
    proposals: outcomes.map((outcome) => outcome.proposal),
    guards,
    reasons,
    summary,
    estimatedBrokenTraces,
    atMaxUnderPressure: holdCause === undefined && recommended === settings.maxReplicas && desired > settings.maxReplicas,
    withinHpaTolerance: within,
    forecast: input.forecast?.kind === 'available' ? input.forecast.band : undefined,
    capacity: ctx.capacity,
    drain,
    startup,
    snapshot: input.snapshot,
  };
  const nextQueueGrowth = advanceQueueGrowth(queueGrowth, ctx, recommended, outcomes[0]!);
  const nextBottleneckSeen = advanceBottleneckSeen(bottleneckSeen, bottleneck.action !== undefined, input.snapshot.observedAtMs, settings.rateWindowSeconds, ctx.values.queueFillMax, queuesAboveTarget(ctx));
  const state: PolicyState = {
    evaluatedAtMs: Math.max(input.nowMs, previous?.evaluatedAtMs ?? input.nowMs),
    scaleIn: scaleInState,
    trend: trend.next,
    replicaCounts,
    loadPeaks,
    loadSamples,
    loadSlopes,
    capacityInUse: capacity,
    ...(share === undefined ? {} : { busiestShareMultiple: share.multiple }),
    ...(lastRiseAtMs === undefined ? {} : { lastRiseAtMs }),
    ...(nextQueueGrowth === undefined ? {} : { queueGrowth: nextQueueGrowth }),
    ...(nextBottleneckSeen === undefined ? {} : { backendBottleneck: nextBottleneckSeen }),
    ...(agentsBacklog === undefined ? {} : { agentsBacklog }),
  };
  return { decision, state };
}
