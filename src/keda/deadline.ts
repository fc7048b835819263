// KEDA's polling path calls GetMetrics and IsActive without a deadline while holding the
// ScaledObject's lock, so no answer may wait on a slow read for ever: every evaluation races a timer.
import { ScalerError } from '../errors.ts';

/**
 * Resolves or rejects as `work` does, or rejects with ScalerError EVALUATION_TIMEOUT after
 * `timeoutMs`. A late outcome of `work` is dropped (its rejection is handled, never unhandled).
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ScalerError('EVALUATION_TIMEOUT', `${what} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
