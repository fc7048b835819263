// This project's scaler in the simulated loop: at every KEDA poll it reads the simulated fleet's
// signals, runs the same decide() the gRPC scaler runs (with its PolicyState carried between polls),
// and answers decision.replicas with targetSize 1; the HPA then applies the example ScaledObject's
// behavior. scaler-forecast adds the hourly-refitted forecast; scaler-reactive runs without one.
import type { TargetSettings } from '../config/target-metadata.ts';
import { ScalerError } from '../errors.ts';
import { decide } from '../policy/decide.ts';
import type { Decision } from '../policy/decision.ts';
import type { PolicyState } from '../policy/policy-state.ts';
import type { Autoscaler, AutoscalerName, ControlContext, ExternalLoopSettings } from './autoscaler.ts';
import { KedaHpaLoop } from './autoscaler.ts';
import { startingReplicas } from './baseline-autoscalers.ts';
import type { FleetSettings } from './fleet-settings.ts';
import type { HourlyForecaster } from './hourly-forecaster.ts';
import type { LoadCurve } from './load-curve.ts';

/** decide() answers the replica count itself, so KEDA's targetSize (AverageValue) is 1. */
const TARGET_SIZE = 1;

export class ProjectScalerAutoscaler implements Autoscaler {
  readonly name: AutoscalerName;
  private readonly loop: KedaHpaLoop;
  private state: PolicyState | undefined;
  /** The latest decision, for the demo's dashboard and for tests. */
  latestDecision: Decision | undefined;
  /** Polls that ended in a ScalerError (the HPA keeps the count, as with KEDA's fallback not yet engaged). */
  failedPolls = 0;

  constructor(
    private readonly settings: TargetSettings,
    private readonly fleetSettings: FleetSettings,
    private readonly loopSettings: Omit<ExternalLoopSettings, 'targetAverageValue'>,
    private readonly forecaster: HourlyForecaster | undefined,
  ) {
    this.name = forecaster ? 'scaler-forecast' : 'scaler-reactive';
    this.loop = new KedaHpaLoop({ ...loopSettings, targetAverageValue: TARGET_SIZE }, (context) => this.poll(context));
  }

  private poll(context: ControlContext): number | undefined {
    const snapshot = context.source.snapshotAt(context.nowMs, this.settings);
    const forecast = this.forecaster?.inputAt(context.source, context.nowMs);
    try {
      const result = decide({ nowMs: context.nowMs, snapshot, ...(forecast ? { forecast } : {}) }, this.settings, this.state);
      this.state = result.state;
      this.latestDecision = result.decision;
      return result.decision.replicas;
    } catch (error) {
      if (!(error instanceof ScalerError)) throw error;
      this.failedPolls++;
      return undefined;
    }
  }

  initialReplicas(load: LoadCurve): number {
    return startingReplicas(load, this.fleetSettings);
  }

  control(context: ControlContext): void {
    this.loop.control(context);
  }

  describe(): string {
    const s = this.settings;
    return `decide() every ${this.loopSettings.pollingSeconds}s (targetQueueFill ${s.targetQueueFill}, scaleInStep ${s.scaleInStep}, scaleInWindow ${s.scaleInWindowSeconds}s${this.forecaster ? `, forecast q${s.forecastQuantile} refit hourly` : ''})`;
  }
}
