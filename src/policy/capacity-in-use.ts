// Which capacity per replica a decision sizes with, and the sentence that says why: the figure learned
// from CPU once there is enough evidence, the trigger's capacitySpansPerReplica (the prior) before that,
// and either one lowered when the gateways were seen saturated below it (the second witness), in the
// read window or, for falling behind, at an earlier peak within a week.
import type { TargetSettings } from '../config/target-metadata.ts';
import { AGENT_SHORTFALL_TOLERANCE, type CapacityEstimate, CPU_WITNESS_UTILIZATION, SATURATION_MARGIN, type SaturationWitness } from './capacity-estimate.ts';
import type { FellBehind } from './earlier-peaks.ts';
import { formatPercent, formatSpansPerSecond } from './format.ts';

export type CapacitySource = 'learned' | 'trigger' | 'saturation';

export interface CapacityInUse {
  readonly spansPerReplica: number;
  readonly source: CapacitySource;
  /** The trigger's figure, for comparison. */
  readonly triggerSpansPerReplica: number;
  /** "capacity 23k spans/s per replica, learned from 6 h of CPU (±1.2 %); the trigger says 20k". */
  readonly sentence: string;
  /** Before a fit is learned, the load per replica the gateways' CPU fills at now (CpuNow), where it is below the figure in use. */
  readonly cpuNowSpansPerReplica?: number;
  /** Where the read window shows the agents ahead of the gateways for longer than a rate window, that load and when: what the scaler exports for later peaks. */
  readonly fellBehindNow?: FellBehind;
}

function formatEvidence(seconds: number): string {
  if (seconds >= 3600) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 60)} min`;
}

function formatPerReplica(spansPerSecond: number): string {
  return `${formatSpansPerSecond(spansPerSecond)} per replica`;
}

/** A saturation witness, or falling behind that an earlier peak showed. */
type Witness = SaturationWitness | { readonly cause: 'fell behind earlier'; readonly medianSpansPerSecond: number; readonly atMs: number };

function witnessClause(witness: Witness): string {
  if (witness.cause === 'fell behind earlier') {
    return `on a peak within the last week the agents took in over ${1 + AGENT_SHORTFALL_TOLERANCE} × what the gateways accepted at that load for longer than a rate window (kept until the gateways fall behind at another load or their CPU line changes)`;
  }
  if (witness.cause === 'cpu') return `gateways' CPU reached ${formatPercent(CPU_WITNESS_UTILIZATION)} or more of its allotment at loads that reach 100 % there (median of ${witness.samples} samples)`;
  return `gateways fell behind at that load (${witness.samples} samples of decision ticks over budget, spans refused, or agents taking in over ${1 + AGENT_SHORTFALL_TOLERANCE} × what the gateways accepted for longer than a rate window, with queues not filling)`;
}

/**
 * The witness a decision weighs: the lower of the read window's own and the load at which an earlier
 * peak showed the agents ahead of the gateways, while that still speaks for these gateways. Ticks over budget and
 * refusals show as soon as a gateway is behind, before a span is lost, so they are learned again at each
 * peak for nothing. A CPU quota can hold a gateway back short of its allotment, where only the agents'
 * shortfall shows it, and that shows only once spans wait at the agents, which give them up after their
 * retry time: forgotten with the read window, it is learned again at every peak, each time with spans
 * lost and a tier grown to take the agents' backlog as load. A change of the CPU line after it (a new
 * config, image or CPU limit) means other gateways, and it no longer speaks for them.
 */
function witnessInUse(estimate: CapacityEstimate | undefined, fellBehind: FellBehind | undefined): Witness | undefined {
  const fresh = estimate?.saturation;
  if (fellBehind === undefined) return fresh;
  if (estimate?.kind === 'learned' && estimate.changeAtMs !== undefined && estimate.changeAtMs > fellBehind.atMs) return fresh;
  if (fresh !== undefined && fresh.medianSpansPerSecond <= fellBehind.spansPerReplica) return fresh;
  return { cause: 'fell behind earlier', medianSpansPerSecond: fellBehind.spansPerReplica, atMs: fellBehind.atMs };
}

/** Where the read window shows the agents ahead of the gateways for longer than a rate window. */
function fellBehindIn(estimate: CapacityEstimate | undefined): FellBehind | undefined {
  const witness = estimate?.lastingShortfall;
  return witness === undefined ? undefined : { spansPerReplica: witness.medianSpansPerSecond, atMs: witness.atMs };
}

/**
 * Resolves the capacity for one decision; `estimate` undefined means no CPU evidence was read for the
 * target, `fellBehind` undefined that no earlier peak within a week showed the gateways falling behind.
 */
export function capacityInUse(settings: Pick<TargetSettings, 'capacitySpansPerReplica'>, estimate: CapacityEstimate | undefined, fellBehind?: FellBehind): CapacityInUse {
  const trigger = settings.capacitySpansPerReplica;
  const triggerSays = `the trigger says ${formatSpansPerSecond(trigger)}`;
  let base: CapacityInUse;
  if (estimate?.kind === 'learned') {
    const { fit } = estimate;
    const seconds = (fit.toMs - fit.fromMs) / 1000;
    const since = estimate.changeAtMs === undefined ? '' : ' since the series changed';
    const origin = fit.throughOrigin ? ', assuming no idle CPU' : '';
    base = {
      spansPerReplica: fit.spansPerReplica,
      source: 'learned',
      triggerSpansPerReplica: trigger,
      sentence: `capacity ${formatPerReplica(fit.spansPerReplica)}, learned from ${formatEvidence(seconds)} of CPU${since} (±${Math.round(fit.relativeStandardError * 1000) / 10} %, CPU allotment from ${estimate.allotmentSource}${origin}); ${triggerSays}`,
    };
  } else {
    const why = estimate === undefined ? 'no CPU evidence read for this target' : `not learned yet: ${estimate.reason}`;
    base = { spansPerReplica: trigger, source: 'trigger', triggerSpansPerReplica: trigger, sentence: `capacity ${formatPerReplica(trigger)} from the trigger's capacitySpansPerReplica (${why})` };
  }
  const witness = witnessInUse(estimate, fellBehind);
  const lowered = witness !== undefined && witness.medianSpansPerSecond < base.spansPerReplica * (1 - SATURATION_MARGIN) ? witnessed(base, witness, trigger) : base;
  const fellBehindNow = fellBehindIn(estimate);
  const inUse = fellBehindNow === undefined ? lowered : { ...lowered, fellBehindNow };
  const cpuNow = estimate?.kind === 'insufficient' ? estimate.cpuNow?.spansPerSecondAtFullCpu : undefined;
  return cpuNow !== undefined && cpuNow < inUse.spansPerReplica ? { ...inUse, cpuNowSpansPerReplica: cpuNow } : inUse;
}

function witnessed(base: CapacityInUse, witness: Witness, trigger: number): CapacityInUse {
  return {
    spansPerReplica: witness.medianSpansPerSecond,
    source: 'saturation',
    triggerSpansPerReplica: trigger,
    sentence: `capacity ${formatPerReplica(witness.medianSpansPerSecond)}: ${witnessClause(witness)}, below the ${base.source === 'learned' ? 'learned' : "trigger's"} ${formatSpansPerSecond(base.spansPerReplica)}`,
  };
}

/**
 * The capacity in use with what it was resolved from. PolicyState keeps it: the estimate is re-read
 * every few minutes while decisions come every poll, and resolving it formats its sentence.
 */
export interface ResolvedCapacity {
  readonly estimate: CapacityEstimate | undefined;
  readonly fellBehind: FellBehind | undefined;
  readonly triggerSpansPerReplica: number;
  readonly inUse: CapacityInUse;
}

/**
 * capacityInUse for this estimate, earlier peak and trigger figure. `previous` is answered again when
 * it was resolved from the same estimate and earlier peak (neither is changed once made) and figure:
 * capacityInUse reads nothing else, so it would give the same again.
 */
export function resolveCapacity(
  settings: Pick<TargetSettings, 'capacitySpansPerReplica'>,
  estimate: CapacityEstimate | undefined,
  fellBehind: FellBehind | undefined,
  previous?: ResolvedCapacity,
): ResolvedCapacity {
  const trigger = settings.capacitySpansPerReplica;
  if (previous !== undefined && previous.estimate === estimate && previous.fellBehind === fellBehind && Object.is(previous.triggerSpansPerReplica, trigger)) return previous;
  return { estimate, fellBehind, triggerSpansPerReplica: trigger, inUse: capacityInUse(settings, estimate, fellBehind) };
}
