// Whether a removed gateway lives long enough to keep what it holds. On scale-in the pod leaves the
// headless Service; agents still send it spans until they re-resolve: their DNS resolver asks every
// interval, and the cluster DNS may answer with the old set until its records' TTL runs out (caches
// such as CoreDNS's cache plugin serve them that long). A gateway stopped sooner refuses spans of
// traces it holds. Once stopped, the tail-sampling processor decides the traces still within
// decision_wait on what has arrived (its default since v0.141.0), or drops them
// (drop_pending_traces_on_shutdown: true, and every release before v0.141.0): then the drain must
// also outlast decision_wait, or every scale-in, by any autoscaler, breaks them. The trigger says which
// (dropPendingTracesOnShutdown); gateways that report an upstream release before v0.141.0 drop them
// whatever it says. The re-resolve is the trigger's DNS interval + DNS TTL, or what scale-ins showed
// (reresolve-estimate.ts) where that is longer. Pure: reads the target's settings, the builds the
// gateways report and the learned re-resolve.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { CollectorBuild } from '../signals/signal-snapshot.ts';
import { formatSeconds } from './format.ts';
import type { ReresolveEstimate } from './reresolve-estimate.ts';

/**
 * Allowance past the least drain: the spans the agents sent just before they re-resolved, and, where
 * pending traces are dropped, the last decided traces going through the batch processor and the
 * exporter queue: the batch processor's default timeout (200 ms) many times over and a healthy
 * exporter's send, so a drain that just covers the least is not cut short.
 */
export const DRAIN_FLUSH_SECONDS = 5;

/**
 * Distributions whose `service_version` is the contrib release their tail-sampling processor comes
 * from. A distribution built with the Collector Builder reports its own name and whatever version its
 * manifest gives, which says nothing certain about the processor's release.
 */
const UPSTREAM_DISTRIBUTIONS: readonly string[] = ['otelcol-contrib', 'otelcol-k8s'];
/** The first contrib release (0.x) whose tail-sampling processor decides pending traces on shutdown. */
const FIRST_DECIDING_MINOR = 141;

type DrainSettings = Pick<TargetSettings, 'decisionWaitSeconds' | 'scaleInDrainSeconds' | 'dropPendingTracesOnShutdown' | 'dnsResolverIntervalSeconds' | 'dnsTtlSeconds'>;
type NeedSettings = Omit<DrainSettings, 'scaleInDrainSeconds'>;

/** The oldest upstream build among the gateways whose processor drops pending traces whatever its config says, if any. */
function buildDroppingPendingTraces(builds: readonly CollectorBuild[] | undefined): CollectorBuild | undefined {
  let oldest: { build: CollectorBuild; minor: number } | undefined;
  for (const build of builds ?? []) {
    if (!UPSTREAM_DISTRIBUTIONS.includes(build.name)) continue;
    const release = /^v?0\.(\d+)\./.exec(build.version);
    if (release === null) continue;
    const minor = Number(release[1]);
    if (minor < FIRST_DECIDING_MINOR && (oldest === undefined || minor < oldest.minor)) oldest = { build, minor };
  }
  return oldest?.build;
}

function describeBuild(build: CollectorBuild): string {
  return `${build.name} ${build.version} (${build.gateways} gateway${build.gateways === 1 ? '' : 's'})`;
}

export interface DrainCheck {
  /** The drain the trigger states (`scaleInDrain`); undefined when not set. */
  readonly drainSeconds: number | undefined;
  readonly decisionWaitSeconds: number;
  /** Whether the gateways drop, rather than decide, the traces they still hold when stopped. */
  readonly dropsPendingTraces: boolean;
  /**
   * The gateways' build that drops them whatever the trigger says ("otelcol-contrib 0.140.0 (2 gateways)"),
   * when they report one; undefined when dropsPendingTraces comes from the trigger, or nothing drops.
   */
  readonly droppingBuild: string | undefined;
  readonly dnsResolverIntervalSeconds: number;
  readonly dnsTtlSeconds: number;
  /**
   * The longest the agents may keep sending a removed gateway spans: the DNS interval + the DNS TTL,
   * or the learned re-resolve where it is longer.
   */
  readonly reresolveSeconds: number;
  readonly reresolveSource: 'learned' | 'trigger';
  /** What scale-ins showed, once learned (p90 of `observations` gateways leaving the agents' rings); undefined before. */
  readonly learnedReresolve: { readonly seconds: number; readonly observations: number } | undefined;
  /** The least drain that breaks no trace: reresolveSeconds, plus decision_wait where pending traces are dropped. */
  readonly neededSeconds: number;
  /** The preStop sleep to set: neededSeconds + DRAIN_FLUSH_SECONDS. */
  readonly preStopSeconds: number;
  /** The stated drain is shorter than neededSeconds. */
  readonly tooShort: boolean;
  /**
   * What the drain covers or lacks, with the preStop to set when it falls short or is not stated
   * ("scale-in drain 10s is shorter than the agents' re-resolve 35s (…): …; set the gateways' preStop sleep to 40s …").
   */
  readonly sentence: string;
}

type StatedReresolve = Pick<TargetSettings, 'dnsResolverIntervalSeconds' | 'dnsTtlSeconds'>;

/** The agents' re-resolve as the trigger states it: their resolver's interval, then the cluster DNS's TTL. */
export function triggerReresolveSeconds(settings: StatedReresolve): number {
  return settings.dnsResolverIntervalSeconds + settings.dnsTtlSeconds;
}

/** "DNS interval 5s + DNS TTL 30s". */
export function statedReresolveTerms(settings: StatedReresolve): string {
  return `DNS interval ${formatSeconds(settings.dnsResolverIntervalSeconds)} + DNS TTL ${formatSeconds(settings.dnsTtlSeconds)}`;
}

function neededDrainSeconds(settings: NeedSettings, reresolveSeconds: number): number {
  return (settings.dropPendingTracesOnShutdown ? settings.decisionWaitSeconds : 0) + reresolveSeconds;
}

/** The preStop sleep gateways with these settings need (the example Deployment ships this value). */
export function preStopSecondsFor(settings: NeedSettings): number {
  return neededDrainSeconds(settings, triggerReresolveSeconds(settings)) + DRAIN_FLUSH_SECONDS;
}

/** What the tier showed; each undefined when not read. */
export interface DrainEvidence {
  /** The gateways' collector builds (SignalSnapshot.collectorBuilds). */
  readonly builds?: readonly CollectorBuild[];
  /** What scale-ins showed of the agents' re-resolve. */
  readonly reresolve?: ReresolveEstimate;
}

export function checkDrain(settings: DrainSettings, evidence: DrainEvidence = {}): DrainCheck {
  const check = drainFigures(settings, evidence);
  return { ...check, sentence: describeDrain(check) };
}

function drainFigures(settings: DrainSettings, evidence: DrainEvidence): Omit<DrainCheck, 'sentence'> {
  const dropping = settings.dropPendingTracesOnShutdown ? undefined : buildDroppingPendingTraces(evidence.builds);
  const need = { ...settings, dropPendingTracesOnShutdown: settings.dropPendingTracesOnShutdown || dropping !== undefined };
  const learned = evidence.reresolve?.kind === 'learned' ? evidence.reresolve : undefined;
  // Only ever longer: a few removals that met a fresh cache read short of its TTL, and a drain too short
  // breaks traces at every scale-in, where one too long only keeps a pod a little longer.
  const stated = triggerReresolveSeconds(settings);
  const lengthened = learned !== undefined && learned.seconds > stated;
  const reresolveSeconds = lengthened ? learned.seconds : stated;
  const neededSeconds = neededDrainSeconds(need, reresolveSeconds);
  const drainSeconds = settings.scaleInDrainSeconds;
  return {
    drainSeconds,
    decisionWaitSeconds: settings.decisionWaitSeconds,
    dropsPendingTraces: need.dropPendingTracesOnShutdown,
    droppingBuild: dropping === undefined ? undefined : describeBuild(dropping),
    dnsResolverIntervalSeconds: settings.dnsResolverIntervalSeconds,
    dnsTtlSeconds: settings.dnsTtlSeconds,
    reresolveSeconds,
    reresolveSource: lengthened ? 'learned' : 'trigger',
    learnedReresolve: learned === undefined ? undefined : { seconds: learned.seconds, observations: learned.observations },
    neededSeconds,
    preStopSeconds: neededSeconds + DRAIN_FLUSH_SECONDS,
    tooShort: drainSeconds !== undefined && drainSeconds < neededSeconds,
  };
}

function describeDrain(check: Omit<DrainCheck, 'sentence'>): string {
  const stated = statedReresolveTerms(check);
  const learned = check.learnedReresolve;
  const seen = learned === undefined ? '' : `${learned.observations} gateways seen leaving the agents' rings after scale-ins, p90`;
  const dns =
    learned === undefined
      ? `the agents' re-resolve ${formatSeconds(check.reresolveSeconds)} (${stated})`
      : check.reresolveSource === 'learned'
        ? `the agents' re-resolve ${formatSeconds(check.reresolveSeconds)} (learned from ${seen}; the trigger says ${formatSeconds(triggerReresolveSeconds(check))}: ${stated})`
        : `the agents' re-resolve ${formatSeconds(check.reresolveSeconds)} (${stated}; scale-ins showed ${formatSeconds(learned.seconds)}, ${seen}, which does not shorten it)`;
  const dropsBecause = check.droppingBuild === undefined
    ? 'since they drop the traces they hold when stopped (dropPendingTracesOnShutdown)'
    : `since ${check.droppingBuild} drops the traces it holds when stopped, as every release before 0.141.0 does whatever dropPendingTracesOnShutdown says`;
  const needs = check.dropsPendingTraces ? `decision_wait ${formatSeconds(check.decisionWaitSeconds)} + ${dns}, ${dropsBecause}` : dns;
  const breaks = check.dropsPendingTraces ? 'every scale-in breaks the traces the removed gateways still hold' : "every scale-in breaks the traces whose spans the agents still send to the removed gateways";
  const fix = `set the gateways' preStop sleep to ${formatSeconds(check.preStopSeconds)} (terminationGracePeriodSeconds above it) and scaleInDrain to match`;
  if (check.drainSeconds === undefined) return `scale-in drain unknown (scaleInDrain not set): a removed gateway needs at least ${needs}; ${fix}`;
  if (!check.tooShort) return `scale-in drain ${formatSeconds(check.drainSeconds)} covers ${needs}`;
  return `scale-in drain ${formatSeconds(check.drainSeconds)} is shorter than ${needs}: ${breaks}; ${fix}`;
}
