// A target's decision history: a ring bounded both in decisions (server config advisor.historyLength)
// and in bytes (its share of advisor.historyBytes), so memory per target is bounded however long the
// scaler runs and however large its decisions are.
import type { Decision } from '../policy/decision.ts';

/**
 * Heap bytes a recorded decision takes per character of its JSON form: 5,057 bytes of heap per
 * decision against 3,208 JSON characters, measured with node --expose-gc over 2,000 decisions of a
 * 10-gateway tier, each with its own snapshot as a KEDA poll brings (docs/running.md, "Memory").
 */
export const HEAP_BYTES_PER_JSON_CHARACTER = 1.6;

/** Estimated heap size of a decision, the snapshot it holds included. */
export function estimateDecisionBytes(decision: Decision): number {
  return Math.ceil(JSON.stringify(decision).length * HEAP_BYTES_PER_JSON_CHARACTER);
}

export class DecisionRing {
  private readonly slots: (Decision | undefined)[];
  private readonly slotBytes: number[];
  private next = 0;
  private size = 0;
  private totalBytes = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<Decision | undefined>(capacity).fill(undefined);
    this.slotBytes = new Array<number>(capacity).fill(0);
  }

  get length(): number {
    return this.size;
  }

  /** Estimated heap bytes of the decisions held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Adds a decision, overwriting the oldest when full, then drops the oldest until the ring holds at
   * most `maxBytes` (the newest decision always stays).
   */
  push(decision: Decision, maxBytes = Number.POSITIVE_INFINITY): void {
    if (this.size === this.capacity) this.dropOldest();
    const bytes = estimateDecisionBytes(decision);
    this.slots[this.next] = decision;
    this.slotBytes[this.next] = bytes;
    this.totalBytes += bytes;
    this.next = (this.next + 1) % this.capacity;
    this.size++;
    while (this.size > 1 && this.totalBytes > maxBytes) this.dropOldest();
  }

  /** Decisions with `at` ≥ sinceMs, oldest first. */
  since(sinceMs: number): Decision[] {
    const result: Decision[] = [];
    const start = this.oldestIndex();
    for (let i = 0; i < this.size; i++) {
      const decision = this.slots[(start + i) % this.capacity]!;
      if (decision.at >= sinceMs) result.push(decision);
    }
    return result;
  }

  private oldestIndex(): number {
    return (this.next - this.size + this.capacity) % this.capacity;
  }

  private dropOldest(): void {
    const oldest = this.oldestIndex();
    this.totalBytes -= this.slotBytes[oldest]!;
    this.slots[oldest] = undefined;
    this.slotBytes[oldest] = 0;
    this.size--;
  }
}
