import { describe, expect, it } from 'vitest';
import { alertKey, evaluateTargetAlerts, forgetTargetAlerts, type TargetAlerts } from '../../src/alerts/alert-state.ts';
import { resolveRuleSettings } from '../../src/alerts/rule-settings.ts';
import type { AlertInput } from '../../src/alerts/rules/alert-rule.ts';
import { BACKEND_GUARD, decisionInput, errorInput, TARGET } from './decision-fixture.ts';

const start = 1_700_000_000_000;
/** refusedSpans: for 2m, keepFiringFor 2m (the default follows `for`). */
const rules = resolveRuleSettings({ refusedSpans: { for: '2m' } }).filter((rule) => rule.rule.name === 'refusedSpans');

type Sample = 'bad' | 'good' | 'missing' | 'error';

function input(sample: Sample, atMs: number): AlertInput {
  if (sample === 'error') return errorInput(atMs);
  const refused = sample === 'bad' ? 1200 : sample === 'good' ? 0 : 'missing';
  return decisionInput({ at: atMs, signals: { refusedSpansPerSecond: refused } });
}

/** Runs samples (seconds after start) through the state machine and lists transitions as "kind@seconds". */
function run(samples: readonly (readonly [number, Sample])[]): string[] {
  let state: TargetAlerts = new Map();
  const events: string[] = [];
  for (const [seconds, sample] of samples) {
    const atMs = start + seconds * 1000;
    const step = evaluateTargetAlerts(state, input(sample, atMs), rules, atMs);
    state = step.next;
    for (const transition of step.transitions) events.push(`${transition.kind}@${seconds}`);
  }
  return events;
}

/** Samples every 30 s from `fromSeconds`, one per entry. */
function every30s(fromSeconds: number, samples: readonly Sample[]): [number, Sample][] {
  return samples.map((sample, index) => [fromSeconds + index * 30, sample]);
}

describe('alert state machine on sequences of decisions (refusedSpans, for 2m)', () => {
  const rows: { name: string; input: [number, Sample][]; want: string[] }[] = [
    { name: 'fires once the condition has held for `for`, not before', input: every30s(0, ['bad', 'bad', 'bad', 'bad', 'bad', 'bad']), want: ['firing@120'] },
    { name: 'one bad sample never pages', input: every30s(0, ['bad', 'good', 'good', 'good', 'good', 'good', 'good']), want: [] },
    { name: 'alternating bad and good samples never fire (pending resets)', input: every30s(0, ['bad', 'good', 'bad', 'good', 'bad', 'good', 'bad', 'good', 'bad']), want: [] },
    {
      name: 'a firing alert survives one good sample (no resolve/fire flapping)',
      input: every30s(0, ['bad', 'bad', 'bad', 'bad', 'bad', 'good', 'bad', 'good', 'bad', 'bad']),
      want: ['firing@120'],
    },
    {
      name: 'resolves once the condition stayed clear for keepFiringFor',
      input: every30s(0, ['bad', 'bad', 'bad', 'bad', 'bad', 'good', 'good', 'good', 'good', 'good', 'good']),
      want: ['firing@120', 'resolved@270'],
    },
    {
      name: 'fires again after resolving when the condition returns for `for`',
      input: [...every30s(0, ['bad', 'bad', 'bad', 'bad', 'bad']), ...every30s(150, ['good', 'good', 'good', 'good', 'good']), ...every30s(300, ['bad', 'bad', 'bad', 'bad', 'bad'])],
      want: ['firing@120', 'resolved@270', 'firing@420'],
    },
    { name: 'missing data neither resets nor advances a pending alert', input: every30s(0, ['bad', 'missing', 'bad', 'bad', 'bad']), want: ['firing@120'] },
    { name: 'failed evaluations do not resolve a firing alert', input: [...every30s(0, ['bad', 'bad', 'bad', 'bad', 'bad']), ...every30s(150, Array(20).fill('error'))], want: ['firing@120'] },
    { name: 'a good sample clears a pending alert even after missing data', input: every30s(0, ['bad', 'missing', 'good', 'bad', 'bad', 'bad', 'bad', 'bad']), want: ['firing@210'] },
    { name: 'after a long gap without decisions one bad sample restarts the pending period', input: [[0, 'bad'], [30, 'bad'], [900, 'bad'], [930, 'bad'], [960, 'bad'], [990, 'bad'], [1020, 'bad']], want: ['firing@1020'] },
  ];
  for (const row of rows) it(row.name, () => expect(run(row.input)).toEqual(row.want));
});

describe('evaluateTargetAlerts', () => {
  const allRules = resolveRuleSettings({ backendBottleneck: { for: '1m' }, refusedSpans: { for: '1m' } });
  const bad = (atMs: number) =>
    decisionInput({ at: atMs, guards: [BACKEND_GUARD], signals: { refusedSpansPerSecond: 900, sendFailedSpansPerSecond: 16_000, sentSpansPerSecond: 34_000 } });

  it('fires every rule whose condition held, each under its own stable key', () => {
    let state: TargetAlerts = new Map();
    const fired: string[] = [];
    for (const seconds of [0, 30, 60]) {
      const step = evaluateTargetAlerts(state, bad(start + seconds * 1000), allRules, start + seconds * 1000);
      state = step.next;
      fired.push(...step.transitions.map((transition) => `${transition.kind} ${transition.alert.key} ${transition.alert.severity}`));
    }
    expect(fired).toEqual(['firing observability/otel-gateway:backendBottleneck critical', 'firing observability/otel-gateway:refusedSpans warning']);
    expect(state.get('backendBottleneck')?.firedAtMs).toBe(start + 60_000);
    expect(state.get('backendBottleneck')?.activeSinceMs).toBe(start);
  });

  it('keeps the latest evidence of a firing alert and its first firing time', () => {
    let state: TargetAlerts = new Map();
    for (const seconds of [0, 30, 60, 90]) state = evaluateTargetAlerts(state, bad(start + seconds * 1000), allRules, start + seconds * 1000).next;
    const later = decisionInput({ at: start + 120_000, guards: [BACKEND_GUARD], signals: { refusedSpansPerSecond: 4000 } });
    state = evaluateTargetAlerts(state, later, allRules, start + 120_000).next;
    const refused = state.get('refusedSpans')!;
    expect(refused.firedAtMs).toBe(start + 60_000);
    expect(refused.details.evidence.find((item) => item.label === 'Spans refused')?.value).toBe(4000);
  });

  it('a resolved transition says what the scaler does now', () => {
    let state: TargetAlerts = new Map();
    for (const seconds of [0, 30, 60]) state = evaluateTargetAlerts(state, bad(start + seconds * 1000), allRules, start + seconds * 1000).next;
    const transitions = [];
    for (const seconds of [90, 120, 150]) {
      const step = evaluateTargetAlerts(state, decisionInput({ at: start + seconds * 1000, recommended: 8 }), allRules, start + seconds * 1000);
      state = step.next;
      transitions.push(...step.transitions);
    }
    expect(transitions.map((transition) => transition.kind)).toEqual(['resolved', 'resolved']);
    expect(transitions[0]).toMatchObject({ kind: 'resolved', atMs: start + 150_000, currentAction: 'Asked KEDA for 8 replicas (running 6).' });
  });

  it('disabled rules never fire', () => {
    const onlyBackend = resolveRuleSettings({ refusedSpans: { enabled: false }, backendBottleneck: { for: '1m' } });
    let state: TargetAlerts = new Map();
    const kinds: string[] = [];
    for (const seconds of [0, 30, 60, 90]) {
      const step = evaluateTargetAlerts(state, bad(start + seconds * 1000), onlyBackend, start + seconds * 1000);
      state = step.next;
      kinds.push(...step.transitions.map((transition) => transition.alert.rule));
    }
    expect(kinds).toEqual(['backendBottleneck']);
  });

  it('forgetting a target resolves its firing alerts and drops pending ones silently', () => {
    let state: TargetAlerts = new Map();
    for (const seconds of [0, 30, 60]) state = evaluateTargetAlerts(state, bad(start + seconds * 1000), allRules, start + seconds * 1000).next;
    state = evaluateTargetAlerts(state, errorInput(start + 90_000), allRules, start + 90_000).next;
    expect([...state.values()].map((alert) => `${alert.rule} ${alert.phase}`)).toEqual(['backendBottleneck firing', 'dataMissing pending', 'refusedSpans firing']);
    expect(forgetTargetAlerts(state, start + 120_000).map((transition) => transition.alert.rule)).toEqual(['backendBottleneck', 'refusedSpans']);
  });

  it('keys are namespace/name:rule', () => {
    expect(alertKey(TARGET, 'forecastMiss')).toBe('observability/otel-gateway:forecastMiss');
  });
});

describe('resolveRuleSettings', () => {
  it('enables every rule with its defaults when nothing is configured', () => {
    const resolved = resolveRuleSettings({});
    expect(resolved.map((rule) => [rule.rule.name, rule.forSeconds, rule.keepFiringForSeconds, rule.threshold])).toEqual([
      ['backendBottleneck', 120, 120, undefined],
      ['backendCeiling', 120, 120, undefined],
      ['dataMissing', 180, 180, undefined],
      ['atMaxUnderPressure', 300, 300, undefined],
      ['refusedSpans', 120, 120, 0],
      ['tracesDroppedTooEarly', 300, 300, 0],
      ['decisionLatencyHigh', 300, 300, undefined],
      ['routingImbalance', 600, 300, 2],
      ['drainTooShort', 0, 0, undefined],
      ['forecastMiss', 900, 300, 1],
    ]);
  });

  it('applies overrides', () => {
    const [rule] = resolveRuleSettings({ refusedSpans: { for: '10m', keepFiringFor: '30s', threshold: 50 } }).filter((r) => r.rule.name === 'refusedSpans');
    expect(rule).toMatchObject({ forSeconds: 600, keepFiringForSeconds: 30, threshold: 50 });
  });

  const rejections: { name: string; input: Parameters<typeof resolveRuleSettings>[0]; want: RegExp }[] = [
    { name: 'unknown rule name', input: { refusedSpan: {} }, want: /alerts\.rules\.refusedSpan is not an alert rule; rules are: backendBottleneck, / },
    { name: 'threshold on a rule that takes none', input: { backendBottleneck: { threshold: 0.1 } }, want: /alerts\.rules\.backendBottleneck\.threshold is not used by this rule/ },
    { name: 'negative refused threshold', input: { refusedSpans: { threshold: -1 } }, want: /alerts\.rules\.refusedSpans\.threshold must be a number ≥ 0 \(refused spans per second/ },
    { name: 'imbalance ratio of 1 would fire on an even ring', input: { routingImbalance: { threshold: 1 } }, want: /alerts\.rules\.routingImbalance\.threshold must be a number > 1/ },
    { name: 'bad duration', input: { refusedSpans: { for: '2 minutes' } }, want: /alerts\.rules\.refusedSpans\.for must be a duration like "30s"/ },
  ];
  for (const row of rejections) it(`rejects: ${row.name}`, () => expect(() => resolveRuleSettings(row.input)).toThrow(row.want));
});
