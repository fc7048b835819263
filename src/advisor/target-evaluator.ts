// The seam between the gRPC handlers (and the advisory loop) and everything that decides: keda/ only
// translates requests into `evaluate` calls and results into KEDA's messages.
import type { Decision } from '../policy/decision.ts';
import type { TargetRef } from '../signals/signal-snapshot.ts';

export interface Evaluation {
  readonly decision: Decision;
  /** KEDA's IsActive: load above activationSpansPerSecond, or forecast above it within the lead time. */
  readonly active: boolean;
}

export interface TargetEvaluator {
  /**
   * Validates the metadata, reads signals, decides and records the decision for the target.
   * Rejects with a ScalerError (INVALID_METADATA, PROMETHEUS_UNAVAILABLE, CURRENT_REPLICAS_UNKNOWN, …).
   */
  evaluate(target: TargetRef, metadata: Readonly<Record<string, string>>, nowMs: number): Promise<Evaluation>;
}
