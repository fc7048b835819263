// The benchmark's outputs apart from the plot: the printed table (one row per autoscaler, with the
// settings every autoscaler ran with) and the `--json` document. Pure formatting of a BenchResult.
import type { BenchOptions, BenchResult, BenchScenario, PolicyResult } from './bench.ts';
import { DEFAULT_QUEUE_THRESHOLD_BATCHES, SHIPPED_AUTOSCALER } from './bench.ts';
import { formatDuration } from '../config/duration.ts';
import { joinDelaySeconds, memoryRequestBytes } from './fleet-settings.ts';
import { NAMED_SCENARIOS } from './named-scenarios.ts';
import { simulatedTargetMetadata } from './simulated-target.ts';
import { formatCapacityTally } from './capacity-tally.ts';

/** The per-autoscaler fields of the `--json` document, in the order docs/benchmark.md documents them. */
export const JSON_POLICY_FIELDS = [
  'name',
  'lostSpansPct',
  'lostSpansOutsideOutagesPct',
  'brokenTracesPct',
  'replicaHours',
  'replicaHoursVsOracle',
  'thetaU',
  'thetaO',
  'tauU',
  'tauO',
  'instability',
  'jitter',
  'scaleActions',
  'outageScaleUps',
  'slowRecoveryScaleUps',
] as const;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The `--json` document: `{trace, steps, policies: [...]}` plus the settings and windows of the run. */
export function benchJson(result: BenchResult, options: BenchOptions): Record<string, unknown> {
  const { scenario } = result;
  return {
    trace: scenario.traceName,
    steps: scenario.steps,
    policies: result.policies.map((policy) => ({
      ...Object.fromEntries(JSON_POLICY_FIELDS.map((field) => [field, policy[field]])),
      lostSpans: policy.lostSpans,
      offeredSpans: policy.offeredSpans,
      lostSpansByCause: policy.lostSpansByCause,
      ...(policy.capacityTally ? { capacityTally: policy.capacityTally } : {}),
    })),
    shipped: SHIPPED_AUTOSCALER,
    stepSeconds: scenario.stepSeconds,
    start: iso(scenario.startMs),
    end: iso(scenario.startMs + scenario.steps * scenario.stepSeconds * 1000),
    seed: options.seed,
    outages: scenario.outages.map((window) => ({ start: iso(window.startMs), end: iso(window.endMs) })),
    slowRecoveries: scenario.slowRecoveries.map((window) => ({ start: iso(window.startMs), end: iso(window.endMs), loadMultiple: window.loadMultiple })),
    scrapeDowns: scenario.scrapeDowns.map((window) => ({ start: iso(window.startMs), end: iso(window.endMs) })),
    scalerRestarts: scenario.scalerRestarts.map((window) => ({ start: iso(window.startMs), end: iso(window.endMs) })),
    bursts: scenario.bursts.map((window) => ({ start: iso(window.startMs), end: iso(window.endMs), multiplier: window.multiplier })),
    scenario: options.namedScenario ?? null,
    settings: {
      fleet: options.fleet,
      scenario: options.scenario,
      backendSpansPerSecond: scenario.backendSpansPerSecond,
      peakSpansPerSecond: scenario.load.peakSpansPerSecond,
      queueThresholdBatches: options.queueThresholdBatches ?? DEFAULT_QUEUE_THRESHOLD_BATCHES,
      scaledObject: { source: options.scaledObject.source, pollingIntervalSeconds: options.scaledObject.pollingIntervalSeconds, behavior: options.scaledObject.behavior },
      metadataOverrides: options.metadataOverrides ?? {},
      triggerMetadata: simulatedTargetMetadata(options.scaledObject, options.metadataOverrides),
    },
    autoscalers: Object.fromEntries(result.policies.map((policy) => [policy.name, policy.description])),
  };
}

function fixed(value: number | null, digits: number): string {
  return value === null || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** Percentages small enough to matter (0.0004 %) keep their digits; large ones do not need them. */
function pct(value: number): string {
  if (value === 0) return '0';
  return value < 0.01 ? value.toPrecision(2) : value.toFixed(value < 10 ? 3 : 1);
}

const COLUMNS: readonly { readonly title: string; readonly cell: (p: PolicyResult) => string }[] = [
  { title: 'autoscaler', cell: (p) => p.name },
  { title: 'lost %', cell: (p) => pct(p.lostSpansPct) },
  { title: 'lost outside outages %', cell: (p) => pct(p.lostSpansOutsideOutagesPct) },
  { title: 'broken traces %', cell: (p) => pct(p.brokenTracesPct) },
  { title: 'replica-h', cell: (p) => fixed(p.replicaHours, 0) },
  { title: '×oracle', cell: (p) => fixed(p.replicaHoursVsOracle, 3) },
  { title: 'under-supply %', cell: (p) => fixed(p.thetaU, 2) },
  { title: 'over-supply %', cell: (p) => fixed(p.thetaO, 1) },
  { title: 'time under %', cell: (p) => fixed(p.tauU, 2) },
  { title: 'time over %', cell: (p) => fixed(p.tauO, 1) },
  { title: 'instability %', cell: (p) => fixed(p.instability, 2) },
  { title: 'jitter /h', cell: (p) => fixed(p.jitter, 2) },
  { title: 'scale actions', cell: (p) => String(p.scaleActions) },
  { title: 'replicas added in outages', cell: (p) => String(p.outageScaleUps) },
];

const SLOW_RECOVERY_COLUMN = { title: 'replicas added in slow recoveries', cell: (p: PolicyResult) => String(p.slowRecoveryScaleUps) };

/** One row per autoscaler, columns aligned; the slow recoveries' column only for a run that has them. */
export function formatTable(policies: readonly PolicyResult[], scenario: Pick<BenchScenario, 'slowRecoveries'>): string {
  const columns = scenario.slowRecoveries.length > 0 ? [...COLUMNS, SLOW_RECOVERY_COLUMN] : COLUMNS;
  const rows = [columns.map((column) => column.title), ...policies.map((policy) => columns.map((column) => column.cell(policy)))];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

/** The settings block printed above the table: every number the run used. */
export function formatSettings(result: BenchResult, options: BenchOptions): string {
  const { scenario } = result;
  const f = options.fleet;
  const s = options.scenario;
  const days = (scenario.steps * scenario.stepSeconds) / 86_400;
  const trigger = simulatedTargetMetadata(options.scaledObject, options.metadataOverrides);
  const overrides = Object.entries(options.metadataOverrides ?? {});
  const lines = [
    `trace: ${scenario.traceName} — ${iso(scenario.startMs)} … ${iso(scenario.startMs + scenario.steps * scenario.stepSeconds * 1000)} (${days.toFixed(1)} days, ${scenario.steps} steps of ${f.stepSeconds} s), seed ${options.seed}`,
    ...(options.namedScenario ? [`scenario: ${options.namedScenario} — ${NAMED_SCENARIOS[options.namedScenario].models}`] : []),
    `load: peak scaled to ${Math.round(scenario.load.peakSpansPerSecond)} spans/s (= ${s.peakReplicas} replicas × nominal 20000 × 0.7); highest load with bursts ${Math.round(scenario.maxLoadSpansPerSecond)} spans/s`,
    `backend: ${Math.round(scenario.backendSpansPerSecond)} spans/s (--backend-capacity ${s.backendPeakMultiple} × peak); outages: ${scenario.outages.length === 0 ? 'none' : scenario.outages.map((w) => `${iso(w.startMs)}…${iso(w.endMs)}`).join(', ')}`,
    ...(scenario.slowRecoveries.length > 0 ? [`slow recoveries (the backend takes at most ${scenario.slowRecoveries[0]!.loadMultiple} × what the queues receive, the load a decision_wait before): ${scenario.slowRecoveries.map((w) => `${iso(w.startMs)}…${iso(w.endMs)}`).join(', ')}`] : []),
    ...(scenario.scrapeDowns.length > 0 ? [`scrape targets down (half the gateways unscraped, still running): ${scenario.scrapeDowns.map((w) => `${iso(w.startMs)}…${iso(w.endMs)}`).join(', ')}`] : []),
    ...(scenario.scalerRestarts.length > 0 ? [`scaler restarts (down, then back with no process memory): ${scenario.scalerRestarts.length <= 6 ? scenario.scalerRestarts.map((w) => `${iso(w.startMs)}…${iso(w.endMs)}`).join(', ') : `${scenario.scalerRestarts.length} windows of ${formatDuration((scenario.scalerRestarts[0]!.endMs - scenario.scalerRestarts[0]!.startMs) / 1000)}, first ${iso(scenario.scalerRestarts[0]!.startMs)}`}`] : []),
    ...(scenario.bursts.length > 0 ? [`bursts: ${scenario.bursts.length <= 6 ? scenario.bursts.map((w) => `${iso(w.startMs)}…${iso(w.endMs)} ×${w.multiplier}`).join(', ') : `${scenario.bursts.length} windows, first ${iso(scenario.bursts[0]!.startMs)}`}`] : []),
    `fleet truth: --capacity ${f.capacitySpansPerSecond} spans/s per replica at 100 % CPU, --decision-wait ${f.decisionWaitSeconds}s, --num-traces ${f.numTracesPerReplica}, --spans-per-trace ${f.spansPerTrace}, --trace-duration ${formatDuration(f.traceDurationSeconds)}, --tick-cost ${f.decisionTickCostMultiplier}${f.cpuCurveExponent !== 1 ? `, --cpu-curve ${f.cpuCurveExponent}` : ''}${f.cpuCeiling !== 1 ? `, --cpu-ceiling ${f.cpuCeiling}` : ''}${f.hotGatewayLoadMultiple > 1 ? `, hottest gateway ${f.hotGatewayLoadMultiple} × its even share` : ''}`,
    `replica: queue ${f.queueBatchesPerReplica} × ${f.spansPerBatch} spans, memory limit ${f.memoryLimitSpansPerReplica} spans (refuse above ${f.memoryRefuseFraction * 100} %), RSS ${(f.memoryBaseBytesPerReplica / 2 ** 20).toFixed(0)} MiB + ${f.memoryBytesPerSpan} B per span held, memory request ${(memoryRequestBytes(f) / 2 ** 30).toFixed(2)} GiB`,
    `pods: --pod-startup ${f.podStartupSeconds}s, --dns-interval ${f.dnsResolverIntervalSeconds}s (on the ring after ${joinDelaySeconds(f)} s), --drain ${f.drainSeconds}s; --min-replicas ${f.minReplicas} --max-replicas ${f.maxReplicas}`,
    `model: ingest share of CPU ${f.ingestCpuShare}, decision tick ${f.decisionTickMsPerTracePerSecond} ms per trace/s + ${f.decisionTickMsPerHeldTrace} ms per held trace at ${f.decisionTickMeasuredSpansPerCpuSecond} spans per CPU-second, × that ÷ μ, ÷ (1 − utilization); CPU-starved gateways leave spans with the agents, which drop them after ${f.retryMaxElapsedSeconds} s; ${f.exporterConsumers} queue consumers, retries dropped after ${f.retryMaxElapsedSeconds} s`,
    `KEDA --polling-interval ${s.kedaPollingSeconds}s (project ScaledObject: ${options.scaledObject.pollingIntervalSeconds} s), HPA sync ${s.hpaSyncSeconds} s, tolerance ${s.hpaTolerance}`,
    `scaler trigger (what it is told): capacitySpansPerReplica ${trigger.capacitySpansPerReplica}, decisionWait ${trigger.decisionWait}, numTraces ${trigger.numTraces}, podStartup ${trigger.podStartup}; --metadata overrides: ${overrides.length === 0 ? 'none' : overrides.map(([key, value]) => `${key}=${value}`).join(', ')}; shipped: ${SHIPPED_AUTOSCALER}`,
    ...result.policies.map((policy) => `  ${policy.name}: ${policy.description}${policy.capacityTally ? `; ${formatCapacityTally(policy.capacityTally)}` : ''}`),
  ];
  return lines.join('\n');
}
