// A group of gateway replicas that share their load evenly (the agents' traceID ring spreads traces
// uniformly), modelled as one pooled state: the receive backlog waiting for CPU, the tail-sampling
// buffer (one slot per step, released once held for decision_wait), and the exporter queue. The
// ring's replicas form one pool; each batch of replicas being drained off the ring forms another.
// Every amount is a whole number of spans and every transfer moves whole spans from one place to
// another, so offered = sent + lost + held holds exactly, step after step.
import type { FleetSettings } from './fleet-settings.ts';
import { queueCapacitySpans } from './fleet-settings.ts';

/** Utilization above which contention stops growing in the decision-tick model (keeps latency finite). */
const CONTENTION_UTILIZATION_CAP = 0.95;
/** The tail-sampling processor runs one decision tick per second. */
const DECISION_TICK_MS = 1000;
/** Hold time never stretches beyond this many decision_waits (num_traces evicts long before). */
const MAX_HOLD_STRETCH = 8;

/** What one step of one pool did; reused between steps, read it before the next step. */
export interface PoolStepResult {
  /** Spans that got CPU and entered the tail-sampling buffer. */
  ingested: number;
  /** Spans whose sampling decision was taken (moved to the exporter queue). */
  decided: number;
  sent: number;
  /** Spans dropped after failing for retry_on_failure.max_elapsed_time (what send_failed counts). */
  sendFailed: number;
  enqueueFailed: number;
  droppedTooEarlySpans: number;
  droppedTooEarlyTraces: number;
  /** CPU used / CPU available over the step, 0..1. */
  utilization: number;
  /** Duration of one decision tick at the end of the step. */
  decisionLatencyMs: number;
  /** Decision ticks that ran during the step. */
  decisionTicks: number;
}

export function emptyPoolStepResult(): PoolStepResult {
  return { ingested: 0, decided: 0, sent: 0, sendFailed: 0, enqueueFailed: 0, droppedTooEarlySpans: 0, droppedTooEarlyTraces: 0, utilization: 0, decisionLatencyMs: 0, decisionTicks: 0 };
}

/** Pooled state of replicas that see the same share of load; exact integer span accounting. */
export class ReplicaPool {
  replicas: number;
  backlogSpans = 0;
  queueSpans = 0;
  bufferSpans = 0;
  utilization = 0;
  decisionLatencyMs = 0;
  private readonly settings: FleetSettings;
  private readonly slotSpans: Float64Array;
  private readonly slotStep: Float64Array;
  private head = 0;
  private count = 0;
  /** First step of the current run of failing sends; NaN while sends succeed. */
  private failingSinceStep = Number.NaN;

  constructor(settings: FleetSettings, replicas: number) {
    this.settings = settings;
    this.replicas = replicas;
    const slots = Math.ceil((settings.decisionWaitSeconds * MAX_HOLD_STRETCH) / settings.stepSeconds) + 4;
    this.slotSpans = new Float64Array(slots);
    this.slotStep = new Float64Array(slots);
  }

  /** Spans held in memory: receive backlog + tail-sampling buffer + exporter queue. */
  get heldSpans(): number {
    return this.backlogSpans + this.bufferSpans + this.queueSpans;
  }

  /** Traces in the tail-sampling buffer (in flight: not yet decided). */
  get tracesInFlight(): number {
    return this.bufferSpans / this.settings.spansPerTrace;
  }

  /** How long spans are held before their decision: decision_wait, stretched when a tick outlasts its 1 s period. */
  get holdSeconds(): number {
    const stretch = Math.min(MAX_HOLD_STRETCH, Math.max(1, this.decisionLatencyMs / DECISION_TICK_MS));
    return this.settings.decisionWaitSeconds * stretch;
  }

  /** Moves `fraction` of everything held (whole spans, rounded down) into a new pool of `replicas`. */
  split(fraction: number, replicas: number): ReplicaPool {
    const taken = new ReplicaPool(this.settings, replicas);
    taken.utilization = this.utilization;
    taken.decisionLatencyMs = this.decisionLatencyMs;
    taken.failingSinceStep = this.failingSinceStep;
    const backlog = Math.floor(this.backlogSpans * fraction);
    this.backlogSpans -= backlog;
    taken.backlogSpans = backlog;
    const queue = Math.floor(this.queueSpans * fraction);
    this.queueSpans -= queue;
    taken.queueSpans = queue;
    for (let i = 0; i < this.count; i++) {
      const index = (this.head + i) % this.slotSpans.length;
      const amount = Math.floor(this.slotSpans[index]! * fraction);
      this.slotSpans[index]! -= amount;
      this.bufferSpans -= amount;
      taken.pushSlot(amount, this.slotStep[index]!);
    }
    this.replicas -= replicas;
    return taken;
  }

  /** Empties the pool (a pod killed with everything it holds); returns the spans lost. */
  drop(): number {
    const held = this.heldSpans;
    this.backlogSpans = 0;
    this.queueSpans = 0;
    this.bufferSpans = 0;
    this.head = 0;
    this.count = 0;
    return held;
  }

  private pushSlot(amount: number, step: number): void {
    if (this.count === this.slotSpans.length) throw new Error('tail-sampling slot ring overflow: hold time exceeds the ring');
    const index = (this.head + this.count) % this.slotSpans.length;
    this.slotSpans[index] = amount;
    this.slotStep[index] = step;
    this.count++;
    this.bufferSpans += amount;
  }

  private releaseDue(stepIndex: number): number {
    const holdSteps = this.holdSeconds / this.settings.stepSeconds;
    let released = 0;
    while (this.count > 0 && stepIndex - this.slotStep[this.head]! >= holdSteps) {
      released += this.slotSpans[this.head]!;
      this.head = (this.head + 1) % this.slotSpans.length;
      this.count--;
    }
    this.bufferSpans -= released;
    return released;
  }

  /** Batches the consumers drop once they have retried them for max_elapsed_time, one per consumer per that time. */
  private giveUpRetries(stepIndex: number): number {
    const { settings } = this;
    if (Number.isNaN(this.failingSinceStep)) this.failingSinceStep = stepIndex;
    if ((stepIndex - this.failingSinceStep) * settings.stepSeconds < settings.retryMaxElapsedSeconds) return 0;
    const perStep = Math.floor((settings.exporterConsumers * settings.spansPerBatch * this.replicas * settings.stepSeconds) / settings.retryMaxElapsedSeconds);
    const dropped = Math.min(this.queueSpans, perStep);
    this.queueSpans -= dropped;
    return dropped;
  }

  private evictBeyondNumTraces(): number {
    const capacity = this.settings.numTracesPerReplica * this.settings.spansPerTrace * this.replicas;
    let excess = this.bufferSpans - capacity;
    let evicted = 0;
    for (let i = 0; excess > 0 && i < this.count; i++) {
      const index = (this.head + i) % this.slotSpans.length;
      const amount = Math.min(this.slotSpans[index]!, Math.ceil(excess));
      this.slotSpans[index]! -= amount;
      excess -= amount;
      evicted += amount;
    }
    this.bufferSpans -= evicted;
    return evicted;
  }

  /**
   * One step: decide what is due, share the CPU between ingesting the backlog and exporting the
   * queue, send up to `exportLimitSpans`, then enforce queue capacity and num_traces. During an
   * outage nothing is sent: the queue consumers retry their batches (negligible CPU) and each gives
   * its batch up after retryMaxElapsedSeconds, which is when send_failed counts it.
   * `arrivals` must already have passed the memory_limiter.
   */
  step(arrivals: number, exportLimitSpans: number, outage: boolean, stepIndex: number, out: PoolStepResult): void {
    const { settings } = this;
    const dt = settings.stepSeconds;
    out.decided = this.releaseDue(stepIndex);
    this.queueSpans += out.decided;

    this.backlogSpans += arrivals;
    const inDemand = this.backlogSpans;
    const outDemand = outage ? 0 : Math.min(this.queueSpans, exportLimitSpans);
    const cpuNeeded = settings.ingestCpuShare * inDemand + (1 - settings.ingestCpuShare) * outDemand;
    const cpuBudget = settings.capacitySpansPerSecond * dt * this.replicas;
    let ingested = inDemand;
    let exported = outDemand;
    if (cpuNeeded > cpuBudget) {
      const share = cpuBudget / cpuNeeded;
      ingested = Math.floor(inDemand * share);
      exported = Math.floor(outDemand * share);
    }
    this.backlogSpans -= ingested;
    if (ingested > 0) this.pushSlot(ingested, stepIndex);
    out.ingested = ingested;
    out.sent = exported;
    this.queueSpans -= exported;
    out.sendFailed = outage ? this.giveUpRetries(stepIndex) : 0;
    if (!outage) this.failingSinceStep = Number.NaN;
    const queueCapacity = queueCapacitySpans(settings) * this.replicas;
    out.enqueueFailed = Math.max(0, this.queueSpans - queueCapacity);
    this.queueSpans -= out.enqueueFailed;
    out.droppedTooEarlySpans = this.evictBeyondNumTraces();
    out.droppedTooEarlyTraces = out.droppedTooEarlySpans / settings.spansPerTrace;

    this.utilization = cpuBudget > 0 ? Math.min(cpuNeeded, cpuBudget) / cpuBudget : 0;
    out.utilization = this.utilization;
    out.decisionTicks = this.replicas > 0 ? (dt * 1000) / Math.max(DECISION_TICK_MS, this.decisionLatencyMs) : 0;
    this.decisionLatencyMs = this.tickLatencyMs(ingested);
    out.decisionLatencyMs = this.decisionLatencyMs;
  }

  /**
   * A decision tick costs time per trace arriving and per trace held, slowed by CPU contention
   * (1 / (1 − utilization), the M/M/1 stretch), so it passes the 1 s tick period as a replica nears
   * saturation; a slow tick stretches the hold time and traces pile up towards num_traces.
   */
  private tickLatencyMs(ingestedSpans: number): number {
    if (this.replicas <= 0) return 0;
    const { settings } = this;
    const tracesPerSecond = ingestedSpans / settings.spansPerTrace / settings.stepSeconds / this.replicas;
    const tracesHeld = this.bufferSpans / settings.spansPerTrace / this.replicas;
    const work = settings.decisionTickMsPerTracePerSecond * tracesPerSecond + settings.decisionTickMsPerHeldTrace * tracesHeld;
    return work / (1 - Math.min(this.utilization, CONTENTION_UTILIZATION_CAP));
  }
}
