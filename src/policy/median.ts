// The median of a sample, by selection rather than a full sort: the policy takes several per read.

/**
 * Moves the k-th smallest of `values` to index k, smaller ones before it and larger ones after
 * (Hoare's selection): the value a full sort would put there, in linear time on average.
 */
function selectInPlace(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
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

/** The median, as sorting would give it. */
export function median(values: ArrayLike<number>): number {
  const copy = Float64Array.from(values);
  const mid = Math.floor(copy.length / 2);
  const upper = selectInPlace(copy, mid);
  // + 0 turns a −0 into 0: selection and sorting may meet a zero's two signs in either order.
  if (copy.length % 2 === 1) return upper + 0;
  // Everything before mid is at most the upper middle: the lower middle is the largest of them.
  let lower = copy[0]!;
  for (let i = 1; i < mid; i++) if (copy[i]! > lower) lower = copy[i]!;
  return (lower + upper) / 2 + 0;
}
