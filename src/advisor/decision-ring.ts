// A target's decision history: a fixed-size ring, so memory per target is bounded however long the
// scaler runs (server config advisor.historyLength).
import type { Decision } from '../policy/decision.ts';

export class DecisionRing {
  private readonly slots: (Decision | undefined)[];
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<Decision | undefined>(capacity).fill(undefined);
  }

  get length(): number {
    return this.size;
  }

  /** Adds a decision, overwriting the oldest when full. */
  push(decision: Decision): void {
    this.slots[this.next] = decision;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Decisions with `at` ≥ sinceMs, oldest first. */
  since(sinceMs: number): Decision[] {
    const result: Decision[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const decision = this.slots[(start + i) % this.capacity]!;
      if (decision.at >= sinceMs) result.push(decision);
    }
    return result;
  }
}
