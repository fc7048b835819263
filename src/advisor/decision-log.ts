// Read side of the per-target state: the dashboard, alerts and self-metrics see decisions only
// through this, never through the advisor's internals.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { ErrorCode } from '../errors.ts';
import type { Decision } from '../policy/decision.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';

/** keda: a ScaledObject polls it; advisory: declared in the server config, evaluated on a schedule. */
export type TargetOrigin = 'keda' | 'advisory';

export interface TargetRecord {
  readonly ref: TargetRef;
  readonly origin: TargetOrigin;
  readonly settings: TargetSettings;
  readonly lastSeenMs: number;
  readonly latest: Decision | undefined;
  /** The last evaluation's failure, cleared by the next success. */
  readonly lastError: { readonly code: ErrorCode; readonly message: string; readonly atMs: number } | undefined;
}

export interface DecisionLog {
  targets(): readonly TargetRecord[];
  target(ref: TargetRef): TargetRecord | undefined;
  /** Decisions at or after `sinceMs`, oldest first. */
  history(ref: TargetRef, sinceMs: number): readonly Decision[];
  /** Called with every recorded decision (alerts, StreamIsActive). Returns an unsubscribe function. */
  onDecision(listener: (record: TargetRecord, decision: Decision) => void): () => void;
}
