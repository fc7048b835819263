import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/policy/format.ts';

describe('formatCount', () => {
  it('rounds and groups thousands with commas', () => {
    expect(formatCount(1734.4)).toBe('1,734');
    expect(formatCount(-1_234_567)).toBe('-1,234,567');
    expect(formatCount(999.6)).toBe('1,000');
    expect(formatCount(86)).toBe('86');
    expect(formatCount(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });

  it('groups exactly as a comma before every third digit from the right would, for any number', () => {
    const reference = (value: number) => {
      const rounded = Math.round(value);
      return (rounded < 0 ? '-' : '') + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    };
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.double({ min: -1e25, max: 1e25 }), fc.constantFrom(Number.NaN, Number.NEGATIVE_INFINITY, 1e21, 9.99e20, 2 ** 60)), (value) => {
        expect(formatCount(value)).toBe(reference(value));
      }),
      { numRuns: 2000 },
    );
  });
});
