// A removed gateway stopped before the agents stop sending to it, or, where it drops the traces it
// still holds when stopped, before it has decided them, breaks traces on every scale-in, whichever
// autoscaler asked for it. The policy compares the drain the trigger states (`scaleInDrain`, the
// gateways' preStop sleep) with the agents' re-resolve, learned from scale-ins or else DNS interval +
// DNS TTL (+ decision_wait where pending traces are dropped) and notes `drainTooShort`; this alert
// carries the preStop value to set.
import { type DrainCheck, triggerReresolveSeconds } from '../../policy/drain-check.ts';
import type { AlertRule } from './alert-rule.ts';
import { NO_DECISION } from './rule-inputs.ts';
import { describeGuardedAction, guardActed } from './scaler-action.ts';

/** "DNS interval + DNS TTL" or "the agents' learned re-resolve", with decision_wait where it counts. */
function neededParts(drain: DrainCheck): string {
  const reresolve = drain.reresolveSource === 'learned' ? "the agents' re-resolve learned from scale-ins" : 'DNS interval + DNS TTL';
  return drain.dropsPendingTraces ? `decision_wait + ${reresolve}` : reresolve;
}

/** Where the re-resolve the check counts comes from, and what to look at when it is longer than stated. */
function reresolveCheck(drain: DrainCheck): string {
  const stated = "The trigger's `dnsResolverInterval` and `dnsTtl`: the agents' loadbalancing exporter `resolver.dns.interval`, and the `ttl` of the `kubernetes` plugin in the cluster's CoreDNS Corefile (`kubectl -n kube-system get configmap coredns`; 5 s where the plugin sets none).";
  if (drain.reresolveSource === 'trigger') return stated;
  return `The agents' rings showed the re-resolve: over ${drain.learnedReresolve?.observations} gateways removed by scale-ins, the last agent let the gateway go ${drain.reresolveSeconds} s (p90) after the spec replicas fell, against ${triggerReresolveSeconds(drain)} s stated. A longer one than stated is a DNS cache in between (CoreDNS \`cache\`, NodeLocal DNSCache) or a longer resolver interval. ${stated}`;
}

/** What to check about what the gateways do with the traces they hold when stopped. */
function collectorCheck(drain: DrainCheck): string {
  if (drain.droppingBuild !== undefined) {
    return `The gateways' collector: ${drain.droppingBuild} drops the traces a stopped gateway holds whatever its config says. From v0.141.0 \`drop_pending_traces_on_shutdown: false\` (the default) decides them, and a drain of the agents' re-resolve is enough: upgrade, or keep the preStop above and set \`dropPendingTracesOnShutdown\` "true" to say so.`;
  }
  if (drain.dropsPendingTraces) {
    return "The trigger's `decisionWait`: the tail-sampling processor's `decision_wait`; a longer decision_wait needs a longer drain. On collector v0.141.0 or later, `drop_pending_traces_on_shutdown: false` (the default) decides those traces when the gateway stops; set `dropPendingTracesOnShutdown` to match.";
  }
  return "The trigger's `dropPendingTracesOnShutdown`: true when the gateways drop the traces they hold when stopped (tail_sampling's `drop_pending_traces_on_shutdown: true`, or a collector before v0.141.0); then the drain must also cover `decision_wait`.";
}

export const drainTooShortRule: AlertRule = {
  name: 'drainTooShort',
  title: 'Scale-in drain too short',
  severity: 'warning',
  // A configuration fault: it does not come and go with load, so there is nothing to wait out.
  defaultForSeconds: 0,
  threshold: undefined,
  evaluate(input) {
    if (input.observation.kind !== 'decision') return NO_DECISION;
    const { decision } = input.observation;
    const { drain } = decision;
    if (!drain.tooShort || drain.drainSeconds === undefined) return { status: 'clear' };
    return {
      status: 'active',
      summary: drain.dropsPendingTraces
        ? `Removed gateways stop after ${drain.drainSeconds} s, before the traces they hold are decided, and drop them${drain.droppingBuild === undefined ? '' : ` (they run ${drain.droppingBuild}, older than 0.141.0)`} (${neededParts(drain)} = ${drain.neededSeconds} s). Every scale-in breaks those traces. Set the gateways' preStop sleep to ${drain.preStopSeconds} s.`
        : `Removed gateways stop after ${drain.drainSeconds} s, while the agents may still send them spans (${neededParts(drain)} = ${drain.neededSeconds} s). Every scale-in breaks the traces those spans belong to. Set the gateways' preStop sleep to ${drain.preStopSeconds} s.`,
      evidence: [
        { label: 'Scale-in drain (scaleInDrain)', value: drain.drainSeconds, unit: 'seconds', threshold: { comparison: '<', value: drain.neededSeconds } },
        ...(drain.dropsPendingTraces ? [{ label: 'decision_wait', value: drain.decisionWaitSeconds, unit: 'seconds' as const }] : []),
        ...(drain.reresolveSource === 'learned' ? [{ label: "Agents' re-resolve, learned (p90)", value: drain.reresolveSeconds, unit: 'seconds' as const }] : []),
        { label: "Agents' DNS resolver interval (dnsResolverInterval)", value: drain.dnsResolverIntervalSeconds, unit: 'seconds' },
        { label: "Cluster DNS records' TTL (dnsTtl)", value: drain.dnsTtlSeconds, unit: 'seconds' },
        { label: 'preStop sleep to set', value: drain.preStopSeconds, unit: 'seconds' },
      ],
      scalerAction: describeGuardedAction(decision, input.advisory, guardActed(decision, 'drainTooShort')),
      checks: [
        `The gateway Deployment's \`lifecycle.preStop.sleep.seconds\`: at least ${drain.preStopSeconds}, and \`terminationGracePeriodSeconds\` above it so the collector can shut down after the sleep.`,
        "The trigger's `scaleInDrain`: the same value as the preStop sleep, so this check reads what the pods do.",
        reresolveCheck(drain),
        collectorCheck(drain),
      ],
    };
  },
};
