// The agents' re-resolve learned from what the tier did (DESIGN.md "Learned, not assumed"): each time
// the Deployment asked for fewer gateways (kube-state-metrics' spec replicas fell), the time until the
// agent that re-resolved last held that many fewer in its loadbalancing ring is one observation. It
// counts all a scale-in drain must cover before the agents stop sending: the endpoint leaving the
// headless Service, the cluster DNS serving its cached answer until the TTL runs out, and the agents'
// resolver interval. The trigger's dnsResolverInterval + dnsTtl is the prior until there is
// LEARNED_DELAY_EVIDENCE. Pure: the samples come from signals/.
import { type DelayObservation, type LearnedDelay, learnedDelay } from './learned-delay.ts';
import { inTimeOrder, type ReplicaCountSample } from './startup-estimate.ts';

export type ReresolveEstimate = LearnedDelay;

/**
 * Follows desired replicas and the largest ring step by step. A fall in desired opens one leave per
 * gateway the ring held above the new count, timed from the last step that still showed the old count
 * (the spec changed after it). The leave closes at the first step whose largest ring holds fewer than
 * its level, or is cancelled when desired rises first (gateways joining the ring then hide the one
 * leaving it: after a fall to zero an agent may hold its last ring until one answers again) or the
 * data stops. Read at each step's instant, an observation errs long by less than two steps and never
 * short; the scrapes behind the steps can move it either way by up to a scrape interval.
 */
function observedLeaves(samples: readonly ReplicaCountSample[]): DelayObservation[] {
  const leaves: DelayObservation[] = [];
  const openedAt = new Map<number, number>();
  let previous: { readonly atMs: number; readonly desired: number; readonly ring: number } | undefined;
  for (const sample of inTimeOrder(samples)) {
    const { desiredReplicas: desired, largestRing: ring } = sample;
    if (desired === undefined || ring === undefined) {
      previous = undefined;
      openedAt.clear();
      continue;
    }
    if (previous !== undefined && desired > previous.desired) openedAt.clear();
    if (previous !== undefined && desired < previous.desired) {
      for (let level = desired + 1; level <= Math.min(previous.desired, previous.ring); level++) if (!openedAt.has(level)) openedAt.set(level, previous.atMs);
    }
    for (const [level, fromMs] of openedAt) {
      if (ring < level) {
        leaves.push({ fromMs, toMs: sample.atMs });
        openedAt.delete(level);
      }
    }
    previous = { atMs: sample.atMs, desired, ring };
  }
  return leaves;
}

/** Learned re-resolve from the replica counts of a window; the samples need `largestRing` (agentSelector). */
export function estimateReresolve(samples: readonly ReplicaCountSample[]): ReresolveEstimate {
  return learnedDelay(observedLeaves(samples), "leaving the agents' rings after a scale-in");
}
