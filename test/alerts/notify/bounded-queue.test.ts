import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../../src/alerts/notify/bounded-queue.ts';

describe('BoundedQueue', () => {
  const rows = [
    { name: 'under capacity nothing is dropped', input: { capacity: 3, pushes: [1, 2, 3] }, want: { dropped: [], held: [1, 2, 3], droppedTotal: 0 } },
    { name: 'over capacity the oldest are dropped and counted', input: { capacity: 2, pushes: [1, 2, 3, 4, 5] }, want: { dropped: [1, 2, 3], held: [4, 5], droppedTotal: 3 } },
    { name: 'capacity one keeps only the newest', input: { capacity: 1, pushes: [1, 2] }, want: { dropped: [1], held: [2], droppedTotal: 1 } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const queue = new BoundedQueue<number>(row.input.capacity);
      const dropped = row.input.pushes.map((item) => queue.push(item)).filter((item) => item !== undefined);
      expect({ dropped, held: queue.drain(), droppedTotal: queue.droppedTotal }).toEqual(row.want);
    });
  }

  it('rejects a capacity that cannot hold anything', () => {
    expect(() => new BoundedQueue(0)).toThrow(/capacity must be an integer ≥ 1, got 0/);
  });
});
