// Plain Decision objects for alert tests: the policy is written elsewhere, alerts build against the
// Decision contract only. Every signal is present unless a test says otherwise.
import { type AlertState, evaluateTargetAlerts, type TargetAlerts } from '../../src/alerts/alert-state.ts';
import { resolveRuleSettings } from '../../src/alerts/rule-settings.ts';
import { parseTargetMetadata, type TargetSettings } from '../../src/config/target-metadata.ts';
import type { Decision, GuardAction, Proposal } from '../../src/policy/decision.ts';
import { checkDrain } from '../../src/policy/drain-check.ts';
import { startupInUse } from '../../src/policy/startup-in-use.ts';
import type { AlertInput, ForecastDueNow } from '../../src/alerts/rules/alert-rule.ts';
import type { Reading, SignalName, SignalSnapshot, TargetRef } from '../../src/signals/signal-snapshot.ts';
import { SIGNAL_NAMES } from '../../src/signals/signal-snapshot.ts';

export const TARGET: TargetRef = { namespace: 'observability', name: 'otel-gateway' };
export const SETTINGS: TargetSettings = parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"', maxReplicas: '12' });

// Guard reasons below are worded as src/policy/guards.ts words them.

/** A healthy tier of 6 gateways at ~60% of capacity. */
const HEALTHY: Record<SignalName, number> = {
  currentReplicas: 6,
  reportingReplicas: 6,
  queueFillMax: 0.12,
  queueFillMean: 0.08,
  refusedSpansPerSecond: 0,
  enqueueFailedSpansPerSecond: 0,
  sendFailedSpansPerSecond: 0,
  sentSpansPerSecond: 50_000,
  decisionLatencyP99Ms: 80,
  tracesOnMemory: 75_000,
  droppedTooEarlyTracesPerSecond: 0,
  acceptedSpansPerSecond: 50_000,
};

export interface DecisionShape {
  readonly at: number;
  readonly signals?: Partial<Record<SignalName, number | 'missing'>>;
  readonly byGateway?: Record<string, number> | 'missing';
  /** Decision-tick p99 per gateway (the snapshot's decisionLatencyP99MsByGateway); absent unless given. */
  readonly latencyByGateway?: Record<string, number>;
  readonly current?: number;
  readonly recommended?: number;
  readonly mode?: Decision['mode'];
  readonly guards?: readonly GuardAction[];
  readonly proposals?: readonly Proposal[];
  readonly atMaxUnderPressure?: boolean;
  readonly forecast?: Decision['forecast'];
  readonly summary?: string;
  readonly drain?: Decision['drain'];
}

function reading(value: number | 'missing'): Reading {
  return value === 'missing' ? { kind: 'missing', reason: 'no series matched' } : { kind: 'ok', value };
}

export function snapshot({ at, signals = {}, byGateway, latencyByGateway }: Pick<DecisionShape, 'at' | 'signals' | 'byGateway' | 'latencyByGateway'>): SignalSnapshot {
  const values = Object.fromEntries(SIGNAL_NAMES.map((name) => [name, reading(signals[name] ?? HEALTHY[name])])) as SignalSnapshot['signals'];
  const gateways = byGateway ?? { 'gw-0': 8400, 'gw-1': 8300, 'gw-2': 8200, 'gw-3': 8350, 'gw-4': 8450, 'gw-5': 8300 };
  return {
    observedAtMs: at,
    signals: values,
    acceptedSpansPerSecondByGateway: gateways === 'missing' ? { kind: 'missing', reason: 'no series matched' } : { kind: 'ok', value: gateways },
    ...(latencyByGateway === undefined ? {} : { decisionLatencyP99MsByGateway: latencyByGateway }),
  };
}

export function decision(shape: DecisionShape): Decision {
  const current = shape.current ?? 6;
  const recommended = shape.recommended ?? current;
  const mode = shape.mode ?? 'enforce';
  const summary = shape.summary ?? `Holding at ${current}.`;
  return {
    replicas: mode === 'enforce' ? recommended : current,
    recommended,
    current,
    mode,
    at: shape.at,
    proposals: shape.proposals ?? [],
    guards: shape.guards ?? [],
    reasons: [summary],
    summary,
    estimatedBrokenTraces: 0,
    atMaxUnderPressure: shape.atMaxUnderPressure ?? false,
    withinHpaTolerance: false,
    forecast: shape.forecast,
    capacity: { spansPerReplica: 20_000, source: 'trigger', triggerSpansPerReplica: 20_000, sentence: "capacity 20k spans/s per replica from the trigger's capacitySpansPerReplica" },
    drain: shape.drain ?? checkDrain(parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"' })),
    startup: startupInUse(parseTargetMetadata({ gatewaySelector: 'job="otel-gateway"' }), undefined),
    snapshot: snapshot(shape),
  };
}

export function decisionInput(shape: DecisionShape, extra: { advisory?: boolean; settings?: TargetSettings; forecastDueNow?: ForecastDueNow } = {}): AlertInput {
  return {
    target: TARGET,
    settings: extra.settings ?? SETTINGS,
    advisory: extra.advisory ?? shape.mode === 'dry-run',
    observation: { kind: 'decision', decision: decision(shape), forecastDueNow: extra.forecastDueNow },
  };
}

export function errorInput(atMs: number, code: 'PROMETHEUS_UNAVAILABLE' | 'CURRENT_REPLICAS_UNKNOWN' = 'PROMETHEUS_UNAVAILABLE'): AlertInput {
  return {
    target: TARGET,
    settings: SETTINGS,
    advisory: false,
    observation: {
      kind: 'error',
      error: {
        code,
        message: code === 'PROMETHEUS_UNAVAILABLE' ? 'Prometheus "default" at http://prometheus:9090 did not answer within 2000 ms' : 'no gateway matched job="otel-gateway"',
        atMs,
        remedy: 'Check that Prometheus is up and reachable from the scaler; KEDA fallback applies meanwhile.',
      },
    },
  };
}

export const BACKEND_GUARD: GuardAction = {
  name: 'backendBottleneck',
  effect: 'hold',
  from: 9,
  to: 6,
  reason: 'backend rejects 32% of sends (limit 5%); more gateways would not help',
};

export const MISSING_DATA_GUARD: GuardAction = {
  name: 'missingData',
  effect: 'hold',
  from: 4,
  to: 6,
  reason: 'no data for queueFillMax; never scaling in on missing data',
};

/** Backend bottleneck (critical) and refused spans (warning), both firing, for `target`; fired at `atMs`. */
export function firingAlerts(target: TargetRef, atMs: number, options: { advisory?: boolean } = {}): AlertState[] {
  const rules = resolveRuleSettings({ backendBottleneck: { for: '1m' }, refusedSpans: { for: '1m' } });
  let state: TargetAlerts = new Map();
  for (const offsetMs of [-60_000, -30_000, 0]) {
    const at = atMs + offsetMs;
    const input: AlertInput = {
      ...decisionInput({ at, guards: [BACKEND_GUARD], signals: { refusedSpansPerSecond: 2400, sendFailedSpansPerSecond: 16_000, sentSpansPerSecond: 34_000, queueFillMax: 0.93 } }, options),
      target,
    };
    state = evaluateTargetAlerts(state, input, rules, at).next;
  }
  return [...state.values()].filter((alert) => alert.phase === 'firing');
}
