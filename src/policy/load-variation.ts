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
import type { LoadPeak, LoadReading } from './policy-state.ts';
import type { StartupInUse } from './startup-in-use.ts';
import { peakUtilizationOf } from './peak-utilization.ts';
import { busiestGatewayReplicasFor, replicasFor, TRACES_ON_MEMORY_TARGET_FILL, throughputReplicasFor } from './proposals.ts';
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

/** The slope loadVariation computes between two neighbouring samples, with the same operations. */
function slopeBetween(earlier: LoadPeak, later: LoadPeak): number {
  const seconds = (later.atMs - earlier.atMs) / 1000;
  return (later.spansPerSecond - earlier.spansPerSecond) / seconds;
}

/** Index of the first slope not below `value` in an ascending list. */
function firstNotBelow(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The sorted slopes of `samples` computed afresh; undefined when one is not a finite number. */
function sortSlopes(samples: readonly LoadPeak[]): number[] | undefined {
  const slopes: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const slope = slopeBetween(samples[i - 1]!, samples[i]!);
    if (!Number.isFinite(slope)) return undefined;
    slopes.push(slope);
  }
  return slopes.sort((a, b) => a - b);
}

/**
 * The slopes between neighbouring samples of a window (one per pair), in ascending order: consecutive
 * windows of a target share all but one slope, so loadVariation's medians come from a sorted list kept
 * up to date poll by poll (in PolicyState, beside the window) instead of three selections at every
 * decision. Undefined when a slope is not a finite number.
 */
export type SortedSlopes = readonly number[] | undefined;

/**
 * The sorted slopes of `next`, the window advanceLoadSamples made of `previous`: the previous list less
 * the slope of the first sample dropped and plus the one to the sample appended, when the previous list
 * is given and at most one sample was dropped; the same window gives back the same list; anything else
 * is sorted afresh. `previousSlopes` must be the sorted slopes of `previous` (or undefined).
 */
export function advanceSortedSlopes(previous: readonly LoadPeak[] | undefined, previousSlopes: SortedSlopes, next: readonly LoadPeak[]): SortedSlopes {
  if (next === previous) return previousSlopes ?? sortSlopes(next);
  const before = previous ?? [];
  const dropped = before.length + 1 - next.length;
  if (previousSlopes === undefined || previousSlopes.length !== Math.max(0, before.length - 1) || dropped < 0 || dropped > 1) return sortSlopes(next);
  const slopes = previousSlopes.slice();
  if (dropped === 1 && before.length > 1) {
    const first = slopeBetween(before[0]!, before[1]!);
    const index = firstNotBelow(slopes, first);
    if (slopes[index] !== first) return sortSlopes(next);
    slopes.splice(index, 1);
  }
  if (next.length > 1) {
    const slope = slopeBetween(next[next.length - 2]!, next[next.length - 1]!);
    if (!Number.isFinite(slope)) return undefined;
    slopes.splice(firstNotBelow(slopes, slope), 0, slope);
  }
  return slopes;
}

/**
 * Appends the accepted rate of a snapshot newer than every one kept (a repeated or older snapshot adds
 * nothing), with the busiest gateway's share multiple when it is sized, and keeps the last
 * LOAD_SAMPLES. `previous` undefined (first evaluation, or a gap longer than staleAfter) starts afresh.
 */
export function advanceLoadSamples(
  previous: readonly LoadReading[] | undefined,
  observedAtMs: number,
  spansPerSecond: number | undefined,
  busiestShareMultiple?: number,
): readonly LoadReading[] {
  const samples = previous ?? [];
  const latest = samples[samples.length - 1];
  if (spansPerSecond === undefined || (latest !== undefined && observedAtMs <= latest.atMs)) return samples;
  const next = samples.length >= LOAD_SAMPLES ? samples.slice(samples.length - LOAD_SAMPLES + 1) : [...samples];
  next.push(busiestShareMultiple === undefined ? { atMs: observedAtMs, spansPerSecond } : { atMs: observedAtMs, spansPerSecond, busiestShareMultiple });
  return next;
}

/**
 * The load's level: the median of the last LOAD_SAMPLES readings, the current one included. A reading's
 * own noise (and a burst shorter than half the readings) does not move it; a load held for half of them
 * does. Undefined from fewer readings than a variation needs, where one reading would be half of them.
 */
export function loadLevel(samples: readonly LoadPeak[]): number | undefined {
  if (samples.length <= MIN_LOAD_DIFFERENCES) return undefined;
  const loads: number[] = [];
  for (const sample of samples) loads.push(sample.spansPerSecond);
  return medianInPlace(loads);
}

/**
 * The busiest gateway's share multiple as a level: the median over the same readings as loadLevel, a
 * reading where that gateway was not sized counting as an even share (1). Undefined where loadLevel is,
 * or when the level is an even share. A multiple read as the load steps (each gateway's rate window
 * catches the step at its own scrape) lasts a reading or two and does not move it.
 */
export function busiestShareLevel(samples: readonly LoadReading[]): number | undefined {
  if (samples.length <= MIN_LOAD_DIFFERENCES) return undefined;
  // Fewer than half the readings above 1 (an even ring: none) leave the median at or below 1.
  let skewed = 0;
  for (const sample of samples) if ((sample.busiestShareMultiple ?? 1) > 1) skewed++;
  if (2 * skewed < samples.length) return undefined;
  const multiples: number[] = [];
  for (const sample of samples) multiples.push(sample.busiestShareMultiple ?? 1);
  const level = medianInPlace(multiples);
  return level > 1 ? level : undefined;
}

/**
 * loadVariation from the window's sorted slopes when its snapshots are evenly spaced (every interval
 * the same number, as KEDA's polls give): the trend is the middle of the list, and the deviations from
 * it grow outwards from where the trend falls in it on either side (rounding is monotonic), so their
 * median is the middle of a merge of those two runs. The same numbers as the selections of the plain way.
 */
function evenlySpacedVariation(samples: readonly LoadPeak[], sorted: readonly number[]): LoadVariation | undefined {
  const differences = samples.length - 1;
  const interval = (samples[1]!.atMs - samples[0]!.atMs) / 1000;
  for (let i = 2; i < samples.length; i++) if ((samples[i]!.atMs - samples[i - 1]!.atMs) / 1000 !== interval) return undefined;
  const mid = Math.floor(differences / 2);
  const odd = differences % 2 === 1;
  const trend = odd ? sorted[mid]! + 0 : (sorted[mid - 1]! + sorted[mid]!) / 2 + 0;
  // The k-th smallest deviation for k up to mid: right walks up from the first slope at or above the trend, left down from the one before.
  let right = firstNotBelow(sorted, trend);
  let left = right - 1;
  let lower = 0;
  let upper = 0;
  for (let k = 0; k <= mid; k++) {
    const fromRight = right < differences ? Math.abs((sorted[right]! - trend) * interval) : Number.NaN;
    const fromLeft = left >= 0 ? Math.abs((sorted[left]! - trend) * interval) : Number.NaN;
    let deviation: number;
    if (left < 0 || (right < differences && fromRight <= fromLeft)) {
      deviation = fromRight;
      right++;
    } else {
      deviation = fromLeft;
      left--;
    }
    if (k === mid - 1) lower = deviation;
    upper = deviation;
  }
  const noise = (MAD_TO_SIGMA * (odd ? upper + 0 : (lower + upper) / 2 + 0)) / Math.SQRT2;
  return { noiseSpansPerSecond: noise, trendSpansPerSecondPerSecond: trend, intervalSeconds: odd ? interval + 0 : (interval + interval) / 2 + 0, differences };
}

/**
 * Trend and noise of the samples; undefined with fewer than MIN_LOAD_DIFFERENCES differences.
 * `sortedSlopes`, when given, must be the samples' (advanceSortedSlopes); without it the slopes are
 * selected among afresh, with the same result.
 */
export function loadVariation(samples: readonly LoadPeak[], sortedSlopes?: SortedSlopes): LoadVariation | undefined {
  const differences = samples.length - 1;
  if (differences < MIN_LOAD_DIFFERENCES) return undefined;
  const sorted = sortedSlopes !== undefined && sortedSlopes.length === differences ? sortedSlopes : undefined;
  const evenlySpaced = sorted === undefined ? undefined : evenlySpacedVariation(samples, sorted);
  if (evenlySpaced !== undefined) return evenlySpaced;
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
 * lower than what the throughput (its busiest gateway included; or, where num_traces binds, the traces-on-memory) proposal asks for at
 * that load, or the fewest from which the HPA would
 * ignore it (its ±10 % tolerance): a scale-out it would take back is not a step worth a ring change.
 */
export function noiseFloor(
  samples: readonly LoadPeak[],
  capacitySpansPerReplica: number,
  settings: Pick<TargetSettings, 'targetUtilization' | 'numTraces'>,
  held?: { readonly tracesOnMemory: number | undefined; readonly spansPerSecond: number | undefined },
  busiestShareMultiple?: number,
): NoiseFloor | undefined {
  if (samples.length - 1 < MIN_LOAD_DIFFERENCES) return undefined;
  let highest = samples[0]!;
  for (const sample of samples) if (sample.spansPerSecond > highest.spansPerSecond) highest = sample;
  let noisyNeed = throughputReplicasFor(highest.spansPerSecond, capacitySpansPerReplica, settings.targetUtilization);
  // The throughput proposal also sizes the busiest gateway; the noise would scale that back out too.
  if (busiestShareMultiple !== undefined) {
    noisyNeed = Math.max(noisyNeed, busiestGatewayReplicasFor(highest.spansPerSecond, busiestShareMultiple, capacitySpansPerReplica, peakUtilizationOf(settings.targetUtilization)));
  }
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
  /** The startup in use: its lead time, and the join it counts. */
  readonly startup: StartupInUse;
}

/**
 * The trend × lead time (the join in use + poll + HPA sync), when the load is rising by more than
 * NOISE_SIGMAS of its noise over that time; else none (a flat or noisy load grows by nothing).
 */
export function growthAhead(variation: LoadVariation | undefined, startup: StartupInUse): GrowthAhead | undefined {
  if (variation === undefined) return undefined;
  const growth = variation.trendSpansPerSecondPerSecond * startup.leadTimeSeconds;
  if (growth <= NOISE_SIGMAS * variation.noiseSpansPerSecond) return undefined;
  return { spansPerSecond: growth, startup };
}
