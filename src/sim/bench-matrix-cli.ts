// `npm run bench:matrix -- [--days 28] [--workers 2] [--traces DIR] [--conditions a,b] [--autoscalers a,b]
// [--out DIR]`: runs every trace × condition cell (all autoscalers each) in worker threads and writes
// bench-matrix.md and bench-matrix.json. Bad flags exit with code 2 and a message naming the flag.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { AUTOSCALER_NAMES } from './autoscaler.ts';
import { runBench, SHIPPED_AUTOSCALER } from './bench.ts';
import { BenchUsageError, benchOptionsFrom, parseBenchArgs, readTrace } from './bench-cli.ts';
import { formatMatrixSummary, formatMatrixTable, MATRIX_CONDITIONS, MATRIX_OUTAGES, type MatrixCell, type MatrixCondition, markParetoDominated, matrixEntry } from './bench-matrix.ts';
import type { Trace } from './trace-csv.ts';

/** The shared traces, beside the repository (read by path, never copied in). */
export const SHARED_TRACES_DIR = fileURLToPath(new URL('../../../shared/traces/', import.meta.url));
/**
 * Days of each trace a cell replays. The full traces are 31, 215 and 1,376 days; 39 cells of every
 * autoscaler over all of them would take hours. Four weeks keep the weekly season (twice over, after
 * the forecast's 14-day history fills) and fit the matrix in its time budget.
 */
export const DEFAULT_MATRIX_DAYS = 28;

export const MATRIX_USAGE = `Usage: npm run bench:matrix -- [options]

Runs every trace × condition (${MATRIX_CONDITIONS.map((c) => c.name).join(', ')})
with every autoscaler and two ${MATRIX_OUTAGES.slice(2)} backend outages per cell; writes bench-matrix.md and bench-matrix.json.

Options:
  --days N            replay the first N days of each trace (default ${DEFAULT_MATRIX_DAYS}; 0 = whole traces)
  --traces DIR        directory of trace CSVs (default ../shared/traces beside the repository)
  --conditions A,B    run only these conditions (default all)
  --autoscalers A,B   run only these autoscalers (default all; ×oracle needs oracle)
  --workers N         worker threads (default min(2, CPUs))
  --out DIR           where to write bench-matrix.md and bench-matrix.json (default .)
  --help              show this text
`;

export interface MatrixJob {
  readonly tracePath: string;
  readonly days: number;
  readonly condition: MatrixCondition;
  readonly autoscalers: readonly string[] | undefined;
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
  const result = await runBench(options);
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
  readonly help: boolean;
  readonly days: number;
  readonly tracesDir: string;
  readonly conditions: readonly MatrixCondition[];
  readonly autoscalers: readonly string[] | undefined;
  readonly workers: number;
  readonly outDir: string;
}

function listFlag<T>(value: string | undefined, flag: string, known: readonly T[], nameOf: (item: T) => string): T[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !known.some((item) => nameOf(item) === name));
  if (unknown.length > 0 || names.length === 0) throw new BenchUsageError(`${flag} must list names from ${known.map(nameOf).join(', ')}; unknown: ${unknown.join(', ') || '(empty)'}`);
  return names.map((name) => known.find((item) => nameOf(item) === name)!);
}

function countFlag(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) throw new BenchUsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return Number(value);
}

export function parseMatrixArgs(argv: readonly string[]): MatrixCliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        days: { type: 'string' },
        traces: { type: 'string' },
        conditions: { type: 'string' },
        autoscalers: { type: 'string' },
        workers: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const text = (name: string) => values[name] as string | undefined;
  return {
    help: values.help === true,
    days: countFlag(text('days'), '--days', 0, 100_000, DEFAULT_MATRIX_DAYS),
    tracesDir: resolve(text('traces') ?? SHARED_TRACES_DIR),
    conditions: listFlag(text('conditions'), '--conditions', MATRIX_CONDITIONS, (c) => c.name) ?? MATRIX_CONDITIONS,
    autoscalers: listFlag(text('autoscalers'), '--autoscalers', [...AUTOSCALER_NAMES], (name) => name),
    workers: countFlag(text('workers'), '--workers', 1, 64, Math.min(2, availableParallelism())),
    outDir: resolve(text('out') ?? '.'),
  };
}

function traceFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new BenchUsageError(`--traces ${dir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const files = names.filter((name) => name.endsWith('.csv')).sort();
  if (files.length === 0) throw new BenchUsageError(`--traces ${dir} holds no .csv trace`);
  return files.map((name) => join(dir, name));
}

/** Runs the jobs on `workers` threads; results come back in job order. */
async function runOnWorkers(jobs: readonly MatrixJob[], workers: number, onCell: (cell: MatrixCell, index: number) => void): Promise<MatrixCell[]> {
  const cells: MatrixCell[] = new Array(jobs.length);
  let next = 0;
  const workerUrl = new URL('./bench-matrix-worker.ts', import.meta.url);
  const runOne = (worker: Worker) =>
    new Promise<void>((resolveAll, reject) => {
      const take = () => {
        if (next >= jobs.length) {
          resolveAll();
          return;
        }
        const index = next++;
        worker.once('message', (message: { cell?: MatrixCell; error?: string }) => {
          if (message.error !== undefined) {
            reject(new Error(message.error));
            return;
          }
          cells[index] = message.cell!;
          onCell(message.cell!, index);
          take();
        });
        worker.postMessage(jobs[index]);
      };
      worker.once('error', reject);
      take();
    });
  // The worker is TypeScript like this file: it registers tsx's loader in its own thread, then loads.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(bootstrap, { eval: true }));
  try {
    await Promise.all(pool.map(runOne));
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
  return cells;
}

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs the matrix CLI; resolves to the exit code (0 ok, 2 bad usage). */
export async function runMatrixCli(argv: readonly string[], io: CliIo): Promise<number> {
  let options: MatrixCliOptions;
  let jobs: MatrixJob[];
  try {
    options = parseMatrixArgs(argv);
    if (options.help) {
      io.stdout(MATRIX_USAGE);
      return 0;
    }
    jobs = traceFiles(options.tracesDir).flatMap((tracePath) => options.conditions.map((condition) => ({ tracePath, days: options.days, condition, autoscalers: options.autoscalers })));
    // Fail on a bad trace before any worker starts.
    for (const tracePath of new Set(jobs.map((job) => job.tracePath))) readTrace(tracePath);
  } catch (error) {
    if (error instanceof BenchUsageError || (error instanceof Error && error.name === 'TraceFormatError')) {
      io.stderr(`bench:matrix: ${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
  const startedMs = performance.now();
  const cells = await runOnWorkers(jobs, options.workers, (cell, index) => {
    io.stderr(`  [${index + 1}/${jobs.length}] ${cell.trace} ${cell.condition} done after ${((performance.now() - startedMs) / 1000).toFixed(0)} s\n`);
  });
  const seconds = (performance.now() - startedMs) / 1000;
  const runLine = `${cells.length} cells × ${cells[0]?.entries.length ?? 0} autoscalers in ${seconds.toFixed(0)} s on ${options.workers} worker threads${options.days > 0 ? `, first ${options.days} days of each trace` : ', whole traces'}`;
  const markdown = `# bench:matrix\n\n${runLine}; every cell has two ${MATRIX_OUTAGES.slice(2)} backend outages (seed 1).\n\n${formatMatrixSummary(cells)}\n${formatMatrixTable(cells)}\n\nCommands:\n\n${cells.map((cell) => `- ${cell.trace} ${cell.condition}: \`${cell.command}\``).join('\n')}\n`;
  mkdirSync(options.outDir, { recursive: true });
  const markdownPath = join(options.outDir, 'bench-matrix.md');
  const jsonPath = join(options.outDir, 'bench-matrix.json');
  writeFileSync(markdownPath, markdown);
  writeFileSync(jsonPath, `${JSON.stringify({ shipped: SHIPPED_AUTOSCALER, days: options.days, outages: MATRIX_OUTAGES, seconds, workers: options.workers, cells }, null, 2)}\n`);
  io.stdout(`${formatMatrixSummary(cells)}\n${runLine}\nwrote ${markdownPath}\nwrote ${jsonPath}\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runMatrixCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
