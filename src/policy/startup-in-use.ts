// Which pod startup a decision plans with, and why: the figure learned from scale-outs once there is
// enough evidence, else the trigger's podStartup. A gateway asked for now takes traffic only once every
// agent's ring holds it, so the join adds the agents' re-resolve (the cached DNS answer without it, then
// their next lookup) unless the rings themselves timed the learned figure. The join sets the forecast's
// lead time and the growth headroom.
import { HPA_SYNC_SECONDS, type TargetSettings } from '../config/target-metadata.ts';
import { statedReresolveTerms, triggerReresolveSeconds } from './drain-check.ts';
import { formatSeconds } from './format.ts';
import type { StartupEstimate } from './startup-estimate.ts';

export interface StartupInUse {
  /** Pod startup, learned or the trigger's; learned from the agents' rings, it holds their re-resolve too. */
  readonly seconds: number;
  readonly source: 'learned' | 'trigger';
  readonly triggerSeconds: number;
  /** From the ask to every agent sending to the new gateway: `seconds`, plus dnsTtl + dnsResolverInterval unless the rings timed it. */
  readonly joinSeconds: number;
  /** How far ahead the forecast and the growth headroom look: the join, the poll interval and the HPA's sync. */
  readonly leadTimeSeconds: number;
  /** "pod startup 75s, learned from 12 gateways seen joining after scale-outs (…); the trigger says 45s; …". */
  readonly sentence: string;
  /** What the join is made of, for the throughput proposal: "pod startup 45s from the trigger + re-resolve 35s". */
  readonly joinSummary: string;
}

type StartupSettings = Pick<TargetSettings, 'podStartupSeconds' | 'dnsTtlSeconds' | 'dnsResolverIntervalSeconds' | 'pollingIntervalSeconds'>;

/** Resolves the startup for one decision; `estimate` undefined means no replica history was read. */
export function startupInUse(settings: StartupSettings, estimate: StartupEstimate | undefined): StartupInUse {
  const trigger = settings.podStartupSeconds;
  const reresolve = triggerReresolveSeconds(settings);
  const statedReresolve = `the agents' re-resolve ${formatSeconds(reresolve)} (${statedReresolveTerms(settings)})`;
  const learned = estimate?.kind === 'learned' ? estimate : undefined;
  const seconds = learned?.seconds ?? trigger;
  // Timed to the agents' rings, the learned figure already holds their re-resolve.
  const joinSeconds = learned?.joinSeenBy === 'rings' ? seconds : seconds + reresolve;
  const figures = { seconds, triggerSeconds: trigger, joinSeconds, leadTimeSeconds: joinSeconds + settings.pollingIntervalSeconds + HPA_SYNC_SECONDS };
  if (learned === undefined) {
    const why = estimate?.kind === 'insufficient' ? `not learned yet: ${estimate.reason}` : 'no replica history read for this target';
    return {
      ...figures,
      source: 'trigger',
      sentence: `pod startup ${formatSeconds(trigger)} from the trigger's podStartup (${why}); + ${statedReresolve} before the agents send to it`,
      joinSummary: `pod startup ${formatSeconds(trigger)} from the trigger + re-resolve ${formatSeconds(reresolve)}`,
    };
  }
  const median = `p90; median ${formatSeconds(learned.medianSeconds)}`;
  if (learned.joinSeenBy === 'rings') {
    return {
      ...figures,
      source: 'learned',
      sentence: `a new gateway takes traffic ${formatSeconds(seconds)} after it is asked for, learned from ${learned.observations} gateways seen entering every agent's ring after scale-outs (${median}), its start and the agents' re-resolve together; the trigger says pod startup ${formatSeconds(trigger)} + ${statedReresolve}`,
      joinSummary: `joining the agents' rings ${formatSeconds(seconds)}, learned`,
    };
  }
  return {
    ...figures,
    source: 'learned',
    sentence: `pod startup ${formatSeconds(seconds)}, learned from ${learned.observations} gateways seen joining after scale-outs (${median}); the trigger says ${formatSeconds(trigger)}; + ${statedReresolve} before the agents send to it`,
    joinSummary: `pod startup ${formatSeconds(seconds)}, learned, + re-resolve ${formatSeconds(reresolve)}`,
  };
}
