// The simulated gateway tier (docs/benchmark.md "The simulated tier"): pods with a startup delay and the DNS
// resolver interval before the ring sends them traffic, one pooled state for the replicas on the
// ring, draining or killed pods on scale-in, the memory_limiter in front, the agents holding what
// CPU-starved gateways have not taken yet, a backend whose capacity is shared by every exporting
// replica. It keeps exact span accounting and what Prometheus would see.
import type { FleetSettings } from './fleet-settings.ts';
import { assertFleetSettings, joinDelaySeconds, memoryRssBytes, queueCapacitySpans } from './fleet-settings.ts';
import { ringChangeSplitTraces } from './gateway-model.ts';
import { emptyPoolStepResult, type PoolStepResult, ReplicaPool } from './replica-pool.ts';

/** Cumulative totals of a run; spans unless the name says traces or seconds. */
export interface FleetTotals {
  offered: number;
  /** Spans the gateways' receivers took (what otelcol_receiver_accepted_spans counts). */
  accepted: number;
  /** Spans the memory_limiter refused (what otelcol_receiver_refused_spans counts); the agents retry them, so not a loss. */
  refused: number;
  /** Spans the agents dropped after waiting for CPU-starved gateways past their retries' max_elapsed_time. */
  failedAtAgents: number;
  sent: number;
  /** Spans dropped after retrying for max_elapsed_time (the collector's send_failed). */
  sendFailed: number;
  enqueueFailed: number;
  droppedTooEarlySpans: number;
  droppedTooEarlyTraces: number;
  /** Spans held by pods removed without (or beyond) draining. */
  lostOnScaleIn: number;
  /** Traces in flight split across two gateways by ring changes. */
  brokenTraces: number;
  /** Traces offered (spans offered / spans per trace). */
  offeredTraces: number;
  /** Σ pods existing × seconds (starting, ready, on the ring and draining pods all cost). */
  replicaSeconds: number;
}

/** The collector's counters the simulated gateways expose (spans, traces or CPU-seconds, as the name says). */
export const GATEWAY_COUNTERS = ['acceptedSpans', 'refusedSpans', 'sentSpans', 'sendFailedSpans', 'enqueueFailedSpans', 'droppedTooEarlyTraces', 'newTraces', 'cpuSeconds'] as const;
export type GatewayCounts = Record<(typeof GATEWAY_COUNTERS)[number], number>;

/**
 * What the pods Prometheus scrapes showed during the last step: ready pods that are not terminating
 * (a ServiceMonitor reads Endpoints, which drop terminating pods). Counters are increments.
 */
export interface ObservedStep extends GatewayCounts {
  decisionTicks: number;
  /** The Deployment's spec replicas (kube-state-metrics `kube_deployment_spec_replicas`): every pod asked for and not terminating. */
  desiredReplicas: number;
  /** Pods reporting: ready and not terminating (on the ring or about to join it). */
  reportingReplicas: number;
  /** Of those, pods whose scrape target is down (`up == 0`): they run and take load, but Prometheus sees none of it. */
  unscrapedReplicas: number;
  ringReplicas: number;
  /** Queue fill of the fullest ring pod (the hot gateway of a skewed ring, else any: they are alike); pods not yet on the ring have empty queues. */
  queueFillMax: number;
  queueFillMean: number;
  queueBatchesTotal: number;
  tracesOnMemory: number;
  decisionLatencyMs: number;
  /**
   * CPU a ring pod used over the last step, in cores: 1 is the 100 % CPU at which it handles μ spans/s.
   * Decision ticks count too, so it can pass 1 near saturation (usage over a 1-core request).
   */
  ringUtilization: number;
  /** Resident memory of a ring pod (bytes): the process base plus its share of the spans held. */
  memoryRssBytes: number;
  /** Of acceptedSpans, what the hot gateway of a skewed ring (the oldest ring pod) accepted; 0 on an even ring. */
  hotGatewayAcceptedSpans: number;
  /** Spans the agents accepted this step (every span offered): what the gateways fall short of when they cannot keep up. */
  agentAcceptedSpans: number;
  /** The hot gateway's decision-tick duration; decisionLatencyMs on an even ring. */
  hotGatewayDecisionLatencyMs: number;
}

export type PodPhase = 'starting' | 'ready' | 'ring' | 'draining';

export interface PodView {
  readonly name: string;
  readonly phase: PodPhase;
  readonly createdAtSeconds: number;
}

interface StartingPod {
  readonly name: string;
  readonly createdStep: number;
  readonly readyStep: number;
  readonly joinStep: number;
}

interface RingPod {
  readonly name: string;
  readonly createdStep: number;
}

interface DrainingCohort {
  readonly pool: ReplicaPool;
  readonly pods: readonly RingPod[];
  /** When its drain ends and it is stopped, and when it is killed if still flushing. */
  readonly endStep: number;
  readonly killStep: number;
  /** Past its drain: it decided (or dropped) the traces it held, and flushes its queue until empty. */
  stopped: boolean;
}

/** What `replicas` of the `exporting` replicas may send in a step: the backend's capacity is shared evenly. */
function exportLimitSpans(backendSpansPerStep: number, replicas: number, exporting: number): number {
  return exporting > 0 ? Math.floor((backendSpansPerStep * replicas) / exporting) : 0;
}

export interface FleetOptions {
  readonly initialReplicas: number;
  /** Pod names are `${podNamePrefix}-${n}`. */
  readonly podNamePrefix?: string;
}

/** One simulated gateway Deployment; autoscalers set its replicas between steps. */
export class Fleet {
  readonly settings: FleetSettings;
  readonly totals: FleetTotals = {
    offered: 0,
    accepted: 0,
    refused: 0,
    failedAtAgents: 0,
    sent: 0,
    sendFailed: 0,
    enqueueFailed: 0,
    droppedTooEarlySpans: 0,
    droppedTooEarlyTraces: 0,
    lostOnScaleIn: 0,
    brokenTraces: 0,
    offeredTraces: 0,
    replicaSeconds: 0,
  };
  readonly observed: ObservedStep = {
    acceptedSpans: 0,
    refusedSpans: 0,
    sentSpans: 0,
    sendFailedSpans: 0,
    enqueueFailedSpans: 0,
    droppedTooEarlyTraces: 0,
    newTraces: 0,
    decisionTicks: 0,
    desiredReplicas: 0,
    reportingReplicas: 0,
    unscrapedReplicas: 0,
    ringReplicas: 0,
    queueFillMax: 0,
    queueFillMean: 0,
    queueBatchesTotal: 0,
    tracesOnMemory: 0,
    decisionLatencyMs: 0,
    ringUtilization: 0,
    cpuSeconds: 0,
    memoryRssBytes: 0,
    hotGatewayAcceptedSpans: 0,
    agentAcceptedSpans: 0,
    hotGatewayDecisionLatencyMs: 0,
  };
  /** Index of the next step to run; time = stepIndex × stepSeconds from the start. */
  stepIndex = 0;
  /** Scrape targets down from the next observation on (a scrape-down scenario window); the gateways keep running. */
  unscrapedTargets = 0;
  private readonly ring: ReplicaPool;
  private readonly ringPods: RingPod[] = [];
  private readonly startingPods: StartingPod[] = [];
  private podSetChanges = 0;
  private draining: DrainingCohort[] = [];
  private readonly prefix: string;
  private nextPodNumber = 0;
  private readonly activeResult = emptyPoolStepResult();
  /** Spans the ring ingested in the last step: the rate at which traces' spans arrive at gateways. */
  private lastIngestedSpans = 0;
  private readonly drainResult = emptyPoolStepResult();

  constructor(settings: FleetSettings, options: FleetOptions) {
    assertFleetSettings(settings);
    if (!(Number.isInteger(options.initialReplicas) && options.initialReplicas >= 0)) {
      throw new RangeError(`initialReplicas must be an integer ≥ 0, got ${options.initialReplicas}`);
    }
    this.settings = settings;
    this.prefix = options.podNamePrefix ?? 'otel-gateway';
    this.ring = new ReplicaPool(settings, options.initialReplicas);
    for (let i = 0; i < options.initialReplicas; i++) this.ringPods.push({ name: this.newPodName(), createdStep: 0 });
    this.observeGauges();
  }

  private newPodName(): string {
    return `${this.prefix}-${this.nextPodNumber++}`;
  }

  get nowSeconds(): number {
    return this.stepIndex * this.settings.stepSeconds;
  }

  /** The Deployment's replicas: every pod that is not terminating. */
  get replicas(): number {
    return this.ringPods.length + this.startingPods.length;
  }

  get ringReplicas(): number {
    return this.ringPods.length;
  }

  /** Pods that passed their readiness probe and are not terminating. */
  get readyReplicas(): number {
    let ready = this.ringPods.length;
    for (const pod of this.startingPods) if (pod.readyStep <= this.stepIndex) ready++;
    return ready;
  }

  /** Pods created but not ready yet (the HPA counts them as unready). */
  get unreadyReplicas(): number {
    let unready = 0;
    for (const pod of this.startingPods) if (pod.readyStep > this.stepIndex) unready++;
    return unready;
  }

  /**
   * Counts every change to the ring's or the starting pods' membership. With the same count and the
   * same readyReplicas the pods on the ring and the ready ones are the same (a ready pod stays
   * ready), so a per-step reader of pod names can skip building them.
   */
  get podSetVersion(): number {
    return this.podSetChanges;
  }

  get drainingReplicas(): number {
    let total = 0;
    for (const cohort of this.draining) total += cohort.pool.replicas;
    return total;
  }

  /** Spans still in the tier: the agents' backlog, every pool's tail-sampling buffer and queue. */
  get heldSpans(): number {
    let held = this.ring.heldSpans;
    for (const cohort of this.draining) held += cohort.pool.heldSpans;
    return held;
  }

  /** Spans lost so far: failed at the agents + enqueue-failed + send-failed + dropped too early + lost on scale-in. */
  get lostSpans(): number {
    const t = this.totals;
    return t.failedAtAgents + t.enqueueFailed + t.sendFailed + t.droppedTooEarlySpans + t.lostOnScaleIn;
  }

  /** Traces a ring change from `before` to `after` replicas splits, at the last step's arrival rate. */
  private splitTraces(before: number, after: number): number {
    const tracesPerSecond = this.lastIngestedSpans / this.settings.spansPerTrace / this.settings.stepSeconds;
    return ringChangeSplitTraces(tracesPerSecond, this.settings.traceDurationSeconds, before, after);
  }

  /** How many pods are in each phase: what pods() says, without a view per pod (an HPA sync needs only counts). */
  podPhaseCounts(): Record<PodPhase, number> {
    let draining = 0;
    for (const cohort of this.draining) draining += cohort.pods.length;
    let ready = 0;
    for (const pod of this.startingPods) if (pod.readyStep <= this.stepIndex) ready++;
    return { starting: this.startingPods.length - ready, ready, ring: this.ringPods.length, draining };
  }

  /** Calls `visit` with the creation time of each ring pod (pods()' createdAtSeconds), in pods()' order. */
  forEachRingPod(visit: (createdAtSeconds: number) => void): void {
    const dt = this.settings.stepSeconds;
    for (const pod of this.ringPods) visit(pod.createdStep * dt);
  }

  pods(): PodView[] {
    const dt = this.settings.stepSeconds;
    const views: PodView[] = [];
    for (const cohort of this.draining) for (const pod of cohort.pods) views.push({ name: pod.name, phase: 'draining', createdAtSeconds: pod.createdStep * dt });
    for (const pod of this.ringPods) views.push({ name: pod.name, phase: 'ring', createdAtSeconds: pod.createdStep * dt });
    for (const pod of this.startingPods) {
      views.push({ name: pod.name, phase: pod.readyStep <= this.stepIndex ? 'ready' : 'starting', createdAtSeconds: pod.createdStep * dt });
    }
    return views;
  }

  /**
   * Sets the Deployment's replicas now. New pods join the ring after startup + DNS resolver interval.
   * Removal follows the ReplicaSet's preference: unready pods first, then ready pods off the ring,
   * then ring pods, newest first; ring pods drain for drainSeconds or lose what they hold.
   */
  setReplicas(replicas: number): void {
    if (!(Number.isInteger(replicas) && replicas >= 0)) throw new RangeError(`replicas must be an integer ≥ 0, got ${replicas}`);
    const dt = this.settings.stepSeconds;
    let change = replicas - this.replicas;
    if (change > 0) {
      const readyStep = this.stepIndex + this.settings.podStartupSeconds / dt;
      const joinStep = this.stepIndex + joinDelaySeconds(this.settings) / dt;
      this.podSetChanges++;
      for (; change > 0; change--) this.startingPods.push({ name: this.newPodName(), createdStep: this.stepIndex, readyStep, joinStep });
      return;
    }
    // startingPods is in creation order, so the newest (least ready) pods are at the end.
    if (change < 0) this.podSetChanges++;
    while (change < 0 && this.startingPods.length > 0) {
      this.startingPods.pop();
      change++;
    }
    if (change < 0) this.removeRingPods(-change);
  }

  private removeRingPods(count: number): void {
    const before = this.ringPods.length;
    const removed = this.ringPods.splice(before - count, count);
    this.totals.brokenTraces += this.splitTraces(before, before - count);
    const pool = this.ring.split(count / before, count);
    const { drainSeconds, terminationGracePeriodSeconds, stepSeconds } = this.settings;
    const endStep = this.stepIndex + Math.min(drainSeconds, terminationGracePeriodSeconds) / stepSeconds;
    this.draining.push({ pool, pods: removed, endStep, killStep: Math.max(endStep, this.stepIndex + terminationGracePeriodSeconds / stepSeconds), stopped: false });
  }

  private joinReadyPods(): void {
    let joined = 0;
    while (this.startingPods.length > 0 && this.startingPods[0]!.joinStep <= this.stepIndex) {
      const pod = this.startingPods.shift()!;
      this.ringPods.push({ name: pod.name, createdStep: pod.createdStep });
      joined++;
    }
    if (joined === 0) return;
    this.podSetChanges++;
    const after = this.ringPods.length;
    this.totals.brokenTraces += this.splitTraces(after - joined, after);
    this.ring.replicas = after;
  }

  /**
   * Stops the pods whose drain is over: each decides the traces it holds into its exporter queue, or
   * drops them (dropsPendingTracesOnShutdown), and flushes the queue until it is empty or the grace
   * period ends (killed with what is left). During an outage nothing can be flushed: the exporter gives
   * its queue up at shutdown.
   */
  private endDrains(outage: boolean): void {
    if (this.draining.length === 0) return;
    const remaining: DrainingCohort[] = [];
    for (const cohort of this.draining) {
      if (cohort.endStep > this.stepIndex) {
        remaining.push(cohort);
        continue;
      }
      if (!cohort.stopped) {
        cohort.stopped = true;
        if (this.settings.dropsPendingTracesOnShutdown) this.totals.lostOnScaleIn += cohort.pool.dropPending();
        else cohort.pool.decidePending();
      }
      if (cohort.pool.gatewayHeldSpans > 0 && !outage && cohort.killStep > this.stepIndex) remaining.push(cohort);
      else this.totals.lostOnScaleIn += cohort.pool.drop();
    }
    this.draining = remaining;
  }

  /**
   * Advances one step: `offeredSpans` arrive (whole spans), the backend accepts up to
   * `backendSpansPerSecond` in total, or nothing when `outage` (every send fails).
   */
  step(offeredSpans: number, backendSpansPerSecond: number, outage: boolean): void {
    if (!(Number.isInteger(offeredSpans) && offeredSpans >= 0)) throw new RangeError(`offeredSpans must be an integer ≥ 0, got ${offeredSpans}`);
    const { settings, totals, observed } = this;
    const dt = settings.stepSeconds;
    this.joinReadyPods();
    this.endDrains(outage);

    const ringCount = this.ringPods.length;
    const exporting = ringCount + this.drainingReplicas;

    // Offered spans go to the agents, which send them on as the gateways take them. The memory_limiter
    // guards the gateway's memory (tail-sampling buffer + exporter queue): what it does not admit is
    // refused and stays with the agents, which retry it.
    const limitPerReplica = Math.floor(settings.memoryLimitSpansPerReplica * settings.memoryRefuseFraction);
    const hotShare = this.ring.hotShare;
    let admissible: number;
    let hotOffered = 0;
    let hotAdmissible = 0;
    if (hotShare === 0) admissible = Math.max(0, limitPerReplica * ringCount - this.ring.gatewayHeldSpans);
    else {
      // Each gateway's memory_limiter guards its own memory: the hot one refuses first.
      hotOffered = Math.round(offeredSpans * hotShare);
      const hotHeld = this.ring.hotHeldSpans;
      hotAdmissible = Math.max(0, Math.floor(limitPerReplica - hotHeld));
      admissible = hotAdmissible + Math.max(0, Math.floor(limitPerReplica * (ringCount - 1) - (this.ring.gatewayHeldSpans - hotHeld)));
    }
    totals.offered += offeredSpans;
    totals.offeredTraces += offeredSpans / settings.spansPerTrace;

    const active = this.activeResult;
    this.ring.step(offeredSpans, admissible, exportLimitSpans(backendSpansPerSecond * dt, ringCount, exporting), outage, this.stepIndex, active, hotOffered, hotAdmissible);
    this.addToTotals(active);
    totals.refused += active.refused;
    totals.accepted += active.ingested;
    totals.failedAtAgents += active.failedAtAgents;
    this.lastIngestedSpans = active.ingested;

    for (const cohort of this.draining) {
      cohort.pool.step(0, 0, exportLimitSpans(backendSpansPerSecond * dt, cohort.pool.replicas, exporting), outage, this.stepIndex, this.drainResult);
      this.addToTotals(this.drainResult);
    }
    totals.replicaSeconds += (this.replicas + this.drainingReplicas) * dt;

    observed.acceptedSpans = active.ingested;
    observed.refusedSpans = active.refused;
    observed.sentSpans = active.sent;
    observed.sendFailedSpans = active.sendFailed;
    observed.enqueueFailedSpans = active.enqueueFailed;
    observed.droppedTooEarlyTraces = active.droppedTooEarlyTraces;
    observed.newTraces = active.ingested / settings.spansPerTrace;
    observed.decisionTicks = active.decisionTicks * ringCount;
    observed.cpuSeconds = active.cpuSeconds;
    observed.ringUtilization = ringCount > 0 ? active.cpuSeconds / (ringCount * dt) : 0;
    observed.hotGatewayAcceptedSpans = active.hotIngested;
    observed.agentAcceptedSpans = offeredSpans;
    observed.hotGatewayDecisionLatencyMs = active.hotDecisionLatencyMs;
    this.stepIndex++;
    this.observeGauges();
  }

  private addToTotals(result: PoolStepResult): void {
    const { totals } = this;
    totals.sent += result.sent;
    totals.sendFailed += result.sendFailed;
    totals.enqueueFailed += result.enqueueFailed;
    totals.droppedTooEarlySpans += result.droppedTooEarlySpans;
    totals.droppedTooEarlyTraces += result.droppedTooEarlyTraces;
  }

  /** Gauges as a scrape at the current time would read them. */
  private observeGauges(): void {
    const { observed, settings } = this;
    const ringCount = this.ringPods.length;
    const reporting = this.readyReplicas;
    const queueCapacity = queueCapacitySpans(settings);
    observed.desiredReplicas = this.replicas;
    observed.reportingReplicas = reporting;
    observed.unscrapedReplicas = Math.min(this.unscrapedTargets, reporting);
    observed.ringReplicas = ringCount;
    observed.queueFillMax = ringCount > 0 ? fullestQueueFill(this.ring, queueCapacity, ringCount) : 0;
    observed.queueFillMean = reporting > 0 ? this.ring.queueSpans / (queueCapacity * reporting) : 0;
    observed.queueBatchesTotal = this.ring.queueSpans / settings.spansPerBatch;
    observed.tracesOnMemory = this.ring.tracesInFlight;
    observed.decisionLatencyMs = ringCount > 0 ? this.ring.decisionLatencyMs : 0;
    observed.memoryRssBytes = ringCount > 0 ? memoryRssBytes(settings, this.ring.gatewayHeldSpans / ringCount) : 0;
  }
}

/** The fullest ring pod's queue fill: the hot gateway of a skewed ring exports from its own queue. */
function fullestQueueFill(ring: ReplicaPool, queueCapacity: number, ringCount: number): number {
  const even = ring.queueSpans / (queueCapacity * ringCount);
  if (ring.hotShare === 0) return even;
  const rest = ringCount > 1 ? (ring.queueSpans - ring.hotQueueSpans) / (queueCapacity * (ringCount - 1)) : 0;
  return Math.max(ring.hotQueueSpans / queueCapacity, rest);
}
