// The metric name GetMetricSpec announces. KEDA prefixes it (`s{triggerIndex}-`) to name the HPA's
// external metric and strips the prefix again before GetMetrics, so it only has to be stable for a
// target and a valid metric name: derived from the ScaledObject name alone, never from metadata.
import type { TargetRef } from '../signals/signal-snapshot.ts';

const NOT_ALLOWED = /[^a-z0-9-]+/g;

/** `<scaledobject-name>-replicas`, lowercase letters, digits and dashes (dots in the name become dashes). */
export function metricNameFor(target: TargetRef): string {
  const base = target.name.toLowerCase().replace(NOT_ALLOWED, '-').replace(/-{2,}/g, '-').replace(/^-|-$/g, '');
  return `${base === '' ? 'gateway' : base}-replicas`;
}
