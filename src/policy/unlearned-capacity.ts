// The scale-in limit that holds until capacity is learned (docs/how-it-decides.md "Guards, in order"):
// the gateways' CPU now, against the trigger's figure.
import { formatPercent, formatSpansPerSecond } from './format.ts';
import { guardAction, type GuardResult } from './guards.ts';
import { peakUtilizationOf } from './peak-utilization.ts';
import type { PolicyContext } from './policy-context.ts';
import { replicasFor } from './proposals.ts';

/**
 * Before capacity is learned, the trigger's capacitySpansPerReplica is a guess the gateways' CPU can
 * contradict before a fit can: a scale-in goes no lower than the count that keeps the load, at the load
 * per replica their CPU fills at now (cpuNowSpansPerReplica), at the peak utilization. Idle CPU counted
 * as per-span cost makes that count err towards more gateways, for as long as the fit takes.
 */
export function unlearnedCapacityGuard(ctx: PolicyContext, replicas: number): GuardResult {
  const atFullCpu = ctx.capacity.cpuNowSpansPerReplica;
  const load = ctx.load?.spansPerSecond;
  if (atFullCpu === undefined || load === undefined || replicas >= ctx.current) return { replicas, action: undefined };
  const peakUtilization = peakUtilizationOf(ctx.settings.targetUtilization);
  const floor = replicasFor(load / (atFullCpu * peakUtilization));
  if (floor <= replicas) return { replicas, action: undefined };
  const why = `capacity is not learned yet, and the gateways' CPU now fills at ${formatSpansPerSecond(atFullCpu)} per replica, below the ${formatSpansPerSecond(ctx.capacity.spansPerReplica)} in use: ${formatSpansPerSecond(load)} needs ${floor} at ${formatPercent(peakUtilization)}`;
  if (floor >= ctx.current) {
    return { replicas: ctx.current, action: guardAction('unlearnedCapacity', replicas, ctx.current, `Not scaling in: ${why}.`, 'hold'), cause: why };
  }
  return { replicas: floor, action: guardAction('unlearnedCapacity', replicas, floor, `Scale-in goes no lower than ${floor}: ${why}.`, 'limit') };
}

