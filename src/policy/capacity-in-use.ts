// Which capacity per replica a decision sizes with, and the sentence that says why: the figure learned
// from CPU once there is enough evidence, the trigger's capacitySpansPerReplica (the prior) before that,
// and either one lowered when the gateways were seen saturated below it (the second witness).
import type { TargetSettings } from '../config/target-metadata.ts';
import { AGENT_SHORTFALL_TOLERANCE, type CapacityEstimate, CPU_WITNESS_UTILIZATION, SATURATION_MARGIN, type SaturationWitness } from './capacity-estimate.ts';
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
}

function formatEvidence(seconds: number): string {
  if (seconds >= 3600) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 60)} min`;
}

function formatPerReplica(spansPerSecond: number): string {
  return `${formatSpansPerSecond(spansPerSecond)} per replica`;
}

function witnessClause(witness: SaturationWitness): string {
  if (witness.cause === 'cpu') return `gateways' CPU reached ${formatPercent(CPU_WITNESS_UTILIZATION)} or more of its allotment at loads that reach 100 % there (median of ${witness.samples} samples)`;
  return `gateways fell behind at that load (${witness.samples} samples of decision ticks over budget, spans refused, or agents taking in over ${1 + AGENT_SHORTFALL_TOLERANCE} × what the gateways accepted, with queues not filling)`;
}

/** Resolves the capacity for one decision; `estimate` undefined means no CPU evidence was read for the target. */
export function capacityInUse(settings: Pick<TargetSettings, 'capacitySpansPerReplica'>, estimate: CapacityEstimate | undefined): CapacityInUse {
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
  const witness = estimate?.saturation;
  const inUse = witness !== undefined && witness.medianSpansPerSecond < base.spansPerReplica * (1 - SATURATION_MARGIN) ? witnessed(base, witness, trigger) : base;
  const cpuNow = estimate?.kind === 'insufficient' ? estimate.cpuNow?.spansPerSecondAtFullCpu : undefined;
  return cpuNow !== undefined && cpuNow < inUse.spansPerReplica ? { ...inUse, cpuNowSpansPerReplica: cpuNow } : inUse;
}

function witnessed(base: CapacityInUse, witness: SaturationWitness, trigger: number): CapacityInUse {
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
  readonly triggerSpansPerReplica: number;
  readonly inUse: CapacityInUse;
}

/**
 * capacityInUse for this estimate and the trigger's figure. `previous` is answered again when it was
 * resolved from the same estimate (an estimate is never changed once made) and figure: capacityInUse
 * reads nothing else, so it would give the same again.
 */
export function resolveCapacity(settings: Pick<TargetSettings, 'capacitySpansPerReplica'>, estimate: CapacityEstimate | undefined, previous?: ResolvedCapacity): ResolvedCapacity {
  const trigger = settings.capacitySpansPerReplica;
  if (previous !== undefined && previous.estimate === estimate && Object.is(previous.triggerSpansPerReplica, trigger)) return previous;
  return { estimate, triggerSpansPerReplica: trigger, inUse: capacityInUse(settings, estimate) };
}
