// Capacity per replica learned from the gateways' own CPU (docs/how-it-decides.md): each
// sample pairs one gateway's CPU use (rate of otelcol_process_cpu_seconds, in cores) with its accepted
// spans/s over the same step, and the CPU it may use (its limit or request). CPU grows with load, so
// utilization = idle + spans / capacity fits a line; where that line reaches 100 % is the capacity.
// A sample counts only where the load its exports paid for, a decision_wait earlier, was its own.
// The trigger's capacitySpansPerReplica stays the prior until the fit is tight enough (CAPACITY_EVIDENCE).
// Pure: the samples come from signals/ (Prometheus range queries or the simulated fleet).
import type { AllotmentSource, CpuLoadSample } from '../signals/cpu-load-history.ts';
import { medianInPlace } from './median.ts';
import { PEAK_UTILIZATION } from './peak-utilization.ts';

export type { AllotmentSource, CpuLoadSample };

/**
 * How much evidence replaces the prior: at least `minSeconds` of samples, at least `minSamples` of
 * them, and the extrapolated capacity's standard error at most `maxRelativeStandardError` of it, so the
 * 95 % interval is within ±6 %, inside the ±10 % the learned figure promises. A line with an intercept
 * also needs its slope (the CPU per span) within that promise, a standard error at most
 * `maxSlopeRelativeStandardError` (95 % within ±10 %): the capacity's error from the slope is at most
 * the slope's own, whatever share of it is extrapolated, so such a slope keeps the figure within the
 * promise even where the capacity's standard error misjudges it (below).
 */
export const CAPACITY_EVIDENCE = Object.freeze({ minSeconds: 1800, minSamples: 20, maxRelativeStandardError: 0.03, maxSlopeRelativeStandardError: 0.05 });

/**
 * A later part of the series fits a different line (a new collector config, image or CPU limit) when
 * splitting there explains this many times the residual variance per parameter (an F statistic). High
 * because the best of every split is taken, which inflates F on a series without a change.
 */
export const CHANGE_POINT_F = 25;

/**
 * ...and when the two lines' capacities differ by more than this: half the ±10 % the learned figure
 * promises, so a change that matters is never averaged away and noise that does not matter never
 * shortens the evidence. The lines must also part by this much at the load the series ran at when it
 * split: a change happens at an instant, while the load runs on. CPU bent by load (ticks cost more as a
 * gateway fills) gives lines fitted to the night and to the peak capacities apart by more than this,
 * but the same CPU where the load passed from one to the other.
 */
export const CHANGE_MIN_SHIFT = 0.05;

/**
 * A sample whose gateway accepted more or less than this share away from its own rate a decision_wait
 * earlier is left out: its CPU exports the traces taken at the earlier rate, so it lies off the line by
 * up to that share of its load's CPU (a sharp fall, a gateway joining or leaving the ring). The shift a
 * change of capacity must show, so what is kept cannot make one by itself.
 */
export const EXPORT_LAG_TOLERANCE = CHANGE_MIN_SHIFT;

/**
 * Agents that take in more than (1 + this) × what the gateways accept mean the gateways are falling
 * behind: the agents hold the rest and give it up after their retry time. A CPU quota can make a gateway
 * fall behind with its CPU short of its allotment, where neither the CPU nor the ticks show it. The shift
 * a change of capacity must show: a smaller shortfall moves the figure by less than half its promise.
 */
export const AGENT_SHORTFALL_TOLERANCE = CHANGE_MIN_SHIFT;

/**
 * Steps in a row with the agents ahead that say the gateways fell behind for longer than a rate window.
 * The capacity queries step a rate window apart or more (capacityStepSeconds), so a shorter stretch (a
 * burst the agents hold for their retries) shows at two steps in a row at most, and the intake at the
 * first step of a run averages the gateways' intake while behind with the minutes before. Only the
 * later steps of such runs say the load the gateways take while they fall behind, so only they witness.
 */
export const LASTING_SHORTFALL_STEPS = 3;

/** Residuals beyond this many robust standard deviations (1.4826 × MAD) are left out of the refit: outages, restarts. */
export const OUTLIER_ROBUST_SIGMAS = 4;

/**
 * Saturation counts as a witness only with this many saturated samples; the capacity in use is lowered
 * to their median load when that median is below it by more than SATURATION_MARGIN.
 */
export const SATURATION_MIN_SAMPLES = 5;
export const SATURATION_MARGIN = 0.1;

/**
 * A gateway whose CPU reached this share of its allotment (PEAK_UTILIZATION, past what a peak is sized
 * at) witnesses its capacity directly: load ÷ utilization, the load its CPU reaches 100 % at. The reach
 * to 100 % is short, so idle CPU moves that figure little (1 % low at 10 % idle), and it needs no
 * half-hour fit: a trigger's capacitySpansPerReplica set too high shows within minutes, as the
 * gateways' CPU fills, while a CPU-starved gateway refuses nothing and keeps its ticks within budget.
 */
export const CPU_WITNESS_UTILIZATION = PEAK_UTILIZATION;

export interface CapacityFit {
  readonly spansPerReplica: number;
  readonly relativeStandardError: number;
  /** Utilization with no load (idle CPU share of the allotment); 0 when the fit went through the origin. */
  readonly idleUtilization: number;
  readonly throughOrigin: boolean;
  readonly samples: number;
  /** First and last sample used. */
  readonly fromMs: number;
  readonly toMs: number;
}

/** What the CPU evidence says about capacity. */
export type CapacityEstimate =
  | {
      readonly kind: 'learned';
      readonly fit: CapacityFit;
      readonly allotmentSource: AllotmentSource;
      /** Where a change in the series was found; only samples after it were used. */
      readonly changeAtMs: number | undefined;
      readonly saturation: SaturationWitness | undefined;
      readonly lastingShortfall?: SaturationWitness;
    }
  | { readonly kind: 'insufficient'; readonly reason: string; readonly saturation: SaturationWitness | undefined; readonly lastingShortfall?: SaturationWitness; readonly cpuNow?: CpuNow };

/**
 * What the gateways' CPU said at the latest step with usable samples, before a fit: the median of each
 * sample's load ÷ utilization, the load at which its CPU, idle included, fills the allotment. Idle CPU
 * counted as per-span cost makes it low, never high: a floor under the capacity, not an estimate of it.
 */
export interface CpuNow {
  readonly atMs: number;
  readonly spansPerSecondAtFullCpu: number;
}

/**
 * Per-gateway load at the steps where gateways were saturated: decision ticks over budget or spans
 * refused with queues not filling, or the agents ahead by more than AGENT_SHORTFALL_TOLERANCE at the
 * later steps of a run of LASTING_SHORTFALL_STEPS (`falling behind`), or CPU at CPU_WITNESS_UTILIZATION
 * or more of its allotment, extrapolated to 100 % (`cpu`). The lower median of the two, each with
 * enough samples. `lastingShortfall` is the agents' part alone: what the scaler exports for later
 * peaks (capacity-in-use.ts).
 */
export interface SaturationWitness {
  readonly medianSpansPerSecond: number;
  readonly samples: number;
  readonly cause: 'falling behind' | 'cpu';
  /** The newest of its samples. */
  readonly atMs: number;
}

/**
 * The usable samples in time order as columns: step time, accepted spans/s (x) and utilization of the
 * allotment (y) of points [0, n). Columns rather than an object per point: the Advisor re-reads hours
 * of samples every few minutes and every pass below walks them all.
 */
interface Points {
  readonly atMs: Float64Array;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly n: number;
}

/**
 * The columns an estimate works in: the points, the residuals and the scratch the medians reorder, the
 * points withoutOutliers keeps, and the change-point search's prefix sums (five per point plus the five
 * zeros they start from). A caller that estimates again and again (the benchmark, every five simulated
 * minutes) keeps one and passes it to every estimate, so its columns are reused, grown to the most
 * samples seen: a typed array's storage is allocated outside V8's young generation (about 1 µs apiece,
 * and swept later), and an estimate needs nine. Nothing of them outlives an estimate (its answer holds
 * numbers only) and every column is written before it is read, so an estimate in a reused workspace
 * gives what it gives in a fresh one; a workspace serves one estimate at a time.
 */
export class CapacityWorkspace {
  private columns: WorkspaceColumns;

  constructor(samples = 0) {
    this.columns = new WorkspaceColumns(samples);
  }

  /** Columns for `samples` points: the ones kept when they are long enough, else longer ones. */
  columnsFor(samples: number): WorkspaceColumns {
    if (this.columns.capacity < samples) this.columns = new WorkspaceColumns(Math.max(samples, 2 * this.columns.capacity));
    return this.columns;
  }
}

class WorkspaceColumns {
  readonly points: Points;
  readonly residuals: Float64Array;
  readonly medians: Float64Array;
  readonly kept: Omit<Points, 'n'>;
  readonly prefix: Float64Array;

  constructor(readonly capacity: number) {
    const column = () => new Float64Array(capacity);
    this.points = { atMs: column(), x: column(), y: column(), n: 0 };
    this.residuals = column();
    this.medians = column();
    this.kept = { atMs: column(), x: column(), y: column() };
    this.prefix = new Float64Array(5 * capacity + 5);
  }
}

/**
 * Load that varied by less than a millionth of its mean (up to rounding) cannot separate idle CPU from
 * the per-span cost: such a series is fitted through the origin.
 */
function loadVaries(sumOfSquaredDeviations: number, count: number, mean: number): boolean {
  return sumOfSquaredDeviations > count * (1e-6 * mean) ** 2;
}

interface Line {
  readonly intercept: number;
  readonly slope: number;
  readonly sse: number;
  readonly n: number;
  /** Σ(x − x̄)², for the slope's variance. */
  readonly sxx: number;
  readonly meanX: number;
}

function fitLine(points: Points, throughOrigin: boolean): Line | undefined {
  const { x, y, n } = points;
  if (n < 3) return undefined;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i]!;
    sy += y[i]!;
  }
  const meanX = throughOrigin ? 0 : sx / n;
  const meanY = throughOrigin ? 0 : sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - meanX) ** 2;
    sxy += (x[i]! - meanX) * (y[i]! - meanY);
  }
  if (!throughOrigin && !loadVaries(sxx, n, sx / n)) return undefined;
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - intercept - slope * x[i]!) ** 2;
  return { intercept, slope, sse, n, sxx, meanX: sx / n };
}

/**
 * Capacity where the line reaches utilization 1, and its relative standard error by the delta method
 * on (intercept, slope). Through the origin, intercept 0 is assumed (no idle CPU): used when the load
 * varied too little to tell idle CPU from per-span cost, it errs low by the idle share.
 */
function capacityOf(line: Line, throughOrigin: boolean): { spansPerReplica: number; relativeStandardError: number } | undefined {
  if (!(line.slope > 0) || line.intercept >= 1) return undefined;
  const spansPerReplica = (1 - line.intercept) / line.slope;
  const dof = line.n - (throughOrigin ? 1 : 2);
  const variance = dof > 0 ? line.sse / dof : Number.POSITIVE_INFINITY;
  const slopeVariance = variance / line.sxx;
  // c = (1 − a) / b: ∂c/∂a = −1/b, ∂c/∂b = −c/b; a = ȳ − b x̄, so Var(a) = σ²/n + x̄² Var(b), Cov(a, b) = −x̄ Var(b).
  let cVariance: number;
  if (throughOrigin) {
    cVariance = (spansPerReplica / line.slope) ** 2 * slopeVariance;
  } else {
    // A steep line through a cloud of nearly equal loads reaches utilization 1 just past them, so the
    // capacity looks precise while the per-span cost is noise: the slope itself must be pinned as well.
    if (Math.sqrt(slopeVariance) / line.slope > CAPACITY_EVIDENCE.maxSlopeRelativeStandardError) return undefined;
    const interceptVariance = variance / line.n + line.meanX ** 2 * slopeVariance;
    const covariance = -line.meanX * slopeVariance;
    const da = -1 / line.slope;
    const db = -spansPerReplica / line.slope;
    cVariance = da * da * interceptVariance + db * db * slopeVariance + 2 * da * db * covariance;
  }
  return { spansPerReplica, relativeStandardError: Math.sqrt(Math.max(0, cVariance)) / spansPerReplica };
}

/**
 * Residual spread below this share of the mean utilization is measurement resolution (rate() over
 * scrapes, rounding), never a reason to call a point an outlier.
 */
export const RESIDUAL_RESOLUTION = 0.01;

/**
 * Drops points whose residual is beyond OUTLIER_ROBUST_SIGMAS robust standard deviations of the fit;
 * the points kept go to the workspace's `kept` columns unless all are kept.
 */
function withoutOutliers(points: Points, line: Line, work: WorkspaceColumns): Points {
  const { atMs, x, y, n } = points;
  const { residuals, medians, kept } = work;
  for (let i = 0; i < n; i++) residuals[i] = y[i]! - line.intercept - line.slope * x[i]!;
  // One column for both medians: each takes its values in point order, as a fresh copy would.
  for (let i = 0; i < n; i++) medians[i] = residuals[i]!;
  const center = medianInPlace(medians, n);
  let meanY = 0;
  for (let i = 0; i < n; i++) meanY += y[i]! / n;
  for (let i = 0; i < n; i++) medians[i] = Math.abs(residuals[i]! - center);
  const scale = Math.max(1.4826 * medianInPlace(medians, n), RESIDUAL_RESOLUTION * meanY);
  if (!(scale > 0)) return points;
  const limit = OUTLIER_ROBUST_SIGMAS * scale;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!(Math.abs(residuals[i]! - center) <= limit)) continue;
    kept.atMs[count] = atMs[i]!;
    kept.x[count] = x[i]!;
    kept.y[count] = y[i]!;
    count++;
  }
  return count === n ? points : { ...kept, n: count };
}

/**
 * The least-squares line of points [from, to) from the prefix sums of centred x, y, x², xy, y² (five
 * per point): its squared error (segmentSse), where it reaches utilization 1 (segmentCapacity), and
 * Σy² (segmentSquares, for the rounding floor). Separate functions because the change-point search
 * needs the error of every split but the capacities of only the best.
 */
function segmentMoments(prefix: Float64Array, from: number, to: number, centreX: number, centreY: number, out: Float64Array): void {
  const count = to - from;
  const end = to * 5;
  const start = from * 5;
  const sx = prefix[end]! - prefix[start]!;
  const sy = prefix[end + 1]! - prefix[start + 1]!;
  out[0] = prefix[end + 2]! - prefix[start + 2]! - (sx * sx) / count;
  out[1] = prefix[end + 3]! - prefix[start + 3]! - (sx * sy) / count;
  out[2] = prefix[end + 4]! - prefix[start + 4]! - (sy * sy) / count;
  out[3] = sx / count + centreX;
  out[4] = sy / count + centreY;
}

/** Moments of one segment: Σ(x − x̄)², Σ(x − x̄)(y − ȳ), Σ(y − ȳ)², x̄, ȳ. */
const MOMENTS = 5;

function segmentSse(moments: Float64Array, count: number): number {
  const sxxValue = moments[0]!;
  const sxy = moments[1]!;
  const syy = moments[2]!;
  return loadVaries(sxxValue, count, moments[3]!) ? Math.max(0, syy - (sxy * sxy) / sxxValue) : Math.max(0, syy);
}

/** The utilization the segment's line gives at `load`; the mean ratio's where load did not vary, as segmentCapacity. */
function segmentUtilizationAt(moments: Float64Array, count: number, load: number): number {
  const sxxValue = moments[0]!;
  const meanX = moments[3]!;
  const meanY = moments[4]!;
  return loadVaries(sxxValue, count, meanX) ? meanY + (moments[1]! / sxxValue) * (load - meanX) : (meanY / meanX) * load;
}

/** The mean load of the step before a split and the step after it: the load the series ran at when it changed. */
function loadAtSplit(points: Points, split: number): number {
  const { atMs, x, n } = points;
  const before = atMs[split - 1]!;
  const after = atMs[split]!;
  let sum = 0;
  let count = 0;
  for (let i = split - 1; i >= 0 && atMs[i] === before; i--, count++) sum += x[i]!;
  for (let i = split; i < n && atMs[i] === after; i++, count++) sum += x[i]!;
  return sum / count;
}

/**
 * segmentSse of points [from, to) straight from the prefix sums, with the same operations as
 * segmentMoments then segmentSse: the change-point search takes it at every split.
 */
function rangeSse(prefix: Float64Array, from: number, to: number, centreX: number): number {
  const count = to - from;
  const end = to * 5;
  const start = from * 5;
  const sx = prefix[end]! - prefix[start]!;
  const sy = prefix[end + 1]! - prefix[start + 1]!;
  const sxx = prefix[end + 2]! - prefix[start + 2]! - (sx * sx) / count;
  const sxy = prefix[end + 3]! - prefix[start + 3]! - (sx * sy) / count;
  const syy = prefix[end + 4]! - prefix[start + 4]! - (sy * sy) / count;
  return loadVaries(sxx, count, sx / count + centreX) ? Math.max(0, syy - (sxy * sxy) / sxx) : Math.max(0, syy);
}

/** Capacity where the segment's line reaches utilization 1; the mean ratio when load did not vary. */
function segmentCapacity(moments: Float64Array, count: number): number {
  const sxxValue = moments[0]!;
  const sxy = moments[1]!;
  const meanX = moments[3]!;
  const meanY = moments[4]!;
  return loadVaries(sxxValue, count, meanX) ? (1 - (meanY - (sxy / sxxValue) * meanX)) / (sxy / sxxValue) : meanX / meanY;
}

function segmentSquares(moments: Float64Array, count: number): number {
  return moments[2]! + count * moments[4]! * moments[4]!;
}

/**
 * The point where the series is better explained by two lines than one, or undefined. Prefix sums
 * make every split O(1), so a 6-hour series of 60 gateways costs one pass.
 */
function findChangePoint(points: Points, prefix: Float64Array): number | undefined {
  const { atMs, x, y, n } = points;
  const min = CAPACITY_EVIDENCE.minSamples;
  if (n < 2 * min) return undefined;
  // Sums of centred values: raw squares of spans/s in the tens of thousands would cancel away the variation.
  let centreX = 0;
  let centreY = 0;
  for (let i = 0; i < n; i++) {
    centreX += x[i]! / n;
    centreY += y[i]! / n;
  }
  prefix.fill(0, 0, 5);
  for (let i = 0; i < n; i++) {
    const cx = x[i]! - centreX;
    const cy = y[i]! - centreY;
    const o = i * 5;
    prefix[o + 5] = prefix[o]! + cx;
    prefix[o + 6] = prefix[o + 1]! + cy;
    prefix[o + 7] = prefix[o + 2]! + cx * cx;
    prefix[o + 8] = prefix[o + 3]! + cx * cy;
    prefix[o + 9] = prefix[o + 4]! + cy * cy;
  }
  const left = new Float64Array(MOMENTS);
  const right = new Float64Array(MOMENTS);
  segmentMoments(prefix, 0, n, centreX, centreY, left);
  const wholeSse = segmentSse(left, n);
  // Rounding in the prefix sums leaves a residual of this order on a noiseless series.
  const roundingFloor = 1e-10 * segmentSquares(left, n);
  if (wholeSse <= roundingFloor) return undefined;
  // The first split with the least error (a split of NaN error is taken only as the first, as `<` never prefers one).
  let bestIndex = -1;
  let bestSse = 0;
  for (let k = min; k <= n - min; k++) {
    // Split only between steps: samples of one step from several gateways stay together.
    if (atMs[k] === atMs[k - 1]) continue;
    const split = rangeSse(prefix, 0, k, centreX) + rangeSse(prefix, k, n, centreX);
    if (bestIndex < 0 || split < bestSse) {
      bestIndex = k;
      bestSse = split;
    }
  }
  if (bestIndex < 0) return undefined;
  // The capacities of only the best split: the moments are the same sums the search computed there.
  segmentMoments(prefix, 0, bestIndex, centreX, centreY, left);
  segmentMoments(prefix, bestIndex, n, centreX, centreY, right);
  const shift = Math.abs(segmentCapacity(right, n - bestIndex) / segmentCapacity(left, bestIndex) - 1);
  if (!(shift > CHANGE_MIN_SHIFT)) return undefined;
  const atSplit = loadAtSplit(points, bestIndex);
  const parting = Math.abs(segmentUtilizationAt(right, n - bestIndex, atSplit) / segmentUtilizationAt(left, bestIndex, atSplit) - 1);
  if (!(parting > CHANGE_MIN_SHIFT)) return undefined;
  const residualVariance = Math.max(bestSse, roundingFloor) / (n - 4);
  const f = (wholeSse - bestSse) / 2 / residualVariance;
  return f > CHANGE_POINT_F ? bestIndex : undefined;
}

/** The points from `from` on, moved to the front of their columns. */
function dropBefore(points: Points, from: number): Points {
  if (from === 0) return points;
  const end = points.n;
  points.atMs.copyWithin(0, from, end);
  points.x.copyWithin(0, from, end);
  points.y.copyWithin(0, from, end);
  return { ...points, n: end - from };
}

/**
 * The points in time order. Range reads come in time order, and a stable sort leaves such a series as
 * it is, so it is skipped; else the points are ordered as a stable sort by time would order them.
 */
function inTimeOrder(points: Points): Points {
  const { atMs, n } = points;
  let ordered = true;
  for (let i = 1; i < n && ordered; i++) ordered = atMs[i]! >= atMs[i - 1]!;
  if (ordered) return points;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => atMs[a]! - atMs[b]!);
  const sorted = { atMs: new Float64Array(n), x: new Float64Array(n), y: new Float64Array(n), n };
  for (let i = 0; i < n; i++) {
    sorted.atMs[i] = atMs[order[i]!]!;
    sorted.x[i] = points.x[order[i]!]!;
    sorted.y[i] = points.y[order[i]!]!;
  }
  return sorted;
}

/** Whether `samples` spanning `seconds` are enough to learn a figure from (before its fit's precision is judged). */
function isEnoughEvidence(samples: number, seconds: number, minSeconds: number): boolean {
  return samples >= CAPACITY_EVIDENCE.minSamples && seconds >= minSeconds;
}

function formatMinutes(seconds: number): string {
  return seconds >= 3600 ? `${Math.round(seconds / 360) / 10} h` : `${Math.round(seconds / 60)} min`;
}

/**
 * What was left out and why, when it was: many steps whose intake a decision_wait earlier was another
 * can mean the trigger's decisionWait is not the collector's decision_wait.
 */
function leftOut(disturbed: number, lagged: number): string {
  const causes = [
    ...(lagged > 0 ? [`${lagged} whose intake a decisionWait earlier was more than ${EXPORT_LAG_TOLERANCE * 100} % away (is decisionWait the collector's decision_wait?)`] : []),
    ...(disturbed > 0 ? [`${disturbed} with exports failing or the queue filling`] : []),
  ];
  return causes.length === 0 ? '' : `; samples left out: ${causes.join(', ')}`;
}

/** CpuNow from the points (in time order) of the latest step; undefined when there are none. */
function latestCpu(points: Points): CpuNow | undefined {
  if (points.n === 0) return undefined;
  const atMs = points.atMs[points.n - 1]!;
  const loads: number[] = [];
  for (let i = points.n - 1; i >= 0 && points.atMs[i] === atMs; i--) loads.push(points.x[i]! / points.y[i]!);
  return { atMs, spansPerSecondAtFullCpu: medianInPlace(loads) };
}

/** Per-gateway loads at saturated steps and the newest of those steps. */
interface SaturatedLoads {
  readonly loads: number[];
  newestMs: number;
}

function addLoad(into: SaturatedLoads, load: number, atMs: number): void {
  into.loads.push(load);
  into.newestMs = Math.max(into.newestMs, atMs);
}

function witnessOf({ loads, newestMs }: SaturatedLoads, cause: SaturationWitness['cause']): SaturationWitness | undefined {
  return loads.length < SATURATION_MIN_SAMPLES ? undefined : { medianSpansPerSecond: medianInPlace(loads), samples: loads.length, cause, atMs: newestMs };
}

/** Per-gateway loads at one step with the agents ahead. */
interface AheadStep {
  readonly atMs: number;
  readonly loads: number[];
}

/** The samples' step: the shortest time between two steps with samples. */
function stepOf(stepTimes: ReadonlySet<number>): number {
  const times = [...stepTimes].sort((a, b) => a - b);
  let stepMs = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) stepMs = Math.min(stepMs, times[i]! - times[i - 1]!);
  return stepMs;
}

/**
 * The witness of the agents ahead for longer than a rate window: the loads of every step of a run of
 * LASTING_SHORTFALL_STEPS or more steps in a row with the agents ahead, but its first. Steps in a row
 * are `stepMs` apart, so a step without samples ends a run.
 */
function lastingShortfallOf(ahead: readonly AheadStep[], stepMs: number): SaturatedLoads {
  const steps = [...ahead].sort((a, b) => a.atMs - b.atMs);
  const lasting: SaturatedLoads = { loads: [], newestMs: Number.NEGATIVE_INFINITY };
  let runStart = 0;
  for (let i = 1; i <= steps.length; i++) {
    if (i < steps.length && steps[i]!.atMs - steps[i - 1]!.atMs <= stepMs) continue;
    if (i - runStart >= LASTING_SHORTFALL_STEPS) for (const step of steps.slice(runStart + 1, i)) for (const load of step.loads) addLoad(lasting, load, step.atMs);
    runStart = i;
  }
  return lasting;
}

function lowerWitness(a: SaturationWitness | undefined, b: SaturationWitness | undefined): SaturationWitness | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return b.medianSpansPerSecond < a.medianSpansPerSecond ? b : a;
}

/**
 * Whether the sample's exports paid for an intake unlike its own (EXPORT_LAG_TOLERANCE): `fell` where
 * that earlier intake was higher, `rose` where lower; unknown counts as alike.
 */
function intakeSinceExports(sample: CpuLoadSample): 'alike' | 'rose' | 'fell' {
  const earlier = sample.acceptedSpansPerSecondDecisionWaitAgo;
  if (earlier === undefined || Math.abs(earlier - sample.acceptedSpansPerSecond) <= EXPORT_LAG_TOLERANCE * sample.acceptedSpansPerSecond) return 'alike';
  return earlier > sample.acceptedSpansPerSecond ? 'fell' : 'rose';
}

/**
 * Learns spans/s per replica at 100 % of the CPU allotment from CPU/accepted samples. The allotment is
 * `cpuPerReplica` (the trigger key) when set, as metadata takes precedence, else each sample's own
 * (kube-state-metrics); samples with neither are not used. Samples where the gateway accepted nothing or
 * used no CPU (not on the ring yet) carry no information and are skipped. `workspace` is where it
 * computes (a fresh one when not given; see CapacityWorkspace). `minEvidenceSeconds` is how long the samples
 * must span: CAPACITY_EVIDENCE.minSeconds wherever a tier is scaled; shorter only where a test of a real
 * collector cannot wait half an hour.
 */
export function estimateCapacity(
  samples: readonly CpuLoadSample[],
  cpuPerReplica: number | undefined,
  allotmentSourceOfSamples: AllotmentSource | undefined,
  workspace: CapacityWorkspace = new CapacityWorkspace(samples.length),
  minEvidenceSeconds: number = CAPACITY_EVIDENCE.minSeconds,
): CapacityEstimate {
  // Per-gateway load at the steps where gateways were saturated, gathered in the same pass as the points.
  const saturatedLoads: SaturatedLoads = { loads: [], newestMs: Number.NEGATIVE_INFINITY };
  const cpuFullLoads: SaturatedLoads = { loads: [], newestMs: Number.NEGATIVE_INFINITY };
  let withAllotment = 0;
  let usable = 0;
  // Why samples were left out, for a reason that names the cause when too few are left.
  let disturbed = 0;
  let lagged = 0;
  const work = workspace.columnsFor(samples.length);
  const { atMs, x, y } = work.points;
  const aheadSteps = new Map<number, AheadStep>();
  const stepTimes = new Set<number>();
  for (const s of samples) {
    stepTimes.add(s.atMs);
    const fallingBehind = s.saturated === true || s.agentsAhead === true;
    if (s.saturated === true && s.acceptedSpansPerSecond > 0) addLoad(saturatedLoads, s.acceptedSpansPerSecond, s.atMs);
    if (s.agentsAhead === true && s.acceptedSpansPerSecond > 0) {
      const step = aheadSteps.get(s.atMs) ?? { atMs: s.atMs, loads: [] };
      step.loads.push(s.acceptedSpansPerSecond);
      aheadSteps.set(s.atMs, step);
    }
    const allotment = cpuPerReplica ?? s.allotmentCores;
    if (allotment === undefined || !(allotment > 0)) continue;
    withAllotment++;
    if (s.exportDisturbed === true) {
      disturbed++;
      continue;
    }
    if (!(Number.isFinite(s.cpuCores) && Number.isFinite(s.acceptedSpansPerSecond)) || s.cpuCores <= 0 || s.acceptedSpansPerSecond <= 0) continue;
    const utilization = s.cpuCores / allotment;
    const intake = intakeSinceExports(s);
    // The witness only ever lowers the figure, so only a fall is kept from it: full CPU still paying for
    // a higher earlier intake reads low. After a rise it reads high, never below the truth; a gateway at
    // its quota takes its intake in bursts, so many of its steps read as a rise or a fall.
    if (intake !== 'fell' && !fallingBehind && utilization >= CPU_WITNESS_UTILIZATION) addLoad(cpuFullLoads, s.acceptedSpansPerSecond / utilization, s.atMs);
    if (intake !== 'alike') {
      lagged++;
      continue;
    }
    atMs[usable] = s.atMs;
    x[usable] = s.acceptedSpansPerSecond;
    y[usable] = utilization;
    usable++;
  }
  const lasting = lastingShortfallOf([...aheadSteps.values()], stepOf(stepTimes));
  const lastingShortfall = witnessOf(lasting, 'falling behind');
  for (const load of lasting.loads) addLoad(saturatedLoads, load, lasting.newestMs);
  const saturation = lowerWitness(witnessOf(saturatedLoads, 'falling behind'), witnessOf(cpuFullLoads, 'cpu'));
  const witnesses = lastingShortfall === undefined ? { saturation } : { saturation, lastingShortfall };
  if (samples.length === 0) return { kind: 'insufficient', reason: 'no CPU samples of the gateways (otelcol_process_cpu_seconds)', ...witnesses };
  if (withAllotment === 0) {
    return { kind: 'insufficient', reason: 'CPU allotment unknown: no kube-state-metrics kube_pod_container_resource_limits/requests for the gateways; set the trigger key cpuPerReplica', ...witnesses };
  }
  const points = inTimeOrder({ atMs, x, y, n: usable });
  const cpuNow = latestCpu(points);
  const found = findChangePoint(points, work.prefix);
  // A change is taken once what follows it is evidence enough to learn from: a new config lasts, while
  // minutes off the line (a steep ramp whose exports lag its intake, a restart) pass, and taking them
  // for a change would drop the figure to the prior and bring it back minutes later, a scale-out and
  // a scale-in for nothing. Until then the whole series is fitted.
  const change = found !== undefined && isEnoughEvidence(points.n - found, (points.atMs[points.n - 1]! - points.atMs[found]!) / 1000, minEvidenceSeconds) ? found : undefined;
  const changeAtMs = change === undefined ? undefined : points.atMs[change]!;
  const used = dropBefore(points, change ?? 0);
  const count = used.n;
  const spanSeconds = count === 0 ? 0 : (used.atMs[count - 1]! - used.atMs[0]!) / 1000;
  if (!isEnoughEvidence(count, spanSeconds, minEvidenceSeconds)) {
    return {
      kind: 'insufficient',
      reason: `only ${formatMinutes(spanSeconds)} of CPU samples (${count} samples); ${formatMinutes(minEvidenceSeconds)} and ${CAPACITY_EVIDENCE.minSamples} samples needed${leftOut(disturbed, lagged)}`,
      ...witnesses,
      ...(cpuNow === undefined ? {} : { cpuNow }),
    };
  }
  const allotmentSource: AllotmentSource = cpuPerReplica !== undefined ? 'trigger cpuPerReplica' : (allotmentSourceOfSamples ?? 'kube-state-metrics limits');
  let best: { fit: CapacityFit } | undefined;
  let worstError = Number.POSITIVE_INFINITY;
  for (const throughOrigin of [false, true]) {
    const first = fitLine(used, throughOrigin);
    if (first === undefined) continue;
    const kept = withoutOutliers(used, first, work);
    const line = fitLine(kept, throughOrigin) ?? first;
    const capacity = capacityOf(line, throughOrigin);
    if (capacity === undefined) continue;
    worstError = Math.min(worstError, capacity.relativeStandardError);
    if (capacity.relativeStandardError <= CAPACITY_EVIDENCE.maxRelativeStandardError) {
      best = {
        fit: {
          spansPerReplica: capacity.spansPerReplica,
          relativeStandardError: capacity.relativeStandardError,
          idleUtilization: throughOrigin ? 0 : line.intercept,
          throughOrigin,
          samples: kept.n,
          fromMs: used.atMs[0]!,
          toMs: used.atMs[count - 1]!,
        },
      };
      break;
    }
  }
  if (best === undefined) {
    const since = changeAtMs === undefined ? '' : ' since the change';
    const spread = Number.isFinite(worstError) ? `±${Math.round(worstError * 1000) / 10} %` : 'no CPU growth with load';
    return {
      kind: 'insufficient',
      reason: `CPU against load too scattered to extrapolate${since} (${spread} over ${formatMinutes(spanSeconds)}; ±${CAPACITY_EVIDENCE.maxRelativeStandardError * 100} % needed)`,
      ...witnesses,
      ...(cpuNow === undefined ? {} : { cpuNow }),
    };
  }
  return { kind: 'learned', fit: best.fit, allotmentSource, changeAtMs, ...witnesses };
}
