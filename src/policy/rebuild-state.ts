// Decision state rebuilt from history instead of remembered: the same decide() folded over past
// snapshots read from Prometheus on a fixed grid. Any scaler replica that folds the same snapshots gets
// the same recent peak, scale-in window and trend, so a restarted or second replica answers as the one
// that kept running; process memory only caches the fold between grid steps.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { SignalSnapshot } from '../signals/signal-snapshot.ts';
import { decide } from './decide.ts';
import type { DecideInput } from './decide-input.ts';
import { RECENT_PEAK_WINDOW_SECONDS } from './load-peaks.ts';
import { LOAD_SAMPLES } from './load-variation.ts';
import type { PolicyState } from './policy-state.ts';

/**
 * How far back the fold must start for the state to be whole: the recent-peak window and, before it,
 * the readings its oldest load level is the median of (one per grid step, the polling interval), and
 * two scale-in windows (one that may be under way and the one before it) plus a staleness gap.
 */
export function stateHorizonSeconds(settings: Pick<TargetSettings, 'scaleInWindowSeconds' | 'staleAfterSeconds' | 'pollingIntervalSeconds'>): number {
  const levelReadingsSeconds = (LOAD_SAMPLES - 1) * Math.ceil(settings.pollingIntervalSeconds);
  return Math.max(RECENT_PEAK_WINDOW_SECONDS + levelReadingsSeconds, 2 * settings.scaleInWindowSeconds + settings.staleAfterSeconds);
}

/**
 * What the tier has shown about itself over hours, which holds for every step of the fold as it does
 * for the live decision: the learned capacity, pod startup, re-resolve, the ring's judgement, and what earlier peaks showed.
 */
export type LearnedFigures = Pick<DecideInput, 'capacity' | 'startup' | 'reresolve' | 'ringSpread' | 'backendCeiling' | 'fellBehind'>;

/**
 * Folds decide() over snapshots, oldest first, each decided at its own time, starting from `previous`
 * (the fold up to the step before the first snapshot) or from nothing. A snapshot that cannot be
 * decided (no gateway count) is skipped: its gap breaks windows as a missed evaluation would.
 * Past steps are decided with the learned figures the live decision uses, so the scale-in window is
 * measured against the counts the live decision sizes: folded on the trigger's figure alone, a tier
 * whose learned capacity is above the trigger's never opened the window and never stepped in, and
 * one below it stepped in with no window. The forecast and calendar are about one instant and apply to
 * the live decision only.
 */
export function rebuildPolicyState(snapshots: readonly SignalSnapshot[], settings: TargetSettings, learned: LearnedFigures, previous?: PolicyState): PolicyState | undefined {
  let state = previous;
  for (const snapshot of snapshots) {
    if (snapshot.signals.currentReplicas.kind === 'missing') continue;
    try {
      state = decide({ ...learned, nowMs: snapshot.observedAtMs, snapshot }, settings, state).state;
    } catch {
      // CURRENT_REPLICAS_UNKNOWN for an unusable count: nothing to learn from this step.
    }
  }
  return state;
}
