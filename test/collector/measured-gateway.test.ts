// The readings collector:calibrate and collector:saturate take from a gateway's /metrics: the decision
// tick's p99 must be the figure Prometheus's histogram_quantile gives the scaler from the same buckets.
import { describe, expect, it } from 'vitest';
import { bucketIncrease, DECISION_TICK_HISTOGRAM, histogramBuckets, histogramQuantile } from './support/measured-gateway.ts';

const exposition = (counts: Record<string, number>, policy = 'errors') =>
  Object.entries(counts)
    .map(([le, count]) => `${DECISION_TICK_HISTOGRAM}_bucket{otel_scope_name="tailsampling",policy="${policy}",le="${le}"} ${count}`)
    .join('\n');

describe('histogramQuantile', () => {
  it('interpolates linearly within the bucket the rank falls in', () => {
    const buckets = new Map([
      [1, 0],
      [5, 10],
      [10, 20],
      [Number.POSITIVE_INFINITY, 20],
    ]);
    // Rank 19.8 of 20 lies 9.8 of the 10 observations into (5, 10].
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(9.9, 9);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(5, 9);
  });

  it('starts the first bucket at 0 and gives the highest finite bound for a rank in +Inf', () => {
    expect(histogramQuantile(0.5, new Map([[50, 10], [Number.POSITIVE_INFINITY, 10]]))).toBeCloseTo(25, 9);
    expect(histogramQuantile(0.99, new Map([[100, 90], [Number.POSITIVE_INFINITY, 100]]))).toBe(100);
  });

  it('is NaN without observations', () => {
    expect(histogramQuantile(0.99, new Map([[100, 0], [Number.POSITIVE_INFINITY, 0]]))).toBeNaN();
  });
});

describe('histogramBuckets and bucketIncrease', () => {
  it('sum the buckets over the other labels and subtract an earlier scrape', () => {
    const before = histogramBuckets(`${exposition({ '100': 1, '+Inf': 1 })}\n${exposition({ '100': 2, '+Inf': 3 }, 'slow')}`, DECISION_TICK_HISTOGRAM);
    const after = histogramBuckets(`${exposition({ '100': 4, '+Inf': 5 })}\n${exposition({ '100': 2, '+Inf': 9 }, 'slow')}`, DECISION_TICK_HISTOGRAM);
    expect([...before]).toEqual([
      [100, 3],
      [Number.POSITIVE_INFINITY, 4],
    ]);
    expect([...bucketIncrease(before, after)]).toEqual([
      [100, 3],
      [Number.POSITIVE_INFINITY, 10],
    ]);
  });

  it('names the histogram when it is not exposed', () => {
    expect(() => histogramBuckets('otelcol_receiver_accepted_spans 5', DECISION_TICK_HISTOGRAM)).toThrow(`${DECISION_TICK_HISTOGRAM}_bucket is not exposed`);
  });
});
