// The seam every simulated autoscaler implements, and the KEDA + HPA control loop the external-metric
// ones share: KEDA computes the metric every pollingInterval, the HPA reads the latest value every
// sync period and applies the AverageValue formula, tolerance, min/max and behavior.
import type { SimulatedSignalSource } from '../signals/simulated-source.ts';
import type { Fleet } from './fleet.ts';
import { externalAverageValueReplicas, type HpaBehavior, HorizontalPodAutoscaler } from './hpa.ts';
import type { LoadCurve } from './load-curve.ts';
import type { CapacityTally } from './capacity-tally.ts';

export const AUTOSCALER_NAMES = [
  'static-peak',
  'hpa-cpu-50',
  'hpa-cpu-60',
  'hpa-cpu-70',
  'hpa-cpu-90',
  'hpa-cpu-mem',
  'keda-prometheus-rate',
  'keda-prometheus-queue',
  'scaler-reactive',
  'scaler-forecast',
  'oracle',
] as const;
export type AutoscalerName = (typeof AUTOSCALER_NAMES)[number];

/** What an autoscaler may look at before a step. Only the oracle reads `load`. */
export interface ControlContext {
  /** Simulated time, ms since epoch. */
  readonly nowMs: number;
  /** Seconds since the run started (step index × step). */
  readonly elapsedSeconds: number;
  readonly fleet: Fleet;
  readonly source: SimulatedSignalSource;
  readonly load: LoadCurve;
}

/** One autoscaler under test; `control` runs before every step and may set the fleet's replicas. */
export interface Autoscaler {
  /** One of AUTOSCALER_NAMES for the benchmark's own; tests may run others. */
  readonly name: string;
  /** Replicas the Deployment starts with. */
  initialReplicas(load: LoadCurve): number;
  /** Asynchronous work due before this step's control (a forecast refit), or undefined when none is. */
  prepare?(context: ControlContext): Promise<void> | undefined;
  control(context: ControlContext): void;
  /** Settings worth printing next to the results (threshold, behavior, …). */
  describe(): string;
  /** The capacity per replica this project's scaler sized with over the run; the baselines have none. */
  capacityTally?(): CapacityTally | undefined;
}

/** KEDA's external-metric cadence and the HPA it drives. */
export interface ExternalLoopSettings {
  readonly pollingSeconds: number;
  readonly hpaSyncSeconds: number;
  /** HPA syncs run this long after KEDA's polls, so a new value is read on the next sync, as on a cluster. */
  readonly hpaSyncOffsetSeconds: number;
  readonly tolerance: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly behavior: HpaBehavior;
  /** The trigger's target (AverageValue). */
  readonly targetAverageValue: number;
}

/** A metric KEDA computes at a poll; undefined when the scaler errors (the HPA then keeps the count). */
export type ExternalMetric = (context: ControlContext) => number | undefined;

/** Whether an HPA that syncs every `hpaSyncSeconds`, starting `hpaSyncOffsetSeconds` into the run, syncs now. */
export function hpaSyncsAt(elapsedSeconds: number, timing: Pick<ExternalLoopSettings, 'hpaSyncSeconds' | 'hpaSyncOffsetSeconds'>): boolean {
  return elapsedSeconds >= timing.hpaSyncOffsetSeconds && (elapsedSeconds - timing.hpaSyncOffsetSeconds) % timing.hpaSyncSeconds === 0;
}

/** The HPA side of an external trigger: at each sync, the AverageValue formula on the latest value, then behavior. */
export class ExternalMetricHpa {
  private readonly hpa: HorizontalPodAutoscaler;

  constructor(private readonly settings: Omit<ExternalLoopSettings, 'pollingSeconds'>) {
    this.hpa = new HorizontalPodAutoscaler({ minReplicas: settings.minReplicas, maxReplicas: settings.maxReplicas, behavior: settings.behavior });
  }

  /** Whether the HPA syncs at this elapsed time. */
  syncsAt(elapsedSeconds: number): boolean {
    return hpaSyncsAt(elapsedSeconds, this.settings);
  }

  /** One sync with the latest metric value; sets the fleet's replicas when the HPA changes them. */
  sync(elapsedSeconds: number, fleet: Fleet, value: number): void {
    const current = fleet.replicas;
    const proposal = externalAverageValueReplicas(value, this.settings.targetAverageValue, current, this.settings.tolerance);
    const outcome = this.hpa.reconcile(elapsedSeconds, current, proposal.replicas);
    if (outcome.desiredReplicas !== current) fleet.setReplicas(outcome.desiredReplicas);
  }
}

/** KEDA polling a trigger and an HPA reading its latest value; the HPA never acts on an error. */
export class KedaHpaLoop {
  private latestValue: number | undefined;
  private readonly hpa: ExternalMetricHpa;

  constructor(
    private readonly settings: ExternalLoopSettings,
    private readonly metric: ExternalMetric,
  ) {
    this.hpa = new ExternalMetricHpa(settings);
  }

  control(context: ControlContext): void {
    const elapsed = context.elapsedSeconds;
    if (elapsed % this.settings.pollingSeconds === 0) this.latestValue = this.metric(context);
    if (this.latestValue !== undefined && this.hpa.syncsAt(elapsed)) this.hpa.sync(elapsed, context.fleet, this.latestValue);
  }
}

/** Replicas a load needs at a utilization: ceil(λ / (μ · u)), within min..max. */
export function replicasFor(spansPerSecond: number, capacitySpansPerSecond: number, utilization: number, minReplicas: number, maxReplicas: number): number {
  const needed = Math.ceil(spansPerSecond / (capacitySpansPerSecond * utilization) - 1e-9);
  return Math.min(maxReplicas, Math.max(minReplicas, needed));
}
