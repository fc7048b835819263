// The buffer between the decision path and Slack: bounded, so a dead Slack costs a fixed amount of
// memory and never slows a decision; when full, the oldest message goes (and is counted).

/** FIFO with a fixed capacity that drops its oldest item to make room. */
export class BoundedQueue<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #droppedTotal = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be an integer ≥ 1, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** Appends; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    this.#items.push(item);
    if (this.#items.length <= this.#capacity) return undefined;
    this.#droppedTotal++;
    return this.#items.shift();
  }

  shift(): T | undefined {
    return this.#items.shift();
  }

  /** Empties the queue, returning what it held. */
  drain(): T[] {
    return this.#items.splice(0, this.#items.length);
  }

  get size(): number {
    return this.#items.length;
  }

  get droppedTotal(): number {
    return this.#droppedTotal;
  }
}
