// Admission and deadlines for what-if replays. A replay reads up to 11,000 points per signal and runs
// decide() once per step, so it costs tens of megabytes and seconds of CPU: at most `maxConcurrent` run
// at once and the rest get 429 with Retry-After (when the oldest running one must have finished), each
// runs under a wall-time deadline, and shutdown ends the ones in flight with 503 instead of a cut
// connection.
import { ScalerError } from '../errors.ts';

export interface WhatIfGateOptions {
  readonly maxConcurrent: number;
  /** Wall time one replay may take, reading history included. */
  readonly timeoutMs: number;
  /** The wall clock (replays run in real time even in the demo). */
  readonly nowMs?: () => number;
}

/** One admitted replay: checks between its stages, and must be released when done. */
export interface WhatIfTicket {
  /** Throws WHAT_IF_TIMEOUT past the deadline, SHUTTING_DOWN once the dashboard stops. */
  check(): void;
  /** Resolves `work`, or rejects as check() would as soon as the deadline passes or shutdown starts. */
  within<T>(work: Promise<T>): Promise<T>;
  release(): void;
}

export class WhatIfGate {
  readonly #options: WhatIfGateOptions;
  readonly #nowMs: () => number;
  /** Deadline of every running replay. */
  readonly #running = new Set<{ readonly deadlineMs: number }>();
  #closing = false;
  readonly #closed: Promise<never>;
  #close: () => void = () => undefined;

  constructor(options: WhatIfGateOptions) {
    if (!(Number.isInteger(options.maxConcurrent) && options.maxConcurrent >= 1)) throw new RangeError(`maxConcurrent must be an integer ≥ 1, got ${options.maxConcurrent}`);
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.#options = options;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#closed = new Promise<never>((_, reject) => {
      this.#close = () => reject(shuttingDown());
    });
    // Nobody may be waiting on it when shutdown comes; that must not be an unhandled rejection.
    this.#closed.catch(() => undefined);
  }

  get running(): number {
    return this.#running.size;
  }

  /** Admits a replay or throws WHAT_IF_BUSY (429, with the seconds until a slot must be free) or SHUTTING_DOWN. */
  enter(): WhatIfTicket {
    if (this.#closing) throw shuttingDown();
    const nowMs = this.#nowMs();
    if (this.#running.size >= this.#options.maxConcurrent) {
      const soonestDeadlineMs = Math.min(...[...this.#running].map((entry) => entry.deadlineMs));
      const retryAfterSeconds = Math.max(1, Math.ceil((soonestDeadlineMs - nowMs) / 1000));
      throw new ScalerError(
        'WHAT_IF_BUSY',
        `${this.#running.size} what-if replays are running, the most this scaler runs at once (http.whatIf.maxConcurrent); retry in ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
    const entry = { deadlineMs: nowMs + this.#options.timeoutMs };
    this.#running.add(entry);
    const check = () => {
      if (this.#closing) throw shuttingDown();
      if (this.#nowMs() > entry.deadlineMs) throw timedOut(this.#options.timeoutMs);
    };
    return {
      check,
      within: <T>(work: Promise<T>): Promise<T> => {
        check();
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(timedOut(this.#options.timeoutMs)), Math.max(0, entry.deadlineMs - this.#nowMs()));
        });
        return Promise.race([work, deadline, this.#closed]).finally(() => clearTimeout(timer));
      },
      release: () => {
        this.#running.delete(entry);
      },
    };
  }

  /** From now on every replay fails with SHUTTING_DOWN (503): the running ones at their next check. */
  close(): void {
    this.#closing = true;
    this.#close();
  }
}

function shuttingDown(): ScalerError {
  return new ScalerError('SHUTTING_DOWN', 'the scaler is shutting down; retry the what-if on another replica or once it is back', { retryAfterSeconds: 5 });
}

function timedOut(timeoutMs: number): ScalerError {
  return new ScalerError(
    'WHAT_IF_TIMEOUT',
    `the what-if replay took longer than ${timeoutMs / 1000} s (http.whatIf.timeout); replay a shorter window or use a larger step`,
  );
}
