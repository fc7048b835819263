// `npm run bench -- [--trace FILE.csv] [--scenario NAME] [fleet flags] [--autoscalers a,b]
// [--metadata key=value] [--json OUT.json] [--plot OUT.svg]` (USAGE lists every flag): replays a trace
// against every autoscaler and prints one row each. Bad flags or input exit with code 2 and a message
// naming the flag and the fix.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
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
import { parseBurstSpec, parseOutageSpec, parseScrapeDownSpec, ScenarioSpecError } from './scenario.ts';
import { syntheticTrace } from './synthetic-load.ts';
import { parseTraceCsv, type Trace, TraceFormatError, traceWindow } from './trace-csv.ts';

/** Where the bench's default gateway drains for, as the example gateway Deployment's preStop sleep. */
export const DEFAULT_DRAIN_SECONDS = 40;

export const USAGE = `Usage: npm run bench -- [options]

Replays a load trace against every autoscaler (${AUTOSCALER_NAMES.join(', ')})
on a simulated OpenTelemetry Collector gateway tier and prints one row per autoscaler.
Fleet flags set the simulated tier's truth; the scaler only gets the example ScaledObject's
trigger metadata (plus --metadata), as an operator would configure it.

Load and scenario:
  --trace FILE.csv        CSV "timestamp,value" (ISO timestamps, empty value = no data);
                          default: the built-in synthetic diurnal + weekly trace
  --trace-days N          replay only the first N days of --trace (default: all of it)
  --days N                length of the synthetic trace in days (default 28; not with --trace)
  --peak-replicas N       the trace's peak is scaled to N × 20000 × 0.7 spans/s (default 20)
  --scenario NAME         ${SCENARIO_NAMES.join(', ')} (default none; see docs/benchmark.md)
  --outage COUNTxDUR      backend outages, e.g. 2x30m (placed from --seed; default none)
  --scrape-down COUNTxDUR half the gateways' scrape targets down (they keep running), e.g. 1x20m
  --burst COUNTxDUR@MULT  load bursts, e.g. 2x15m@1.8 (placed from --seed; default none)
  --seed N                integer ≥ 0 for outage, burst and synthetic-noise placement (default 1)
Fleet (the simulated tier's true parameters):
  --capacity N            spans/s one replica handles at 100 % CPU (default ${DEFAULT_FLEET_SETTINGS.capacitySpansPerSecond})
  --pod-startup DUR       pod creation until ready, e.g. 90s (default ${DEFAULT_FLEET_SETTINGS.podStartupSeconds}s)
  --dns-interval DUR      agents' DNS resolver interval before a ready pod joins the ring (default ${DEFAULT_FLEET_SETTINGS.dnsResolverIntervalSeconds}s)
  --decision-wait DUR     tail sampling decision_wait (default ${DEFAULT_FLEET_SETTINGS.decisionWaitSeconds}s)
  --num-traces N          tail sampling num_traces per replica (default ${DEFAULT_FLEET_SETTINGS.numTracesPerReplica})
  --spans-per-trace N     spans per trace (default ${DEFAULT_FLEET_SETTINGS.spansPerTrace})
  --backend-capacity X    backend capacity outside outages, × the trace's peak load (default ${DEFAULT_SCENARIO_SETTINGS.backendPeakMultiple})
  --tick-cost X           multiplier on the decision-tick cost model (default 1)
  --drain DUR             a removed gateway keeps deciding and flushing this long (preStop sleep;
                          default ${DEFAULT_DRAIN_SECONDS}s as deploy/examples/gateway ships; 0s = none)
  --polling-interval DUR  KEDA pollingInterval of every ScaledObject (default 30s)
  --min-replicas N        Deployment minimum for every autoscaler (default ${DEFAULT_FLEET_SETTINGS.minReplicas})
  --max-replicas N        Deployment maximum for every autoscaler (default ${DEFAULT_FLEET_SETTINGS.maxReplicas})
Autoscalers:
  --autoscalers A,B       run only these (default all; the oracle is needed for ×oracle)
  --metadata KEY=VALUE    override one key of the scaler's trigger metadata (repeatable)
  --queue-threshold N     keda-prometheus-queue threshold in batches per replica (default ${DEFAULT_QUEUE_THRESHOLD_BATCHES})
Output:
  --json OUT.json         write the results as JSON
  --plot OUT.svg          write load, replicas and lost spans over time as SVG
  --help                  show this text
Durations take s, m or h (90s, 2m); a plain number means seconds. Times in the fleet must be
multiples of the ${DEFAULT_FLEET_SETTINGS.stepSeconds} s simulation step.
`;

/** A usage problem: the CLI prints it with the usage hint and exits with code 2. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

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
  readonly backendPeakMultiple?: number;
  readonly decisionTickCostMultiplier?: number;
  readonly drainSeconds?: number;
  readonly kedaPollingSeconds?: number;
  readonly minReplicas?: number;
  readonly maxReplicas?: number;
}

export interface BenchCliOptions {
  readonly help: boolean;
  readonly tracePath: string | undefined;
  readonly traceDays: number | undefined;
  readonly days: number;
  readonly peakReplicas: number;
  readonly scenario: ScenarioName | undefined;
  readonly outage: string | undefined;
  readonly burst: string | undefined;
  readonly scrapeDown: string | undefined;
  readonly seed: number;
  readonly fleet: FleetFlags;
  readonly autoscalers: readonly AutoscalerName[] | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly queueThresholdBatches: number;
  readonly jsonPath: string | undefined;
  readonly plotPath: string | undefined;
}

function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new BenchUsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

function numberFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new BenchUsageError(`${flag} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

/** A duration in whole simulation steps (`90s`, `2m`, or seconds), within [min, max] seconds. */
function durationFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const seconds = /^\d+$/.test(text) ? Number(text) : parseDurationSeconds(text);
  const step = DEFAULT_FLEET_SETTINGS.stepSeconds;
  if (seconds === undefined || !(seconds >= min && seconds <= max)) {
    throw new BenchUsageError(`${flag} must be a duration from ${min}s to ${max}s such as 90s or 2m, got "${value}"`);
  }
  if (seconds % step !== 0) throw new BenchUsageError(`${flag} must be a multiple of the ${step} s simulation step, got "${value}"`);
  return seconds;
}

function metadataFlags(entries: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new BenchUsageError(`--metadata must be KEY=VALUE with a trigger metadata key, e.g. capacitySpansPerReplica=26000; got "${entry}"`);
    metadata[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return metadata;
}

/** Parses argv (without node and script); throws BenchUsageError. */
export function parseBenchArgs(argv: readonly string[]): BenchCliOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        trace: { type: 'string' },
        'trace-days': { type: 'string' },
        days: { type: 'string' },
        'peak-replicas': { type: 'string' },
        scenario: { type: 'string' },
        outage: { type: 'string' },
        burst: { type: 'string' },
        'scrape-down': { type: 'string' },
        seed: { type: 'string' },
        capacity: { type: 'string' },
        'pod-startup': { type: 'string' },
        'dns-interval': { type: 'string' },
        'decision-wait': { type: 'string' },
        'num-traces': { type: 'string' },
        'spans-per-trace': { type: 'string' },
        'backend-capacity': { type: 'string' },
        'tick-cost': { type: 'string' },
        drain: { type: 'string' },
        'polling-interval': { type: 'string' },
        'min-replicas': { type: 'string' },
        'max-replicas': { type: 'string' },
        autoscalers: { type: 'string' },
        metadata: { type: 'string', multiple: true },
        'queue-threshold': { type: 'string' },
        json: { type: 'string' },
        plot: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const text = (name: string) => values[name] as string | undefined;
  if (text('trace') !== undefined && text('days') !== undefined) throw new BenchUsageError('--days sets the length of the synthetic trace; it cannot be combined with --trace (use --trace-days)');
  if (text('trace') === undefined && text('trace-days') !== undefined) throw new BenchUsageError('--trace-days cuts a --trace file; for the synthetic trace use --days');
  let autoscalers: AutoscalerName[] | undefined;
  const list = text('autoscalers');
  if (list !== undefined) {
    autoscalers = list.split(',').map((name) => name.trim()) as AutoscalerName[];
    const unknown = autoscalers.filter((name) => !(AUTOSCALER_NAMES as readonly string[]).includes(name));
    if (unknown.length > 0 || autoscalers.length === 0) {
      throw new BenchUsageError(`--autoscalers must list names from ${AUTOSCALER_NAMES.join(', ')}; unknown: ${unknown.join(', ') || '(empty)'}`);
    }
  }
  const scenario = text('scenario');
  if (scenario !== undefined && !(SCENARIO_NAMES as readonly string[]).includes(scenario)) {
    throw new BenchUsageError(`--scenario must be one of ${SCENARIO_NAMES.join(', ')}, got "${scenario}"`);
  }
  for (const flag of ['trace', 'json', 'plot'] as const) {
    if (text(flag)?.trim() === '') throw new BenchUsageError(`--${flag} needs a file path`);
  }
  const fleet: FleetFlags = {
    capacitySpansPerSecond: integerFlag(text('capacity'), '--capacity', 100, 10_000_000),
    podStartupSeconds: durationFlag(text('pod-startup'), '--pod-startup', 0, 3600),
    dnsResolverIntervalSeconds: durationFlag(text('dns-interval'), '--dns-interval', 0, 3600),
    decisionWaitSeconds: durationFlag(text('decision-wait'), '--decision-wait', 5, 3600),
    numTracesPerReplica: integerFlag(text('num-traces'), '--num-traces', 1, 100_000_000),
    spansPerTrace: integerFlag(text('spans-per-trace'), '--spans-per-trace', 1, 100_000),
    backendPeakMultiple: numberFlag(text('backend-capacity'), '--backend-capacity', 0.01, 1000),
    decisionTickCostMultiplier: numberFlag(text('tick-cost'), '--tick-cost', 0, 1000),
    drainSeconds: durationFlag(text('drain'), '--drain', 0, 3600),
    kedaPollingSeconds: durationFlag(text('polling-interval'), '--polling-interval', 5, 3600),
    minReplicas: integerFlag(text('min-replicas'), '--min-replicas', 1, 10_000),
    maxReplicas: integerFlag(text('max-replicas'), '--max-replicas', 1, 10_000),
  };
  const minReplicas = fleet.minReplicas ?? DEFAULT_FLEET_SETTINGS.minReplicas;
  const maxReplicas = fleet.maxReplicas ?? DEFAULT_FLEET_SETTINGS.maxReplicas;
  if (minReplicas > maxReplicas) throw new BenchUsageError(`--min-replicas (${minReplicas}) must not exceed --max-replicas (${maxReplicas})`);
  const options: BenchCliOptions = {
    help: values.help === true,
    tracePath: text('trace'),
    traceDays: integerFlag(text('trace-days'), '--trace-days', 1, 100_000),
    days: integerFlag(text('days'), '--days', 1, 3650) ?? DEFAULT_SYNTHETIC_DAYS,
    peakReplicas: integerFlag(text('peak-replicas'), '--peak-replicas', 1, maxReplicas) ?? DEFAULT_SCENARIO_SETTINGS.peakReplicas,
    scenario: scenario as ScenarioName | undefined,
    outage: text('outage'),
    burst: text('burst'),
    scrapeDown: text('scrape-down'),
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
  if (options.burst !== undefined) parseBurstSpec(options.burst);
  try {
    simulatedTargetSettings(loadExampleScaledObject(), options.metadata);
  } catch (error) {
    if (error instanceof ScalerError) throw new BenchUsageError(`--metadata: ${error.message}`);
    throw error;
  }
  if (options.scrapeDown !== undefined) parseScrapeDownSpec(options.scrapeDown);
  return options;
}

/** Reads and parses a trace file; a missing file is a usage error naming --trace. */
export function readTrace(path: string): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BenchUsageError(`--trace ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseTraceCsv(text, path);
}

/** Keys of `flags` that were given, for spreading over defaults. */
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
    throw new BenchUsageError((error as Error).message);
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
    ...(cli.burst !== undefined ? { bursts: parseBurstSpec(cli.burst) } : {}),
    ...(named !== undefined ? { namedScenario: named.name } : {}),
    ...(cli.scrapeDown !== undefined ? { scrapeDowns: parseScrapeDownSpec(cli.scrapeDown) } : {}),
    queueThresholdBatches: cli.queueThresholdBatches,
    scaledObject: kedaPollingSeconds !== undefined ? { ...example, pollingIntervalSeconds: kedaPollingSeconds } : example,
    metadataOverrides: cli.metadata,
    ...(cli.autoscalers ? { autoscalers: cli.autoscalers } : {}),
  };
}

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs the CLI; resolves to the exit code (0 ok, 2 bad usage or input). */
export async function runBenchCli(argv: readonly string[], io: CliIo): Promise<number> {
  let cli: BenchCliOptions;
  let options: BenchOptions;
  try {
    cli = parseBenchArgs(argv);
    if (cli.help) {
      io.stdout(USAGE);
      return 0;
    }
    options = benchOptionsFrom(cli);
  } catch (error) {
    if (error instanceof BenchUsageError || error instanceof ScenarioSpecError || error instanceof TraceFormatError) {
      io.stderr(`bench: ${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
  const startedMs = performance.now();
  let result: Awaited<ReturnType<typeof runBench>>;
  try {
    result = await runBench({ ...options, onResult: (policy) => io.stderr(`  ${policy.name} done after ${((performance.now() - startedMs) / 1000).toFixed(1)} s\n`) });
  } catch (error) {
    if (error instanceof ScenarioSpecError) {
      io.stderr(`bench: ${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
  const seconds = (performance.now() - startedMs) / 1000;
  io.stdout(`${formatSettings(result, options)}\n\n${formatTable(result.policies)}\n\nsimulated ${result.policies.length} autoscalers × ${result.scenario.steps} steps in ${seconds.toFixed(1)} s\n`);
  if (cli.jsonPath !== undefined) {
    writeFileSync(cli.jsonPath, `${JSON.stringify(benchJson(result, options), null, 2)}\n`);
    io.stdout(`wrote ${cli.jsonPath}\n`);
  }
  if (cli.plotPath !== undefined) {
    writeFileSync(cli.plotPath, renderBenchSvg(result));
    io.stdout(`wrote ${cli.plotPath}\n`);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runBenchCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
