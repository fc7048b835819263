// The stateless guards of the decision model, in the order `decide` applies them (docs/how-it-decides.md
// "Guards, in order"): each takes the count so far and returns the count after it with the action it took, like
// the HPA's normalisation steps. The stateful scale-in guard lives in scale-in.ts.
import type { TargetSettings } from '../config/target-metadata.ts';
import type { GuardAction, GuardName } from './decision.ts';
import { formatPercent, formatSeconds, formatSpansPerSecond } from './format.ts';
import { hotSpotSpreads, type PolicyContext } from './policy-context.ts';
import { findBackendStall } from './backend-stall.ts';
import { HPA_TOLERANCE, hpaIgnoresRatio, nearestCountOutsideTolerance } from './hpa-tolerance.ts';
import type { SentReference, TrendPoint } from './policy-state.ts';
import { describeRingChange } from './ring-spread.ts';

/** Queue fill must have grown by at least this much (fill points) since the previous snapshot to count as rising. */
export const QUEUE_RISE_MIN_FILL = 0.02;
/** The sent rate counts as flat while it grows by no more than this share. */
export const SENT_FLAT_TOLERANCE = 0.05;

export interface GuardResult {
  readonly replicas: number;
  /** What the guard did; undefined when it did not act. */
  readonly action: GuardAction | undefined;
  /** The phrase the summary uses when this guard determined the outcome. */
  readonly cause?: string;
}

/** A guard's action; `effect` defaults to a note when the count is unchanged, else a limit. */
export function guardAction(name: GuardName, from: number, to: number, reason: string, effect?: GuardAction['effect']): GuardAction {
  return { name, effect: effect ?? (from === to ? 'note' : 'limit'), from, to, reason };
}

const NOT_ACTED = (replicas: number): GuardResult => ({ replicas, action: undefined });

/** Why the backend, not the gateways, is the bottleneck. */
export type BottleneckFinding =
  | { readonly kind: 'failureRatio'; readonly failedRatio: number }
  | {
      readonly kind: 'trend';
      readonly queueFill: readonly [number, number];
      readonly sentSpansPerSecond: readonly [number, number];
      readonly sendFailedSpansPerSecond: readonly [number, number];
    }
  | {
      readonly kind: 'stall';
      readonly queueFill: readonly [number, number];
      readonly sentSpansPerSecond: readonly [number, number];
      readonly referenceSentSpansPerSecond: number;
      readonly acceptedSpansPerSecond: number;
    };

interface TrendFigures {
  readonly queue: readonly [number, number];
  readonly sent: readonly [number, number];
  readonly failed: readonly [number, number];
}

function trendFigures(ctx: PolicyContext, comparison: TrendPoint | undefined): TrendFigures | undefined {
  const { queueFillMax, sentSpansPerSecond, sendFailedSpansPerSecond } = ctx.values;
  if (comparison === undefined || queueFillMax === undefined || sentSpansPerSecond === undefined || sendFailedSpansPerSecond === undefined) return undefined;
  if (comparison.queueFillMax === undefined || comparison.sentSpansPerSecond === undefined || comparison.sendFailedSpansPerSecond === undefined) return undefined;
  return {
    queue: [comparison.queueFillMax, queueFillMax],
    sent: [comparison.sentSpansPerSecond, sentSpansPerSecond],
    failed: [comparison.sendFailedSpansPerSecond, sendFailedSpansPerSecond],
  };
}

function queuesRisingSentFlat(figures: TrendFigures): boolean {
  return figures.queue[1] - figures.queue[0] >= QUEUE_RISE_MIN_FILL && figures.sent[1] <= figures.sent[0] * (1 + SENT_FLAT_TOLERANCE);
}

/**
 * Backend bottleneck: send-failed share of sends over backendFailureRatio; or — against the previous
 * snapshot — queues rising while the sent rate stays flat (or falls) and send failures rise; or queues
 * filling while the sent rate has collapsed below the last healthy snapshot's (a stalled backend whose
 * batches are still being retried, so nothing has failed yet: see backend-stall.ts).
 */
export function findBackendBottleneck(ctx: PolicyContext, comparison: TrendPoint | undefined, sentReference: SentReference | undefined): BottleneckFinding | undefined {
  const { sentSpansPerSecond: sent, sendFailedSpansPerSecond: failed } = ctx.values;
  if (sent !== undefined && failed !== undefined && sent + failed > 0) {
    const failedRatio = failed / (sent + failed);
    if (failedRatio > ctx.settings.backendFailureRatio) return { kind: 'failureRatio', failedRatio };
  }
  const figures = trendFigures(ctx, comparison);
  if (figures !== undefined && queuesRisingSentFlat(figures) && figures.failed[1] > figures.failed[0]) {
    return { kind: 'trend', queueFill: figures.queue, sentSpansPerSecond: figures.sent, sendFailedSpansPerSecond: figures.failed };
  }
  const stall = comparison === undefined ? undefined : findBackendStall(ctx.values, comparison, sentReference, {
          minRiseFill: QUEUE_RISE_MIN_FILL,
          sentFlatTolerance: SENT_FLAT_TOLERANCE,
          targetQueueFill: ctx.settings.targetQueueFill,
        });
  if (stall !== undefined) return { kind: 'stall', ...stall };
  return undefined;
}

function describeBottleneck(finding: BottleneckFinding, settings: TargetSettings): string {
  if (finding.kind === 'failureRatio') {
    return `backend rejects ${formatPercent(finding.failedRatio)} of sends (limit ${formatPercent(settings.backendFailureRatio)})`;
  }
  const [q0, q1] = finding.queueFill;
  const [s0, s1] = finding.sentSpansPerSecond;
  if (finding.kind === 'stall') {
    return (
      `queues filling (${formatPercent(q0)} → ${formatPercent(q1)}) while the sent rate collapsed (${formatSpansPerSecond(s0)} → ${formatSpansPerSecond(s1)}, ` +
      `${formatSpansPerSecond(finding.referenceSentSpansPerSecond)} while the backend was healthy) with ${formatSpansPerSecond(finding.acceptedSpansPerSecond)} accepted: ` +
      'the backend has stalled and its batches are still being retried, before any send counts as failed'
    );
  }
  const [f0, f1] = finding.sendFailedSpansPerSecond;
  return (
    `queues rising (${formatPercent(q0)} → ${formatPercent(q1)}) while the backend takes no more ` +
    `(sent ${formatSpansPerSecond(s0)} → ${formatSpansPerSecond(s1)}) and send failures rise (${formatSpansPerSecond(f0)} → ${formatSpansPerSecond(f1)})`
  );
}

/** Guard 1: hold at current — no scale-out, no scale-in — while the backend is the bottleneck. */
export function backendBottleneckGuard(ctx: PolicyContext, replicas: number, comparison: TrendPoint | undefined, sentReference: SentReference | undefined): GuardResult {
  const finding = findBackendBottleneck(ctx, comparison, sentReference);
  if (finding === undefined) return NOT_ACTED(replicas);
  const cause = `${describeBottleneck(finding, ctx.settings)}; more gateways would not help`;
  return { replicas: ctx.current, action: guardAction('backendBottleneck', replicas, ctx.current, cause, 'hold'), cause };
}

/**
 * Not a guard: queues rising with a flat sent rate but no rising failures is what a slow (not failing)
 * backend looks like. The proposals still act on it; the decision says so.
 */
export function backendSaturationHint(ctx: PolicyContext, comparison: TrendPoint | undefined): string | undefined {
  const figures = trendFigures(ctx, comparison);
  if (figures === undefined || !queuesRisingSentFlat(figures) || figures.failed[1] > figures.failed[0]) return undefined;
  return (
    `Queues are rising (${formatPercent(figures.queue[0])} → ${formatPercent(figures.queue[1])}) while the sent rate stays flat ` +
    `(${formatSpansPerSecond(figures.sent[0])} → ${formatSpansPerSecond(figures.sent[1])}) without failures: if the backend is slow, more gateways may not help.`
  );
}

function missingNames(ctx: PolicyContext): string {
  return ctx.missing.map((entry) => entry.name).join(', ');
}

/** Silent gateways named in a reason; beyond this many the rest are counted, so a large tier's reason stays one line. */
export const MAX_NAMED_GATEWAYS = 5;

/** "4 of 6 gateways unscraped (gw-a, gw-b, gw-c, gw-d)". */
export function describeSilentGateways(ctx: PolicyContext): string | undefined {
  const { silent, current } = ctx;
  if (silent === undefined) return undefined;
  const shown = silent.names.slice(0, MAX_NAMED_GATEWAYS);
  const more = silent.names.length - shown.length;
  const names = shown.length === 0 ? '' : ` (${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''})`;
  return `${silent.count} of ${current} gateways unscraped${names}`;
}

/**
 * Guard 2: a stale snapshot holds at current in both directions (the numbers describe a past the HPA
 * may already have acted on). Missing signals, and gateways that should exist but do not report, block
 * scale-in only: a full queue still scales out when decision latency is missing. Silent gateways are
 * named and the count never goes below the gateways expected, because their load, queues and held
 * traces are unseen, not gone.
 */
export function missingDataGuard(ctx: PolicyContext, replicas: number): GuardResult {
  const staleAfter = ctx.settings.staleAfterSeconds;
  if (ctx.snapshotAgeSeconds > staleAfter) {
    const cause = `signals are ${formatSeconds(ctx.snapshotAgeSeconds)} old (stale after ${formatSeconds(staleAfter)}); not scaling on old data`;
    return { replicas: ctx.current, action: guardAction('missingData', replicas, ctx.current, cause, replicas === ctx.current ? 'note' : 'hold'), cause };
  }
  const silent = describeSilentGateways(ctx);
  if (ctx.missing.length === 0 && silent === undefined) return NOT_ACTED(replicas);
  const problems = [silent, ctx.missing.length > 0 ? `no data for ${missingNames(ctx)}` : undefined].filter((text) => text !== undefined).join('; ');
  if (replicas < ctx.current || (silent !== undefined && replicas === ctx.current)) {
    const cause = silent === undefined ? `${problems}; never scaling in on missing data` : `${problems}: holding at ${ctx.current}, never below the gateways expected`;
    return { replicas: ctx.current, action: guardAction('missingData', replicas, ctx.current, cause, replicas === ctx.current ? 'note' : 'hold'), cause };
  }
  const reason = `${problems}: no scale-in until ${silent === undefined ? 'it is' : 'they are'} back; scale-out on the signals present is still allowed`;
  return { replicas, action: guardAction('missingData', replicas, replicas, reason, 'note') };
}

/** Guard 4: clamp to [minReplicas, maxReplicas]. */
export function clampGuard(settings: TargetSettings, replicas: number): GuardResult {
  if (replicas > settings.maxReplicas) {
    const cause = `maxReplicas is ${settings.maxReplicas} (load needs ${replicas})`;
    return { replicas: settings.maxReplicas, action: guardAction('clamp', replicas, settings.maxReplicas, `capped at ${cause}`, 'limit'), cause };
  }
  if (replicas < settings.minReplicas) {
    const cause = `minReplicas is ${settings.minReplicas} (load needs ${replicas})`;
    return { replicas: settings.minReplicas, action: guardAction('clamp', replicas, settings.minReplicas, `raised to ${cause}`, 'limit'), cause };
  }
  return NOT_ACTED(replicas);
}

/** True when the HPA would ignore `recommended` (AverageValue, target 1): recommended/current within its tolerance. */
export function withinHpaTolerance(current: number, recommended: number): boolean {
  return recommended !== current && hpaIgnoresRatio(recommended / current);
}

/** "19 is inside the HPA's ±10%": why a recommendation leaves the count where it is (summary, guard, alerts, dashboard). */
export function insideHpaTolerance(recommended: number): string {
  return `${recommended} is inside the HPA's ±${formatPercent(HPA_TOLERANCE)}`;
}

/** Guard 5: say so when the HPA will not act on the change (it stays at current). */
export function hpaToleranceGuard(current: number, recommended: number): GuardResult {
  if (!withinHpaTolerance(current, recommended)) return NOT_ACTED(recommended);
  const acted = nearestCountOutsideTolerance(current, recommended);
  const fix = recommended < current ? `it acts on ${acted} or fewer, more than the load allows` : `it acts once the recommendation reaches ${acted}`;
  const reason = `Holding at ${current}: ${insideHpaTolerance(recommended)}, so ${current} → ${recommended} will not happen; ${fix}.`;
  return { replicas: recommended, action: guardAction('hpaTolerance', recommended, recommended, reason, 'note') };
}

/**
 * A note, never a change: one hot gateway is a routing problem, and queue fill and decision latency,
 * which it inflates, add nothing for it. Where more gateways spread it (hotSpotSpreads) the throughput
 * proposal sizes its gateway, and the note says so.
 */
export function routingImbalanceGuard(ctx: PolicyContext, replicas: number): GuardResult {
  const imbalance = ctx.imbalance;
  if (imbalance === undefined) return NOT_ACTED(replicas);
  const seen = `Gateway ${imbalance.hottestGateway} receives ${formatSpansPerSecond(imbalance.hottestSpansPerSecond)} while the other ${imbalance.gateways - 1} average ${formatSpansPerSecond(imbalance.othersMeanSpansPerSecond)}`;
  const spreads = hotSpotSpreads(ctx);
  const cause = spreads
    ? `: a hot spot more gateways spread, so the throughput proposal sizes the tier for that gateway`
    : `: a routing hot spot (traceID hash or stale DNS on the agents) that more gateways would not fix${ctx.ringSpread?.kind === 'stays' ? ` (${describeRingChange(ctx.ringSpread)})` : ''}`;
  const reason = `${seen}${cause}; queue fill counts by its mean and decision latency adds no replicas.`;
  return { replicas, action: guardAction('routingImbalance', replicas, replicas, reason, 'note') };
}

/**
 * A note when the forecast alone sets the count above every other proposal (scaling out ahead of load,
 * or keeping replicas for load the forecast expects back). Desired is a maximum, so a forecast below
 * the reactive proposals changes nothing: it never scales in by itself.
 */
export function forecastOnlyGuard(replicas: number, forecastReplicas: number | undefined, othersMax: number | undefined, headline: string): GuardResult {
  if (forecastReplicas === undefined || forecastReplicas !== replicas || (othersMax !== undefined && othersMax >= forecastReplicas)) return NOT_ACTED(replicas);
  const others = othersMax === undefined ? 'no other proposal has data' : `current load needs ${othersMax}`;
  const reason = `The forecast sets ${forecastReplicas} ahead of load (${headline}); ${others}.`;
  return { replicas, action: guardAction('forecastOnly', replicas, replicas, reason, 'note') };
}
