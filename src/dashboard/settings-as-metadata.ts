// Resolved TargetSettings written back in scalerMetadata words: the dashboard shows a target's
// effective settings the way a ScaledObject writes them, and what-if overrides are validated by
// parseTargetMetadata on top of them.
import { formatDuration } from '../config/duration.ts';
import type { MetadataKey, TargetSettings } from '../config/target-metadata.ts';

/**
 * The resolved settings written back as scalerMetadata strings, so overrides can be validated by
 * parseTargetMetadata on top of them. scaleInWindow is written only when it differs from its default
 * (decisionWait + 60 s), so overriding decisionWait moves it as it would in a ScaledObject; agentSelector,
 * cpuPerReplica and scaleInDrain only when set (unset, the agents are not read, the CPU allotment is read
 * from kube-state-metrics and the drain is unknown).
 */
export function settingsAsMetadata(settings: TargetSettings): Record<MetadataKey, string> {
  const metadata: Partial<Record<MetadataKey, string>> = {
    gatewaySelector: settings.gatewaySelector,
    prometheus: settings.prometheus,
    rateWindow: formatDuration(settings.rateWindowSeconds),
    mode: settings.mode,
    minReplicas: String(settings.minReplicas),
    maxReplicas: String(settings.maxReplicas),
    targetQueueFill: String(settings.targetQueueFill),
    capacitySpansPerReplica: String(settings.capacitySpansPerReplica),
    targetUtilization: String(settings.targetUtilization),
    backendFailureRatio: String(settings.backendFailureRatio),
    decisionWait: formatDuration(settings.decisionWaitSeconds),
    numTraces: String(settings.numTraces),
    scaleInStep: String(settings.scaleInStep),
    dropPendingTracesOnShutdown: String(settings.dropPendingTracesOnShutdown),
    dnsResolverInterval: formatDuration(settings.dnsResolverIntervalSeconds),
    dnsTtl: formatDuration(settings.dnsTtlSeconds),
    activationSpansPerSecond: String(settings.activationSpansPerSecond),
    decisionLatencyBudget: formatDuration(settings.decisionLatencyBudgetMs / 1000),
    podStartup: formatDuration(settings.podStartupSeconds),
    pollingInterval: formatDuration(settings.pollingIntervalSeconds),
    staleAfter: formatDuration(settings.staleAfterSeconds),
    forecastHistory: formatDuration(settings.forecastHistorySeconds),
    forecastQuantile: String(settings.forecastQuantile),
  };
  if (settings.agentSelector !== undefined) metadata.agentSelector = settings.agentSelector;
  if (settings.cpuPerReplicaCores !== undefined) metadata.cpuPerReplica = String(settings.cpuPerReplicaCores);
  if (settings.scaleInDrainSeconds !== undefined) metadata.scaleInDrain = formatDuration(settings.scaleInDrainSeconds);
  if (settings.scaleInWindowSeconds !== settings.decisionWaitSeconds + 60) metadata.scaleInWindow = formatDuration(settings.scaleInWindowSeconds);
  return metadata as Record<MetadataKey, string>;
}
