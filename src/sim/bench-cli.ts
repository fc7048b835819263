// `npm run bench -- [--trace FILE.csv] [--scenario NAME] [fleet flags] [--autoscalers a,b]
// [--metadata key=value] [--json OUT.json] [--plot OUT.svg]` (--help lists every flag): replays a trace
// against every autoscaler and prints one row each. The project's command-line
// convention (src/cli/command-line.ts): a bad flag exits 2 naming it, a file that cannot be read or
// a malformed trace exits 1.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CommandIo, type CommandSpec, type OptionValues, parseCommand, processIo, progressLine, RunFailure, readFlagFile, runCommand, UsageError, writeFlagFile } from '../cli/command-line.ts';
import { AUTOSCALER_NAMES, type AutoscalerName } from './autoscaler.ts';
import { type BenchOptions, DEFAULT_QUEUE_THRESHOLD_BATCHES, runBench } from './bench.ts';
import { renderBenchSvg } from './bench-plot.ts';
import { benchJson, formatSettings, formatTable } from './bench-report.ts';
import { loadExampleScaledObject } from './example-scaled-object.ts';
import { parseDurationSeconds } from '../config/duration.ts';
import { ScalerError } from '../errors.ts';
import { assertFleetSettings, DEFAULT_FLEET_SETTINGS, DEFAULT_SCENARIO_SETTINGS, type FleetSettings } from './fleet-settings.ts';
import { NAMED_SCENARIOS, SCENARIO_NAMES, type ScenarioName } from './named-scenarios.ts';
import { simulatedTargetSettings } from './simulated-target.ts';
import { parseBurstSpec, parseOutageSpec, parseScalerRestartSpec, parseScrapeDownSpec, parseSlowRecoverySpec, ScenarioSpecError } from './scenario.ts';
import { syntheticTrace } from './synthetic-load.ts';
import { cachedForecaster, defaultForecastCacheDir } from './forecast-cache.ts';
import { isM4TraceName, m4Trace } from './m4-trace.ts';
import { parseTraceCsv, type Trace, TraceFormatError, traceWindow } from './trace-csv.ts';

/**
 * How long the bench's gateways drain: decision_wait (30 s) + the DNS interval + 5 s, what a collector
 * that drops its pending traces on shutdown needs, so at the defaults no autoscaler's scale-in loses
 * traces whichever the collector does with them. The example Deployment, whose collector decides
 * them, ships 10 s.
 */
export const DEFAULT_DRAIN_SECONDS = 40;

const LOAD_OPTIONS = `Load and scenario`;
const FLEET_OPTIONS = `Fleet (the simulated tier's true parameters)`;
const AUTOSCALERS_OPTIONS = `Autoscalers`;
const OUTPUT_OPTIONS = `Output`;

export const BENCH_COMMAND: CommandSpec = {
  name: 'bench',
  usage: ['npm run bench -- [options]'],
  summary: `Replays a load trace against every autoscaler (${AUTOSCALER_NAMES.join(', ')})
on a simulated OpenTelemetry Collector gateway tier and prints one row per autoscaler.
Fleet flags set the simulated tier's truth; the scaler only gets the example ScaledObject's
trigger metadata (plus --metadata), as an operator would configure it.`,
  options: {
    trace: { group: LOAD_OPTIONS, value: 'FILE.csv', description: `CSV "timestamp,value" (ISO timestamps, empty value = no data), or m4:ID for\nan M4 hourly series of ../shared/forecast-data (e.g. m4:H17);\ndefault: the built-in synthetic diurnal + weekly trace` },
    'trace-days': { group: LOAD_OPTIONS, value: 'N', description: `replay only the first N days of --trace (default: all of it)` },
    days: { group: LOAD_OPTIONS, value: 'N', description: `length of the synthetic trace in days (default 28; not with --trace)` },
    'peak-replicas': { group: LOAD_OPTIONS, value: 'N', description: `the trace's peak is scaled to N × 20000 × 0.7 spans/s (default 20)` },
    scenario: { group: LOAD_OPTIONS, value: 'NAME', description: `${SCENARIO_NAMES.join(', ')} (default none; see docs/benchmark.md)` },
    outage: { group: LOAD_OPTIONS, value: 'COUNTxDUR', description: `backend outages, e.g. 2x30m (placed from --seed; default none)` },
    'slow-recovery': { group: LOAD_OPTIONS, value: 'DUR@MULT', description: `after each outage the backend takes MULT × what the queues receive\n(the load a decision_wait before) for DUR, so the backlog drains slowly,\ne.g. 30m@1.1 (needs --outage; default none)` },
    'scrape-down': { group: LOAD_OPTIONS, value: 'COUNTxDUR', description: `half the gateways' scrape targets down (they keep running), e.g. 1x20m` },
    'scaler-restarts': { group: LOAD_OPTIONS, value: 'COUNTxDUR', description: `this project's scaler down for DUR, then back with no process memory,\ne.g. 28x1m (placed from --seed; default none)` },
    burst: { group: LOAD_OPTIONS, value: 'COUNTxDUR@MULT', description: `load bursts, e.g. 2x15m@1.8 (placed from --seed; default none)` },
    seed: { group: LOAD_OPTIONS, value: 'N', description: `integer ≥ 0 for outage, burst and synthetic-noise placement (default 1)` },
    capacity: { group: FLEET_OPTIONS, value: 'N', description: `spans/s one replica handles at 100 % CPU (default ${DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond})` },
    'pod-startup': { group: FLEET_OPTIONS, value: 'DUR', description: `pod creation until ready, e.g. 90s (default ${DEFAULT_FLEET_SETTINGS.podStartupSeconds}s)` },
    'dns-interval': { group: FLEET_OPTIONS, value: 'DUR', description: `agents' DNS resolver interval before a ready pod joins the ring (default ${DEFAULT_FLEET_SETTINGS.dnsResolverIntervalSeconds}s)` },
    'decision-wait': { group: FLEET_OPTIONS, value: 'DUR', description: `tail sampling decision_wait (default ${DEFAULT_FLEET_SETTINGS.decisionWaitSeconds}s)` },
    'num-traces': { group: FLEET_OPTIONS, value: 'N', description: `tail sampling num_traces per replica (default ${DEFAULT_FLEET_SETTINGS.numTracesPerReplica})` },
    'spans-per-trace': { group: FLEET_OPTIONS, value: 'N', description: `spans per trace (default ${DEFAULT_FLEET_SETTINGS.spansPerTrace})` },
    'trace-duration': { group: FLEET_OPTIONS, value: 'DUR', description: `time over which one trace's spans reach the gateways, e.g. 1500ms;\nwhat a ring change splits (default ${DEFAULT_FLEET_SETTINGS.traceDurationSeconds}s; need not be a step multiple)` },
    'backend-capacity': { group: FLEET_OPTIONS, value: 'X', description: `backend capacity outside outages, × the trace's peak load (default ${DEFAULT_SCENARIO_SETTINGS.backendPeakMultiple})` },
    'tick-cost': { group: FLEET_OPTIONS, value: 'X', description: `multiplier on the decision-tick cost model (default 1)` },
    'cpu-curve': { group: FLEET_OPTIONS, value: 'P', description: `a replica at a share u of its capacity reports u^P of its CPU, 0.1–1:\nbelow 1 a span costs more CPU at low load (default 1, linear)` },
    'cpu-ceiling': { group: FLEET_OPTIONS, value: 'F', description: `a replica falls behind once its CPU reads F of its allotment, 0.1–1: it processes\nat most F × --capacity, as a gateway under a fractional CPU quota (default 1)` },
    drain: { group: FLEET_OPTIONS, value: 'DUR', description: `a removed gateway keeps deciding and flushing this long before it is stopped\n(preStop sleep; default ${DEFAULT_DRAIN_SECONDS}s; 0s = none)` },
    'pending-on-shutdown': { group: FLEET_OPTIONS, value: 'decide|drop', description: `what a stopped gateway does with traces within decision_wait: decide them\n(tail_sampling's default since v0.141.0) or drop them (drop_pending_traces_on_shutdown:\ntrue, or an older collector); default decide` },
    'polling-interval': { group: FLEET_OPTIONS, value: 'DUR', description: `KEDA pollingInterval of every ScaledObject (default 30s)` },
    'min-replicas': { group: FLEET_OPTIONS, value: 'N', description: `Deployment minimum for every autoscaler (default ${DEFAULT_FLEET_SETTINGS.minReplicas})` },
    'max-replicas': { group: FLEET_OPTIONS, value: 'N', description: `Deployment maximum for every autoscaler (default ${DEFAULT_FLEET_SETTINGS.maxReplicas})` },
    autoscalers: { group: AUTOSCALERS_OPTIONS, value: 'A,B', description: `run only these (default all; the oracle is needed for ×oracle)` },
    metadata: { group: AUTOSCALERS_OPTIONS, value: 'KEY=VALUE', multiple: true, description: `override one key of the scaler's trigger metadata (repeatable)` },
    'queue-threshold': { group: AUTOSCALERS_OPTIONS, value: 'N', description: `keda-prometheus-queue threshold in batches per replica (default ${DEFAULT_QUEUE_THRESHOLD_BATCHES})` },
    json: { group: OUTPUT_OPTIONS, value: 'OUT.json', description: `write the results as JSON` },
    plot: { group: OUTPUT_OPTIONS, value: 'OUT.svg', description: `write load, replicas and lost spans over time as SVG` },
  },
  footer: `Durations take s, m or h (90s, 2m); a plain number means seconds. Times in the fleet must be
multiples of the ${DEFAULT_FLEET_SETTINGS.stepSeconds} s simulation step.
Exit codes: 0 done; 1 a file could not be read or written, or a trace is malformed;
2 bad command line (the message names the flag). Progress is shown on a terminal only.`,
};

const DEFAULT_SYNTHETIC_DAYS = 28;
const SYNTHETIC_START = '2026-01-05T00:00:00Z';

/** What the fleet flags set; undefined = not given (the scenario's value or the default applies). */
export interface FleetFlags {
  readonly capacitySpansPerSecond?: number;
  readonly podStartupSeconds?: number;
  readonly dnsResolverIntervalSeconds?: number;
  readonly decisionWaitSeconds?: number;
  readonly numTracesPerReplica?: number;
  readonly spansPerTrace?: number;
  readonly traceDurationSeconds?: number;
  readonly backendPeakMultiple?: number;
  readonly decisionTickCostMultiplier?: number;
  readonly cpuCurveExponent?: number;
  readonly cpuCeiling?: number;
  readonly drainSeconds?: number;
  readonly dropsPendingTracesOnShutdown?: boolean;
  readonly kedaPollingSeconds?: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
}

export interface BenchCliOptions {
  readonly tracePath: string | undefined;
  readonly traceDays: number | undefined;
  readonly days: number;
  readonly peakReplicas: number;
  readonly scenario: ScenarioName | undefined;
  readonly outage: string | undefined;
  readonly slowRecovery: string | undefined;
  readonly burst: string | undefined;
  readonly scrapeDown: string | undefined;
  readonly scalerRestarts: string | undefined;
  readonly seed: number;
  readonly fleet: FleetFlags;
  readonly autoscalers: readonly AutoscalerName[] | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly queueThresholdBatches: number;
  readonly jsonPath: string | undefined;
  readonly plotPath: string | undefined;
}

/** A whole-number flag within [min, max]; undefined when not given; UsageError naming the flag otherwise. */
export function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

function numberFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

/** A duration (`90s`, `2m`, or seconds) within [min, max] seconds, in whole simulation steps unless `anyLength`. */
function durationFlag(value: string | undefined, flag: string, min: number, max: number, anyLength = false): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  // The shared parser refuses zero, since a PromQL range cannot be empty; a simulated delay can be none.
  const seconds = /^\d+$/.test(text) ? Number(text) : /^0+(ms|s|m|h|d|w|y)$/.test(text) ? 0 : parseDurationSeconds(text);
  const step = DEFAULT_FLEET_SETTINGS.stepSeconds;
  if (seconds === undefined || !(seconds >= min && seconds <= max)) {
    throw new UsageError(`${flag} must be a duration from ${min}s to ${max}s such as 90s or 2m, got "${value}"`);
  }
  if (!anyLength && seconds % step !== 0) throw new UsageError(`${flag} must be a multiple of the ${step} s simulation step, got "${value}"`);
  return seconds;
}

function metadataFlags(entries: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--metadata must be KEY=VALUE with a trigger metadata key, e.g. capacitySpansPerReplica=26000; got "${entry}"`);
    metadata[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return metadata;
}

/** Parses argv (without node and script); throws UsageError naming the flag. */
export function parseBenchArgs(argv: readonly string[]): BenchCliOptions {
  const parsed = parseCommand(BENCH_COMMAND, argv);
  if (parsed.kind !== 'run') throw new UsageError(`--${parsed.kind} is answered by runBenchCli`);
  return benchCliOptions(parsed.values);
}

/** Turns parsed flag values into the run's options; throws UsageError naming the flag. */
export function benchCliOptions(values: OptionValues): BenchCliOptions {
  const text = (name: string) => values[name] as string | undefined;
  if (text('trace') !== undefined && text('days') !== undefined) throw new UsageError('--days sets the length of the synthetic trace; it cannot be combined with --trace (use --trace-days)');
  if (text('trace') === undefined && text('trace-days') !== undefined) throw new UsageError('--trace-days cuts a --trace file; for the synthetic trace use --days');
  let autoscalers: AutoscalerName[] | undefined;
  const list = text('autoscalers');
  if (list !== undefined) {
    autoscalers = list.split(',').map((name) => name.trim()) as AutoscalerName[];
    const unknown = autoscalers.filter((name) => !(AUTOSCALER_NAMES as readonly string[]).includes(name));
    if (unknown.length > 0 || autoscalers.length === 0) {
      throw new UsageError(`--autoscalers must list names from ${AUTOSCALER_NAMES.join(', ')}; unknown: ${unknown.join(', ') || '(empty)'}`);
    }
  }
  const scenario = text('scenario');
  if (scenario !== undefined && !(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}, got "${scenario}"`);
  }
  for (const flag of ['trace', 'json', 'plot'] as const) {
    if (text(flag)?.trim() === '') throw new UsageError(`--${flag} needs a file path`);
  }
  const fleet: FleetFlags = {
    capacitySpansPerSecond: integerFlag(text('capacity'), '--capacity', 100, 10_000_000),
    podStartupSeconds: durationFlag(text('pod-startup'), '--pod-startup', 0, 3600),
    dnsResolverIntervalSeconds: durationFlag(text('dns-interval'), '--dns-interval', 0, 3600),
    decisionWaitSeconds: durationFlag(text('decision-wait'), '--decision-wait', 5, 3600),
    numTracesPerReplica: integerFlag(text('num-traces'), '--num-traces', 1, 100_000_000),
    spansPerTrace: integerFlag(text('spans-per-trace'), '--spans-per-trace', 1, 100_000),
    traceDurationSeconds: durationFlag(text('trace-duration'), '--trace-duration', 0.01, 3600, true),
    backendPeakMultiple: numberFlag(text('backend-capacity'), '--backend-capacity', 0.01, 1000),
    decisionTickCostMultiplier: numberFlag(text('tick-cost'), '--tick-cost', 0, 1000),
    cpuCurveExponent: numberFlag(text('cpu-curve'), '--cpu-curve', 0.1, 1),
    cpuCeiling: numberFlag(text('cpu-ceiling'), '--cpu-ceiling', 0.1, 1),
    drainSeconds: durationFlag(text('drain'), '--drain', 0, 3600),
    dropsPendingTracesOnShutdown: pendingOnShutdownFlag(text('pending-on-shutdown')),
    kedaPollingSeconds: durationFlag(text('polling-interval'), '--polling-interval', 5, 3600),
    minReplicas: integerFlag(text('min-replicas'), '--min-replicas', 1, 10_000),
    maxReplicas: integerFlag(text('max-replicas'), '--max-replicas', 1, 10_000),
  };
  const minReplicas = fleet.minReplicas ?? DEFAULT_FLEET_SETTINGS.minReplicas;
  const maxReplicas = fleet.maxReplicas ?? DEFAULT_FLEET_SETTINGS.maxReplicas;
  if (minReplicas > maxReplicas) throw new UsageError(`--min-replicas (${minReplicas}) must not exceed --max-replicas (${maxReplicas})`);
  const options: BenchCliOptions = {
    tracePath: text('trace'),
    traceDays: integerFlag(text('trace-days'), '--trace-days', 1, 100_000),
    days: integerFlag(text('days'), '--days', 1, 3650) ?? DEFAULT_SYNTHETIC_DAYS,
    peakReplicas: integerFlag(text('peak-replicas'), '--peak-replicas', 1, maxReplicas) ?? DEFAULT_SCENARIO_SETTINGS.peakReplicas,
    scenario: scenario as ScenarioName | undefined,
    outage: text('outage'),
    slowRecovery: text('slow-recovery'),
    burst: text('burst'),
    scrapeDown: text('scrape-down'),
    scalerRestarts: text('scaler-restarts'),
    seed: integerFlag(text('seed'), '--seed', 0, 2 ** 32 - 1) ?? 1,
    fleet,
    autoscalers,
    metadata: metadataFlags((values.metadata as string[] | undefined) ?? []),
    queueThresholdBatches: integerFlag(text('queue-threshold'), '--queue-threshold', 1, 1_000_000) ?? DEFAULT_QUEUE_THRESHOLD_BATCHES,
    jsonPath: text('json'),
    plotPath: text('plot'),
  };
  // Validate the specs and the metadata now so a typo fails before a long run.
  if (options.outage !== undefined) parseOutageSpec(options.outage);
  if (options.slowRecovery !== undefined) parseSlowRecoverySpec(options.slowRecovery);
  if (options.burst !== undefined) parseBurstSpec(options.burst);
  try {
    simulatedTargetSettings(loadExampleScaledObject(), options.metadata);
  } catch (error) {
    if (error instanceof ScalerError) throw new UsageError(`--metadata: ${error.message}`);
    throw error;
  }
  if (options.scrapeDown !== undefined) parseScrapeDownSpec(options.scrapeDown);
  if (options.scalerRestarts !== undefined) parseScalerRestartSpec(options.scalerRestarts);
  return options;
}

/** The public load traces beside the repository (read by path, never copied in). */
export const SHARED_TRACES_DIR = fileURLToPath(new URL('../../../shared/traces/', import.meta.url));

/** A bare file name that is not in the working directory names one of the traces beside the repository. */
function traceFilePath(path: string): string {
  if (basename(path) !== path || existsSync(path)) return path;
  const shared = join(SHARED_TRACES_DIR, path);
  if (existsSync(shared)) return shared;
  throw new RunFailure(`--trace ${path} cannot be read: ENOENT (looked in the working directory and in ${SHARED_TRACES_DIR})`);
}

/** Reads and parses a trace file, or an M4 series named `m4:ID`; a missing or malformed one is a RunFailure naming --trace. */
export function readTrace(path: string): Trace {
  try {
    if (isM4TraceName(path)) return m4Trace(path);
    return parseTraceCsv(readFlagFile('--trace', traceFilePath(path)), path);
  } catch (error) {
    if (error instanceof TraceFormatError) throw new RunFailure(error.message);
    throw error;
  }
}

/** Keys of `flags` that were given, for spreading over defaults. */
function pendingOnShutdownFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'decide' && value !== 'drop') throw new UsageError(`--pending-on-shutdown must be decide or drop, got "${value}"`);
  return value === 'drop';
}

function given<T extends object>(flags: T): Partial<T> {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Builds the run's options from the parsed flags (reads the trace and the example ScaledObject).
 * Precedence: flag ?? the scenario's setting ?? default. `trace` replaces reading --trace (the matrix
 * reads each trace once for all its cells).
 */
export function benchOptionsFrom(cli: BenchCliOptions, trace?: Trace): BenchOptions {
  const whole = trace ?? (cli.tracePath !== undefined ? readTrace(cli.tracePath) : syntheticTrace({ startMs: Date.parse(SYNTHETIC_START), days: cli.days, seed: cli.seed }));
  const loaded = cli.traceDays !== undefined ? traceWindow(whole, cli.traceDays) : whole;
  const named = cli.scenario === undefined ? undefined : NAMED_SCENARIOS[cli.scenario];
  const { backendPeakMultiple, kedaPollingSeconds, ...fleetFlags } = given(cli.fleet);
  const fleet: FleetSettings = { ...DEFAULT_FLEET_SETTINGS, drainSeconds: DEFAULT_DRAIN_SECONDS, ...named?.fleet, ...fleetFlags };
  try {
    assertFleetSettings(fleet);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const example = loadExampleScaledObject();
  return {
    trace: loaded,
    fleet,
    scenario: {
      ...DEFAULT_SCENARIO_SETTINGS,
      ...named?.scenario,
      peakReplicas: cli.peakReplicas,
      ...(backendPeakMultiple !== undefined ? { backendPeakMultiple } : {}),
      ...(kedaPollingSeconds !== undefined ? { kedaPollingSeconds } : {}),
    },
    seed: cli.seed,
    ...(cli.outage !== undefined ? { outages: parseOutageSpec(cli.outage) } : {}),
    ...(cli.slowRecovery !== undefined ? { slowRecovery: parseSlowRecoverySpec(cli.slowRecovery) } : {}),
    ...(cli.burst !== undefined ? { bursts: parseBurstSpec(cli.burst) } : {}),
    ...(named !== undefined ? { namedScenario: named.name } : {}),
    ...(cli.scrapeDown !== undefined ? { scrapeDowns: parseScrapeDownSpec(cli.scrapeDown) } : {}),
    ...(cli.scalerRestarts !== undefined ? { scalerRestarts: parseScalerRestartSpec(cli.scalerRestarts) } : {}),
    queueThresholdBatches: cli.queueThresholdBatches,
    scaledObject: kedaPollingSeconds !== undefined ? { ...example, pollingIntervalSeconds: kedaPollingSeconds } : example,
    metadataOverrides: cli.metadata,
    ...(cli.autoscalers ? { autoscalers: cli.autoscalers } : {}),
  };
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 a file failed, 2 bad command line). */
export function runBenchCli(argv: readonly string[], io: CommandIo): Promise<number> {
  return runCommand(BENCH_COMMAND, argv, io, async (values) => {
    let cli: BenchCliOptions;
    let options: BenchOptions;
    try {
      cli = benchCliOptions(values);
      options = benchOptionsFrom(cli);
    } catch (error) {
      if (error instanceof ScenarioSpecError) throw new UsageError(error.message);
      throw error;
    }
    const startedMs = performance.now();
    const elapsed = () => ((performance.now() - startedMs) / 1000).toFixed(1);
    const total = options.autoscalers?.length ?? AUTOSCALER_NAMES.length;
    const progress = progressLine(io);
    let finished = 0;
    progress.update(`simulating ${total} autoscalers…`);
    let result: Awaited<ReturnType<typeof runBench>>;
    try {
      result = await runBench({
        ...options,
        forecast: cachedForecaster(defaultForecastCacheDir()).forecast,
        onResult: (policy) => progress.update(`${++finished}/${total} autoscalers simulated (${policy.name} last) after ${elapsed()} s`),
      });
    } catch (error) {
      if (error instanceof ScenarioSpecError) throw new UsageError(error.message);
      throw error;
    } finally {
      progress.done();
    }
    io.out(`${formatSettings(result, options)}\n\n${formatTable(result.policies, result.scenario)}\n\nsimulated ${result.policies.length} autoscalers × ${result.scenario.steps} steps in ${elapsed()} s\n`);
    if (cli.jsonPath !== undefined) {
      writeFlagFile('--json', cli.jsonPath, `${JSON.stringify(benchJson(result, options), null, 2)}\n`);
      io.out(`wrote ${cli.jsonPath}\n`);
    }
    if (cli.plotPath !== undefined) {
      writeFlagFile('--plot', cli.plotPath, renderBenchSvg(result));
      io.out(`wrote ${cli.plotPath}\n`);
    }
    return 0;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runBenchCli(process.argv.slice(2), processIo());
}
