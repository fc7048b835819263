// `npm run bench:matrix -- [--days 28] [--workers 2] [--traces DIR | --held-out N | --trace T…]
// [--conditions a,b | outside] [--autoscalers a,b] [--out DIR]`: runs every trace × condition cell (all
// autoscalers each) in worker threads and writes bench-matrix.md and bench-matrix.json. Follows the
// project's command-line convention (src/cli/command-line.ts): a bad flag exits 2 naming it, a trace
// directory or file that cannot be used exits 1.
import { mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUTOSCALER_NAMES } from './autoscaler.ts';
import { runBench, SHIPPED_AUTOSCALER } from './bench.ts';
import { type CommandIo, type CommandSpec, type OptionValues, processIo, progressLine, RunFailure, runCommand, UsageError, writeFlagFile } from '../cli/command-line.ts';
import { benchOptionsFrom, integerFlag, parseBenchArgs, readTrace, SHARED_TRACES_DIR } from './bench-cli.ts';
import {
  formatGoalTally,
  formatMatrixSummary,
  formatMatrixTable,
  formatUndominatedCountingBrokenTraces,
  GOAL_AUTOSCALERS,
  goalsMet,
  MATRIX_CONDITIONS,
  MATRIX_OUTAGES,
  type MatrixCell,
  OUTSIDE_CONDITIONS,
  OUTSIDE_CONDITIONS_NAME,
  type MatrixCondition,
  markParetoDominated,
  matrixEntry,
} from './bench-matrix.ts';
import { drawM4Traces } from './m4-trace.ts';
import { type Trace, TraceFormatError } from './trace-csv.ts';
import { cachedForecaster, defaultForecastCacheDir } from './forecast-cache.ts';
import { runOnWorkers } from './worker-pool.ts';

/**
 * Days of each trace a cell replays. The full traces are 31, 215 and 1,376 days; 45 cells of every
 * autoscaler over all of them would take hours. Four weeks keep the weekly season (twice over, after
 * the forecast's 14-day history fills) and fit the matrix in its time budget.
 */
export const DEFAULT_MATRIX_DAYS = 28;

export const MATRIX_COMMAND: CommandSpec = {
  name: 'bench:matrix',
  usage: ['npm run bench:matrix -- [options]'],
  summary: `Runs every trace × condition (${MATRIX_CONDITIONS.map((c) => c.name).join(', ')})
with every autoscaler and two ${MATRIX_OUTAGES.slice(2)} backend outages per cell; writes bench-matrix.md and bench-matrix.json.`,
  options: {
    days: { value: 'N', description: `replay the first N days of each trace (default ${DEFAULT_MATRIX_DAYS}; 0 = whole traces)` },
    traces: { value: 'DIR', description: 'directory of trace CSVs (default ../shared/traces beside the repository)' },
    'held-out': { value: 'N', description: 'instead of a directory, N M4 hourly series (../shared/forecast-data) drawn with --held-out-seed:\nload shapes the policy was never tuned on' },
    'held-out-seed': { value: 'S', description: 'seed of the --held-out draw (default 1)' },
    trace: { value: 'T', multiple: true, description: 'instead of a directory, this trace (repeatable): a CSV path, a bare name in the default directory, or m4:ID' },
    conditions: {
      value: 'A,B',
      description: `run only these conditions (default all of the matrix's), or ${OUTSIDE_CONDITIONS_NAME}: fleet settings in no matrix condition\n(${OUTSIDE_CONDITIONS.map((c) => c.name).join(', ')}), not part of the matrix's goal counts`,
    },
    autoscalers: { value: 'A,B', description: 'run only these autoscalers (default all; ×oracle needs oracle)' },
    metadata: {
      value: 'KEY=VALUE',
      multiple: true,
      description: "override one key of the scalers' trigger metadata in every cell (repeatable), e.g. targetUtilization=0.9:\nwhat a setting an operator might choose does across the matrix",
    },
    workers: { value: 'N', description: 'worker threads (default min(2, CPUs))' },
    out: { value: 'DIR', description: 'where to write bench-matrix.md and bench-matrix.json (default .)' },
  },
  footer: 'Exit codes: 0 done; 1 a trace directory, trace or output that cannot be used; 2 bad command line.\nProgress is shown on a terminal only.',
};

export interface MatrixJob {
  readonly tracePath: string;
  readonly days: number;
  readonly condition: MatrixCondition;
  readonly autoscalers: readonly string[] | undefined;
  /** `--metadata` KEY=VALUE entries for the scalers, as given. */
  readonly metadata: readonly string[];
}

/** The bench flags of one cell: what `npm run bench` needs to reproduce it. */
export function cellArgs(job: MatrixJob): string[] {
  return [
    '--trace',
    job.tracePath,
    ...(job.days > 0 ? ['--trace-days', String(job.days)] : []),
    '--outage',
    MATRIX_OUTAGES,
    ...job.condition.args,
    ...(job.autoscalers ? ['--autoscalers', job.autoscalers.join(',')] : []),
    ...job.metadata.flatMap((entry) => ['--metadata', entry]),
  ];
}

const traces = new Map<string, Trace>();

/** Runs one cell (every autoscaler on one trace under one condition). */
export async function runMatrixCell(job: MatrixJob): Promise<MatrixCell> {
  const cli = parseBenchArgs(cellArgs(job));
  let trace = traces.get(job.tracePath);
  if (!trace) {
    trace = readTrace(job.tracePath);
    traces.set(job.tracePath, trace);
  }
  const options = benchOptionsFrom(cli, trace);
  const result = await runBench({ ...options, forecast: cachedForecaster(defaultForecastCacheDir()).forecast });
  const entries = result.policies.map(matrixEntry);
  markParetoDominated(entries);
  return {
    trace: options.trace.name.replace(/^.*\//, ''),
    condition: job.condition.name,
    command: `npm run bench -- ${cellArgs(job).join(' ')}`,
    steps: result.scenario.steps,
    entries,
  };
}

interface MatrixCliOptions {
  readonly days: number;
  /** Trace files, or `m4:ID` names of held-out series. */
  readonly traces: readonly string[];
  readonly conditions: readonly MatrixCondition[];
  readonly autoscalers: readonly string[] | undefined;
  readonly metadata: readonly string[];
  readonly workers: number;
  readonly outDir: string;
}

function listFlag<T>(value: string | undefined, flag: string, known: readonly T[], nameOf: (item: T) => string): T[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !known.some((item) => nameOf(item) === name));
  if (unknown.length > 0 || names.length === 0) throw new UsageError(`${flag} must list names from ${known.map(nameOf).join(', ')}; unknown: ${unknown.join(', ') || '(empty)'}`);
  return names.map((name) => known.find((item) => nameOf(item) === name)!);
}

/** Held-out series need this many days besides the replayed ones: the matrix's days, at least a week. */
const HELD_OUT_MIN_DAYS = 7;

export function matrixCliOptions(values: OptionValues): MatrixCliOptions {
  const text = (name: string) => values[name] as string | undefined;
  const days = integerFlag(text('days'), '--days', 0, 100_000) ?? DEFAULT_MATRIX_DAYS;
  const heldOut = text('held-out');
  const named = values.trace as string[] | undefined;
  const choices = [heldOut !== undefined && '--held-out', text('traces') !== undefined && '--traces', named !== undefined && '--trace'].filter((flag) => flag !== false);
  if (choices.length > 1) throw new UsageError(`${choices.join(' and ')} each choose the traces; give one of them`);
  if (heldOut === undefined && text('held-out-seed') !== undefined) throw new UsageError('--held-out-seed needs --held-out N');
  const traces =
    heldOut !== undefined
      ? drawHeldOut(integerFlag(heldOut, '--held-out', 1, 414) ?? 1, integerFlag(text('held-out-seed'), '--held-out-seed', 0, 2 ** 32 - 1) ?? 1, Math.max(days, HELD_OUT_MIN_DAYS))
      : (named ?? traceFiles(resolve(text('traces') ?? SHARED_TRACES_DIR)));
  const conditions = text('conditions');
  if (conditions !== undefined && conditions !== OUTSIDE_CONDITIONS_NAME && conditions.split(',').some((name) => name.trim() === OUTSIDE_CONDITIONS_NAME)) {
    throw new UsageError(`--conditions ${OUTSIDE_CONDITIONS_NAME} stands for every condition outside the matrix and takes no other name; list the conditions one by one instead`);
  }
  return {
    days,
    traces,
    conditions:
      conditions === OUTSIDE_CONDITIONS_NAME
        ? OUTSIDE_CONDITIONS
        : (listFlag(conditions, '--conditions', [...MATRIX_CONDITIONS, ...OUTSIDE_CONDITIONS], (c) => c.name) ?? MATRIX_CONDITIONS),
    autoscalers: listFlag(text('autoscalers'), '--autoscalers', [...AUTOSCALER_NAMES], (name) => name),
    metadata: (values.metadata as string[] | undefined) ?? [],
    workers: integerFlag(text('workers'), '--workers', 1, 64) ?? Math.min(2, availableParallelism()),
    outDir: resolve(text('out') ?? '.'),
  };
}

function drawHeldOut(count: number, seed: number, minDays: number): string[] {
  try {
    return drawM4Traces(count, seed, minDays);
  } catch (error) {
    if (error instanceof TraceFormatError) throw new RunFailure(`--held-out: ${error.message}`);
    throw error;
  }
}

function traceFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new RunFailure(`--traces ${dir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const files = names.filter((name) => name.endsWith('.csv')).sort();
  if (files.length === 0) throw new RunFailure(`--traces ${dir} holds no .csv trace`);
  return files.map((name) => join(dir, name));
}

/** Runs the matrix CLI; resolves to the exit code (0 ok, 1 a trace or output failed, 2 bad command line). */
export function runMatrixCli(argv: readonly string[], io: CommandIo): Promise<number> {
  return runCommand(MATRIX_COMMAND, argv, io, async (values) => {
    const options = matrixCliOptions(values);
    const jobs: MatrixJob[] = options.traces.flatMap((tracePath) =>
      options.conditions.map((condition) => ({ tracePath, days: options.days, condition, autoscalers: options.autoscalers, metadata: options.metadata })),
    );
    // A bad --metadata fails as it would in npm run bench, before any worker starts.
    if (jobs[0] !== undefined) parseBenchArgs(cellArgs(jobs[0]));
    // Fail on a bad trace before any worker starts.
    for (const tracePath of new Set(jobs.map((job) => job.tracePath))) readTrace(tracePath);
    return runMatrix(options, jobs, io);
  });
}

async function runMatrix(options: MatrixCliOptions, jobs: readonly MatrixJob[], io: CommandIo): Promise<number> {
  const startedMs = performance.now();
  const progress = progressLine(io);
  let done = 0;
  progress.update(`0/${jobs.length} cells on ${options.workers} worker threads…`);
  let cells: MatrixCell[];
  try {
    cells = await runOnWorkers<MatrixJob, MatrixCell>(new URL('./bench-matrix-worker.ts', import.meta.url), jobs, options.workers, (cell) => {
      progress.update(`${++done}/${jobs.length} cells (${cell.trace} ${cell.condition} last) after ${((performance.now() - startedMs) / 1000).toFixed(0)} s`);
    });
  } finally {
    progress.done();
  }
  const seconds = (performance.now() - startedMs) / 1000;
  const overrides = options.metadata.length > 0 ? `; the scalers' metadata overridden with ${options.metadata.join(', ')}` : '';
  const runLine = `${cells.length} cells × ${cells[0]?.entries.length ?? 0} autoscalers in ${seconds.toFixed(0)} s on ${options.workers} worker threads${options.days > 0 ? `, first ${options.days} days of each trace` : ', whole traces'}${overrides}`;
  const goals = formatGoalTally(cells);
  const goalsSection = goals === '' ? '' : `**Goals**: cells where each is met\n\n${goals}\n\n${formatUndominatedCountingBrokenTraces(cells)}\n\n`;
  const markdown = `# bench:matrix\n\n${runLine}; every cell has two ${MATRIX_OUTAGES.slice(2)} backend outages (seed 1).\n\n${formatMatrixSummary(cells)}\n${goalsSection}${formatMatrixTable(cells)}\n\nCommands:\n\n${cells.map((cell) => `- ${cell.trace} ${cell.condition}: \`${cell.command}\``).join('\n')}\n`;
  try {
    mkdirSync(options.outDir, { recursive: true });
  } catch (error) {
    throw new RunFailure(`--out ${options.outDir} cannot be created: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const markdownPath = join(options.outDir, 'bench-matrix.md');
  const jsonPath = join(options.outDir, 'bench-matrix.json');
  writeFlagFile('--out', markdownPath, markdown);
  const goalVerdicts = cells.flatMap((cell) =>
    cell.entries.filter((entry) => (GOAL_AUTOSCALERS as readonly string[]).includes(entry.autoscaler)).map((entry) => ({ trace: cell.trace, condition: cell.condition, autoscaler: entry.autoscaler, met: goalsMet(cell, entry) })),
  );
  writeFlagFile('--out', jsonPath, `${JSON.stringify({ shipped: SHIPPED_AUTOSCALER, metadata: options.metadata, days: options.days, outages: MATRIX_OUTAGES, seconds, workers: options.workers, cells, goals: goalVerdicts }, null, 2)}\n`);
  io.out(`${formatMatrixSummary(cells)}\n${goalsSection}${runLine}\nwrote ${markdownPath}\nwrote ${jsonPath}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runMatrixCli(process.argv.slice(2), processIo());
}
