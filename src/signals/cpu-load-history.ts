// What the gateways' CPU history says, step by step: the evidence capacity per replica is learned from
// (policy/capacity-estimate.ts). Prometheus answers it with range queries (capacity-queries.ts); the
// simulated fleet from its recorded counters.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { RangeWindow, TargetRef } from './signal-snapshot.ts';

/** One gateway over one step. */
export interface CpuLoadSample {
  readonly atMs: number;
  readonly gateway: string;
  /** rate(otelcol_process_cpu_seconds) over the step, in cores. */
  readonly cpuCores: number;
  readonly acceptedSpansPerSecond: number;
  /**
   * Accepted spans/s over the same window a decision_wait earlier (0 where the gateway accepted nothing
   * then): tail sampling exports a trace decision_wait after its first span, so this step's exports
   * pay for that intake, not this one. Undefined where it could not be read (that range query failed):
   * the sample is then judged without it.
   */
  readonly acceptedSpansPerSecondDecisionWaitAgo?: number;
  /** CPU the gateway may use (cores); undefined when unknown for this sample. */
  readonly allotmentCores: number | undefined;
  /**
   * The gateway was seen saturated in this step for a reason other than the backend: its decision tick
   * over budget, or spans refused while its queue was not filling. The second witness of capacity.
   */
  readonly saturated?: boolean;
  /**
   * The agents took in more than the tier accepted in this step (beyond AGENT_SHORTFALL_TOLERANCE), while
   * the gateway's queue was not filling: the gateways were falling behind, as a saturated one is.
   * Undefined (false) where the trigger selects no agents.
   */
  readonly agentsAhead?: boolean;
  /**
   * The gateway's exporter was failing or its queue filling in this step (a backend outage): CPU then
   * pays for retries or not for exports at all, not the steady cost per span, so the sample is left out.
   */
  readonly exportDisturbed?: boolean;
}

/** Where the CPU allotment of the samples came from, for the decision's sentence. */
export type AllotmentSource = 'kube-state-metrics limits' | 'kube-state-metrics requests' | 'trigger cpuPerReplica';

export interface CpuLoadSamples {
  readonly samples: readonly CpuLoadSample[];
  /** Where the samples' `allotmentCores` came from; undefined when no sample has one. */
  readonly allotmentSource: AllotmentSource | undefined;
}

/** The CPU history of a target's gateways. */
export interface CpuLoadHistory {
  /** Samples per gateway and step in the window; rejects with ScalerError PROMETHEUS_UNAVAILABLE when nothing answers. */
  readCpuLoadSamples(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<CpuLoadSamples>;
}
