// What Prometheus would hold about the simulated fleet: one sample per step of every counter
// (cumulative, summed over the pods it scrapes) and gauge, kept for a retention window in ring
// buffers. Reads happen at scrape times and compute rates and the decision-latency p99 the way
// PromQL's rate() and histogram_quantile() would over the scraped samples.
import { GATEWAY_COUNTERS, type ObservedStep } from './fleet.ts';

/** Bucket bounds of the tail-sampling decision-timer histogram (contrib metadata.yaml), in ms. */
export const DECISION_TIMER_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 50000] as const;

/** Prometheus' default-ish scrape interval for the gateways; reads see the last scrape. */
export const SCRAPE_INTERVAL_SECONDS = 15;

/**
 * Every counter the gateways expose, CPU-seconds included (a capacity estimate reads its rate), the
 * hot gateway's accepted spans, which per-pod series (`sum by (instance)`) would show on a skewed ring,
 * and the spans the agents accepted (their receivers' counter), the load offered to the gateways.
 */
export const COUNTER_NAMES = [...GATEWAY_COUNTERS, 'hotGatewayAcceptedSpans', 'agentAcceptedSpans'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export const GAUGE_NAMES = ['desiredReplicas', 'reportingReplicas', 'unscrapedReplicas', 'ringReplicas', 'queueFillMax', 'queueFillMean', 'queueBatchesTotal', 'tracesOnMemory', 'decisionLatencyMs', 'ringUtilization', 'memoryRssBytes', 'hotGatewayDecisionLatencyMs'] as const;
export type GaugeName = (typeof GAUGE_NAMES)[number];

/**
 * A step's counter increments in COUNTER_NAMES order and its gauges in GAUGE_NAMES order, read by name
 * in code: `record` runs at every step, and reading `observed[name]` with a name that changes at each
 * iteration is a megamorphic keyed load. Checked against the two lists when this module loads.
 */
function readStep(o: ObservedStep, counters: Float64Array, gauges: Float64Array): void {
  counters[0] = o.acceptedSpans;
  counters[1] = o.refusedSpans;
  counters[2] = o.sentSpans;
  counters[3] = o.sendFailedSpans;
  counters[4] = o.enqueueFailedSpans;
  counters[5] = o.droppedTooEarlyTraces;
  counters[6] = o.newTraces;
  counters[7] = o.cpuSeconds;
  counters[8] = o.hotGatewayAcceptedSpans;
  counters[9] = o.agentAcceptedSpans;
  gauges[0] = o.desiredReplicas;
  gauges[1] = o.reportingReplicas;
  gauges[2] = o.unscrapedReplicas;
  gauges[3] = o.ringReplicas;
  gauges[4] = o.queueFillMax;
  gauges[5] = o.queueFillMean;
  gauges[6] = o.queueBatchesTotal;
  gauges[7] = o.tracesOnMemory;
  gauges[8] = o.decisionLatencyMs;
  gauges[9] = o.ringUtilization;
  gauges[10] = o.memoryRssBytes;
  gauges[11] = o.hotGatewayDecisionLatencyMs;
}

/** Throws unless readStep puts every named field at its index in COUNTER_NAMES and GAUGE_NAMES: a probe step holds each field's own index + 1. */
function checkReadStepOrder(): void {
  const probe: Record<string, number> = {};
  COUNTER_NAMES.forEach((name, i) => {
    probe[name] = i + 1;
  });
  GAUGE_NAMES.forEach((name, i) => {
    probe[name] = i + 1;
  });
  const counters = new Float64Array(COUNTER_NAMES.length);
  const gauges = new Float64Array(GAUGE_NAMES.length);
  readStep(probe as unknown as ObservedStep, counters, gauges);
  if (!counters.every((value, i) => value === i + 1) || !gauges.every((value, i) => value === i + 1)) {
    throw new Error('fleet-recorder.ts: readStep no longer reads COUNTER_NAMES and GAUGE_NAMES in their order; update it with them');
  }
}
checkReadStepOrder();

/** Index of the first bucket bound ≥ latency (le semantics), or the +Inf bucket past the last bound. */
function decisionTimerBucket(latencyMs: number): number {
  let bucket = 0;
  while (bucket < DECISION_TIMER_BUCKETS_MS.length && !(latencyMs <= DECISION_TIMER_BUCKETS_MS[bucket]!)) bucket++;
  return bucket;
}

/**
 * Where each value of a step sits in its row of the recorder's samples: the cumulative counters in
 * COUNTER_NAMES order, then the gauges in GAUGE_NAMES order, then the decision ticks.
 */
const COUNTER_OFFSET: Readonly<Record<CounterName, number>> = Object.fromEntries(COUNTER_NAMES.map((name, i) => [name, i])) as Record<CounterName, number>;
const GAUGE_OFFSET: Readonly<Record<GaugeName, number>> = Object.fromEntries(GAUGE_NAMES.map((name, i) => [name, COUNTER_NAMES.length + i])) as Record<GaugeName, number>;
const TICKS_OFFSET = COUNTER_NAMES.length + GAUGE_NAMES.length;
/** Values per step. */
const ROW = TICKS_OFFSET + 1;
const DECISION_LATENCY_OFFSET = GAUGE_OFFSET.decisionLatencyMs;
const HOT_DECISION_LATENCY_OFFSET = GAUGE_OFFSET.hotGatewayDecisionLatencyMs;
const RING_REPLICAS_OFFSET = GAUGE_OFFSET.ringReplicas;

/** An answer that has a value, or the reason PromQL would have returned nothing. */
export type RecordedValue = { readonly kind: 'ok'; readonly value: number } | { readonly kind: 'missing'; readonly reason: string };

function missing(reason: string): RecordedValue {
  return { kind: 'missing', reason };
}

export interface FleetRecorderOptions {
  /** Time of step 0, ms since epoch. */
  readonly startMs: number;
  readonly stepSeconds: number;
  /** How far back reads can go (at least the longest rate window or forecast history in use). */
  readonly retentionSeconds: number;
  readonly scrapeIntervalSeconds?: number;
}

/** Ring-buffered per-step samples of one fleet. */
export class FleetRecorder {
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly scrapeIntervalSeconds: number;
  private readonly capacity: number;
  /**
   * One row of ROW values per retained step, a step's counters, gauges and ticks side by side: a step is
   * written at once and a read takes several values of the same one or two steps, so each touches a
   * few neighbouring cache lines rather than one in each of 22 series (two weeks of them, for the
   * forecast's history, are tens of megabytes).
   */
  private readonly rows: Float64Array;
  /** Running totals in COUNTER_NAMES order. */
  private readonly cumulative = new Float64Array(COUNTER_NAMES.length);
  /** One step's counter increments and gauges, in COUNTER_NAMES and GAUGE_NAMES order (scratch of `record`). */
  private readonly stepCounters = new Float64Array(COUNTER_NAMES.length);
  private readonly stepGauges = new Float64Array(GAUGE_NAMES.length);
  /** Per-bucket tick counts of one histogram_quantile read (scratch, reset by each read). */
  private readonly bucketCounts = new Float64Array(DECISION_TIMER_BUCKETS_MS.length + 1);
  /** Index of the next sample to write; sample i is the state at startMs + i × step. */
  private written = 0;
  /** The sample indices the last window() found (its scratch). */
  private windowEnd = 0;
  private windowStart = 0;
  private readonly recordListeners: ((sampleMs: number) => void)[] = [];

  constructor(options: FleetRecorderOptions) {
    this.startMs = options.startMs;
    this.stepSeconds = options.stepSeconds;
    this.scrapeIntervalSeconds = options.scrapeIntervalSeconds ?? SCRAPE_INTERVAL_SECONDS;
    if (!(options.retentionSeconds > 0)) throw new RangeError(`retentionSeconds must be > 0, got ${options.retentionSeconds}`);
    this.capacity = Math.ceil(options.retentionSeconds / options.stepSeconds) + 2;
    this.rows = new Float64Array(this.capacity * ROW);
  }

  /** Time of the newest sample (ms), or undefined before the first. */
  get latestMs(): number | undefined {
    return this.written === 0 ? undefined : this.timeOf(this.written - 1);
  }

  /** Time of the oldest retained sample (ms), or undefined before the first. */
  get oldestMs(): number | undefined {
    return this.written === 0 ? undefined : this.timeOf(this.oldestIndex());
  }

  /** Calls `listener` with each new sample's time once it is recorded: how the pod roster keeps pace with the samples. */
  onRecord(listener: (sampleMs: number) => void): void {
    this.recordListeners.push(listener);
  }

  private timeOf(index: number): number {
    return this.startMs + index * this.stepSeconds * 1000;
  }

  /**
   * Appends the state after a step (or the initial state, with zero increments). Samples must come
   * one per step, in order.
   */
  record(observed: ObservedStep): void {
    const row = (this.written % this.capacity) * ROW;
    const { cumulative, rows, recordListeners, stepCounters, stepGauges } = this;
    readStep(observed, stepCounters, stepGauges);
    for (let i = 0; i < stepCounters.length; i++) {
      cumulative[i]! += stepCounters[i]!;
      rows[row + i] = cumulative[i]!;
    }
    for (let i = 0; i < stepGauges.length; i++) rows[row + COUNTER_NAMES.length + i] = stepGauges[i]!;
    rows[row + TICKS_OFFSET] = observed.decisionTicks;
    this.written++;
    const sampleMs = this.timeOf(this.written - 1);
    for (let i = 0; i < recordListeners.length; i++) recordListeners[i]!(sampleMs);
  }

  /** Index of the sample taken by the last scrape at or before `timeMs`, recorded yet or not. */
  private scrapedSampleIndex(timeMs: number): number {
    const scrapeMs = this.scrapeIntervalSeconds * 1000;
    const scrapedAt = Math.floor(timeMs / scrapeMs) * scrapeMs;
    return Math.floor((scrapedAt - this.startMs) / (this.stepSeconds * 1000));
  }

  /** Index of the last scrape at or before `timeMs`, if it is still retained. */
  private scrapeIndex(timeMs: number): number | undefined {
    const newest = Math.min(this.scrapedSampleIndex(timeMs), this.written - 1);
    if (newest < 0 || newest < this.written - this.capacity) return undefined;
    return newest;
  }

  /**
   * Whether every read at `timeMs` over a window of up to `windowSeconds` is final: `kept` when its
   * scrape is recorded and its whole window still retained (samples are never rewritten, only dropped
   * at the retention edge), `dropped` when its scrape is older than what is retained (it has no data for
   * good), `open` otherwise (not recorded yet, or its window is being cut by the retention edge).
   */
  readSettlement(timeMs: number, windowSeconds: number): 'kept' | 'dropped' | 'open' {
    const index = this.scrapedSampleIndex(timeMs);
    const oldest = this.oldestIndex();
    if (index < oldest) return 'dropped';
    return index <= this.written - 1 && index - Math.round(windowSeconds / this.stepSeconds) >= oldest ? 'kept' : 'open';
  }

  /**
   * readSettlement at every step of a range read, at once: steps [0, dropped) are `dropped`, steps
   * [keptFrom, keptTo) `kept` and the others `open`. The scrape a read sees only moves forward along a
   * window, so each bound is a bisection instead of a question per step (a two-week history re-read at
   * every refit has thousands).
   */
  readSettlements(window: { readonly startMs: number; readonly endMs: number; readonly stepSeconds: number }, windowSeconds: number): { readonly dropped: number; readonly keptFrom: number; readonly keptTo: number } {
    const oldest = this.oldestIndex();
    const newest = this.written - 1;
    const windowSteps = Math.round(windowSeconds / this.stepSeconds);
    const dropped = this.firstStepWhere(window, (index) => index >= oldest);
    const keptFrom = this.firstStepWhere(window, (index) => index >= oldest && index - windowSteps >= oldest);
    const keptTo = Math.max(keptFrom, this.firstStepWhere(window, (index) => index > newest));
    return { dropped, keptFrom, keptTo };
  }

  /** The first step of a range read whose scrape's sample index passes `test` (false, then true along the window), or the step count. */
  private firstStepWhere(window: { readonly startMs: number; readonly endMs: number; readonly stepSeconds: number }, test: (index: number) => boolean): number {
    const stepMs = window.stepSeconds * 1000;
    let low = 0;
    let high = Math.floor((window.endMs - window.startMs) / stepMs) + 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (test(this.scrapedSampleIndex(window.startMs + middle * stepMs))) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** Time of the scrape a read at `timeMs` sees. */
  scrapeTimeMs(timeMs: number): number | undefined {
    const index = this.scrapeIndex(timeMs);
    return index === undefined ? undefined : this.timeOf(index);
  }

  private oldestIndex(): number {
    return Math.max(0, this.written - this.capacity);
  }

  private noData(timeMs: number): RecordedValue {
    if (this.written === 0 || timeMs < this.startMs) return missing('no scrape of the simulated gateways yet at that time');
    return missing('older than the simulated Prometheus retention');
  }

  gauge(name: GaugeName, timeMs: number): RecordedValue {
    const index = this.scrapeIndex(timeMs);
    if (index === undefined) return this.noData(timeMs);
    return { kind: 'ok', value: this.rows[(index % this.capacity) * ROW + GAUGE_OFFSET[name]]! };
  }

  /**
   * Sets windowEnd and windowStart to the window's end and start indices over scraped samples and
   * returns undefined, or returns why there are not two scrapes in it. (Two fields rather than a
   * returned object: every rate read of every poll asks.)
   */
  private window(timeMs: number, windowSeconds: number): RecordedValue | undefined {
    const end = this.scrapeIndex(timeMs);
    if (end === undefined) return this.noData(timeMs);
    const windowSteps = Math.round(windowSeconds / this.stepSeconds);
    const scrapeSteps = Math.round(this.scrapeIntervalSeconds / this.stepSeconds);
    let start = end - windowSteps;
    const oldest = this.oldestIndex();
    if (start < oldest) start = oldest + ((end - oldest) % scrapeSteps);
    if (end - start < scrapeSteps) return missing(`fewer than two scrapes in the ${windowSeconds} s rate window`);
    this.windowEnd = end;
    this.windowStart = start;
    return undefined;
  }

  /** rate(counter[window]) summed over the scraped pods, per second. */
  rate(name: CounterName, timeMs: number, windowSeconds: number): RecordedValue {
    const noWindow = this.window(timeMs, windowSeconds);
    if (noWindow !== undefined) return noWindow;
    const { windowEnd: end, windowStart: start } = this;
    const offset = COUNTER_OFFSET[name];
    const delta = this.rows[(end % this.capacity) * ROW + offset]! - this.rows[(start % this.capacity) * ROW + offset]!;
    return { kind: 'ok', value: delta / ((end - start) * this.stepSeconds) };
  }

  /**
   * histogram_quantile(q, rate(decision_timer_bucket[window])): the q-quantile of the decision
   * ticks in the window, interpolated inside the collector's bucket bounds; of every ring pod's ticks
   * pooled, or of one pod's (`of`: the hot gateway's, or any other's, which tick alike).
   */
  decisionLatencyQuantileMs(quantile: number, timeMs: number, windowSeconds: number, of: 'ring' | 'hotGateway' | 'otherGateway' = 'ring'): RecordedValue {
    const noWindow = this.window(timeMs, windowSeconds);
    if (noWindow !== undefined) return noWindow;
    const counts = this.bucketCounts.fill(0);
    let total = 0;
    for (let i = this.windowStart + 1; i <= this.windowEnd; i++) {
      const row = (i % this.capacity) * ROW;
      const ticks = this.rows[row + TICKS_OFFSET]!;
      if (ticks <= 0) continue;
      const latency = this.rows[row + DECISION_LATENCY_OFFSET]!;
      const hotLatency = this.rows[row + HOT_DECISION_LATENCY_OFFSET]!;
      const ring = this.rows[row + RING_REPLICAS_OFFSET]!;
      if (of === 'hotGateway') counts[decisionTimerBucket(hotLatency)]! += ticks;
      else if (of === 'otherGateway' || hotLatency === latency || ring <= 1) counts[decisionTimerBucket(latency)]! += ticks;
      else {
        // Every ring pod runs the same number of ticks; the hot gateway's take longer.
        counts[decisionTimerBucket(latency)]! += (ticks * (ring - 1)) / ring;
        counts[decisionTimerBucket(hotLatency)]! += ticks / ring;
      }
      total += ticks;
    }
    if (total === 0) return missing('no decision ticks in the rate window (no gateway on the ring)');
    const rank = quantile * total;
    let cumulative = 0;
    for (let bucket = 0; bucket < counts.length; bucket++) {
      const count = counts[bucket]!;
      if (cumulative + count >= rank && count > 0) {
        if (bucket === DECISION_TIMER_BUCKETS_MS.length) return { kind: 'ok', value: DECISION_TIMER_BUCKETS_MS[bucket - 1]! };
        const lower = bucket === 0 ? 0 : DECISION_TIMER_BUCKETS_MS[bucket - 1]!;
        const upper = DECISION_TIMER_BUCKETS_MS[bucket]!;
        return { kind: 'ok', value: lower + ((upper - lower) * (rank - cumulative)) / count };
      }
      cumulative += count;
    }
    return { kind: 'ok', value: DECISION_TIMER_BUCKETS_MS[DECISION_TIMER_BUCKETS_MS.length - 1]! };
  }
}
