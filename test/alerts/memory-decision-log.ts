// The read side of the advisor's per-target state, held in memory: enough of a DecisionLog to drive
// alerting the way the advisor does (record a decision → listeners; a failed evaluation → lastError).
import type { DecisionLog, TargetOrigin, TargetRecord } from '../../src/advisor/decision-log.ts';
import type { TargetSettings } from '../../src/config/target-metadata.ts';
import type { ErrorCode } from '../../src/errors.ts';
import type { Decision } from '../../src/policy/decision.ts';
import { type TargetRef, targetKey } from '../../src/signals/signal-snapshot.ts';

export class MemoryDecisionLog implements DecisionLog {
  readonly #records = new Map<string, TargetRecord>();
  readonly #history = new Map<string, Decision[]>();
  #listeners: ((record: TargetRecord, decision: Decision) => void)[] = [];

  record(ref: TargetRef, settings: TargetSettings, decision: Decision, origin: TargetOrigin = 'keda'): void {
    const key = targetKey(ref);
    const record: TargetRecord = { ref, origin, settings, lastSeenMs: decision.at, latest: decision, lastError: undefined };
    this.#records.set(key, record);
    this.#history.set(key, [...(this.#history.get(key) ?? []), decision]);
    for (const listener of this.#listeners) listener(record, decision);
  }

  fail(ref: TargetRef, settings: TargetSettings, error: { code: ErrorCode; message: string; atMs: number }): void {
    const key = targetKey(ref);
    const previous = this.#records.get(key);
    this.#records.set(key, { ref, origin: previous?.origin ?? 'keda', settings, lastSeenMs: error.atMs, latest: previous?.latest, lastError: error });
  }

  forget(ref: TargetRef): void {
    this.#records.delete(targetKey(ref));
    this.#history.delete(targetKey(ref));
  }

  targets(): readonly TargetRecord[] {
    return [...this.#records.values()];
  }

  target(ref: TargetRef): TargetRecord | undefined {
    return this.#records.get(targetKey(ref));
  }

  history(ref: TargetRef, sinceMs: number): readonly Decision[] {
    return (this.#history.get(targetKey(ref)) ?? []).filter((decision) => decision.at >= sinceMs);
  }

  onDecision(listener: (record: TargetRecord, decision: Decision) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((other) => other !== listener);
    };
  }
}
