// A group of gateway replicas that share their load evenly (the agents' traceID ring spreads traces
// uniformly), modelled as one pooled state: the backlog waiting for the gateways' CPU (held by the
// agents: a CPU-starved gateway is slow to answer their export requests, it does not refuse), the tail-sampling
// buffer (one slot per step, decided once decision_wait decision ticks have run since it arrived:
// the processor keeps decision_wait batches and decides one per tick, so slow ticks stretch the
// hold), and the exporter queue. The ring's replicas form one pool; each batch of replicas being
// drained off the ring forms another.
// Every amount is a whole number of spans and every transfer moves whole spans from one place to
// another, so offered = sent + lost + held holds exactly, step after step.
import type { FleetSettings } from './fleet-settings.ts';
import { queueCapacitySpans } from './fleet-settings.ts';
import { decisionTickLatencyMs, decisionTickWorkMs } from './gateway-model.ts';

/** The tail-sampling processor runs one decision tick per second. */
const DECISION_TICK_MS = 1000;
/** Initial slot ring size, in steps of decision_wait; the ring grows if slow ticks hold slots longer. */
const INITIAL_SLOT_STRETCH = 4;

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
  /**
   * Spans the gateways' memory_limiter refused this step (what otelcol_receiver_refused_spans counts):
   * the agents keep them and retry, so a refusal alone loses nothing.
   */
  refused: number;
  /**
   * Spans the agents gave up on: waiting for a CPU-starved gateway longer than their exporters'
   * retry_on_failure.max_elapsed_time. No gateway counter sees them.
   */
  failedAtAgents: number;
  /** CPU used by span work / CPU available over the step, 0..1 (what bounds throughput). */
  utilization: number;
  /**
   * CPU-seconds the pool's processes consumed over the step: one per `capacitySpansPerSecond` spans of
   * work (a replica at 100 % CPU is one core) plus the decision ticks' own work.
   */
  cpuSeconds: number;
  /** Duration of one decision tick at the end of the step. */
  decisionLatencyMs: number;
  /** Decision ticks that ran during the step. */
  decisionTicks: number;
  /** Of `ingested`, what the hot gateway of a skewed ring took (0 on an even ring). */
  hotIngested: number;
  /** The hot gateway's own decision-tick duration (its CPU is busier); `decisionLatencyMs` on an even ring. */
  hotDecisionLatencyMs: number;
}

export function emptyPoolStepResult(): PoolStepResult {
  return { ingested: 0, decided: 0, sent: 0, sendFailed: 0, enqueueFailed: 0, droppedTooEarlySpans: 0, droppedTooEarlyTraces: 0, refused: 0, failedAtAgents: 0, utilization: 0, cpuSeconds: 0, decisionLatencyMs: 0, decisionTicks: 0, hotIngested: 0, hotDecisionLatencyMs: 0 };
}

/**
 * Spans in arrival order, each batch stamped (with the step or decision tick it arrived at): the
 * tail-sampling buffer and the agents' backlog. Oldest first.
 */
export class StampedQueue {
  private amounts: Float64Array;
  private stamps: Float64Array;
  private head = 0;
  private count = 0;
  /**
   * The oldest batches `take` has emptied: they stay queued (their stamps still bound what
   * `removeStampedUpTo` and `removeWaited` remove) but `take` and `splitInto` skip them. The agents'
   * backlog keeps every step's batch for their whole retry time, so without this each step walked a
   * run of emptied batches.
   */
  private emptied = 0;

  constructor(initialSize = 16) {
    this.amounts = new Float64Array(initialSize);
    this.stamps = new Float64Array(initialSize);
  }

  push(amount: number, stamp: number): void {
    if (amount <= 0) return;
    if (this.count === this.amounts.length) this.grow();
    const index = (this.head + this.count) % this.amounts.length;
    this.amounts[index] = amount;
    this.stamps[index] = stamp;
    this.count++;
  }

  /** Removes up to `amount` spans, oldest first; returns how many. */
  take(amount: number): number {
    let taken = 0;
    for (let i = this.emptied; taken < amount && i < this.count; i++) {
      const index = (this.head + i) % this.amounts.length;
      const part = Math.min(this.amounts[index]!, amount - taken);
      this.amounts[index]! -= part;
      taken += part;
    }
    while (this.emptied < this.count && this.amounts[(this.head + this.emptied) % this.amounts.length] === 0) this.emptied++;
    return taken;
  }

  /**
   * Removes the oldest batches stamped at or before `lastStamp`; returns their spans. (A predicate
   * argument would cost a closure per call, renamed at each creation by the benchmark's transpiler,
   * on the fleet's hottest path.)
   */
  removeStampedUpTo(lastStamp: number): number {
    let removed = 0;
    while (this.count > 0 && this.stamps[this.head]! <= lastStamp) removed += this.removeOldest();
    return removed;
  }

  /** Removes the oldest batches that arrived at least `wait` before `now` (within 1e-9); returns their spans. */
  removeWaited(now: number, wait: number): number {
    let removed = 0;
    while (this.count > 0 && now - this.stamps[this.head]! >= wait - 1e-9) removed += this.removeOldest();
    return removed;
  }

  private removeOldest(): number {
    const amount = this.amounts[this.head]!;
    this.head = (this.head + 1) % this.amounts.length;
    this.count--;
    if (this.emptied > 0) this.emptied--;
    return amount;
  }

  /** Moves `fraction` of every batch (whole spans, rounded down) into `other`, stamps kept; returns how many. */
  splitInto(fraction: number, other: StampedQueue): number {
    let moved = 0;
    for (let i = this.emptied; i < this.count; i++) {
      const index = (this.head + i) % this.amounts.length;
      const amount = Math.floor(this.amounts[index]! * fraction);
      this.amounts[index]! -= amount;
      moved += amount;
      other.push(amount, this.stamps[index]!);
    }
    return moved;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.emptied = 0;
  }

  private grow(): void {
    const size = this.amounts.length;
    const amounts = new Float64Array(size * 2);
    const stamps = new Float64Array(size * 2);
    for (let i = 0; i < this.count; i++) {
      amounts[i] = this.amounts[(this.head + i) % size]!;
      stamps[i] = this.stamps[(this.head + i) % size]!;
    }
    this.amounts = amounts;
    this.stamps = stamps;
    this.head = 0;
  }
}

/** Pooled state of replicas that see the same share of load; exact integer span accounting. */
export class ReplicaPool {
  replicas: number;
  /** Spans routed to these replicas and waiting for their CPU, held by the agents (not in gateway memory). */
  backlogSpans = 0;
  /** The hot gateway's part of backlogSpans when the ring is skewed (hotGatewayLoadMultiple > 1). */
  hotBacklogSpans = 0;
  /** The backlog by arrival step (the hot gateway's and the rest's), so the agents give up on exactly what waited past their retries. */
  private readonly waiting = new StampedQueue();
  private readonly hotWaiting = new StampedQueue();
  /** The hot gateway's part of queueSpans: it exports what it decided itself, with its own CPU and queue. */
  hotQueueSpans = 0;
  /** The hot gateway's share of what the pool ingested last step, which is its share of what gets decided. */
  private hotIngestRatio = 0;
  queueSpans = 0;
  bufferSpans = 0;
  utilization = 0;
  decisionLatencyMs = 0;
  private readonly settings: FleetSettings;
  /** The tail-sampling buffer: one batch per step, stamped with the decision ticks run before it arrived. */
  private readonly slots: StampedQueue;
  /** Decision ticks run so far (fractional: a step holds dt / tick period of them). */
  private ticksRun = 0;
  /** First step of the current run of failing sends; NaN while sends succeed. */
  private failingSinceStep = Number.NaN;

  constructor(settings: FleetSettings, replicas: number) {
    this.settings = settings;
    this.replicas = replicas;
    this.slots = new StampedQueue(Math.ceil((settings.decisionWaitSeconds * INITIAL_SLOT_STRETCH) / settings.stepSeconds) + 4);
  }

  /** Spans not yet sent nor lost: the agents' backlog + tail-sampling buffer + exporter queue. */
  get heldSpans(): number {
    return this.backlogSpans + this.gatewayHeldSpans;
  }

  /** Spans in the gateways' memory (what the memory_limiter and RSS see): tail-sampling buffer + exporter queue. */
  get gatewayHeldSpans(): number {
    return this.bufferSpans + this.queueSpans;
  }

  /** Traces in the tail-sampling buffer (in flight: not yet decided). */
  get tracesInFlight(): number {
    return this.bufferSpans / this.settings.spansPerTrace;
  }

  /** The hot gateway's share of the pool's load, or 0 when the load is even (or one replica has it all). */
  get hotShare(): number {
    const multiple = this.settings.hotGatewayLoadMultiple;
    return multiple > 1 && this.replicas > 1 ? Math.min(1, multiple / this.replicas) : 0;
  }

  /** Spans in the hot gateway's memory: its share of the buffer and its own queue. */
  get hotHeldSpans(): number {
    return this.hotShare * this.bufferSpans + this.hotQueueSpans;
  }

  /** Seconds between decision ticks: 1 s, or the tick's own duration when it takes longer. */
  get tickPeriodSeconds(): number {
    return Math.max(DECISION_TICK_MS, this.decisionLatencyMs) / 1000;
  }

  /** Moves `fraction` of the gateways' buffer and queue (whole spans, rounded down) into a new pool of `replicas`. */
  split(fraction: number, replicas: number): ReplicaPool {
    const taken = new ReplicaPool(this.settings, replicas);
    taken.utilization = this.utilization;
    taken.decisionLatencyMs = this.decisionLatencyMs;
    taken.failingSinceStep = this.failingSinceStep;
    taken.ticksRun = this.ticksRun;
    // The backlog is the agents': they route it to the gateways still on the ring. Removed pods are
    // the newest, never the hot one.
    const queue = Math.min(Math.floor(this.queueSpans * fraction), this.queueSpans - this.hotQueueSpans);
    this.queueSpans -= queue;
    taken.queueSpans = queue;
    const moved = this.slots.splitInto(fraction, taken.slots);
    this.bufferSpans -= moved;
    taken.bufferSpans += moved;
    this.replicas -= replicas;
    return taken;
  }

  /** Decides every trace in the buffer now, whatever its age (a stopped pod's tail sampling): they join the exporter queue. */
  decidePending(): void {
    this.queueSpans += this.bufferSpans;
    this.bufferSpans = 0;
    this.slots.clear();
  }

  /** Empties the buffer without a decision (a stopped pod that drops its pending traces); returns the spans lost. */
  dropPending(): number {
    const pending = this.bufferSpans;
    this.bufferSpans = 0;
    this.slots.clear();
    return pending;
  }

  /** Empties the pool (a pod killed with everything it holds); returns the spans lost. */
  drop(): number {
    const held = this.heldSpans;
    this.backlogSpans = 0;
    this.hotBacklogSpans = 0;
    this.waiting.clear();
    this.hotWaiting.clear();
    this.hotQueueSpans = 0;
    this.queueSpans = 0;
    this.bufferSpans = 0;
    this.slots.clear();
    return held;
  }

  private pushSlot(amount: number, tick: number): void {
    this.slots.push(amount, tick);
    this.bufferSpans += amount;
  }

  private releaseDue(): number {
    const waitTicks = this.settings.decisionWaitSeconds * (1000 / DECISION_TICK_MS);
    const released = this.slots.removeWaited(this.ticksRun, waitTicks);
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
    const excess = this.bufferSpans - capacity;
    const evicted = excess > 0 ? this.slots.take(Math.ceil(excess)) : 0;
    this.bufferSpans -= evicted;
    return evicted;
  }

  /**
   * One step: decide what is due, share the CPU between ingesting the backlog and exporting the
   * queue, send up to `exportLimitSpans`, then enforce queue capacity and num_traces. During an
   * outage nothing is sent: the queue consumers retry their batches (negligible CPU) and each gives
   * its batch up after retryMaxElapsedSeconds, which is when send_failed counts it.
   * `arrivals` must already have passed the memory_limiter; `hotArrivals` of them go to the hot
   * gateway of a skewed ring, which gets its own CPU and backlog (the rest of the state stays pooled).
   */
  step(arrivals: number, admissibleSpans: number, exportLimitSpans: number, outage: boolean, stepIndex: number, out: PoolStepResult, hotArrivals = 0, hotAdmissibleSpans = 0): void {
    const { settings } = this;
    const dt = settings.stepSeconds;
    const ticks = this.replicas > 0 ? dt / this.tickPeriodSeconds : 0;
    this.ticksRun += ticks;
    out.decisionTicks = ticks;
    out.decided = this.releaseDue();
    this.queueSpans += out.decided;

    this.backlogSpans += arrivals;
    this.waiting.push(arrivals - hotArrivals, stepIndex);
    this.hotWaiting.push(hotArrivals, stepIndex);
    const inDemand = Math.min(this.backlogSpans, admissibleSpans);
    const outDemand = outage ? 0 : Math.min(this.queueSpans, exportLimitSpans);
    // What the replicas can process: their CPU up to the share of it they use before falling behind.
    const cpuBudget = settings.capacitySpansPerSecond * settings.cpuCeiling * dt * this.replicas;
    const hotShare = this.hotShare;
    let ingested: number;
    let hotIngested = 0;
    let hotCpuUsed = 0;
    let exported: number;
    let cpuUsed: number;
    if (hotShare === 0) {
      this.hotBacklogSpans = 0;
      // A ring that stops being skewed: the hot backlog joins the rest (appended, its ages only roughly kept).
      this.hotWaiting.splitInto(1, this.waiting);
      this.hotWaiting.clear();
      this.hotQueueSpans = 0;
      this.hotIngestRatio = 0;
      ({ ingested, exported, cpuUsed } = this.shareCpu(inDemand, arrivals, outDemand, cpuBudget));
      // No gateway, no memory_limiter: the agents just hold what they cannot send.
      out.refused = this.replicas > 0 ? Math.max(0, arrivals - admissibleSpans) : 0;
    } else {
      this.hotBacklogSpans = Math.min(this.hotBacklogSpans, this.backlogSpans - arrivals) + hotArrivals;
      this.hotQueueSpans = Math.min(this.hotQueueSpans + Math.round(out.decided * (this.hotIngestRatio > 0 ? this.hotIngestRatio : hotShare)), this.queueSpans);
      const hotLimit = Math.floor(exportLimitSpans / this.replicas);
      const hotOut = outage ? 0 : Math.min(this.hotQueueSpans, hotLimit);
      const restOut = outage ? 0 : Math.min(this.queueSpans - this.hotQueueSpans, exportLimitSpans - hotLimit);
      const restAdmissible = admissibleSpans - hotAdmissibleSpans;
      const hot = this.shareCpu(Math.min(this.hotBacklogSpans, hotAdmissibleSpans), hotArrivals, hotOut, cpuBudget / this.replicas);
      const rest = this.shareCpu(Math.min(this.backlogSpans - this.hotBacklogSpans, restAdmissible), arrivals - hotArrivals, restOut, cpuBudget - cpuBudget / this.replicas);
      out.refused = Math.max(0, hotArrivals - hotAdmissibleSpans) + Math.max(0, arrivals - hotArrivals - restAdmissible);
      this.hotBacklogSpans -= hot.ingested;
      hotIngested = hot.ingested;
      this.hotQueueSpans -= hot.exported;
      ingested = hot.ingested + rest.ingested;
      this.hotIngestRatio = ingested > 0 ? hot.ingested / ingested : hotShare;
      exported = hot.exported + rest.exported;
      cpuUsed = hot.cpuUsed + rest.cpuUsed;
      hotCpuUsed = hot.cpuUsed;
    }
    this.backlogSpans -= ingested;
    this.hotWaiting.take(hotIngested);
    this.waiting.take(ingested - hotIngested);
    out.failedAtAgents = this.giveUpAtAgents(stepIndex);
    if (ingested > 0) this.pushSlot(ingested, this.ticksRun);
    out.ingested = ingested;
    out.sent = exported;
    this.queueSpans -= exported;
    out.sendFailed = outage ? this.giveUpRetries(stepIndex) : 0;
    if (!outage) this.failingSinceStep = Number.NaN;
    const queueCapacity = queueCapacitySpans(settings) * this.replicas;
    if (hotShare === 0) out.enqueueFailed = Math.max(0, this.queueSpans - queueCapacity);
    else {
      // Retries given up came out of every queue alike; then each queue overflows on its own.
      this.hotQueueSpans = Math.min(this.hotQueueSpans, this.queueSpans);
      const hotOverflow = Math.max(0, this.hotQueueSpans - queueCapacity / this.replicas);
      this.hotQueueSpans -= hotOverflow;
      out.enqueueFailed = hotOverflow + Math.max(0, this.queueSpans - hotOverflow - this.hotQueueSpans - (queueCapacity * (this.replicas - 1)) / this.replicas);
    }
    this.queueSpans -= out.enqueueFailed;
    out.droppedTooEarlySpans = this.evictBeyondNumTraces();
    out.droppedTooEarlyTraces = out.droppedTooEarlySpans / settings.spansPerTrace;

    this.utilization = cpuBudget > 0 ? cpuUsed / cpuBudget : 0;
    out.utilization = this.utilization;
    const tickWorkMs = this.tickWorkMs(ingested);
    // Linear: the expression the published rows were measured with, to the bit; bent: u^P of each replica's CPU.
    const workCpuSeconds = settings.cpuCurveExponent === 1 ? cpuUsed / settings.capacitySpansPerSecond : this.replicas * dt * (this.utilization * settings.cpuCeiling) ** settings.cpuCurveExponent;
    out.cpuSeconds = workCpuSeconds + (ticks * this.replicas * tickWorkMs) / 1000;
    this.decisionLatencyMs = decisionTickLatencyMs(tickWorkMs, this.utilization);
    out.decisionLatencyMs = this.decisionLatencyMs;
    out.hotIngested = hotIngested;
    out.hotDecisionLatencyMs = hotShare === 0 ? this.decisionLatencyMs : this.hotTickLatencyMs(hotIngested, hotCpuUsed / (cpuBudget / this.replicas));
  }

  /** The hot gateway's tick: its own traces per second and held traces, stretched by its own CPU contention. */
  private hotTickLatencyMs(hotIngestedSpans: number, hotUtilization: number): number {
    const { settings } = this;
    const tracesPerSecond = hotIngestedSpans / settings.spansPerTrace / settings.stepSeconds;
    const tracesHeld = (this.hotShare * this.bufferSpans) / settings.spansPerTrace;
    return decisionTickLatencyMs(decisionTickWorkMs(settings, tracesPerSecond, tracesHeld), hotUtilization);
  }

  /** Ingest and export on one CPU budget; when both need more, they share it in proportion. */
  /**
   * Ingest and export on one CPU budget; when both need more, they share it in proportion to what
   * each presents: the exporter its queue, the agents this step's `arrivals` (their sending queues send
   * at the rate they receive, however long the backlog behind them; with no arrivals, the backlog), at
   * most what the budget could ingest (the receivers' goroutines compete, they do not multiply).
   * CPU one side leaves unused goes to the other.
   */
  private shareCpu(inDemand: number, arrivals: number, outDemand: number, budget: number): { ingested: number; exported: number; cpuUsed: number } {
    const share = this.settings.ingestCpuShare;
    const needed = share * inDemand + (1 - share) * outDemand;
    if (needed <= budget) return { ingested: inDemand, exported: outDemand, cpuUsed: needed };
    if (budget <= 0) return { ingested: 0, exported: 0, cpuUsed: 0 };
    const inWeight = Math.min(budget, share * (arrivals > 0 ? Math.min(inDemand, arrivals) : inDemand));
    const outWeight = (1 - share) * outDemand;
    let ingested = Math.min(inDemand, Math.floor((budget * inWeight) / (inWeight + outWeight) / share));
    const exported = Math.min(outDemand, Math.floor((budget - share * ingested) / (1 - share)));
    ingested = Math.min(inDemand, Math.floor((budget - (1 - share) * exported) / share));
    return { ingested, exported, cpuUsed: Math.min(budget, share * ingested + (1 - share) * exported) };
  }

  /**
   * The agents' exporters retry what the gateways are too slow to take, or refuse, until
   * retry_on_failure.max_elapsed_time, then drop it. Returns the spans dropped.
   */
  private giveUpAtAgents(stepIndex: number): number {
    const lastKept = stepIndex - this.settings.retryMaxElapsedSeconds / this.settings.stepSeconds;
    const hotDropped = this.hotWaiting.removeStampedUpTo(lastKept);
    const dropped = hotDropped + this.waiting.removeStampedUpTo(lastKept);
    this.hotBacklogSpans -= hotDropped;
    this.backlogSpans -= dropped;
    return dropped;
  }

  /**
   * A decision tick's own work on one replica (ms of CPU, gateway-model.ts): it decides the traces that
   * arrived in one tick period. Its latency is that work slowed by CPU contention, so it nears the
   * 1 s tick period only with costly ticks near saturation; a slow tick stretches the hold time and
   * traces pile up towards num_traces.
   */
  private tickWorkMs(ingestedSpans: number): number {
    if (this.replicas <= 0) return 0;
    const { settings } = this;
    const tracesPerSecond = ingestedSpans / settings.spansPerTrace / settings.stepSeconds / this.replicas;
    const tracesHeld = this.bufferSpans / settings.spansPerTrace / this.replicas;
    return decisionTickWorkMs(settings, tracesPerSecond, tracesHeld);
  }
}
