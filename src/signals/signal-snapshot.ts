// What one read of a gateway tier yields, whether from Prometheus or the simulated fleet. The policy
// consumes only this, so a signal that had no data must stay distinguishable from a measured 0.
import type { TargetSettings } from '../config/target-metadata.ts';

/** Every scalar signal the policy reads; names carry their unit. */
export const SIGNAL_NAMES = [
  'currentReplicas',
  'reportingReplicas',
  'queueFillMax',
  'queueFillMean',
  'refusedSpansPerSecond',
  'enqueueFailedSpansPerSecond',
  'sendFailedSpansPerSecond',
  'sentSpansPerSecond',
  'decisionLatencyP99Ms',
  'tracesOnMemory',
  'droppedTooEarlyTracesPerSecond',
  'acceptedSpansPerSecond',
] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

/** A measured value, or why there is none. */
export type Reading<T = number> = { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'missing'; readonly reason: string };

export interface SignalSnapshot {
  /** When the values were read (ms since epoch); the policy compares it with `now` for staleness. */
  readonly observedAtMs: number;
  /**
   * currentReplicas: gateways that should exist — scrape targets the selector picks, up or down, or the
   * Deployment's status replicas when larger — never just those that report. reportingReplicas: gateways
   * whose own metrics were scraped; fewer than current means some are silent (missing data). queueFill*: exporter queue size / capacity (0..1),
   * max and mean over gateways. tracesOnMemory: summed over gateways. Rates are per second over the
   * target's rateWindow and summed over gateways. decisionLatencyP99Ms: p99 of one tail-sampling
   * decision tick, in ms whatever the collector version's unit.
   */
  readonly signals: { readonly [K in SignalName]: Reading };
  /** Accepted spans/s per gateway (`instance`), for spotting routing imbalance. */
  readonly acceptedSpansPerSecondByGateway: Reading<Readonly<Record<string, number>>>;
  /**
   * Decision-tick p99 per gateway (`instance`), in ms: which gateway is slowest tells a hot share from a
   * gateway that falls behind. Absent when the source cannot tell (the query failed).
   */
  readonly decisionLatencyP99MsByGateway?: Readonly<Record<string, number>>;
  /** Scrape targets of the selector that are down (`up == 0`), by `instance`, for naming them; absent when the source cannot tell. */
  readonly unscrapedGateways?: readonly string[];
  /**
   * The fullest queue's fill one rateWindow before `observedAtMs`, so a backlog's course is judged over
   * as long a stretch as the rates, whatever the polls' spacing. Absent when the source cannot tell (a
   * tier younger than its rate window, the query failed): it only ever explains a queue, so its absence
   * explains nothing and holds nothing.
   */
  readonly queueFillMaxWindowAgo?: number;
  /**
   * Spans/s the agents took in over the rate window (accepted + refused at their receivers), for a
   * trigger that names them (agentSelector): the load offered to the tier, whatever the gateways took.
   * Absent when not read (no agentSelector, the query failed, no agent series).
   */
  readonly offeredSpansPerSecond?: number;
  /**
   * The gateways' collector builds as they report them (`service_name`, `service_version`), with how many
   * gateways run each. Absent when not read (the query failed, or no series carries a version).
   */
  readonly collectorBuilds?: readonly CollectorBuild[];
}

/** One collector build among the gateways: its distribution (`service_name`), version, and how many gateways run it. */
export interface CollectorBuild {
  readonly name: string;
  readonly version: string;
  readonly gateways: number;
}

/** A target as KEDA names it (the ScaledObject), the key of all per-target state. */
export interface TargetRef {
  readonly namespace: string;
  readonly name: string;
}

export function targetKey(target: TargetRef): string {
  return `${target.namespace}/${target.name}`;
}

/** Where signals come from: Prometheus in production, the simulated fleet in the demo and benchmark. */
export interface SignalSource {
  /**
   * Reads every signal for one target. Signals without data are `missing`, never 0. Rejects with
   * ScalerError PROMETHEUS_UNAVAILABLE when the source cannot be reached at all.
   */
  read(target: TargetRef, settings: TargetSettings): Promise<SignalSnapshot>;
}

/** One point of a range read. */
export interface RangeSample {
  readonly timestampMs: number;
  readonly value: number;
}

export interface RangeWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepSeconds: number;
}

/** The `lookbackSeconds` up to the last whole step at `nowMs`: what a learned figure re-reads each time. */
export function trailingWindow(nowMs: number, lookbackSeconds: number, stepSeconds: number): RangeWindow {
  const stepMs = stepSeconds * 1000;
  const endMs = Math.floor(nowMs / stepMs) * stepMs;
  return { startMs: endMs - lookbackSeconds * 1000, endMs, stepSeconds };
}

/** Past signals, for what-if replays (every signal per step) and forecast refits (accepted spans/s only). */
export interface SignalHistory {
  /** One snapshot per step in the window, `observedAtMs` = the step's time; steps without data have missing readings. */
  readRange(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly SignalSnapshot[]>;
  /** Accepted spans/s summed over gateways, one sample per step that had data (gaps are absent, not 0). */
  readAcceptedSpansHistory(target: TargetRef, settings: TargetSettings, window: RangeWindow): Promise<readonly RangeSample[]>;
}
