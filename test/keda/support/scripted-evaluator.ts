// The collaborator at the gRPC seam, scripted per test: the handlers under test only translate, so
// what the evaluator answers is set by the test and every call it receives is recorded.
import type { DecisionLog, TargetRecord } from '../../../src/advisor/decision-log.ts';
import type { Evaluation, TargetEvaluator } from '../../../src/advisor/target-evaluator.ts';
import { parseTargetMetadata } from '../../../src/config/target-metadata.ts';
import type { Decision } from '../../../src/policy/decision.ts';
import { checkDrain } from '../../../src/policy/drain-check.ts';
import { startupInUse } from '../../../src/policy/startup-in-use.ts';
import { SIGNAL_NAMES, type SignalSnapshot, type TargetRef, targetKey } from '../../../src/signals/signal-snapshot.ts';

export type Answer =
  | { readonly kind: 'evaluation'; readonly replicas: number; readonly active: boolean }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'delay'; readonly ms: number; readonly replicas: number; readonly active: boolean }
  | { readonly kind: 'hang' };

export interface EvaluateCall {
  readonly target: TargetRef;
  readonly metadata: Readonly<Record<string, string>>;
  readonly nowMs: number;
}

/** A decision for `replicas`; every signal missing except accepted spans/s when given. */
export function decisionWith(replicas: number, atMs: number, acceptedSpansPerSecond?: number): Decision {
  const signals = Object.fromEntries(SIGNAL_NAMES.map((name) => [name, { kind: 'missing', reason: 'scripted' }])) as Record<string, unknown>;
  if (acceptedSpansPerSecond !== undefined) signals.acceptedSpansPerSecond = { kind: 'ok', value: acceptedSpansPerSecond };
  const snapshot: SignalSnapshot = {
    observedAtMs: atMs,
    signals: signals as SignalSnapshot['signals'],
    acceptedSpansPerSecondByGateway: { kind: 'missing', reason: 'scripted' },
  };
  return {
    replicas,
    recommended: replicas,
    current: replicas,
    mode: 'enforce',
    at: atMs,
    proposals: [],
    guards: [],
    reasons: ['scripted'],
    summary: 'scripted',
    estimatedBrokenTraces: 0,
    atMaxUnderPressure: false,
    withinHpaTolerance: false,
    forecast: undefined,
    capacity: { spansPerReplica: 20_000, source: 'trigger', triggerSpansPerReplica: 20_000, sentence: "capacity 20k spans/s per replica from the trigger's capacitySpansPerReplica" },
    drain: checkDrain(parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"' })),
    startup: startupInUse(parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"' }), undefined),
    snapshot,
  };
}

/** Answers per target key (`namespace/name`), falling back to `defaultAnswer`. */
export class ScriptedEvaluator implements TargetEvaluator, DecisionLog {
  readonly calls: EvaluateCall[] = [];
  readonly answers = new Map<string, Answer>();
  defaultAnswer: Answer = { kind: 'evaluation', replicas: 3, active: true };
  readonly #listeners = new Set<(record: TargetRecord, decision: Decision) => void>();

  answer(target: TargetRef, answer: Answer): void {
    this.answers.set(targetKey(target), answer);
  }

  callsFor(target: TargetRef): EvaluateCall[] {
    return this.calls.filter((call) => targetKey(call.target) === targetKey(target));
  }

  async evaluate(target: TargetRef, metadata: Readonly<Record<string, string>>, nowMs: number): Promise<Evaluation> {
    this.calls.push({ target, metadata, nowMs });
    const answer = this.answers.get(targetKey(target)) ?? this.defaultAnswer;
    switch (answer.kind) {
      case 'error':
        throw answer.error;
      case 'hang':
        return new Promise<Evaluation>(() => {});
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, answer.ms));
        return this.#record(target, metadata, nowMs, answer.replicas, answer.active);
      case 'evaluation':
        return this.#record(target, metadata, nowMs, answer.replicas, answer.active);
    }
  }

  // Like the real advisor, every evaluation is recorded and announced to DecisionLog listeners.
  #record(target: TargetRef, metadata: Readonly<Record<string, string>>, nowMs: number, replicas: number, active: boolean): Evaluation {
    // Load above or at the default activation threshold (0), so the policy's isActive agrees with `active`.
    const decision = decisionWith(replicas, nowMs, active ? 1_000_000 : 0);
    this.recordElsewhere(target, decision, metadata);
    return { decision, active };
  }

  /** Announces a decision as if another part (the advisory loop) had made it. */
  recordElsewhere(target: TargetRef, decision: Decision, metadata: Readonly<Record<string, string>> = { gatewaySelector: 'job="gw"' }): void {
    const record: TargetRecord = {
      ref: target,
      origin: 'keda',
      settings: parseTargetMetadata(metadata),
      lastSeenMs: decision.at,
      latest: decision,
      lastError: undefined,
    };
    for (const listener of [...this.#listeners]) listener(record, decision);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  targets(): readonly TargetRecord[] {
    return [];
  }

  target(): TargetRecord | undefined {
    return undefined;
  }

  history(): readonly Decision[] {
    return [];
  }

  onDecision(listener: (record: TargetRecord, decision: Decision) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
