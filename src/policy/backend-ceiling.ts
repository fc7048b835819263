// The backend's ceiling as an earlier peak showed it. The queue proposal holds once gateways it added
// while queues filled did not raise the sent rate; that hold is exported in the scaler's own decision
// series and read back from Prometheus (signals/), so the next peak that meets the same sent rate
// holds at once instead of growing the tier again for queues the backend will not drain sooner.
import type { Decision } from './decision.ts';
import { SENT_FLAT_TOLERANCE } from './guards.ts';
import { type PolicyContext, queuesAboveTarget } from './policy-context.ts';
import type { QueueGrowth } from './policy-state.ts';

/** The newest queue-proposal hold within EARLIER_PEAK_LOOKBACK_SECONDS. */
export interface BackendCeiling {
  /** The sent rate the gateways added did not raise. */
  readonly sentSpansPerSecond: number;
  /** The count the tier grew from when it showed it. */
  readonly fromReplicas: number;
}

/**
 * The queue proposal's evidence at the start of an episode, from an earlier peak: queues above target
 * while the backend takes no more than it took then (SENT_FLAT_TOLERANCE above it at most). With at
 * least as many gateways as more were added to then, any such rate holds: no fewer gateways than sent
 * that rate cannot be what holds the sends below it, so a lower rate is a backend slower still, or
 * sends still ramping up as the queues fill. Fewer gateways hold only while they send the ceiling
 * itself (within SENT_FLAT_TOLERANCE below it): the backend takes no more from them than it took from
 * more, whereas below it they may be the limit themselves. A rate clearly above says the backend takes
 * more now. Otherwise the tier's own answer is needed again.
 */
export function evidenceFromEarlierPeak(ctx: PolicyContext, ceiling: BackendCeiling | undefined): QueueGrowth | undefined {
  const sent = ctx.values.sentSpansPerSecond;
  if (ceiling === undefined || sent === undefined || !queuesAboveTarget(ctx)) return undefined;
  if (sent > ceiling.sentSpansPerSecond * (1 + SENT_FLAT_TOLERANCE)) return undefined;
  const fewer = ctx.current < ceiling.fromReplicas;
  if (fewer && sent < ceiling.sentSpansPerSecond * (1 - SENT_FLAT_TOLERANCE)) return undefined;
  return {
    fromReplicas: fewer ? ctx.current : ceiling.fromReplicas,
    sentSpansPerSecond: ceiling.sentSpansPerSecond,
    shownOnEarlierPeak: { fromReplicas: ceiling.fromReplicas },
  };
}

const SENT_INPUT = 'sentBeforeGrowthSpansPerSecond';
const FROM_REPLICAS_INPUT = 'replicasBeforeGrowth';

/** The queue proposal's inputs when it holds at a ceiling, as ceilingHeldBy reads them back. */
export function ceilingInputs(ceiling: BackendCeiling): Record<string, number> {
  return { [SENT_INPUT]: ceiling.sentSpansPerSecond, [FROM_REPLICAS_INPUT]: ceiling.fromReplicas };
}

/** The ceiling a decision's queue proposal held at, as the scaler exports it; undefined when it did not hold. */
export function ceilingHeldBy(decision: Pick<Decision, 'proposals'>): BackendCeiling | undefined {
  const inputs = decision.proposals.find((proposal) => proposal.name === 'queue')?.inputs;
  const sentSpansPerSecond = inputs?.[SENT_INPUT];
  const fromReplicas = inputs?.[FROM_REPLICAS_INPUT];
  return sentSpansPerSecond === undefined || fromReplicas === undefined ? undefined : { sentSpansPerSecond, fromReplicas };
}

/** A decision held at the backend's ceiling, and the spans/s the exporter queues lose meanwhile (undefined: the signal is missing). */
export interface CeilingHold {
  readonly ceiling: BackendCeiling;
  readonly lostSpansPerSecond: number | undefined;
}

/** The decision's hold at the backend's ceiling; undefined when its queue proposal did not hold. */
export function ceilingHoldOf(decision: Pick<Decision, 'proposals' | 'snapshot'>): CeilingHold | undefined {
  const ceiling = ceilingHeldBy(decision);
  if (ceiling === undefined) return undefined;
  const reading = decision.snapshot.signals.enqueueFailedSpansPerSecond;
  return { ceiling, lostSpansPerSecond: reading.kind === 'ok' ? reading.value : undefined };
}
