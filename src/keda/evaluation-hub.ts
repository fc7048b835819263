// Every evaluation the gRPC service asks for goes through here: it adds the deadline and the clock,
// and tells open StreamIsActive streams of the same target what the answer was, so a KEDA poll that
// flips a target's activity reaches the stream at once without a second evaluation.
import type { Evaluation, TargetEvaluator } from '../advisor/target-evaluator.ts';
import { type TargetRef, targetKey } from '../signals/signal-snapshot.ts';
import { withDeadline } from './deadline.ts';

export type EvaluationListener = (evaluation: Evaluation) => void;

export interface EvaluationHubOptions {
  readonly evaluator: TargetEvaluator;
  /** Longest an evaluation may take before the call fails with EVALUATION_TIMEOUT. */
  readonly evaluationTimeoutMs: number;
  readonly nowMs: () => number;
}

export class EvaluationHub {
  readonly #options: EvaluationHubOptions;
  readonly #listeners = new Map<string, Set<EvaluationListener>>();

  constructor(options: EvaluationHubOptions) {
    this.#options = options;
  }

  /** Evaluates within the deadline and publishes the result to the target's listeners. */
  evaluate(target: TargetRef, metadata: Readonly<Record<string, string>>): Promise<Evaluation> {
    const key = targetKey(target);
    let work: Promise<Evaluation>;
    try {
      work = this.#options.evaluator.evaluate(target, metadata, this.#options.nowMs());
    } catch (error) {
      work = Promise.reject(error);
    }
    // Even an answer that arrives after the deadline tells the streams something true.
    work.then(
      (evaluation) => {
        for (const listener of [...(this.#listeners.get(key) ?? [])]) listener(evaluation);
      },
      () => {},
    );
    return withDeadline(work, this.#options.evaluationTimeoutMs, `evaluating ${key}`);
  }

  /** Listens to every evaluation of the target made through this hub; returns the unsubscribe function. */
  subscribe(target: TargetRef, listener: EvaluationListener): () => void {
    const key = targetKey(target);
    let listeners = this.#listeners.get(key);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    listeners.add(listener);
    return () => {
      const current = this.#listeners.get(key);
      current?.delete(listener);
      if (current?.size === 0) this.#listeners.delete(key);
    };
  }
}
