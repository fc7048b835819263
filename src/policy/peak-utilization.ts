// The CPU utilization a load peak may run a gateway at: the ceiling the peak-sized proposals and the
// busiest gateway's sizing keep below.
import { formatPercent } from './format.ts';
import { HPA_TOLERANCE } from './hpa-tolerance.ts';

/**
 * CPU utilization a load peak may run the gateways at: 1 / (1 + HPA_TOLERANCE), about 91 %. The HPA
 * carries out a higher recommendation only once it is more than its tolerance above the current count,
 * so a tier sized at u runs up to u × (1 + tolerance) of its CPU as the load grows before it scales out;
 * sized at this, that is its full CPU. (A real collector's decision tick, measured by the collector tier
 * tests, runs long only once the gateway's CPU is full and the tick waits for it: no lower ceiling.)
 */
export const PEAK_UTILIZATION = 1 / (1 + HPA_TOLERANCE);

/** PEAK_UTILIZATION, or the target utilization when that is set higher (a peak needs no less headroom than steady load). */
export function peakUtilizationOf(targetUtilization: number): number {
  return Math.max(targetUtilization, PEAK_UTILIZATION);
}

/** Why a targetUtilization above PEAK_UTILIZATION risks the gateways' CPU, and what to set. */
export function describeTargetAboveCeiling(targetUtilization: number): string {
  const reached = targetUtilization * (1 + HPA_TOLERANCE);
  return `targetUtilization ${targetUtilization} lets a growing load take the gateways to ${formatPercent(reached)} of their CPU before the HPA carries out a scale-out (it ignores changes within ±${formatPercent(HPA_TOLERANCE)}); set it to ${Math.floor(PEAK_UTILIZATION * 100) / 100} or less.`;
}
