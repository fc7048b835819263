// The summary sentence a decision leads with: what the tier does (hold, scale out, scale in, or what it
// would do in dry-run) and the one cause that decided it, in words an SRE reads at 3 a.m. without
// opening the code.
import type { Mode } from '../config/target-metadata.ts';
import { formatApproximate, formatSeconds } from './format.ts';
import { insideHpaTolerance } from './guards.ts';
import type { ScaleInProgress } from './scale-in.ts';

export interface SummaryFacts {
  readonly current: number;
  readonly recommended: number;
  readonly mode: Mode;
  /** Cause of a hold that decided the outcome (bottleneck, stale or missing data, scale-in window). */
  readonly holdCause: string | undefined;
  /** Set when the clamp changed the count. */
  readonly clampCause: string | undefined;
  readonly scaleIn: ScaleInProgress | undefined;
  /** Headline of the proposal that set desired; undefined when no proposal had data. */
  readonly leadingHeadline: string | undefined;
  readonly estimatedBrokenTraces: number;
  readonly withinHpaTolerance: boolean;
}

function verb(facts: SummaryFacts): string {
  const { current, recommended, mode } = facts;
  // A change the HPA ignores leaves the tier where it is: that is a hold, whatever was recommended.
  if (recommended === current || facts.withinHpaTolerance) return mode === 'dry-run' ? `Holding at ${current} (dry run)` : `Holding at ${current}`;
  const direction = recommended > current ? 'out' : 'in';
  const step = facts.scaleIn !== undefined ? ` (step ${facts.scaleIn.step} of ${facts.scaleIn.of})` : '';
  if (mode === 'dry-run') return `Would scale ${direction} ${current} → ${recommended}${step} (dry run, answering ${current})`;
  return `Scaling ${direction} ${current} → ${recommended}${step}`;
}

/**
 * "Scaling in 10 → 9 (step 1 of 3): load has stayed below 10 replicas' worth for 90s; ~1,700 traces will be split."
 * "Holding at 20: 19 is inside the HPA's ±10%; load has stayed below 20 replicas' worth for 90s."
 */
export function summarize(facts: SummaryFacts): string {
  const parts: string[] = [];
  if (facts.withinHpaTolerance) parts.push(insideHpaTolerance(facts.recommended));
  if (facts.clampCause !== undefined) parts.push(facts.clampCause);
  if (facts.holdCause !== undefined) parts.push(facts.holdCause);
  else if (facts.scaleIn !== undefined) parts.push(`load has stayed below ${facts.current} replicas' worth for ${formatSeconds(facts.scaleIn.belowForSeconds)}`);
  else parts.push(facts.leadingHeadline ?? 'no proposal has data');
  if (facts.recommended < facts.current && facts.estimatedBrokenTraces > 0 && !facts.withinHpaTolerance) {
    parts.push(`~${formatApproximate(facts.estimatedBrokenTraces)} traces will be split`);
  }
  return `${verb(facts)}: ${parts.join('; ')}.`;
}

/** Turns a guard's or note's phrase into a sentence for `reasons`. */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  // Runs several times per decision: no copy when the first letter is a capital already, no regex.
  const first = trimmed[0]!;
  const upper = first.toUpperCase();
  const capitalised = upper === first ? trimmed : upper + trimmed.slice(1);
  // The last character of the trimmed text (flat once trimmed), not of `capitalised`: reading a character
  // of a joined string makes V8 copy it whole. Only a one-character text ends in its capital ("ß" → "SS").
  const last = trimmed.length > 1 ? trimmed[trimmed.length - 1] : upper[upper.length - 1];
  return last === '.' || last === '!' || last === '?' ? capitalised : `${capitalised}.`;
}
