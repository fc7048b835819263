// The HPA's tolerance, which every count the scaler recommends passes through before it is carried out.

/** The HPA's default tolerance: it ignores a desired count within ±10 % of current. */
export const HPA_TOLERANCE = 0.1;

/**
 * The HPA's own test (replica_calculator.go, `Tolerances.isWithin`): a usage ratio within
 * [1 − tolerance, 1 + tolerance] changes nothing. Written as the HPA writes it: in floating point
 * |1 − ratio| ≤ tolerance disagrees at the edge, where 10 → 11 (ratio 1.1) is ignored by the HPA but
 * |1 − 1.1| comes out just above 0.1.
 */
export function hpaIgnoresRatio(usageRatio: number, tolerance: number = HPA_TOLERANCE): boolean {
  return 1 - tolerance <= usageRatio && usageRatio <= 1 + tolerance;
}

/** The nearest count in the same direction as `recommended` that the HPA acts on. */
export function nearestCountOutsideTolerance(current: number, recommended: number): number {
  const direction = recommended > current ? 1 : -1;
  let replicas = recommended;
  while (hpaIgnoresRatio(replicas / current)) replicas += direction;
  return replicas;
}
