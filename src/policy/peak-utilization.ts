// The CPU utilization a load peak may run a gateway at: the ceiling the peak-sized proposals and the
// busiest gateway's sizing keep below.

/**
 * CPU utilization a load peak may run the gateways at. Above about 90 % a tail-sampling decision tick
 * takes longer than its 1 s period, the hold stretches past decision_wait and traces pile up towards
 * num_traces (dropped too early), so a peak is provisioned to stay below it rather than below the
 * steady-state targetUtilization.
 */
export const PEAK_UTILIZATION = 0.9;

/** PEAK_UTILIZATION, or the target utilization when that is set higher (a peak needs no less headroom than steady load). */
export function peakUtilizationOf(targetUtilization: number): number {
  return Math.max(targetUtilization, PEAK_UTILIZATION);
}
