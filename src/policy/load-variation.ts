// How the accepted load moves from one poll to the next: its trend (spans/s per second) and its noise
// around that trend, measured on the last LOAD_SAMPLES distinct snapshots the decision saw. Both are
// medians, so a burst or a step change among them moves neither much.
//
// They feed two things. The recent readings are the dead band of scale-in: a tier steps in only to a
// count the throughput proposal would not scale back out of at the highest of them, or one the HPA's
// tolerance would hold, so the load's own noise cannot undo the step (flapping). The trend, where it
// stands out of the noise, is the growth a new pod must still find room for when it takes traffic,
// after the pod startup in use plus DNS, poll and HPA sync (the throughput proposal).
import type { TargetSettings } from '../config/target-metadata.ts';
import { formatSeconds, formatSpansPerSecond } from './format.ts';
import { withinHpaTolerance } from './guards.ts';
import type { LoadPeak } from './policy-state.ts';
import { replicasFor, TRACES_ON_MEMORY_TARGET_FILL, throughputReplicasFor } from './proposals.ts';
import { medianInPlace } from './median.ts';

/** Snapshots kept: the highest of 20 readings is the load's ~95th percentile (20/21); 20 differences put their median spread within about ±30 % of the noise. */
export const LOAD_SAMPLES = 21;
/** Fewer differences than this give no estimate: the median of three is still one reading. */
export const MIN_LOAD_DIFFERENCES = 4;
/** Growth counts only beyond a one-sided 97.7 % band of normal noise (else a noisy flat load would look like a ramp). */
export const NOISE_SIGMAS = 2;
/** Median absolute deviation to standard deviation for normal noise (1 / Φ⁻¹(0.75)). */
const MAD_TO_SIGMA = 1.4826;

export interface LoadVariation {
  /** Standard deviation of the load around its trend from one snapshot to the next, spans/s. */
  readonly noiseSpansPerSecond: number;
  /** Median change of the load per second, spans/s per second (negative when falling). */
  readonly trendSpansPerSecondPerSecond: number;
  /** Seconds between snapshots, median. */
  readonly intervalSeconds: number;
  readonly differences: number;
}

/**
 * Appends the accepted rate of a snapshot newer than every one kept (a repeated or older snapshot adds
 * nothing) and keeps the last LOAD_SAMPLES. `previous` undefined (first evaluation, or a gap longer
 * than staleAfter) starts afresh.
 */
export function advanceLoadSamples(previous: readonly LoadPeak[] | undefined, observedAtMs: number, spansPerSecond: number | undefined): readonly LoadPeak[] {
  const samples = previous ?? [];
  const latest = samples[samples.length - 1];
  if (spansPerSecond === undefined || (latest !== undefined && observedAtMs <= latest.atMs)) return samples;
  const next = samples.length >= LOAD_SAMPLES ? samples.slice(samples.length - LOAD_SAMPLES + 1) : [...samples];
  next.push({ atMs: observedAtMs, spansPerSecond });
  return next;
}

/** Trend and noise of the samples; undefined with fewer than MIN_LOAD_DIFFERENCES differences. */
export function loadVariation(samples: readonly LoadPeak[]): LoadVariation | undefined {
  const differences = samples.length - 1;
  if (differences < MIN_LOAD_DIFFERENCES) return undefined;
  const slopes: number[] = [];
  const intervals: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const seconds = (samples[i]!.atMs - samples[i - 1]!.atMs) / 1000;
    intervals.push(seconds);
    slopes.push((samples[i]!.spansPerSecond - samples[i - 1]!.spansPerSecond) / seconds);
  }
  // Each median reorders the scratch it is given; slopes and intervals stay in order.
  const scratch = slopes.slice();
  const trend = medianInPlace(scratch);
  for (let i = 0; i < differences; i++) scratch[i] = Math.abs((slopes[i]! - trend) * intervals[i]!);
  // A difference of two noisy readings has √2 times the noise of one.
  const noise = (MAD_TO_SIGMA * medianInPlace(scratch)) / Math.SQRT2;
  return { noiseSpansPerSecond: noise, trendSpansPerSecondPerSecond: trend, intervalSeconds: medianInPlace(intervals), differences };
}

/** The count a scale-in may go to at the lowest, and why; undefined when the load is unknown. */
export interface NoiseFloor {
  readonly replicas: number;
  /** Replicas the throughput proposal asks for at the highest of the recent loads. */
  readonly noisyNeed: number;
  readonly reason: string;
}

/**
 * The dead band of scale-in. The highest accepted load of the last LOAD_SAMPLES snapshots (the
 * current one included) is the load's own noise band: the largest of 20 readings exceeds about 95 %
 * (20/21) of what the load does at that level, whatever the shape of its noise. A scale-in goes no
 * lower than what the throughput (or, where num_traces binds, the traces-on-memory) proposal asks for at
 * that load, or the fewest from which the HPA would
 * ignore it (its ±10 % tolerance): a scale-out it would take back is not a step worth a ring change.
 */
export function noiseFloor(
  samples: readonly LoadPeak[],
  capacitySpansPerReplica: number,
  settings: Pick<TargetSettings, 'targetUtilization' | 'numTraces'>,
  held?: { readonly tracesOnMemory: number | undefined; readonly spansPerSecond: number | undefined },
): NoiseFloor | undefined {
  if (samples.length - 1 < MIN_LOAD_DIFFERENCES) return undefined;
  let highest = samples[0]!;
  for (const sample of samples) if (sample.spansPerSecond > highest.spansPerSecond) highest = sample;
  let noisyNeed = throughputReplicasFor(highest.spansPerSecond, capacitySpansPerReplica, settings.targetUtilization);
  // Traces held grow with the load (new traces/s × decision_wait): where num_traces binds before CPU,
  // the traces-on-memory proposal is what the noise would scale back out, at the same ratio.
  if (held?.tracesOnMemory !== undefined && held.spansPerSecond !== undefined && held.spansPerSecond > 0) {
    const tracesAtHighest = (held.tracesOnMemory * highest.spansPerSecond) / held.spansPerSecond;
    noisyNeed = Math.max(noisyNeed, replicasFor(tracesAtHighest / (settings.numTraces * TRACES_ON_MEMORY_TARGET_FILL)));
  }
  let replicas = noisyNeed;
  while (replicas > 1 && withinHpaTolerance(replicas - 1, noisyNeed)) replicas--;
  const tolerance = replicas < noisyNeed ? ` (from ${replicas} the HPA ignores ${noisyNeed})` : '';
  const span = formatSeconds((samples[samples.length - 1]!.atMs - samples[0]!.atMs) / 1000);
  return {
    replicas,
    noisyNeed,
    reason: `the load reached ${formatSpansPerSecond(highest.spansPerSecond)} within the last ${samples.length} readings (${span}), which needs ${noisyNeed}${tolerance}`,
  };
}

/** Load growth a pod asked for now must still find room for when it takes traffic. */
export interface GrowthAhead {
  readonly spansPerSecond: number;
  readonly leadTimeSeconds: number;
  /** The pod startup the lead time counts, learned or the trigger's. */
  readonly startupSeconds: number;
  readonly startupSource: 'learned' | 'trigger';
}

/**
 * The trend × lead time (pod startup in use + DNS + poll + HPA sync), when the load is rising by more
 * than NOISE_SIGMAS of its noise over that time; else none (a flat or noisy load grows by nothing).
 */
export function growthAhead(variation: LoadVariation | undefined, leadTimeSeconds: number, startup: Pick<GrowthAhead, 'startupSeconds' | 'startupSource'>): GrowthAhead | undefined {
  if (variation === undefined) return undefined;
  const growth = variation.trendSpansPerSecondPerSecond * leadTimeSeconds;
  if (growth <= NOISE_SIGMAS * variation.noiseSpansPerSecond) return undefined;
  return { spansPerSecond: growth, leadTimeSeconds, ...startup };
}
