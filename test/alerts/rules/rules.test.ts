import { describe, expect, it } from 'vitest';
import type { AlertInput, AlertRule, RuleObservation } from '../../../src/alerts/rules/alert-rule.ts';
import { forecastDueAt } from '../../../src/alerts/rules/forecast-due.ts';
import { ALERT_RULES } from '../../../src/alerts/rules/rule-catalogue.ts';
import { routingSkew } from '../../../src/alerts/rules/routing-imbalance.ts';
import { suggestNumTraces } from '../../../src/alerts/rules/traces-dropped-too-early.ts';
import { parseTargetMetadata } from '../../../src/config/target-metadata.ts';
import { ceilingHeldBy } from '../../../src/policy/backend-ceiling.ts';
import type { Decision, ForecastUse, GuardAction } from '../../../src/policy/decision.ts';
import { checkDrain } from '../../../src/policy/drain-check.ts';
import { PEAK_UTILIZATION } from '../../../src/policy/peak-utilization.ts';
import { decideEach, settings as policySettings } from '../../policy/policy-fixtures.ts';
import { BACKEND_GUARD, decision, decisionInput, errorInput, MISSING_DATA_GUARD, TARGET } from '../decision-fixture.ts';

interface Want {
  readonly status: RuleObservation['status'];
  /** When the observation sets its own severity. */
  readonly severity?: 'critical' | 'warning';
  /** Evidence values by label that must be present (numbers compared to 6 digits). */
  readonly evidence?: Readonly<Record<string, number | string>>;
  /** Text that must appear in the summary, scaler action or checks. */
  readonly mentions?: readonly string[];
}

interface Row {
  readonly name: string;
  readonly input: AlertInput;
  readonly threshold?: number;
  readonly want: Want;
}

function check(rule: AlertRule, row: Row): void {
  const threshold = row.threshold ?? rule.threshold?.defaultValue;
  const got = rule.evaluate(row.input, { threshold });
  expect(got.status).toBe(row.want.status);
  if (got.status !== 'active') return;
  if (row.want.severity) expect(got.severity).toBe(row.want.severity);
  for (const [label, value] of Object.entries(row.want.evidence ?? {})) {
    const item = got.evidence.find((candidate) => candidate.label === label);
    expect(item, `evidence "${label}" in ${got.evidence.map((e) => e.label).join(', ')}`).toBeDefined();
    if (typeof value === 'number') expect(item!.value as number).toBeCloseTo(value, 6);
    else expect(item!.value).toBe(value);
  }
  const text = [got.summary, got.scalerAction, ...got.checks].join('\n');
  for (const mention of row.want.mentions ?? []) expect(text).toContain(mention);
}

function table(rule: AlertRule, rows: readonly Row[]): void {
  describe(rule.name, () => {
    for (const row of rows) it(row.name, () => check(rule, row));
  });
}

const at = 1_700_000_000_000;

table(ALERT_RULES.backendBottleneck, [
  { name: 'is clear when the guard did not act and send counters were read', input: decisionInput({ at }), want: { status: 'clear' } },
  {
    name: 'is active when the backendBottleneck guard held, with the send-failed ratio against the target limit',
    input: decisionInput({ at, guards: [BACKEND_GUARD], signals: { sendFailedSpansPerSecond: 16_000, sentSpansPerSecond: 34_000, queueFillMax: 0.9 } }),
    want: {
      status: 'active',
      evidence: { 'Send-failed ratio': 0.32, 'Spans failing to send': 16_000, 'Replicas the load alone would need': 9 },
      mentions: ['Held at 6 replicas.', BACKEND_GUARD.reason],
    },
  },
  {
    name: 'cannot judge a decision without send counters',
    input: decisionInput({ at, signals: { sendFailedSpansPerSecond: 'missing' } }),
    want: { status: 'unknown' },
  },
  { name: 'cannot judge a failed evaluation', input: errorInput(at), want: { status: 'unknown' } },
  {
    name: 'describes a dry-run target as advisory',
    input: decisionInput({ at, mode: 'dry-run', recommended: 9, guards: [BACKEND_GUARD] }),
    want: { status: 'active', mentions: ['Advisory only: recommends 9 replicas (running 6)'] },
  },
]);

// The real policy over two polls: queues above target at 18 gateways sending 200k spans/s, then at 20
// gateways sending `sentAfter` (the same rate unless a row says otherwise, which makes the queue
// proposal hold) with `enqueueFailed` spans/s overflowing the queues.
interface SecondPoll {
  readonly enqueueFailed: number | 'missing';
  readonly sentAfter?: number;
  /** Accepted spans/s at the second poll; 2% above what is sent unless a row says otherwise. */
  readonly acceptedAfter?: number;
  readonly mode?: 'enforce' | 'dry-run';
}

function afterGrowth({ enqueueFailed, sentAfter = 200_000, acceptedAfter = sentAfter * 1.02, mode = 'enforce' }: SecondPoll): AlertInput {
  const settings = policySettings({ capacitySpansPerReplica: '20000', targetUtilization: '0.7', minReplicas: '2', maxReplicas: '60', mode });
  const queues = { queueFillMax: 0.58, queueFillMean: 0.55 };
  const decisions = decideEach(settings, [
    { ...queues, currentReplicas: 18, sentSpansPerSecond: 200_000, acceptedSpansPerSecond: 204_000, enqueueFailedSpansPerSecond: 0 },
    { ...queues, currentReplicas: 20, sentSpansPerSecond: sentAfter, acceptedSpansPerSecond: acceptedAfter, enqueueFailedSpansPerSecond: enqueueFailed },
  ], 90_000);
  return { target: TARGET, settings, advisory: mode === 'dry-run', observation: { kind: 'decision', decision: decisions.at(-1)!, forecastDueNow: undefined } };
}

function heldCeiling(input: AlertInput): ReturnType<typeof ceilingHeldBy> {
  return input.observation.kind === 'decision' ? ceilingHeldBy(input.observation.decision) : undefined;
}

const overflowing = afterGrowth({ enqueueFailed: 6500 });
const heldNothingLost = afterGrowth({ enqueueFailed: 0 });
const heldWithoutSignal = afterGrowth({ enqueueFailed: 'missing' });
const sentRose = afterGrowth({ enqueueFailed: 6500, sentAfter: 230_000 });
const throughputGrows = afterGrowth({ enqueueFailed: 6500, acceptedAfter: 320_000 });

describe('backendCeiling inputs from decide()', () => {
  const shown = { sentSpansPerSecond: 200_000, fromReplicas: 18 };
  const rows = [
    { name: 'the queue proposal holds at the ceiling while spans overflow', input: overflowing, want: shown },
    { name: 'it holds with nothing lost', input: heldNothingLost, want: shown },
    { name: 'it holds without the enqueue-failed signal', input: heldWithoutSignal, want: shown },
    { name: 'it holds while the throughput proposal grows the tier', input: throughputGrows, want: shown },
    { name: 'gateways that raised the sent rate grow the tier instead', input: sentRose, want: undefined },
  ];
  for (const row of rows) it(row.name, () => expect(heldCeiling(row.input)).toEqual(row.want));
});

table(ALERT_RULES.backendCeiling, [
  {
    name: 'is active while the queue proposal holds at the ceiling and spans overflow the queues',
    input: overflowing,
    want: {
      status: 'active',
      evidence: { 'Spans lost (not enqueued)': 6500, 'Spans sent': 200_000, 'Replicas running': 20, 'Replicas the ceiling was shown from': 18, 'Fullest exporter queue': 0.58 },
      mentions: [
        'The backend takes no more than 200k spans/s (gateways added beyond 18 did not raise the sent rate), so the scaler holds at 20 while the exporter queues overflow and 6.5k spans/s are lost. More gateways would only add senders to a backend that is already full.',
        'Held at 20 replicas. The queue proposal said: “queues 58% full vs target 50% → 24; held at 20: the 2 gateways added since 18 did not raise the sent rate',
        '`sending_queue`',
        'Do not raise replicas by hand',
      ],
    },
  },
  {
    name: 'says the queues add no gateways when another proposal grows the tier',
    input: throughputGrows,
    want: { status: 'active', mentions: ['so the scaler adds no gateways for the queues beyond 20 while', 'Asked KEDA for 23 replicas (running 20).'] },
  },
  {
    name: 'describes a dry-run target as advisory',
    input: afterGrowth({ enqueueFailed: 6500, mode: 'dry-run' }),
    want: { status: 'active', mentions: ['Advisory only: recommends keeping 20 replicas; nothing was changed.'] },
  },
  { name: 'is clear while it holds with nothing lost', input: heldNothingLost, want: { status: 'clear' } },
  { name: 'is clear when gateways raised the sent rate and the queue proposal did not hold', input: sentRose, want: { status: 'clear' } },
  { name: 'is clear on a decision without a hold, whatever the enqueue-failed signal', input: decisionInput({ at, signals: { enqueueFailedSpansPerSecond: 'missing' } }), want: { status: 'clear' } },
  { name: 'cannot judge a hold without the enqueue-failed signal', input: heldWithoutSignal, want: { status: 'unknown' } },
  { name: 'cannot judge a failed evaluation', input: errorInput(at), want: { status: 'unknown' } },
]);

describe('backendCeiling evidence', () => {
  it('shows the sent rate now against the ceiling and the fullest queue against targetQueueFill', () => {
    // 2% under the ceiling still holds (no gateway raised the rate), and tells the two numbers apart.
    const input = afterGrowth({ enqueueFailed: 6500, sentAfter: 196_000 });
    const got = ALERT_RULES.backendCeiling.evaluate(input, { threshold: undefined });
    expect(got.status === 'active' ? got.evidence : got).toEqual([
      { label: 'Spans lost (not enqueued)', value: 6500, unit: 'spans/s' },
      { label: 'Spans sent', value: 196_000, unit: 'spans/s', reference: { label: 'ceiling', value: 200_000 } },
      { label: 'Replicas running', value: 20, unit: 'replicas' },
      { label: 'Replicas the ceiling was shown from', value: 18, unit: 'replicas' },
      { label: 'Fullest exporter queue', value: 0.58, unit: 'ratio', reference: { label: 'target', value: input.settings.targetQueueFill } },
    ]);
  });
});

table(ALERT_RULES.atMaxUnderPressure, [
  { name: 'is clear below max', input: decisionInput({ at }), want: { status: 'clear' } },
  {
    name: 'is active when clamped at max with the strongest proposal as evidence',
    input: decisionInput({
      at,
      current: 12,
      atMaxUnderPressure: true,
      proposals: [
        { name: 'queue', replicas: 18, inputs: {}, reason: 'queue 90% full vs target 50% → 18' },
        { name: 'throughput', replicas: 15, inputs: {}, reason: 'throughput → 15' },
        { name: 'forecast', replicas: undefined, inputs: {}, reason: 'no forecast' },
      ],
      signals: { acceptedSpansPerSecond: 190_000 },
    }),
    want: {
      status: 'active',
      evidence: { 'Replicas wanted (queue proposal)': 18, maxReplicas: 12, 'Spans accepted': 190_000 },
      mentions: ['queue 90% full vs target 50% → 18', 'Raise `maxReplicas`'],
    },
  },
]);

table(ALERT_RULES.refusedSpans, [
  { name: 'is clear at zero refusals', input: decisionInput({ at }), want: { status: 'clear' } },
  {
    name: 'is active on any refusal by default, with the refused share',
    input: decisionInput({ at, signals: { refusedSpansPerSecond: 2500, acceptedSpansPerSecond: 47_500 } }),
    want: { status: 'active', evidence: { 'Spans refused': 2500, 'Share of incoming spans refused': 0.05 } },
  },
  {
    name: 'stays clear at or under a configured threshold',
    input: decisionInput({ at, signals: { refusedSpansPerSecond: 100 } }),
    threshold: 100,
    want: { status: 'clear' },
  },
  { name: 'is unknown when the refused counter is missing', input: decisionInput({ at, signals: { refusedSpansPerSecond: 'missing' } }), want: { status: 'unknown' } },
]);

table(ALERT_RULES.tracesDroppedTooEarly, [
  { name: 'is clear with no early drops', input: decisionInput({ at }), want: { status: 'clear' } },
  {
    name: 'suggests num_traces from traces held and dropped: (300000/30 + 2000) × 30 × 1.2 / 6 = 72000',
    input: decisionInput({ at, signals: { droppedTooEarlyTracesPerSecond: 2000, tracesOnMemory: 300_000 } }),
    want: {
      status: 'active',
      evidence: { 'Traces dropped too early': 2000, 'Buffer fill': 1, 'Incoming traces (estimate)': 12_000, 'Suggested num_traces per replica': 72_000 },
      mentions: ['Raise `num_traces` in the tail_sampling processor to 72,000'],
    },
  },
  {
    name: 'still fires without traces on memory, saying no size could be computed',
    input: decisionInput({ at, signals: { droppedTooEarlyTracesPerSecond: 50, tracesOnMemory: 'missing' } }),
    want: { status: 'active', mentions: ['no size could be computed'] },
  },
]);

table(ALERT_RULES.decisionLatencyHigh, [
  { name: 'is clear within the target budget (500ms default)', input: decisionInput({ at, signals: { decisionLatencyP99Ms: 500 } }), want: { status: 'clear' } },
  {
    name: 'is active above the target budget when no threshold is configured',
    input: decisionInput({ at, signals: { decisionLatencyP99Ms: 740 } }),
    want: { status: 'active', evidence: { 'Decision tick p99': 740 } },
  },
  {
    name: 'a configured threshold replaces the target budget',
    input: decisionInput({ at, signals: { decisionLatencyP99Ms: 740 } }),
    threshold: 1000,
    want: { status: 'clear' },
  },
  {
    name: 'follows a per-target budget',
    input: decisionInput({ at, signals: { decisionLatencyP99Ms: 240 } }, { settings: parseTargetMetadata({ gatewaySelector: 'job="gw"', decisionLatencyBudget: '200ms' }) }),
    want: { status: 'active' },
  },
]);

const routingGuard: GuardAction = { name: 'routingImbalance', effect: 'note', from: 6, to: 6, reason: 'gw-0 takes 3.1× the others: routing, not capacity.' };
table(ALERT_RULES.routingImbalance, [
  { name: 'is clear on an even ring', input: decisionInput({ at }), want: { status: 'clear' } },
  {
    name: 'is active when one gateway takes more than twice the mean of the others',
    input: decisionInput({ at, byGateway: { 'gw-0': 30_000, 'gw-1': 5000, 'gw-2': 4000, 'gw-3': 6000 } }),
    want: { status: 'active', evidence: { 'Hottest gateway (gw-0)': 30_000, 'Mean of the other gateways': 5000, 'Hottest ÷ others': 6 }, mentions: ['does not add replicas'] },
  },
  {
    name: 'is active when the policy noted an imbalance even without per-gateway rates',
    input: decisionInput({ at, guards: [routingGuard], byGateway: 'missing' }),
    want: { status: 'active', mentions: [routingGuard.reason] },
  },
  {
    name: "says the scaler sizes the busiest gateway where the ring's history showed it spreading",
    input: decisionInput({
      at,
      byGateway: { 'gw-0': 45_000, 'gw-1': 20_000, 'gw-2': 20_000 },
      proposals: [{ name: 'throughput', replicas: 8, inputs: { busiestGatewayShareMultiple: 1.6875, peakUtilization: PEAK_UTILIZATION }, reason: 'gateway gw-0 takes 45k spans/s, 1.69× an even share (…, as a hash arc\'s does), so 8 keep it at 91% of 20k spans/s → 8' }],
    }),
    want: { status: 'active', evidence: { 'Hottest ÷ others': 2.25 }, mentions: ['sizes the tier for that gateway', 'no more than 91% of its capacity'] },
  },
  {
    name: 'is active when the hottest gateway also has the slowest decision ticks',
    input: decisionInput({ at, byGateway: { 'gw-0': 30_000, 'gw-1': 5000, 'gw-2': 4000, 'gw-3': 6000 }, latencyByGateway: { 'gw-0': 900, 'gw-1': 60, 'gw-2': 55, 'gw-3': 70 } }),
    want: { status: 'active', evidence: { 'Hottest ÷ others': 6 } },
  },
  {
    name: 'is clear when a gateway with slower decision ticks than the hottest takes less because it falls behind',
    input: decisionInput({ at, byGateway: { 'gw-0': 4000, 'gw-1': 1800 }, latencyByGateway: { 'gw-0': 900, 'gw-1': 2870 } }),
    want: { status: 'clear' },
  },
  { name: 'is unknown without per-gateway rates and without a policy note', input: decisionInput({ at, byGateway: 'missing' }), want: { status: 'unknown' } },
  { name: 'ignores an idle tier', input: decisionInput({ at, byGateway: { 'gw-0': 0.5, 'gw-1': 0 } }), want: { status: 'clear' } },
]);

const drainOf = (metadata: Record<string, string>): Decision['drain'] => checkDrain(policySettings(metadata));
const shortDrain = drainOf({ dropPendingTracesOnShutdown: 'true', decisionWait: '60s', scaleInDrain: '40s' });
const drainGuard: GuardAction = { name: 'drainTooShort', effect: 'note', from: 6, to: 6, reason: shortDrain.sentence };
table(ALERT_RULES.drainTooShort, [
  { name: 'is clear when the drain covers decision_wait + the re-resolve', input: decisionInput({ at, drain: drainOf({ dropPendingTracesOnShutdown: 'true', decisionWait: '30s', scaleInDrain: '70s' }) }), want: { status: 'clear' } },
  { name: 'is clear when no drain is stated (the decision notes it on scale-in instead)', input: decisionInput({ at }), want: { status: 'clear' } },
  {
    name: 'is active for gateways that decide what they hold when stopped only while the drain is shorter than the re-resolve',
    input: decisionInput({ at, drain: drainOf({ decisionWait: '60s', scaleInDrain: '10s' }) }),
    want: {
      status: 'active',
      evidence: { 'Scale-in drain (scaleInDrain)': 10, "Agents' DNS resolver interval (dnsResolverInterval)": 5, "Cluster DNS records' TTL (dnsTtl)": 30, 'preStop sleep to set': 40 },
      mentions: ['preStop sleep to 40 s', 'the agents may still send them spans (DNS interval + DNS TTL = 35 s)'],
    },
  },
  {
    name: 'is active for gateways on a release that drops what they hold though the trigger says they decide it, naming the release',
    input: decisionInput({ at, drain: checkDrain(policySettings({ decisionWait: '30s', scaleInDrain: '40s' }), { builds: [{ name: 'otelcol-contrib', version: '0.140.0', gateways: 3 }] }) }),
    want: {
      status: 'active',
      evidence: { 'Scale-in drain (scaleInDrain)': 40, decision_wait: 30, 'preStop sleep to set': 70 },
      mentions: ['they run otelcol-contrib 0.140.0 (3 gateways), older than 0.141.0', 'drops the traces a stopped gateway holds whatever its config says'],
    },
  },
  {
    name: 'is active when the re-resolve the agents showed is longer than the trigger states, with the learned figure beside the stated keys',
    input: decisionInput({
      at,
      drain: checkDrain(policySettings({ decisionWait: '30s', scaleInDrain: '40s' }), { reresolve: { kind: 'learned', seconds: 62, medianSeconds: 50, observations: 7, fromMs: at - 86_400_000, toMs: at } }),
    }),
    want: {
      status: 'active',
      evidence: { 'Scale-in drain (scaleInDrain)': 40, "Agents' re-resolve, learned (p90)": 62, "Agents' DNS resolver interval (dnsResolverInterval)": 5, "Cluster DNS records' TTL (dnsTtl)": 30, 'preStop sleep to set': 67 },
      mentions: ["the agents' re-resolve learned from scale-ins = 62 s", 'over 7 gateways removed by scale-ins, the last agent let the gateway go 62 s (p90) after the spec replicas fell, against 35 s stated'],
    },
  },
  {
    name: 'is active when the drain is shorter, with the preStop sleep to set',
    input: decisionInput({ at, drain: shortDrain, guards: [drainGuard] }),
    want: { status: 'active', evidence: { 'Scale-in drain (scaleInDrain)': 40, decision_wait: 60, 'preStop sleep to set': 100 }, mentions: ['preStop sleep to 100 s', drainGuard.reason] },
  },
]);

const forecast: ForecastUse = { leadTimeSeconds: 95, pointSpansPerSecond: 40_000, upperSpansPerSecond: 48_000, quantile: 0.9, fittedAtMs: at - 3_600_000, model: 'seasonal-naive' };
table(ALERT_RULES.forecastMiss, [
  {
    name: 'is clear inside the band',
    input: decisionInput({ at, signals: { acceptedSpansPerSecond: 47_000 } }, { forecastDueNow: { madeAtMs: at - 95_000, forecast } }),
    want: { status: 'clear' },
  },
  {
    name: 'is active above the upper band, with the ratio',
    input: decisionInput({ at, signals: { acceptedSpansPerSecond: 60_000 } }, { forecastDueNow: { madeAtMs: at - 95_000, forecast } }),
    want: { status: 'active', evidence: { 'Spans accepted': 60_000, 'Forecast upper band (p90)': 48_000, 'Load ÷ upper band': 1.25 } },
  },
  {
    name: 'a factor threshold widens the band',
    input: decisionInput({ at, signals: { acceptedSpansPerSecond: 60_000 } }, { forecastDueNow: { madeAtMs: at - 95_000, forecast } }),
    threshold: 1.3,
    want: { status: 'clear' },
  },
  { name: 'is unknown when no forecast was made for this moment', input: decisionInput({ at }), want: { status: 'unknown' } },
]);

table(ALERT_RULES.dataMissing, [
  { name: 'is clear when a decision was made without the missingData guard', input: decisionInput({ at }), want: { status: 'clear' } },
  {
    name: 'is a warning when missing data only blocks scale-in',
    input: decisionInput({ at, guards: [{ ...MISSING_DATA_GUARD, effect: 'note', from: 6, to: 6 }], signals: { decisionLatencyP99Ms: 'missing' } }),
    want: { status: 'active', severity: 'warning', mentions: ['still scales out on the signals it has'] },
  },
  {
    name: 'is active on a failed evaluation, with the catalogue remedy',
    input: errorInput(at),
    want: { status: 'active', severity: undefined, evidence: { Error: 'PROMETHEUS_UNAVAILABLE' }, mentions: ['Check that Prometheus is up', 'No decision: GetMetrics answered KEDA with PROMETHEUS_UNAVAILABLE'] },
  },
  {
    name: 'is critical when the policy held on missing data, listing the missing signals',
    input: decisionInput({ at, guards: [MISSING_DATA_GUARD], signals: { queueFillMax: 'missing' } }),
    want: { status: 'active', severity: 'critical', evidence: { 'queueFillMax missing': 'no series matched', 'Snapshot age': 0 }, mentions: [MISSING_DATA_GUARD.reason] },
  },
]);

describe('suggestNumTraces', () => {
  const rows = [
    { name: 'no drops: the held traces over decision_wait are the rate', input: { tracesOnMemory: 150_000, droppedTooEarlyTracesPerSecond: 0, decisionWaitSeconds: 30, replicas: 3 }, want: { tracesPerSecond: 5000, numTracesPerReplica: 60_000 } },
    { name: 'drops add to the rate and round up to a thousand', input: { tracesOnMemory: 100_000, droppedTooEarlyTracesPerSecond: 1, decisionWaitSeconds: 10, replicas: 2 }, want: { tracesPerSecond: 10_001, numTracesPerReplica: 61_000 } },
    { name: 'zero replicas sizes for one', input: { tracesOnMemory: 30_000, droppedTooEarlyTracesPerSecond: 0, decisionWaitSeconds: 30, replicas: 0 }, want: { tracesPerSecond: 1000, numTracesPerReplica: 36_000 } },
  ];
  for (const row of rows) it(row.name, () => expect(suggestNumTraces(row.input)).toEqual(row.want));
});

describe('routingSkew', () => {
  const rows: { name: string; input: Record<string, number>; want: ReturnType<typeof routingSkew> }[] = [
    { name: 'one gateway: no skew to speak of', input: { a: 100 }, want: undefined },
    { name: 'even gateways: ratio 1', input: { a: 100, b: 100, c: 100 }, want: { hottestGateway: 'a', hottestSpansPerSecond: 100, othersMeanSpansPerSecond: 100, ratio: 1, gateways: 3 } },
    { name: 'others idle: infinite ratio', input: { a: 0, b: 50 }, want: { hottestGateway: 'b', hottestSpansPerSecond: 50, othersMeanSpansPerSecond: 0, ratio: Number.POSITIVE_INFINITY, gateways: 2 } },
    { name: 'idle tier: not judged', input: { a: 0.2, b: 0 }, want: undefined },
  ];
  for (const row of rows) it(row.name, () => expect(routingSkew(row.input)).toEqual(row.want));
});

describe('forecastDueAt', () => {
  const lead = forecast.leadTimeSeconds * 1000;
  const history = [
    decision({ at: at - lead - 30_000, forecast: { ...forecast, upperSpansPerSecond: 1 } }),
    decision({ at: at - lead, forecast: { ...forecast, upperSpansPerSecond: 2 } }),
    decision({ at: at - lead + 30_000, forecast: { ...forecast, upperSpansPerSecond: 3 } }),
    decision({ at }),
  ];
  const rows = [
    { name: 'picks the decision whose forecast targets now', input: { history, nowMs: at, toleranceMs: 30_000 }, want: 2 },
    { name: 'picks the nearest within tolerance', input: { history, nowMs: at + 20_000, toleranceMs: 30_000 }, want: 3 },
    { name: 'none when nothing forecast this moment', input: { history, nowMs: at + 600_000, toleranceMs: 30_000 }, want: undefined },
    { name: 'decisions without a forecast are skipped', input: { history: history.slice(3), nowMs: at, toleranceMs: 600_000 }, want: undefined },
  ];
  for (const row of rows) {
    it(row.name, () => expect(forecastDueAt(row.input.history, row.input.nowMs, row.input.toleranceMs)?.forecast.upperSpansPerSecond).toBe(row.want));
  }
});

describe('every rule', () => {
  it('cannot judge a failed evaluation except dataMissing, which fires on it', () => {
    const statuses = Object.fromEntries(Object.values(ALERT_RULES).map((rule) => [rule.name, rule.evaluate(errorInput(at), { threshold: rule.threshold?.defaultValue }).status]));
    expect(statuses).toEqual({
      backendBottleneck: 'unknown',
      backendCeiling: 'unknown',
      dataMissing: 'active',
      atMaxUnderPressure: 'unknown',
      refusedSpans: 'unknown',
      tracesDroppedTooEarly: 'unknown',
      decisionLatencyHigh: 'unknown',
      routingImbalance: 'unknown',
      drainTooShort: 'unknown',
      forecastMiss: 'unknown',
    });
  });

  it('is clear or unknown on a healthy decision (no rule pages a healthy tier)', () => {
    for (const rule of Object.values(ALERT_RULES)) {
      expect(rule.evaluate(decisionInput({ at }), { threshold: rule.threshold?.defaultValue }).status, rule.name).not.toBe('active');
    }
  });
});
