// The Kubernetes HorizontalPodAutoscaler as the simulator needs it, following
// pkg/controller/podautoscaler (replica_calculator.go and horizontal.go): the External AverageValue
// and Resource utilization replica calculations with their tolerance, then min/max, stabilization
// windows and scaling policies (behavior). Time is passed in; nothing here reads a clock.

import { hpaIgnoresRatio } from '../policy/hpa-tolerance.ts';

export type ScalingPolicyType = 'Pods' | 'Percent';
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

export interface ScalingPolicy {
  readonly type: ScalingPolicyType;
  readonly value: number;
  readonly periodSeconds: number;
}

export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: SelectPolicy;
  readonly policies: readonly ScalingPolicy[];
}

/** autoscaling/v2 HorizontalPodAutoscalerBehavior. */
export interface HpaBehavior {
  readonly scaleUp: ScalingRules;
  readonly scaleDown: ScalingRules;
}

/** The HPA's default behavior (what applies when a ScaledObject sets none). */
export const DEFAULT_HPA_BEHAVIOR: HpaBehavior = Object.freeze<HpaBehavior>({
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  },
});

/** The default --horizontal-pod-autoscaler-tolerance. */
export const DEFAULT_HPA_TOLERANCE = 0.1;

export interface ReplicaProposal {
  readonly replicas: number;
  /** usage / target: 1 means at target. */
  readonly usageRatio: number;
  readonly withinTolerance: boolean;
}

/**
 * External metric, AverageValue target (GetExternalPerPodMetricReplicas): ratio = Σ values /
 * (target × statusReplicas); inside ±tolerance nothing changes, else ceil(Σ values / target).
 */
export function externalAverageValueReplicas(summedValue: number, targetAverageValue: number, statusReplicas: number, tolerance: number): ReplicaProposal {
  const usageRatio = summedValue / (targetAverageValue * statusReplicas);
  if (hpaIgnoresRatio(usageRatio, tolerance)) return { replicas: statusReplicas, usageRatio, withinTolerance: true };
  return { replicas: Math.ceil(summedValue / targetAverageValue), usageRatio, withinTolerance: false };
}

/** Pods that report the same utilization (ring pods share the load evenly): the HPA's per-pod metrics, counted. */
export interface PodUtilization {
  /** How many pods report this. */
  readonly pods: number;
  /** Ready pods have a CPU sample; unready pods (still starting) are set aside as the HPA does. */
  readonly ready: boolean;
  /** CPU used / CPU requested (1 = 100 %). */
  readonly utilization: number;
}

/** Milli-units per request, as the metrics API reports CPU (a request of 1 CPU = 1000m). */
const MILLI_PER_REQUEST = 1000;

function podCount(groups: readonly PodUtilization[]): number {
  let pods = 0;
  for (const group of groups) pods += group.pods;
  return pods;
}

/**
 * GetResourceUtilizationRatio: the utilization is a whole percent (integer division of milli-units).
 * Each pod's milli-units are a whole number, so a group's sum is its count times one pod's, exactly.
 */
function utilizationRatio(groups: readonly PodUtilization[], targetUtilization: number): number {
  let usedMilli = 0;
  for (const group of groups) usedMilli += group.pods * Math.round(group.utilization * MILLI_PER_REQUEST);
  const percent = Math.trunc((usedMilli * 100) / (MILLI_PER_REQUEST * podCount(groups)));
  return percent / Math.round(targetUtilization * 100);
}

/**
 * Resource metric, Utilization target (GetResourceReplicas): average over ready pods; on a
 * scale-up, unready pods count as 0 % and the ratio is recomputed; a change of direction or a
 * ratio inside tolerance keeps `currentReplicas`.
 */
export function resourceUtilizationReplicas(groups: readonly PodUtilization[], targetUtilization: number, currentReplicas: number, tolerance: number): ReplicaProposal {
  const ready = groups.filter((group) => group.ready && group.pods > 0);
  const readyPods = podCount(ready);
  const allPods = podCount(groups);
  const unready = allPods - readyPods;
  if (readyPods === 0) return { replicas: currentReplicas, usageRatio: Number.NaN, withinTolerance: false };
  const usageRatio = utilizationRatio(ready, targetUtilization);
  const scaleUpWithUnready = unready > 0 && usageRatio > 1;
  if (!scaleUpWithUnready) {
    if (hpaIgnoresRatio(usageRatio, tolerance)) return { replicas: currentReplicas, usageRatio, withinTolerance: true };
    return { replicas: Math.ceil(usageRatio * readyPods), usageRatio, withinTolerance: false };
  }
  const newUsageRatio = utilizationRatio(
    groups.map((group) => (group.ready ? group : { ...group, utilization: 0 })),
    targetUtilization,
  );
  if (hpaIgnoresRatio(newUsageRatio, tolerance) || newUsageRatio < 1) {
    return { replicas: currentReplicas, usageRatio: newUsageRatio, withinTolerance: hpaIgnoresRatio(newUsageRatio, tolerance) };
  }
  const replicas = Math.ceil(newUsageRatio * allPods);
  return { replicas: Math.max(replicas, currentReplicas), usageRatio: newUsageRatio, withinTolerance: false };
}

interface TimedValue {
  readonly atSeconds: number;
  readonly value: number;
}

export interface HpaLimits {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly behavior: HpaBehavior;
}

export interface HpaOutcome {
  readonly desiredReplicas: number;
  /** Why the count is what it is, in the controller's own words (ScaleUpLimit, TooManyReplicas, …). */
  readonly reason: string;
}

/**
 * The per-HPA state of the controller: stabilization recommendations and recent scale events.
 * `reconcile` is one sync: metric proposal in, replicas to set out.
 */
export class HorizontalPodAutoscaler {
  private readonly recommendations: TimedValue[] = [];
  private readonly scaleUpEvents: TimedValue[] = [];
  private readonly scaleDownEvents: TimedValue[] = [];
  private initialised = false;

  constructor(readonly limits: HpaLimits) {
    if (!(Number.isInteger(limits.minReplicas) && Number.isInteger(limits.maxReplicas) && limits.minReplicas >= 1 && limits.minReplicas <= limits.maxReplicas)) {
      throw new RangeError(`HPA minReplicas (${limits.minReplicas}) and maxReplicas (${limits.maxReplicas}) must be integers with 1 ≤ min ≤ max`);
    }
  }

  reconcile(nowSeconds: number, currentReplicas: number, metricReplicas: number): HpaOutcome {
    const { minReplicas, maxReplicas } = this.limits;
    let outcome: HpaOutcome;
    if (currentReplicas > maxReplicas) outcome = { desiredReplicas: maxReplicas, reason: 'Current number of replicas above Spec.MaxReplicas' };
    else if (currentReplicas < minReplicas) outcome = { desiredReplicas: minReplicas, reason: 'Current number of replicas below Spec.MinReplicas' };
    else outcome = this.normalize(nowSeconds, currentReplicas, metricReplicas);
    if (outcome.desiredReplicas !== currentReplicas) this.recordScaleEvent(nowSeconds, currentReplicas, outcome.desiredReplicas);
    return outcome;
  }

  private normalize(nowSeconds: number, currentReplicas: number, desired: number): HpaOutcome {
    if (!this.initialised) {
      // maybeInitScaleDownStabilizationWindow: a fresh controller remembers the current count.
      this.initialised = true;
      if (this.limits.behavior.scaleDown.stabilizationWindowSeconds > 0) this.recommendations.push({ atSeconds: nowSeconds, value: currentReplicas });
    }
    const stabilized = this.stabilize(nowSeconds, currentReplicas, desired);
    return this.applyRate(nowSeconds, currentReplicas, stabilized);
  }

  private stabilize(nowSeconds: number, currentReplicas: number, desired: number): number {
    const { scaleUp, scaleDown } = this.limits.behavior;
    const upCutoff = nowSeconds - scaleUp.stabilizationWindowSeconds;
    const downCutoff = nowSeconds - scaleDown.stabilizationWindowSeconds;
    let upRecommendation = desired;
    let downRecommendation = desired;
    let oldIndex = -1;
    this.recommendations.forEach((recommendation, index) => {
      if (recommendation.atSeconds > upCutoff) upRecommendation = Math.min(upRecommendation, recommendation.value);
      if (recommendation.atSeconds > downCutoff) downRecommendation = Math.max(downRecommendation, recommendation.value);
      if (recommendation.atSeconds < upCutoff && recommendation.atSeconds < downCutoff) oldIndex = index;
    });
    let recommendation = currentReplicas;
    if (recommendation < upRecommendation) recommendation = upRecommendation;
    if (recommendation > downRecommendation) recommendation = downRecommendation;
    const record = { atSeconds: nowSeconds, value: desired };
    if (oldIndex >= 0) this.recommendations[oldIndex] = record;
    else this.recommendations.push(record);
    return recommendation;
  }

  private changeInPeriod(events: readonly TimedValue[], nowSeconds: number, periodSeconds: number): number {
    let change = 0;
    for (const event of events) if (event.atSeconds > nowSeconds - periodSeconds) change += event.value;
    return change;
  }

  private periodStartReplicas(nowSeconds: number, currentReplicas: number, periodSeconds: number): number {
    return currentReplicas - this.changeInPeriod(this.scaleUpEvents, nowSeconds, periodSeconds) + this.changeInPeriod(this.scaleDownEvents, nowSeconds, periodSeconds);
  }

  private scaleUpLimit(nowSeconds: number, currentReplicas: number): number {
    const rules = this.limits.behavior.scaleUp;
    if (rules.selectPolicy === 'Disabled') return currentReplicas;
    let result = rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (const policy of rules.policies) {
      const start = this.periodStartReplicas(nowSeconds, currentReplicas, policy.periodSeconds);
      const proposed = policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
      result = rules.selectPolicy === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  private scaleDownLimit(nowSeconds: number, currentReplicas: number): number {
    const rules = this.limits.behavior.scaleDown;
    if (rules.selectPolicy === 'Disabled') return currentReplicas;
    let result = rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    for (const policy of rules.policies) {
      const start = this.periodStartReplicas(nowSeconds, currentReplicas, policy.periodSeconds);
      const proposed = policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
      result = rules.selectPolicy === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  private applyRate(nowSeconds: number, currentReplicas: number, desired: number): HpaOutcome {
    const { minReplicas, maxReplicas } = this.limits;
    if (desired > currentReplicas) {
      const limit = Math.max(currentReplicas, this.scaleUpLimit(nowSeconds, currentReplicas));
      const allowed = Math.min(maxReplicas, limit);
      if (desired > allowed) return { desiredReplicas: allowed, reason: maxReplicas > limit ? 'ScaleUpLimit' : 'TooManyReplicas' };
    } else if (desired < currentReplicas) {
      const limit = Math.min(currentReplicas, this.scaleDownLimit(nowSeconds, currentReplicas));
      const allowed = Math.max(minReplicas, limit);
      if (desired < allowed) return { desiredReplicas: allowed, reason: minReplicas < limit ? 'ScaleDownLimit' : 'TooFewReplicas' };
    }
    return { desiredReplicas: desired, reason: 'DesiredWithinRange' };
  }

  private recordScaleEvent(nowSeconds: number, from: number, to: number): void {
    const events = to > from ? this.scaleUpEvents : this.scaleDownEvents;
    const longest = Math.max(0, ...(to > from ? this.limits.behavior.scaleUp : this.limits.behavior.scaleDown).policies.map((policy) => policy.periodSeconds));
    // Events older than the longest policy period no longer limit anything.
    while (events.length > 0 && events[0]!.atSeconds <= nowSeconds - longest) events.shift();
    events.push({ atSeconds: nowSeconds, value: Math.abs(to - from) });
  }
}
