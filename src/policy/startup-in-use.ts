// Which pod startup a decision plans with, and why: the figure learned from scale-outs once there is
// enough evidence, else the trigger's podStartup. It sets the forecast's lead time (leadTimeSeconds).
import type { TargetSettings } from '../config/target-metadata.ts';
import { formatSeconds } from './format.ts';
import type { StartupEstimate } from './startup-estimate.ts';

export interface StartupInUse {
  readonly seconds: number;
  readonly source: 'learned' | 'trigger';
  readonly triggerSeconds: number;
  /** "pod startup 75s (p90 of 12 gateways seen joining; median 60s); the trigger says 45s". */
  readonly sentence: string;
}

/** Resolves the startup for one decision; `estimate` undefined means no replica history was read. */
export function startupInUse(settings: Pick<TargetSettings, 'podStartupSeconds'>, estimate: StartupEstimate | undefined): StartupInUse {
  const trigger = settings.podStartupSeconds;
  if (estimate?.kind === 'learned') {
    return {
      seconds: estimate.seconds,
      source: 'learned',
      triggerSeconds: trigger,
      sentence: `pod startup ${formatSeconds(estimate.seconds)}, learned from ${estimate.observations} gateways seen joining after scale-outs (p90; median ${formatSeconds(estimate.medianSeconds)}); the trigger says ${formatSeconds(trigger)}`,
    };
  }
  const why = estimate === undefined ? 'no replica history read for this target' : `not learned yet: ${estimate.reason}`;
  return { seconds: trigger, source: 'trigger', triggerSeconds: trigger, sentence: `pod startup ${formatSeconds(trigger)} from the trigger's podStartup (${why})` };
}

/** The settings with the startup in use, so the forecast's lead time follows what pods actually take. */
export function withStartup<S extends Pick<TargetSettings, 'podStartupSeconds'>>(settings: S, startup: StartupInUse): S {
  return startup.seconds === settings.podStartupSeconds ? settings : { ...settings, podStartupSeconds: startup.seconds };
}
