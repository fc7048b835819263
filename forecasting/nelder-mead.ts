// Derivative-free minimisation for the few smoothing parameters of Holt-Winters (simple-statistics
// has no optimiser). Standard Nelder-Mead (Lagarias et al. 1998 coefficients), deterministic.

export interface NelderMeadOptions {
  /** Initial simplex edge along each axis. */
  readonly stepSize: number;
  readonly maxEvaluations: number;
  /** Stop when the best and worst objective values differ by less than this (relative). */
  readonly tolerance: number;
}

export interface NelderMeadResult {
  readonly point: number[];
  readonly value: number;
  readonly evaluations: number;
}

/** Minimises `objective` from `start`; NaN or infinite objective values count as +Infinity. */
export function nelderMead(objective: (point: readonly number[]) => number, start: readonly number[], options: NelderMeadOptions): NelderMeadResult {
  const dimensions = start.length;
  let evaluations = 0;
  const evaluate = (point: number[]): number => {
    evaluations++;
    const value = objective(point);
    return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
  };
  const simplex: Array<{ point: number[]; value: number }> = [];
  simplex.push({ point: [...start], value: evaluate([...start]) });
  for (let axis = 0; axis < dimensions; axis++) {
    const point = [...start];
    point[axis]! += options.stepSize;
    simplex.push({ point, value: evaluate(point) });
  }
  const combine = (a: readonly number[], b: readonly number[], weight: number): number[] => a.map((value, i) => value + weight * (b[i]! - value));

  while (evaluations < options.maxEvaluations) {
    simplex.sort((x, y) => x.value - y.value);
    const best = simplex[0]!;
    const worst = simplex[dimensions]!;
    const spread = Math.abs(worst.value - best.value);
    if (spread <= options.tolerance * (Math.abs(best.value) + 1e-12)) break;
    const centroid = new Array<number>(dimensions).fill(0);
    for (let i = 0; i < dimensions; i++) for (let d = 0; d < dimensions; d++) centroid[d]! += simplex[i]!.point[d]! / dimensions;

    const reflected = combine(centroid, worst.point, -1);
    const reflectedValue = evaluate(reflected);
    if (reflectedValue < best.value) {
      const expanded = combine(centroid, worst.point, -2);
      const expandedValue = evaluate(expanded);
      simplex[dimensions] = expandedValue < reflectedValue ? { point: expanded, value: expandedValue } : { point: reflected, value: reflectedValue };
      continue;
    }
    if (reflectedValue < simplex[dimensions - 1]!.value) {
      simplex[dimensions] = { point: reflected, value: reflectedValue };
      continue;
    }
    const outside = reflectedValue < worst.value;
    const contracted = combine(centroid, outside ? reflected : worst.point, 0.5);
    const contractedValue = evaluate(contracted);
    if (contractedValue < (outside ? reflectedValue : worst.value)) {
      simplex[dimensions] = { point: contracted, value: contractedValue };
      continue;
    }
    for (let i = 1; i <= dimensions; i++) {
      const point = combine(best.point, simplex[i]!.point, 0.5);
      simplex[i] = { point, value: evaluate(point) };
    }
  }
  simplex.sort((x, y) => x.value - y.value);
  return { point: simplex[0]!.point, value: simplex[0]!.value, evaluations };
}
