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

/**
 * Oldest first, grown as decisions arrive rather than allocated at full capacity: 1,000 targets with
 * 2,880 preallocated slots each held 46 MB of empty arrays while their byte shares kept 3 decisions.
 */
export class DecisionRing {
  private decisions: (Decision | undefined)[] = [];
  private decisionBytes: number[] = [];
  /** Index of the oldest decision kept; the ones before it were dropped. */
  private head = 0;
  private totalBytes = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
  }

  get length(): number {
    return this.decisions.length - this.head;
  }

  /** Estimated heap bytes of the decisions held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Adds a decision, dropping the oldest beyond `capacity`, then drops the oldest until the ring
   * holds at most `maxBytes` (the newest decision always stays).
   */
  push(decision: Decision, maxBytes = Number.POSITIVE_INFINITY): void {
    const bytes = estimateDecisionBytes(decision);
    this.decisions.push(decision);
    this.decisionBytes.push(bytes);
    this.totalBytes += bytes;
    while (this.length > this.capacity || (this.length > 1 && this.totalBytes > maxBytes)) this.dropOldest();
    // Dropped slots are reclaimed once they are most of the arrays.
    if (this.head > 32 && this.head * 2 > this.decisions.length) {
      this.decisions = this.decisions.slice(this.head);
      this.decisionBytes = this.decisionBytes.slice(this.head);
      this.head = 0;
    }
  }

  /** Decisions with `at` ≥ sinceMs, oldest first. */
  since(sinceMs: number): Decision[] {
    const result: Decision[] = [];
    for (let index = this.head; index < this.decisions.length; index++) {
      const decision = this.decisions[index]!;
      if (decision.at >= sinceMs) result.push(decision);
    }
    return result;
  }

  private dropOldest(): void {
    this.totalBytes -= this.decisionBytes[this.head]!;
    this.decisions[this.head] = undefined;
    this.head++;
  }
}
