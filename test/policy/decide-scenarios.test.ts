import { describe, expect, it } from 'vitest';
import { ScalerError } from '../../src/errors.ts';
import { decide } from '../../src/policy/decide.ts';
import type { CalendarInput, ForecastInput } from '../../src/policy/decide-input.ts';
import { LOAD_SAMPLES } from '../../src/policy/load-variation.ts';
import { PEAK_UTILIZATION } from '../../src/policy/peak-utilization.ts';
import { replicasFor } from '../../src/policy/proposals.ts';
import { type DecisionWant, expectDecision, HEALTHY, type SignalOverrides, settings, snapshot, T0_MS } from './policy-fixtures.ts';
import { startupInUse } from '../../src/policy/startup-in-use.ts';

const POLL_MS = 30_000;
const N = HEALTHY.currentReplicas;
const PER_REPLICA = 20_000 * 0.7;
/** What a replica carries at the utilization a load peak may run at. */
const PEAK_PER_REPLICA = 20_000 * PEAK_UTILIZATION;

interface Scenario {
  readonly name: string;
  readonly input: {
    readonly signals?: SignalOverrides;
    readonly byGateway?: Readonly<Record<string, number>> | 'missing';
    readonly latencyByGateway?: Readonly<Record<string, number>>;
    readonly unscraped?: readonly string[];
    readonly metadata?: Record<string, string>;
    /** Signals of a snapshot decided one poll earlier, giving the trend a past. */
    readonly before?: SignalOverrides;
    readonly snapshotAgeSeconds?: number;
    readonly forecast?: ForecastInput;
    readonly calendar?: CalendarInput;
  };
  readonly want: DecisionWant;
}

function forecastBand(upperSpansPerSecond: number, pointSpansPerSecond = upperSpansPerSecond * 0.8, nowPointSpansPerSecond?: number): ForecastInput {
  return {
    kind: 'available',
    band: {
      leadTimeSeconds: startupInUse(settings(), undefined).leadTimeSeconds,
      pointSpansPerSecond,
      upperSpansPerSecond,
      ...(nowPointSpansPerSecond === undefined ? {} : { nowPointSpansPerSecond }),
      quantile: 0.9,
      fittedAtMs: T0_MS - 3_600_000,
      model: 'seasonal',
    },
  };
}

function run(input: Scenario['input']) {
  const target = settings(input.metadata);
  const previous =
    input.before === undefined
      ? undefined
      : decide({ nowMs: T0_MS - POLL_MS, snapshot: snapshot({ signals: input.before, observedAtMs: T0_MS - POLL_MS }) }, target).state;
  const current = snapshot({ signals: input.signals, byGateway: input.byGateway, latencyByGateway: input.latencyByGateway, unscraped: input.unscraped, observedAtMs: T0_MS - (input.snapshotAgeSeconds ?? 0) * 1000 });
  return decide({ nowMs: T0_MS, snapshot: current, forecast: input.forecast, calendar: input.calendar }, target, previous).decision;
}

const hotGateway = { 'gateway-0': 50_000, 'gateway-1': 6_000, 'gateway-2': 6_000, 'gateway-3': 6_000, 'gateway-4': 6_000, 'gateway-5': 6_000 };

/** Two gateways, one taking under half of the other's spans, with decision ticks far over the 250 ms budget. */
const twoUneven = {
  byGateway: { 'gateway-0': 4_000, 'gateway-1': 1_900 },
  signals: { currentReplicas: 2, acceptedSpansPerSecond: 5_900, sentSpansPerSecond: 590, tracesOnMemory: 2_000, decisionLatencyP99Ms: 2_870 },
  metadata: { decisionLatencyBudget: '250ms', minReplicas: '2' },
};

const scenarios: Scenario[] = [
  {
    name: 'steady load that fits the current tier holds without any guard',
    input: {},
    want: { replicas: N, guards: [], summary: /^Holding at 6: 80k spans\/s needs 6 at 70% of 20k spans\/s per replica\.$/ },
  },
  {
    name: 'morning ramp: throughput past the tier’s capacity scales out on throughput',
    input: { signals: { acceptedSpansPerSecond: 150_000, sentSpansPerSecond: 15_000 } },
    want: { replicas: Math.ceil(150_000 / PER_REPLICA), guards: [], summary: /^Scaling out 6 → 11: 150k spans\/s needs 11/ },
  },
  {
    name: 'morning ramp seen ahead: the forecast’s upper band at now + lead time, at the 91% a peak may run at, scales out before the load arrives',
    input: { forecast: forecastBand(200_000, 150_000) },
    want: { replicas: replicasFor(200_000 / PEAK_PER_REPLICA), guards: ['forecastOnly'], summary: /^Scaling out 6 → 11: forecast expects up to 200k spans\/s in 2m5s \(p90\)\.$/ },
  },
  {
    name: 'a forecast whose point value is close to its upper band is sized by the point value at the 70% target, like the current load',
    input: { forecast: forecastBand(200_000, 190_000) },
    want: { replicas: Math.ceil(190_000 / PER_REPLICA), guards: ['forecastOnly'], reasons: /forecast proposal: forecast up to 200k spans\/s in 2m5s \(p90\) → 14 \(point 190k spans\/s at 70% per replica\)\.$/im },
  },
  {
    name: 'with the load measured, the forecast is the season’s change over the lead time on it: +50 % on 80k spans/s asks for 120k at 70 %',
    input: { forecast: forecastBand(180_000, 150_000, 100_000) },
    want: {
      replicas: Math.ceil(120_000 / PER_REPLICA),
      guards: ['forecastOnly'],
      reasons: /forecast proposal: forecast 120k spans\/s in 2m5s \(\+50% on 80k spans\/s now\) → 9 \(at 70% per replica\)\.$/im,
    },
  },
  {
    name: 'a fit whose level is twice the load but flat over the lead time asks for no more than the load measured now (its level error is not provisioned for)',
    input: { forecast: forecastBand(240_000, 160_000, 160_000) },
    want: { replicas: N, guards: [], summary: /^Holding at 6: 80k spans\/s needs 6/ },
  },
  {
    name: 'without the load measured, the band sizes on its own level: its upper edge at 91 %',
    input: { signals: { acceptedSpansPerSecond: undefined }, forecast: forecastBand(200_000, 150_000, 100_000) },
    want: { reasons: /forecast proposal: forecast up to 200k spans\/s in 2m5s \(p90\) → 11 \(p90 at 91% per replica\)\.$/im },
  },
  {
    name: 'a small tier is sized at the target utilization like a large one: 1.6 replicas’ worth of load at 70% gets 3',
    input: { signals: { currentReplicas: 2, acceptedSpansPerSecond: 32_000, sentSpansPerSecond: 3_200, tracesOnMemory: 36_000 } },
    want: { replicas: 3, summary: /^Scaling out 2 → 3: 32k spans\/s needs 3 at 70% of 20k spans\/s per replica\.$/ },
  },
  {
    name: 'a larger tier is sized at the target utilization',
    input: { signals: { currentReplicas: 10, acceptedSpansPerSecond: 130_000, sentSpansPerSecond: 13_000, tracesOnMemory: 190_000 } },
    want: { replicas: Math.ceil(130_000 / PER_REPLICA), guards: [], reasons: /throughput proposal: 130k spans\/s at 70% of 20k spans\/s per replica → 10\.$/im },
  },
  {
    name: 'queue filling because of load scales out to bring fill back to target',
    input: { signals: { queueFillMax: 0.82, queueFillMean: 0.78, acceptedSpansPerSecond: 84_000 }, before: { queueFillMax: 0.6, sentSpansPerSecond: 6_000 } },
    want: { replicas: Math.ceil((N * 0.82) / 0.5), guards: [], summary: /^Scaling out 6 → 10: queues 82% full \(target 50%\)\.$/ },
  },
  {
    name: 'queue filling because the backend is down holds at current',
    input: { signals: { queueFillMax: 0.95, queueFillMean: 0.9, sentSpansPerSecond: 0, sendFailedSpansPerSecond: 8_000, enqueueFailedSpansPerSecond: 2_000 } },
    want: { replicas: N, guards: ['backendBottleneck'], summary: /^Holding at 6: backend rejects 100% of sends \(limit 5%\); more gateways would not help\.$/ },
  },
  {
    name: 'backend rejecting 12% of sends holds even with refused spans and slow decisions',
    input: { signals: { queueFillMax: 0.9, sentSpansPerSecond: 7_040, sendFailedSpansPerSecond: 960, refusedSpansPerSecond: 5_000, decisionLatencyP99Ms: 2_000 } },
    want: { replicas: N, guards: ['backendBottleneck'], summary: /^Holding at 6: backend rejects 12% of sends \(limit 5%\)/ },
  },
  {
    name: 'queues rising while sent is flat and failures rise (under the ratio) holds on the trend',
    input: {
      before: { queueFillMax: 0.4, sentSpansPerSecond: 8_000, sendFailedSpansPerSecond: 100 },
      signals: { queueFillMax: 0.55, sentSpansPerSecond: 8_100, sendFailedSpansPerSecond: 300 },
    },
    want: { replicas: N, guards: ['backendBottleneck'], summary: /^Holding at 6: queues rising \(40% → 55%\) while the backend takes no more .*send failures rise/ },
  },
  {
    name: 'backend outage’s first minutes: queues filling while the sent rate collapses and send_failed is still 0 (retries running) holds at current',
    input: {
      before: { queueFillMax: 0.3, sentSpansPerSecond: 8_000 },
      signals: { queueFillMax: 0.6, queueFillMean: 0.55, sentSpansPerSecond: 2_000, sendFailedSpansPerSecond: 0 },
    },
    want: {
      replicas: N,
      guards: ['backendBottleneck'],
      summary: /^Holding at 6: queues filling \(30% → 60%\) while the sent rate collapsed \(8k spans\/s → 2k spans\/s, 8k spans\/s while the backend was healthy\) with 80k spans\/s accepted: the backend has stalled .*; more gateways would not help\.$/,
    },
  },
  {
    name: 'CPU-saturated tier: queues rising while the sent rate stays at what the gateways push and accepted climbs scales out, not held',
    input: {
      before: { queueFillMax: 0.3, acceptedSpansPerSecond: 110_000, sentSpansPerSecond: 11_000 },
      signals: { queueFillMax: 0.6, queueFillMean: 0.55, acceptedSpansPerSecond: 160_000, sentSpansPerSecond: 11_000, refusedSpansPerSecond: 4_000 },
    },
    want: { replicas: Math.ceil(160_000 / PER_REPLICA), notGuards: ['backendBottleneck'], summary: /^Scaling out 6 → 12/ },
  },
  {
    name: 'load falling with queues rising is no stall: sent fell with accepted, its share of accepted did not',
    input: {
      before: { queueFillMax: 0.3, acceptedSpansPerSecond: 80_000, sentSpansPerSecond: 8_000 },
      signals: { queueFillMax: 0.6, queueFillMean: 0.55, acceptedSpansPerSecond: 40_000, sentSpansPerSecond: 4_000 },
    },
    want: { replicas: Math.ceil((N * 0.6) / 0.5), notGuards: ['backendBottleneck'] },
  },
  {
    name: 'backend slow but not failing: queues rise with flat sends and no failures — scales out and says the backend may be the limit',
    input: {
      before: { queueFillMax: 0.4, sentSpansPerSecond: 8_000 },
      signals: { queueFillMax: 0.7, queueFillMean: 0.65, sentSpansPerSecond: 8_000 },
    },
    want: { replicas: Math.ceil((N * 0.7) / 0.5), notGuards: ['backendBottleneck'], reasons: /if the backend is slow, more gateways may not help/ },
  },
  {
    name: 'refused spans under memory pressure step up in proportion to the refused share',
    input: { signals: { refusedSpansPerSecond: 8_000 } },
    want: { replicas: Math.ceil(N * (1 + 8_000 / 88_000)), summary: /^Scaling out 6 → 7: gateways refuse 9% of spans under memory pressure\.$/ },
  },
  {
    name: 'a little refusal still adds one replica',
    input: { signals: { refusedSpansPerSecond: 10 } },
    want: { replicas: N + 1 },
  },
  {
    name: 'num_traces too small: full buffers and traces dropped before their decision scale out',
    input: { signals: { tracesOnMemory: 300_000, droppedTooEarlyTracesPerSecond: 500 } },
    want: { replicas: Math.ceil(300_000 / (50_000 * 0.8)), summary: /^Scaling out 6 → 8: num_traces too small: 500 traces\/s dropped before their decision\.$/ },
  },
  {
    name: 'decision latency over budget with low CPU scales out on the ticks, not on throughput: the load each gateway carries now at 91 %',
    input: { signals: { decisionLatencyP99Ms: 900, acceptedSpansPerSecond: 40_000 } },
    want: {
      replicas: Math.ceil(N * 1.1),
      summary: /^Scaling out 6 → 7: tail-sampling decisions take 900 ms \(budget 500 ms\)\.$/,
      reasons: /DecisionLatency proposal: decision tick p99 900 ms \(budget 500 ms\) → 7 \(over budget: sized to run the load of 6 at 91% of their CPU\)/,
    },
  },
  {
    name: 'decision latency ten times its budget asks the same step: how far over budget says nothing of how far over capacity',
    input: { signals: { decisionLatencyP99Ms: 5_000, acceptedSpansPerSecond: 40_000 } },
    want: { replicas: Math.ceil(N * 1.1), summary: /^Scaling out 6 → 7: tail-sampling decisions take 5000 ms/ },
  },
  {
    name: 'decision latency just over budget at 10 gateways asks 12, the nearest count the HPA carries out (11 is inside its tolerance), not 10 × p99 ÷ budget',
    input: { signals: { currentReplicas: 10, decisionLatencyP99Ms: 745, acceptedSpansPerSecond: 100_000 } },
    want: { replicas: 12, summary: /^Scaling out 10 → 12: tail-sampling decisions take 745 ms/ },
  },
  {
    name: 'one gateway hot while others idle: reported, and no replicas added for it',
    input: { byGateway: hotGateway, signals: { queueFillMax: 0.9, queueFillMean: 0.25, decisionLatencyP99Ms: 700 } },
    want: { replicas: N, guards: ['routingImbalance'], summary: /^Holding at 6/, reasons: /Gateway gateway-0 receives 50k spans\/s while the other 5 average 6k spans\/s/ },
  },
  {
    name: 'the busier of two gateways with the slowest ticks is a hot spot: decision latency holds the tier',
    input: { ...twoUneven, latencyByGateway: { 'gateway-0': 2_870, 'gateway-1': 930 } },
    want: { replicas: 2, guards: ['routingImbalance'], reasons: /not 3: one gateway is hot/ },
  },
  {
    name: 'the quieter of two gateways with the slowest ticks falls behind, not a hot spot: decision latency grows the tier',
    input: { ...twoUneven, latencyByGateway: { 'gateway-0': 930, 'gateway-1': 2_870 } },
    want: {
      replicas: 3,
      notGuards: ['routingImbalance'],
      summary: /^Scaling out 2 → 3: tail-sampling decisions take 2870 ms/,
      reasons: /gateway gateway-1 ticks at 2870 ms, slower than the busiest gateway-0 at 930 ms: it takes less because it falls behind/,
    },
  },
  {
    name: 'two uneven gateways without per-gateway tick latency read as a hot spot, as before it was known',
    input: twoUneven,
    want: { replicas: 2, guards: ['routingImbalance'] },
  },
  {
    name: 'one gateway hot does not hide a tier-wide overload: the total still scales out',
    input: { byGateway: { ...hotGateway, 'gateway-0': 110_000 }, signals: { acceptedSpansPerSecond: 140_000, queueFillMax: 0.9, queueFillMean: 0.3 } },
    want: { replicas: Math.ceil(140_000 / PER_REPLICA), guards: ['routingImbalance'] },
  },
  {
    name: 'a hash-skewed ring below the imbalance ratio: the tier grows until its busiest gateway runs at the 91% a peak may',
    input: { byGateway: { 'gateway-0': 20_000, 'gateway-1': 12_000, 'gateway-2': 12_000, 'gateway-3': 12_000, 'gateway-4': 12_000, 'gateway-5': 12_000 } },
    want: { replicas: Math.ceil((1.5 * 80_000) / PEAK_PER_REPLICA), guards: [], summary: /^Scaling out 6 → 7: gateway gateway-0 takes 20k spans\/s, 1\.50× an even share: 7 keep it at 91% of 20k spans\/s\.$/ },
  },
  {
    name: 'missing queue metric with falling load: never scales in on missing data',
    input: { signals: { queueFillMax: 'missing', queueFillMean: 'missing', acceptedSpansPerSecond: 30_000 } },
    want: { replicas: N, guards: ['missingData'], summary: /^Holding at 6: no data for queueFillMax, queueFillMean; never scaling in on missing data\.$/ },
  },
  {
    name: '4 of 6 gateways unscraped with load seen only from the 2 left: holds at 6 and names them',
    input: { signals: { reportingReplicas: 2, acceptedSpansPerSecond: 27_000, tracesOnMemory: 40_000 }, unscraped: ['gw-a:8888', 'gw-b:8888', 'gw-c:8888', 'gw-d:8888'] },
    want: {
      replicas: N,
      guards: ['missingData'],
      summary: /^Holding at 6: 4 of 6 gateways unscraped \(gw-a:8888, gw-b:8888, gw-c:8888, gw-d:8888\): holding at 6, never below the gateways expected\.$/,
    },
  },
  {
    name: 'silent gateways Prometheus cannot name (undiscovered pods of the Deployment) are still counted',
    input: { signals: { reportingReplicas: 5, acceptedSpansPerSecond: 20_000 }, unscraped: [] },
    want: { replicas: N, guards: ['missingData'], summary: /^Holding at 6: 1 of 6 gateways unscraped: holding at 6/ },
  },
  {
    name: 'a long list of unscraped gateways is cut to the first five',
    input: { signals: { currentReplicas: 20, reportingReplicas: 13, acceptedSpansPerSecond: 100_000 }, unscraped: ['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7'] },
    want: { replicas: 20, guards: ['missingData'], summary: /7 of 20 gateways unscraped \(g1, g2, g3, g4, g5 and 2 more\)/ },
  },
  {
    name: 'unscraped gateways with full queues on those that report: scale-out is still allowed, scale-in is not',
    input: { signals: { reportingReplicas: 3, queueFillMax: 0.9, queueFillMean: 0.9 }, unscraped: ['gw-a', 'gw-b', 'gw-c'] },
    want: { replicas: Math.ceil((N * 0.9) / 0.5), guards: ['missingData'], reasons: /3 of 6 gateways unscraped \(gw-a, gw-b, gw-c\): no scale-in until they are back; scale-out on the signals present is still allowed/ },
  },
  {
    name: 'reporting count missing: no scale-in, like any missing signal',
    input: { signals: { reportingReplicas: 'missing', acceptedSpansPerSecond: 20_000 } },
    want: { replicas: N, guards: ['missingData'], summary: /^Holding at 6: no data for reportingReplicas; never scaling in on missing data\.$/ },
  },
  {
    name: 'missing queue metric with rising load: still scales out on throughput',
    input: { signals: { queueFillMax: 'missing', queueFillMean: 'missing', acceptedSpansPerSecond: 120_000 } },
    want: { replicas: Math.ceil(120_000 / PER_REPLICA), guards: ['missingData'], summary: /^Scaling out 6 → 9/ },
  },
  {
    name: 'Prometheus partially answering: full queues scale out on what answered',
    input: {
      signals: { queueFillMax: 0.82, decisionLatencyP99Ms: 'missing', tracesOnMemory: 'missing', refusedSpansPerSecond: 'missing', droppedTooEarlyTracesPerSecond: 'missing' },
    },
    want: { replicas: Math.ceil((N * 0.82) / 0.5), guards: ['missingData'], reasons: /No data for refusedSpansPerSecond, decisionLatencyP99Ms, tracesOnMemory, droppedTooEarlyTracesPerSecond: no scale-in/ },
  },
  {
    name: 'backend health unknown (send failures missing): a full queue still scales out',
    input: { signals: { queueFillMax: 0.82, sendFailedSpansPerSecond: 'missing' } },
    want: { replicas: Math.ceil((N * 0.82) / 0.5), guards: ['missingData'] },
  },
  {
    name: 'stale snapshot holds even when it shows full queues',
    input: { signals: { queueFillMax: 0.95 }, snapshotAgeSeconds: 180 },
    want: { replicas: N, guards: ['missingData'], summary: /^Holding at 6: signals are 3m old \(stale after 2m\); not scaling on old data\.$/ },
  },
  {
    name: 'a snapshot just inside staleAfter is used',
    input: { signals: { queueFillMax: 0.82 }, snapshotAgeSeconds: 119 },
    want: { replicas: Math.ceil((N * 0.82) / 0.5), guards: [] },
  },
  {
    name: 'max clamp: pressure beyond maxReplicas stops at max and flags it',
    input: { signals: { queueFillMax: 1 }, metadata: { maxReplicas: '8' } },
    want: { replicas: 8, guards: ['clamp'], atMaxUnderPressure: true, summary: /^Scaling out 6 → 8: maxReplicas is 8 \(load needs 12\); queues 100% full/ },
  },
  {
    name: 'min clamp: an idle tier at minReplicas stays there',
    input: { signals: { currentReplicas: 2, acceptedSpansPerSecond: 0, tracesOnMemory: 750, sentSpansPerSecond: 0, queueFillMax: 0, queueFillMean: 0, decisionLatencyP99Ms: 1 } },
    want: { replicas: 2, guards: ['clamp'], atMaxUnderPressure: false, summary: /^Holding at 2: minReplicas is 2 \(load needs 1\)/ },
  },
  {
    name: 'min clamp: a tier below minReplicas is raised even on quiet load',
    input: { signals: { currentReplicas: 1, acceptedSpansPerSecond: 500, tracesOnMemory: 750, queueFillMax: 0, queueFillMean: 0 }, metadata: { minReplicas: '3' } },
    want: { replicas: 3, guards: ['clamp'] },
  },
  {
    name: 'dry-run answers current and records what it would do',
    input: { signals: { queueFillMax: 0.82 }, metadata: { mode: 'dry-run' } },
    want: { replicas: N, recommended: Math.ceil((N * 0.82) / 0.5), summary: /^Would scale out 6 → 10 \(dry run, answering 6\): queues 82% full \(target 50%\)\.$/ },
  },
  {
    name: 'dry-run holding says so',
    input: { metadata: { mode: 'dry-run' } },
    want: { replicas: N, recommended: N, summary: /^Holding at 6 \(dry run\): / },
  },
  {
    // 22 / 20 is exactly 1 + 0.1 in float64, inside the HPA's tolerance as Tolerances.isWithin tests it.
    name: 'HPA tolerance: 20 → 21 is inside ±10% and is flagged as ignored, naming the count it would act on',
    input: { signals: { currentReplicas: 20, acceptedSpansPerSecond: 290_000, sentSpansPerSecond: 29_000 } },
    want: { replicas: 21, guards: ['hpaTolerance'], withinHpaTolerance: true, summary: /^Holding at 20: 21 is inside the HPA's ±10%; 290k spans\/s needs 21/, reasons: /it acts once the recommendation reaches 23/ },
  },
  {
    name: 'HPA tolerance: 20 → 23 is outside ±10% and is not flagged',
    input: { signals: { currentReplicas: 20, acceptedSpansPerSecond: 310_000, sentSpansPerSecond: 31_000 } },
    want: { replicas: 23, guards: [], withinHpaTolerance: false },
  },
  {
    name: 'forecast below current load changes nothing (it never scales in)',
    input: { signals: { acceptedSpansPerSecond: 150_000 }, forecast: forecastBand(20_000) },
    want: { replicas: Math.ceil(150_000 / PER_REPLICA), guards: [] },
  },
  {
    name: 'forecast unavailable (too little history) is said in the decision, never an error',
    input: { forecast: { kind: 'unavailable', reason: 'needs 3 days of history, has 20h' } },
    want: { replicas: N, reasons: /No forecast: needs 3 days of history, has 20h\./ },
  },
  {
    name: 'calendar window minimum scales out ahead of a known event',
    input: { calendar: { activeWindows: [{ name: 'release-day', minReplicas: 12 }] } },
    want: { replicas: 12, summary: /^Scaling out 6 → 12: calendar window "release-day" keeps at least 12\.$/ },
  },
  {
    name: 'calendar load multiplier applies to the forecast point when there is one',
    input: { forecast: forecastBand(90_000, 70_000), calendar: { activeWindows: [{ name: 'black-friday', loadMultiplier: 3 }] } },
    want: { replicas: Math.ceil((70_000 * 3) / PER_REPLICA), summary: /calendar window "black-friday" expects 3× the forecast/ },
  },
];

describe('decide: situations an SRE would name', () => {
  for (const scenario of scenarios) {
    it(scenario.name, () => {
      expectDecision(run(scenario.input), scenario.want);
    });
  }

  it('a stalled backend holds from its first minutes through full queues and enqueue failures, and the tier scales again once sends recover', () => {
    const target = settings();
    const polls: { signals: SignalOverrides; want: DecisionWant }[] = [
      { signals: { queueFillMax: 0.2, sentSpansPerSecond: 8_000 }, want: { replicas: N, guards: [] } },
      { signals: { queueFillMax: 0.55, sentSpansPerSecond: 5_000 }, want: { replicas: N, guards: ['backendBottleneck'], summary: /the backend has stalled/ } },
      { signals: { queueFillMax: 0.95, sentSpansPerSecond: 1_000 }, want: { replicas: N, guards: ['backendBottleneck'] } },
      { signals: { queueFillMax: 1, sentSpansPerSecond: 0, enqueueFailedSpansPerSecond: 20_000 }, want: { replicas: N, guards: ['backendBottleneck'], summary: /sent rate collapsed \(1k spans\/s → 0 spans\/s, 8k spans\/s while the backend was healthy\)/ } },
      { signals: { queueFillMax: 1, sentSpansPerSecond: 0, enqueueFailedSpansPerSecond: 20_000, sendFailedSpansPerSecond: 6_000 }, want: { replicas: N, guards: ['backendBottleneck'], summary: /backend rejects 100% of sends/ } },
      { signals: { queueFillMax: 0.7, sentSpansPerSecond: 30_000, acceptedSpansPerSecond: 120_000 }, want: { replicas: Math.ceil(120_000 / PER_REPLICA), notGuards: ['backendBottleneck'] } },
    ];
    let state: Parameters<typeof decide>[2];
    polls.forEach((poll, index) => {
      const nowMs = T0_MS + index * POLL_MS;
      const result = decide({ nowMs, snapshot: snapshot({ signals: poll.signals, observedAtMs: nowMs }) }, target, state);
      state = result.state;
      expect.soft(() => expectDecision(result.decision, poll.want), `poll ${index}`).not.toThrow();
    });
  });

  it('a burst held in the decision-latency p99 window does not run away: replicas just added are not compounded on until the window has passed them', () => {
    const target = settings();
    const quiet = { acceptedSpansPerSecond: 10_000, sentSpansPerSecond: 1_000, tracesOnMemory: 20_000, queueFillMax: 0.1, queueFillMean: 0.1, decisionLatencyP99Ms: 5_000 };
    const polls: { atSeconds: number; currentReplicas: number; want: DecisionWant }[] = [
      { atSeconds: 0, currentReplicas: 2, want: { replicas: 3, summary: /^Scaling out 2 → 3: tail-sampling decisions take 5000 ms/ } },
      { atSeconds: 30, currentReplicas: 3, want: { replicas: 3, reasons: /sized from 2, the fewest gateways in the 2m p99 window/ } },
      { atSeconds: 60, currentReplicas: 3, want: { replicas: 3 } },
      { atSeconds: 120, currentReplicas: 3, want: { replicas: 3 } },
      { atSeconds: 150, currentReplicas: 3, want: { replicas: 4 } },
    ];
    let state: Parameters<typeof decide>[2];
    for (const poll of polls) {
      const nowMs = T0_MS + poll.atSeconds * 1000;
      const result = decide({ nowMs, snapshot: snapshot({ signals: { ...quiet, currentReplicas: poll.currentReplicas }, observedAtMs: nowMs }) }, target, state);
      state = result.state;
      expect.soft(() => expectDecision(result.decision, poll.want), `poll at ${poll.atSeconds}s`).not.toThrow();
    }
  });

  /** Decides every 30 s from 3 gateways, the HPA carrying out every answer by the next poll, at 75k spans/s while `high(atSeconds)` and 30k otherwise. */
  function answersAround(high: (atSeconds: number) => boolean, untilSeconds: number) {
    const target = settings();
    const steady = { acceptedSpansPerSecond: 30_000, sentSpansPerSecond: 3_000, tracesOnMemory: 45_000 };
    const burst = { acceptedSpansPerSecond: 75_000, sentSpansPerSecond: 7_500, tracesOnMemory: 110_000 };
    let state: Parameters<typeof decide>[2];
    let current = 3;
    const answered: { atSeconds: number; replicas: number; decision: ReturnType<typeof decide>['decision'] }[] = [];
    for (let atSeconds = 0; atSeconds <= untilSeconds; atSeconds += 30) {
      const nowMs = T0_MS + atSeconds * 1000;
      const signals = high(atSeconds) ? burst : steady;
      const result = decide({ nowMs, snapshot: snapshot({ signals: { ...signals, currentReplicas: current }, observedAtMs: nowMs }) }, target, state);
      state = result.state;
      answered.push({ atSeconds, replicas: result.decision.replicas, decision: result.decision });
      current = result.decision.replicas;
    }
    return { answered, at: (seconds: number) => answered.find((entry) => entry.atSeconds === seconds)! };
  }

  it('a load held for minutes keeps room for its level for an hour: a tier of 3 that held 2.5× its load for 5½ minutes keeps 5 (that load at 91%), then returns to 3', () => {
    const highReadings = Math.ceil(LOAD_SAMPLES / 2);
    const lastHighSeconds = 30 * highReadings;
    // The level (the median of the last LOAD_SAMPLES readings) stays at 75k while half of them or more are.
    const lastHighLevelAtSeconds = 30 + 30 * (LOAD_SAMPLES - 1);
    const { answered, at } = answersAround((atSeconds) => atSeconds >= 30 && atSeconds <= lastHighSeconds, lastHighLevelAtSeconds + 3600 + 300);
    expectDecision(at(0).decision, { replicas: 3 });
    expectDecision(at(30).decision, { replicas: Math.ceil(75_000 / PER_REPLICA) });
    // While the high readings are among the last LOAD_SAMPLES, the scale-out they caused is not undone (the
    // dead band of the load's noise); then the room for their level at 91 % for the rest of the hour.
    const highLeavesReadingsAtSeconds = lastHighSeconds + LOAD_SAMPLES * 30;
    for (const entry of answered.filter((entry) => entry.atSeconds >= 30 && entry.atSeconds < highLeavesReadingsAtSeconds)) {
      expect(entry.replicas, `at ${entry.atSeconds}s`).toBe(Math.ceil(75_000 / PER_REPLICA));
    }
    const heldForTheHour = answered.filter((entry) => entry.atSeconds >= highLeavesReadingsAtSeconds + 300 && entry.atSeconds < lastHighLevelAtSeconds + 3600);
    expect(heldForTheHour.length).toBeGreaterThan(90);
    for (const entry of heldForTheHour) expect(entry.replicas, `at ${entry.atSeconds}s`).toBe(Math.ceil(75_000 / PEAK_PER_REPLICA));
    const twentyMinutesOn = lastHighLevelAtSeconds + 1200;
    expectDecision(at(twentyMinutesOn).decision, { summary: /^Holding at 5: the load held 75k spans\/s 20m ago; room kept for that level at 91% of 20k spans\/s per replica\.$/ });
    expect(at(lastHighLevelAtSeconds + 3600 + 300).replicas).toBe(3);
  });

  it('a burst of one reading keeps no room beyond the dead band: once it leaves the last readings the tier returns to 3, long before the hour', () => {
    const { answered, at } = answersAround((atSeconds) => atSeconds === 30, 3600);
    expectDecision(at(30).decision, { replicas: Math.ceil(75_000 / PER_REPLICA) });
    const burstLeavesReadingsAtSeconds = 30 + LOAD_SAMPLES * 30;
    for (const entry of answered.filter((entry) => entry.atSeconds >= 30 && entry.atSeconds < burstLeavesReadingsAtSeconds)) {
      expect(entry.replicas, `at ${entry.atSeconds}s`).toBe(Math.ceil(75_000 / PER_REPLICA));
    }
    expect(at(burstLeavesReadingsAtSeconds + 600).replicas).toBe(3);
    for (const entry of answered.filter((entry) => entry.atSeconds >= 60)) {
      const recentPeak = entry.decision.proposals.find((proposal) => proposal.name === 'recentPeak')!;
      expect(recentPeak.replicas, `at ${entry.atSeconds}s`).toBe(Math.ceil(30_000 / PEAK_PER_REPLICA));
    }
  });

  it('a smooth load never gives the recent peak the lead: falling 20% over an hour, the tier is sized by throughput alone', () => {
    const target = settings();
    let state: Parameters<typeof decide>[2];
    for (let atSeconds = 0; atSeconds <= 3600; atSeconds += 30) {
      const nowMs = T0_MS + atSeconds * 1000;
      const load = 140_000 * (1 - (0.2 * atSeconds) / 3600);
      const result = decide({ nowMs, snapshot: snapshot({ signals: { currentReplicas: 10, acceptedSpansPerSecond: load, sentSpansPerSecond: load / 10 }, observedAtMs: nowMs }) }, target, state);
      state = result.state;
      const replicasOf = (name: string) => result.decision.proposals.find((proposal) => proposal.name === name)!.replicas!;
      expect(replicasOf('recentPeak'), `at ${atSeconds}s`).toBeLessThanOrEqual(replicasOf('throughput'));
    }
  });

  it('current replicas unknown is an error (KEDA’s fallback applies), not a guess', () => {
    for (const currentReplicas of ['missing', 0] as const) {
      let caught: unknown;
      try {
        run({ signals: { currentReplicas } });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScalerError);
      expect((caught as ScalerError).code).toBe('CURRENT_REPLICAS_UNKNOWN');
    }
  });
});
