// The signals of one decision as the dashboard shows them: each value (or why it is missing) next to
// the threshold from the target's settings that the policy compares it with.
import type { MetadataKey, TargetSettings } from '../config/target-metadata.ts';
import type { Reading, SignalName, SignalSnapshot } from '../signals/signal-snapshot.ts';
import { SIGNAL_NAMES } from '../signals/signal-snapshot.ts';

/** A line a signal is judged against; `setting` names the scalerMetadata key it comes from, when one does. */
export interface ThresholdView {
  readonly value: number;
  readonly setting: MetadataKey | undefined;
  readonly meaning: string;
}

export interface SignalView {
  readonly name: SignalName | 'sendFailedRatio';
  readonly unit: string;
  readonly reading: Reading;
  readonly thresholds: readonly ThresholdView[];
}

const UNITS: Readonly<Record<SignalName | 'sendFailedRatio', string>> = {
  currentReplicas: 'replicas',
  reportingReplicas: 'replicas',
  queueFillMax: 'ratio',
  queueFillMean: 'ratio',
  refusedSpansPerSecond: 'spans/s',
  enqueueFailedSpansPerSecond: 'spans/s',
  sendFailedSpansPerSecond: 'spans/s',
  sendFailedRatio: 'ratio',
  sentSpansPerSecond: 'spans/s',
  decisionLatencyP99Ms: 'ms',
  tracesOnMemory: 'traces',
  droppedTooEarlyTracesPerSecond: 'traces/s',
  acceptedSpansPerSecond: 'spans/s',
};

/**
 * Share of export attempts the backend rejected: failed / (sent + failed). Missing when either rate
 * is missing, or when nothing was exported at all (0/0 says nothing about the backend).
 */
export function sendFailedRatio(snapshot: SignalSnapshot): Reading {
  const failed = snapshot.signals.sendFailedSpansPerSecond;
  const sent = snapshot.signals.sentSpansPerSecond;
  if (failed.kind === 'missing') return failed;
  if (sent.kind === 'missing') return sent;
  const attempted = sent.value + failed.value;
  if (attempted <= 0) return { kind: 'missing', reason: 'no spans were exported in the rate window' };
  return { kind: 'ok', value: failed.value / attempted };
}

function thresholdsFor(name: SignalView['name'], settings: TargetSettings, currentReplicas: number | undefined): ThresholdView[] {
  switch (name) {
    case 'currentReplicas':
      return [
        { value: settings.minReplicas, setting: 'minReplicas', meaning: 'never fewer replicas' },
        { value: settings.maxReplicas, setting: 'maxReplicas', meaning: 'never more replicas' },
      ];
    case 'reportingReplicas':
      return currentReplicas === undefined
        ? []
        : [{ value: currentReplicas, setting: undefined, meaning: 'gateways expected (scrape targets up or down, or the Deployment); fewer reporting is missing data: no scale-in, never below the expected count' }];
    case 'queueFillMax':
    case 'queueFillMean':
      return [{ value: settings.targetQueueFill, setting: 'targetQueueFill', meaning: 'fuller queues ask for more replicas' }];
    case 'refusedSpansPerSecond':
      return [{ value: 0, setting: undefined, meaning: 'any refusal asks for more replicas' }];
    case 'droppedTooEarlyTracesPerSecond':
      return [{ value: 0, setting: undefined, meaning: 'traces dropped before their decision: num_traces is too small for the load per replica' }];
    case 'sendFailedRatio':
      return [{ value: settings.backendFailureRatio, setting: 'backendFailureRatio', meaning: 'above it the backend is the bottleneck: hold, do not scale' }];
    case 'decisionLatencyP99Ms':
      return [{ value: settings.decisionLatencyBudgetMs, setting: 'decisionLatencyBudget', meaning: 'slower decision ticks ask for more replicas' }];
    case 'tracesOnMemory':
      return currentReplicas === undefined
        ? []
        : [{ value: settings.numTraces * currentReplicas, setting: 'numTraces', meaning: 'numTraces per gateway × current replicas; beyond it traces are dropped too early' }];
    case 'acceptedSpansPerSecond': {
      const lines: ThresholdView[] = [
        { value: settings.activationSpansPerSecond, setting: 'activationSpansPerSecond', meaning: 'above it the target is active for KEDA' },
      ];
      if (currentReplicas !== undefined) {
        lines.push({
          value: currentReplicas * settings.capacitySpansPerReplica * settings.targetUtilization,
          setting: 'capacitySpansPerReplica',
          meaning: 'current replicas × capacitySpansPerReplica × targetUtilization; above it the throughput proposal asks for more',
        });
      }
      return lines;
    }
    default:
      return [];
  }
}

/** Every signal of the snapshot in catalogue order, with the derived send-failed ratio after the send rates. */
export function signalViews(snapshot: SignalSnapshot, settings: TargetSettings): SignalView[] {
  const current = snapshot.signals.currentReplicas;
  const currentReplicas = current.kind === 'ok' ? current.value : undefined;
  const names: SignalView['name'][] = [];
  for (const name of SIGNAL_NAMES) {
    names.push(name);
    if (name === 'sendFailedSpansPerSecond') names.push('sendFailedRatio');
  }
  return names.map((name) => ({
    name,
    unit: UNITS[name],
    reading: name === 'sendFailedRatio' ? sendFailedRatio(snapshot) : snapshot.signals[name],
    thresholds: thresholdsFor(name, settings, currentReplicas),
  }));
}
