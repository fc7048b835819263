// The median of a sample, by selection rather than a full sort: the policy takes several per read.
// A few values are best kept in a plain array: a typed array's storage is allocated outside V8's young
// generation (about 1 µs each, and swept later), more than selecting among 20 values costs.

/**
 * Moves the k-th smallest of `values[0, length)` to index k, smaller ones before it and larger ones
 * after (Hoare's selection): the value a full sort would put there, in linear time on average.
 */
function selectInPlace(values: number[] | Float64Array, length: number, k: number): number {
  let left = 0;
  let right = length - 1;
  while (left < right) {
    const pivot = values[(left + right) >>> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k]!;
}

/**
 * The median of `values[0, length)`, reordering them: for a caller that already holds a copy of its
 * values (a scratch buffer), so taking the median costs no allocation. Same answer as `median`.
 */
export function medianInPlace(values: number[] | Float64Array, length: number = values.length): number {
  if (length === 0) return Number.NaN;
  const mid = Math.floor(length / 2);
  const upper = selectInPlace(values, length, mid);
  // + 0 turns a −0 into 0: selection and sorting may meet a zero's two signs in either order.
  if (length % 2 === 1) return upper + 0;
  // Everything before mid is at most the upper middle: the lower middle is the largest of them.
  let lower = values[0]!;
  for (let i = 1; i < mid; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2 + 0;
}

/** The median, as sorting would give it. */
export function median(values: ArrayLike<number>): number {
  const copy: number[] = [];
  for (let i = 0; i < values.length; i++) copy.push(values[i]!);
  return medianInPlace(copy);
}

/**
 * The value at `quantile` of `sorted` (ascending), by nearest rank: always a value of the sample, so
 * with fewer than 1/(1 − quantile) values a high quantile is the largest.
 */
export function nearestRank(sorted: ArrayLike<number>, quantile: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1))]!;
}
