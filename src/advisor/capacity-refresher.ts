// Capacity per replica learned per target (LearnedRefresher): CAPACITY_LOOKBACK_SECONDS of CPU and
// accepted spans per gateway read from Prometheus and estimated by policy/capacity-estimate.ts.
import type { TargetSettings } from '../config/target-metadata.ts';
import { type CapacityEstimate, estimateCapacity } from '../policy/capacity-estimate.ts';
import { CAPACITY_LOOKBACK_SECONDS, capacityStepSeconds } from '../signals/capacity-queries.ts';
import type { CpuLoadHistory } from '../signals/cpu-load-history.ts';
import { type RangeWindow, type TargetRef, trailingWindow } from '../signals/signal-snapshot.ts';
import { type LearnedFigure, LearnedRefresher, type LearnedRefresherOptions } from './learned-refresher.ts';

/** The range a read at `nowMs` covers: CAPACITY_LOOKBACK_SECONDS up to the last whole step. */
export function capacityReadWindow(settings: Pick<TargetSettings, 'rateWindowSeconds'>, nowMs: number): RangeWindow {
  return trailingWindow(nowMs, CAPACITY_LOOKBACK_SECONDS, capacityStepSeconds(settings));
}

function capacityFigure(history: CpuLoadHistory): LearnedFigure<CapacityEstimate> {
  return {
    name: 'CPU',
    async read(ref, settings, nowMs) {
      const { samples, allotmentSource } = await history.readCpuLoadSamples(ref, settings, capacityReadWindow(settings, nowMs));
      return estimateCapacity(samples, settings.cpuPerReplicaCores, allotmentSource);
    },
    readKey: (settings) =>
      JSON.stringify([settings.prometheus, settings.gatewaySelector, settings.agentSelector, settings.rateWindowSeconds, settings.cpuPerReplicaCores, settings.targetQueueFill, settings.decisionLatencyBudgetMs]),
    afterFailure: (previous, message) =>
      previous?.kind === 'learned' ? previous : { kind: 'insufficient', reason: `the CPU history could not be read (${message})`, saturation: undefined },
  };
}

export interface CapacityRefresherOptions extends LearnedRefresherOptions {
  readonly history: CpuLoadHistory;
}

/** One learned capacity per target, re-read every LEARNED_REFRESH_SECONDS. */
export class CapacityRefresher extends LearnedRefresher<CapacityEstimate> {
  constructor(options: CapacityRefresherOptions) {
    super(capacityFigure(options.history), options);
  }

  /** The Advisor's capacityFor hook. */
  estimateFor(ref: TargetRef, settings: TargetSettings, nowMs: number): CapacityEstimate | undefined {
    return this.latestFor(ref, settings, nowMs);
  }
}
