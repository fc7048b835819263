// `npm run bench -- [--trace FILE.csv] [--peak-replicas 20] [--outage 2x30m] [--burst 2x15m@1.8]
// [--seed 1] [--drain-seconds 40] [--autoscalers a,b] [--queue-threshold 100] [--days 28]
// [--json OUT.json] [--plot OUT.svg]`: replays a trace against every autoscaler and prints one row
// each. Bad flags or input exit with code 2 and a message naming the flag and the fix.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AUTOSCALER_NAMES, type AutoscalerName } from './autoscaler.ts';
import { type BenchOptions, DEFAULT_QUEUE_THRESHOLD_BATCHES, runBench } from './bench.ts';
import { renderBenchSvg } from './bench-plot.ts';
import { benchJson, formatSettings, formatTable } from './bench-report.ts';
import { loadExampleScaledObject } from './example-scaled-object.ts';
import { assertFleetSettings, DEFAULT_FLEET_SETTINGS, DEFAULT_SCENARIO_SETTINGS, type FleetSettings } from './fleet-settings.ts';
import { parseBurstSpec, parseOutageSpec, ScenarioSpecError } from './scenario.ts';
import { syntheticTrace } from './synthetic-load.ts';
import { parseTraceCsv, type Trace, TraceFormatError } from './trace-csv.ts';

export const USAGE = `Usage: npm run bench -- [options]

Replays a load trace against every autoscaler (${AUTOSCALER_NAMES.join(', ')})
on a simulated OpenTelemetry Collector gateway tier and prints one row per autoscaler.

Options:
  --trace FILE.csv        CSV "timestamp,value" (ISO timestamps, empty value = no data);
                          default: the built-in synthetic diurnal + weekly trace
  --days N                length of the synthetic trace in days (default 28; not with --trace)
  --peak-replicas N       the trace's peak needs N replicas at target utilization (default 20)
  --outage COUNTxDUR      backend outages, e.g. 2x30m (placed from --seed; default none)
  --burst COUNTxDUR@MULT  load bursts, e.g. 2x15m@1.8 (placed from --seed; default none)
  --seed N                integer ≥ 0 for outage, burst and synthetic-noise placement (default 1)
  --drain-seconds N       seconds a removed gateway keeps deciding and flushing before it stops
                          (preStop sleep; default 40 as deploy/examples/gateway ships; 0 = none)
  --autoscalers A,B       run only these (default all; the oracle is needed for ×oracle)
  --queue-threshold N     keda-prometheus-queue threshold in batches per replica (default ${DEFAULT_QUEUE_THRESHOLD_BATCHES})
  --json OUT.json         write the results as JSON
  --plot OUT.svg          write load, replicas and lost spans over time as SVG
  --help                  show this text
`;

/** A usage problem: the CLI prints it with the usage hint and exits with code 2. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/** Where the bench's default gateway drains for, as the example gateway Deployment's preStop sleep. */
export const DEFAULT_DRAIN_SECONDS = 40;
const DEFAULT_SYNTHETIC_DAYS = 28;
const SYNTHETIC_START = '2026-01-05T00:00:00Z';

export interface BenchCliOptions {
  readonly help: boolean;
  readonly tracePath: string | undefined;
  readonly days: number;
  readonly peakReplicas: number;
  readonly outage: string | undefined;
  readonly burst: string | undefined;
  readonly seed: number;
  readonly drainSeconds: number;
  readonly autoscalers: readonly AutoscalerName[] | undefined;
  readonly queueThresholdBatches: number;
  readonly jsonPath: string | undefined;
  readonly plotPath: string | undefined;
}

function integerFlag(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new BenchUsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

/** Parses argv (without node and script); throws BenchUsageError. */
export function parseBenchArgs(argv: readonly string[]): BenchCliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        trace: { type: 'string' },
        days: { type: 'string' },
        'peak-replicas': { type: 'string' },
        outage: { type: 'string' },
        burst: { type: 'string' },
        seed: { type: 'string' },
        'drain-seconds': { type: 'string' },
        autoscalers: { type: 'string' },
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
  if (text('trace') !== undefined && text('days') !== undefined) throw new BenchUsageError('--days sets the length of the synthetic trace; it cannot be combined with --trace');
  const drainSeconds = integerFlag(text('drain-seconds'), '--drain-seconds', 0, 3600, DEFAULT_DRAIN_SECONDS);
  if (drainSeconds % DEFAULT_FLEET_SETTINGS.stepSeconds !== 0) {
    throw new BenchUsageError(`--drain-seconds must be a multiple of the ${DEFAULT_FLEET_SETTINGS.stepSeconds} s simulation step, got ${drainSeconds}`);
  }
  let autoscalers: AutoscalerName[] | undefined;
  const list = text('autoscalers');
  if (list !== undefined) {
    autoscalers = list.split(',').map((name) => name.trim()) as AutoscalerName[];
    const unknown = autoscalers.filter((name) => !(AUTOSCALER_NAMES as readonly string[]).includes(name));
    if (unknown.length > 0 || autoscalers.length === 0) {
      throw new BenchUsageError(`--autoscalers must list names from ${AUTOSCALER_NAMES.join(', ')}; unknown: ${unknown.join(', ') || '(empty)'}`);
    }
  }
  for (const flag of ['trace', 'json', 'plot'] as const) {
    if (text(flag)?.trim() === '') throw new BenchUsageError(`--${flag} needs a file path`);
  }
  const options: BenchCliOptions = {
    help: values.help === true,
    tracePath: text('trace'),
    days: integerFlag(text('days'), '--days', 1, 3650, DEFAULT_SYNTHETIC_DAYS),
    peakReplicas: integerFlag(text('peak-replicas'), '--peak-replicas', 1, DEFAULT_FLEET_SETTINGS.maxReplicas, DEFAULT_SCENARIO_SETTINGS.peakReplicas),
    outage: text('outage'),
    burst: text('burst'),
    seed: integerFlag(text('seed'), '--seed', 0, 2 ** 32 - 1, 1),
    drainSeconds,
    autoscalers,
    queueThresholdBatches: integerFlag(text('queue-threshold'), '--queue-threshold', 1, 1_000_000, DEFAULT_QUEUE_THRESHOLD_BATCHES),
    jsonPath: text('json'),
    plotPath: text('plot'),
  };
  // Validate the specs now so a typo fails before a long run.
  if (options.outage !== undefined) parseOutageSpec(options.outage);
  if (options.burst !== undefined) parseBurstSpec(options.burst);
  return options;
}

function readTrace(path: string): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BenchUsageError(`--trace ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseTraceCsv(text, path);
}

/** Builds the run's options from the parsed flags (reads the trace and the example ScaledObject). */
export function benchOptionsFrom(cli: BenchCliOptions): BenchOptions {
  const trace = cli.tracePath !== undefined ? readTrace(cli.tracePath) : syntheticTrace({ startMs: Date.parse(SYNTHETIC_START), days: cli.days, seed: cli.seed });
  const fleet: FleetSettings = { ...DEFAULT_FLEET_SETTINGS, drainSeconds: cli.drainSeconds };
  assertFleetSettings(fleet);
  return {
    trace,
    fleet,
    scenario: { ...DEFAULT_SCENARIO_SETTINGS, peakReplicas: cli.peakReplicas },
    seed: cli.seed,
    ...(cli.outage !== undefined ? { outages: parseOutageSpec(cli.outage) } : {}),
    ...(cli.burst !== undefined ? { bursts: parseBurstSpec(cli.burst) } : {}),
    queueThresholdBatches: cli.queueThresholdBatches,
    scaledObject: loadExampleScaledObject(),
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
