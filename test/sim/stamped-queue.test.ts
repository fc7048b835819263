import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StampedQueue } from '../../src/sim/replica-pool.ts';

/**
 * The queue as first written: a plain list of batches, every operation walking it from the oldest,
 * emptied batches included. StampedQueue must answer exactly what it answers, stamps out of order
 * (a skewed ring's backlog appended to the rest) and emptied batches included.
 */
class ReferenceQueue {
  batches: { amount: number; stamp: number }[] = [];

  push(amount: number, stamp: number): void {
    if (amount > 0) this.batches.push({ amount, stamp });
  }

  take(amount: number): number {
    let taken = 0;
    for (let i = 0; taken < amount && i < this.batches.length; i++) {
      const part = Math.min(this.batches[i]!.amount, amount - taken);
      this.batches[i]!.amount -= part;
      taken += part;
    }
    return taken;
  }

  removeWhile(isDue: (stamp: number) => boolean): number {
    let removed = 0;
    while (this.batches.length > 0 && isDue(this.batches[0]!.stamp)) removed += this.batches.shift()!.amount;
    return removed;
  }

  splitInto(fraction: number, other: ReferenceQueue): number {
    let moved = 0;
    for (const batch of this.batches) {
      const amount = Math.floor(batch.amount * fraction);
      batch.amount -= amount;
      moved += amount;
      other.push(amount, batch.stamp);
    }
    return moved;
  }

  clear(): void {
    this.batches = [];
  }
}

type Op =
  | { kind: 'push'; queue: 0 | 1; amount: number; stamp: number }
  | { kind: 'take'; queue: 0 | 1; amount: number }
  | { kind: 'removeUpTo'; queue: 0 | 1; stamp: number }
  | { kind: 'removeWaited'; queue: 0 | 1; now: number; wait: number }
  | { kind: 'split'; queue: 0 | 1; fraction: number }
  | { kind: 'clear'; queue: 0 | 1 };

const queueArb = fc.constantFrom<0 | 1>(0, 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), queue: queueArb, amount: fc.integer({ min: -2, max: 500 }), stamp: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('take' as const), queue: queueArb, amount: fc.integer({ min: 0, max: 900 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeUpTo' as const), queue: queueArb, stamp: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeWaited' as const), queue: queueArb, now: fc.double({ min: 0, max: 80, noNaN: true }), wait: fc.double({ min: 0, max: 30, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('split' as const), queue: queueArb, fraction: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), queue: queueArb }) },
);

describe('StampedQueue', () => {
  it('answers every operation as the plain list of batches does (emptied batches, stamps out of order, growth)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const queues = [new StampedQueue(2), new StampedQueue(2)];
        const references = [new ReferenceQueue(), new ReferenceQueue()];
        for (const op of ops) {
          const queue = queues[op.queue]!;
          const reference = references[op.queue]!;
          let got: number | undefined;
          let want: number | undefined;
          if (op.kind === 'push') {
            queue.push(op.amount, op.stamp);
            reference.push(op.amount, op.stamp);
          } else if (op.kind === 'take') {
            got = queue.take(op.amount);
            want = reference.take(op.amount);
          } else if (op.kind === 'removeUpTo') {
            got = queue.removeStampedUpTo(op.stamp);
            want = reference.removeWhile((stamp) => stamp <= op.stamp);
          } else if (op.kind === 'removeWaited') {
            got = queue.removeWaited(op.now, op.wait);
            want = reference.removeWhile((stamp) => op.now - stamp >= op.wait - 1e-9);
          } else if (op.kind === 'split') {
            got = queue.splitInto(op.fraction, queues[1 - op.queue]!);
            want = reference.splitInto(op.fraction, references[1 - op.queue]!);
          } else {
            queue.clear();
            reference.clear();
          }
          expect(got).toBe(want);
        }
        // Whatever is left drains the same, batch for batch.
        for (let q = 0; q < 2; q++) expect(queues[q]!.removeStampedUpTo(Number.POSITIVE_INFINITY)).toBe(references[q]!.removeWhile(() => true));
      }),
      { numRuns: 2000 },
    );
  });
});
