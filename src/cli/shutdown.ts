// Process life cycle: on SIGTERM (Kubernetes) or SIGINT (Ctrl-C) run the graceful stop once and exit
// 0; a second signal or a stop that outlives the hard deadline exits at once with 1, so the process
// is always gone before the pod's grace period ends.
import type { Logger } from 'pino';

export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Exit within this long of the first signal whatever happens; Kubernetes' default grace is 30 s, ours 15 s. */
export const HARD_DEADLINE_MS = 9000;

/** How long one part may take to stop before shutdown goes on without it (below HARD_DEADLINE_MS). */
export const PART_STOP_GRACE_MS = 7000;

/** A started part and how to stop it. */
export interface StoppablePart {
  readonly name: string;
  stop(): Promise<void> | void;
}

/**
 * Stops every part at once; a part that fails or takes longer than `graceMs` (a forecast refit
 * waiting on a 30 s range query) is logged and left behind, so it cannot hold the exit.
 */
export async function stopParts(parts: readonly StoppablePart[], options: { readonly logger: Logger; readonly graceMs?: number }): Promise<void> {
  const graceMs = options.graceMs ?? PART_STOP_GRACE_MS;
  await Promise.all(
    parts.map(async (part) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
        timer.unref();
      });
      try {
        const outcome = await Promise.race([Promise.resolve().then(() => part.stop()), late]);
        if (outcome === 'late') options.logger.warn({ part: part.name, graceMs }, 'part did not stop in time; exiting without waiting for it');
      } catch (error) {
        options.logger.error({ part: part.name, err: error }, 'part failed to stop');
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

export interface ShutdownOptions {
  readonly logger: Logger;
  /** Stops every part; should settle well within hardDeadlineMs. */
  readonly stop: () => Promise<void>;
  readonly hardDeadlineMs?: number;
  /** process.exit by default; tests pass their own. */
  readonly exit?: (code: number) => void;
  /** Where signals arrive; the process by default, an EventEmitter in tests. */
  readonly signals?: Pick<NodeJS.EventEmitter, 'on' | 'removeListener'>;
}

/** Installs the signal handlers; returns a function that removes them. */
export function exitOnShutdownSignals(options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const hardDeadlineMs = options.hardDeadlineMs ?? HARD_DEADLINE_MS;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting without waiting');
      exit(1);
      return;
    }
    stopping = true;
    options.logger.info({ signal }, 'shutting down: finishing in-flight calls');
    const deadline = setTimeout(() => {
      options.logger.error({ hardDeadlineMs }, 'shutdown did not finish in time; exiting');
      exit(1);
    }, hardDeadlineMs);
    deadline.unref();
    options.stop().then(
      () => {
        clearTimeout(deadline);
        options.logger.info('stopped');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };

  const signals = options.signals ?? process;
  for (const signal of SHUTDOWN_SIGNALS) signals.on(signal, onSignal);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) signals.removeListener(signal, onSignal);
  };
}
