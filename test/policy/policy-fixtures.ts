// Builds the inputs policy tests need — a healthy gateway tier's snapshot changed only where a case says
// so — and the one assert helper every case table uses.
import { expect } from 'vitest';
import { parseTargetMetadata, type TargetSettings } from '../../src/config/target-metadata.ts';
import type { AllotmentSource, CapacityEstimate } from '../../src/policy/capacity-estimate.ts';
import { decide } from '../../src/policy/decide.ts';
import type { Decision, GuardName } from '../../src/policy/decision.ts';
import type { PolicyState } from '../../src/policy/policy-state.ts';
import type { SignalName, SignalSnapshot } from '../../src/signals/signal-snapshot.ts';

export const T0_MS = Date.UTC(2025, 0, 6, 8, 0, 0);

/** A healthy tier of 6 gateways taking 80k spans/s: every proposal at or below 6, nothing wrong. */
export const HEALTHY: Readonly<Record<SignalName, number>> = {
  currentReplicas: 6,
  reportingReplicas: 6,
  queueFillMax: 0.2,
  queueFillMean: 0.15,
  refusedSpansPerSecond: 0,
  enqueueFailedSpansPerSecond: 0,
  sendFailedSpansPerSecond: 0,
  sentSpansPerSecond: 8_000,
  decisionLatencyP99Ms: 50,
  tracesOnMemory: 120_000,
  droppedTooEarlyTracesPerSecond: 0,
  acceptedSpansPerSecond: 80_000,
};

export type SignalOverrides = Partial<Record<SignalName, number | 'missing'>>;

export interface SnapshotOptions {
  readonly signals?: SignalOverrides;
  /** Accepted spans/s per gateway; default: the total spread evenly over currentReplicas gateways. */
  readonly byGateway?: Readonly<Record<string, number>> | 'missing';
  readonly observedAtMs?: number;
  /** Decision-tick p99 per gateway (the snapshot's decisionLatencyP99MsByGateway); absent unless given. */
  readonly latencyByGateway?: Readonly<Record<string, number>>;
  /** Scrape targets that are down, by instance (the snapshot's unscrapedGateways). */
  readonly unscraped?: readonly string[];
  /** The fullest queue's fill a rate window before (the snapshot's queueFillMaxWindowAgo); absent unless given. */
  readonly fillWindowAgo?: number;
  /** Spans/s the agents took in (the snapshot's offeredSpansPerSecond); absent unless given. */
  readonly offered?: number;
  /** The gateways' collector builds (the snapshot's collectorBuilds); absent unless given. */
  readonly builds?: SignalSnapshot['collectorBuilds'];
}

/** A snapshot of the healthy tier with `options` applied. */
export function snapshot(options: SnapshotOptions = {}): SignalSnapshot {
  // Every expected gateway reports unless a case says otherwise.
  const reporting = options.signals?.reportingReplicas ?? options.signals?.currentReplicas ?? HEALTHY.reportingReplicas;
  const values: Record<string, number | 'missing'> = { ...HEALTHY, reportingReplicas: reporting, ...options.signals };
  const signals = Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      value === 'missing' ? { kind: 'missing', reason: 'no series matched' } : { kind: 'ok', value },
    ]),
  ) as unknown as SignalSnapshot['signals'];
  let byGateway: SignalSnapshot['acceptedSpansPerSecondByGateway'];
  if (options.byGateway === 'missing') {
    byGateway = { kind: 'missing', reason: 'no series matched' };
  } else if (options.byGateway !== undefined) {
    byGateway = { kind: 'ok', value: options.byGateway };
  } else {
    const gateways = typeof values.currentReplicas === 'number' ? values.currentReplicas : 1;
    const total = typeof values.acceptedSpansPerSecond === 'number' ? values.acceptedSpansPerSecond : 0;
    byGateway = { kind: 'ok', value: Object.fromEntries(Array.from({ length: gateways }, (_, i) => [`gateway-${i}`, total / gateways])) };
  }
  return {
    observedAtMs: options.observedAtMs ?? T0_MS,
    signals,
    acceptedSpansPerSecondByGateway: byGateway,
    ...(options.latencyByGateway === undefined ? {} : { decisionLatencyP99MsByGateway: options.latencyByGateway }),
    ...(options.unscraped === undefined ? {} : { unscrapedGateways: options.unscraped }),
    ...(options.fillWindowAgo === undefined ? {} : { queueFillMaxWindowAgo: options.fillWindowAgo }),
    ...(options.offered === undefined ? {} : { offeredSpansPerSecond: options.offered }),
    ...(options.builds === undefined ? {} : { collectorBuilds: options.builds }),
  };
}

/** A capacity learned from 6 hours of CPU up to T0, pinned to ±1 %. */
export function learnedCapacity(spansPerReplica: number, allotmentSource: AllotmentSource = 'kube-state-metrics requests'): CapacityEstimate {
  return {
    kind: 'learned',
    fit: { spansPerReplica, relativeStandardError: 0.01, idleUtilization: 0.02, throughOrigin: false, samples: 300, fromMs: T0_MS - 6 * 3_600_000, toMs: T0_MS },
    allotmentSource,
    changeAtMs: undefined,
    saturation: undefined,
  };
}

/** Target settings from scalerMetadata strings, as KEDA would send them. */
export function settings(metadata: Record<string, string> = {}): TargetSettings {
  return parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', ...metadata });
}

/** decide() on each of `polls` in turn, `intervalMs` apart from `startMs`, each with the state the one before left. */
export function decideEach(target: TargetSettings, polls: readonly SignalOverrides[], intervalMs: number, startMs = T0_MS): Decision[] {
  let state: PolicyState | undefined;
  return polls.map((signals, i) => {
    const nowMs = startMs + i * intervalMs;
    const result = decide({ nowMs, snapshot: snapshot({ observedAtMs: nowMs, signals }) }, target, state);
    state = result.state;
    return result.decision;
  });
}

/** What a case expects; only the fields given are checked. */
export interface DecisionWant {
  readonly replicas?: number;
  readonly recommended?: number;
  /** Guards that acted, in order (notes included). */
  readonly guards?: readonly GuardName[];
  /** Guards that must not appear. */
  readonly notGuards?: readonly GuardName[];
  readonly summary?: RegExp;
  readonly reasons?: RegExp;
  readonly atMaxUnderPressure?: boolean;
  readonly withinHpaTolerance?: boolean;
  readonly estimatedBrokenTraces?: number;
}

/** The one assert helper: compares a decision with what a case wants, naming the summary on failure. */
export function expectDecision(decision: Decision, want: DecisionWant): void {
  const context = `summary: ${decision.summary}\nreasons:\n  ${decision.reasons.join('\n  ')}`;
  if (want.replicas !== undefined) expect(decision.replicas, context).toBe(want.replicas);
  if (want.recommended !== undefined) expect(decision.recommended, context).toBe(want.recommended);
  if (want.guards !== undefined) expect(decision.guards.map((guard) => guard.name), context).toEqual(want.guards);
  for (const name of want.notGuards ?? []) expect(decision.guards.map((guard) => guard.name), context).not.toContain(name);
  if (want.summary !== undefined) expect(decision.summary).toMatch(want.summary);
  if (want.reasons !== undefined) expect(decision.reasons.join('\n')).toMatch(want.reasons);
  if (want.atMaxUnderPressure !== undefined) expect(decision.atMaxUnderPressure, context).toBe(want.atMaxUnderPressure);
  if (want.withinHpaTolerance !== undefined) expect(decision.withinHpaTolerance, context).toBe(want.withinHpaTolerance);
  if (want.estimatedBrokenTraces !== undefined) expect(decision.estimatedBrokenTraces, context).toBeCloseTo(want.estimatedBrokenTraces, 6);
}
