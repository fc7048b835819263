import { describe, expect, it } from 'vitest';
import { nelderMead } from '../../forecasting/nelder-mead.ts';

describe('Nelder-Mead', () => {
  it('finds the minimum of a shifted quadratic bowl', () => {
    const result = nelderMead(([x = 0, y = 0]) => (x - 3) ** 2 + 2 * (y + 1) ** 2, [0, 0], { stepSize: 1, maxEvaluations: 400, tolerance: 1e-12 });
    expect(result.point[0]).toBeCloseTo(3, 3);
    expect(result.point[1]).toBeCloseTo(-1, 3);
  });

  it('stops at the evaluation budget', () => {
    let calls = 0;
    nelderMead(
      ([x = 0]) => {
        calls++;
        return Math.abs(x - 100);
      },
      [0],
      { stepSize: 0.001, maxEvaluations: 25, tolerance: 0 },
    );
    expect(calls).toBeLessThanOrEqual(27);
  });

  it('treats a NaN objective as worse than any number', () => {
    const result = nelderMead(([x = 0]) => (x < 0 ? Number.NaN : (x - 1) ** 2), [2], { stepSize: 1, maxEvaluations: 200, tolerance: 1e-12 });
    expect(result.point[0]).toBeCloseTo(1, 3);
  });
});
