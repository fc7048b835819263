// Server-streaming calls (StreamIsActive, StreamMetricSpec, Health/Watch) stay open until the client
// cancels; grpc-js's tryShutdown waits for every open call, so shutdown must be able to end them. Each
// stream registers how to close itself here and unregisters when it ends on its own.

export class OpenStreams {
  readonly #closers = new Set<() => void>();
  #closing = false;

  /**
   * Registers a stream's close function; returns the function that unregisters it. Once closeAll has
   * run, a stream that still slips in is closed on the next tick.
   */
  add(close: () => void): () => void {
    if (this.#closing) queueMicrotask(close);
    this.#closers.add(close);
    return () => {
      this.#closers.delete(close);
    };
  }

  get size(): number {
    return this.#closers.size;
  }

  /** Ends every open stream and every stream opened from now on. */
  closeAll(): void {
    this.#closing = true;
    for (const close of [...this.#closers]) {
      this.#closers.delete(close);
      close();
    }
  }
}
