// `npm run bench:speed -- [any npm run bench flag]`: how fast the benchmark simulates. Runs the same
// scenario as `npm run bench` with the same flags and prints, per autoscaler, the simulated 5-s steps,
// wall and CPU seconds and steps per second, so a slow autoscaler or a slow change shows. CPU time is
// printed beside wall time because a shared machine stretches wall time; it is the simulating thread's
// own, one after another on the main thread or N at a time on worker threads (--workers N), so the two
// modes' rows compare.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type CommandIo, type CommandSpec, type OptionValues, processIo, progressLine, runCommand, UsageError } from '../cli/command-line.ts';
import { AUTOSCALER_NAMES } from './autoscaler.ts';
import { runBench } from './bench.ts';
import { BENCH_COMMAND, benchCliOptions, benchOptionsFrom, integerFlag } from './bench-cli.ts';
import { cachedForecaster, defaultForecastCacheDir } from './forecast-cache.ts';
import { ScenarioSpecError } from './scenario.ts';
import { runOnWorkers } from './worker-pool.ts';

const { json: _json, plot: _plot, ...SCENARIO_OPTIONS } = BENCH_COMMAND.options;

export const SPEED_COMMAND: CommandSpec = {
  name: 'bench:speed',
  usage: ['npm run bench:speed -- [options]'],
  summary: `Runs the scenario \`npm run bench\` runs with the same flags and prints, per autoscaler, the
simulated steps, wall and CPU seconds and steps per second instead of the results. Forecast fits come
from the cache \`npm run bench\` fills (identical histories, identical fits) unless --cold.`,
  options: {
    ...SCENARIO_OPTIONS,
    cold: { group: 'Output', description: 'compute every forecast fit instead of reusing the cached fits of identical histories' },
    workers: {
      group: 'Output',
      value: 'N',
      description: 'simulate N autoscalers at once on worker threads, the scalers first (default 1: one after\nanother); each is timed on its own thread, and the total is the whole run\'s wall time',
    },
  },
  footer: BENCH_COMMAND.footer,
};
export interface AutoscalerSpeed {
  readonly name: string;
  readonly steps: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

/**
 * CPU seconds of the calling thread alone (garbage collection's helper threads are not in it): the
 * first field of Linux's /proc/thread-self/schedstat, nanoseconds on a CPU, fine enough for a run of
 * a few milliseconds (the utime and stime of /proc/thread-self/stat count in 10 ms ticks).
 */
function threadCpuSeconds(): number {
  const nanoseconds = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  if (!Number.isFinite(nanoseconds)) throw new Error('cannot read this thread\'s CPU time from /proc/thread-self/schedstat (bench:speed runs on Linux)');
  return nanoseconds / 1e9;
}

/** One autoscaler of a --workers run: the parsed flags, and which autoscaler this job simulates. */
export interface SpeedJob {
  readonly values: OptionValues;
  readonly autoscaler: string;
}

export interface SpeedJobResult {
  readonly speed: AutoscalerSpeed;
  readonly stepSeconds: number;
  readonly traceName: string;
  readonly fitsReused: number;
  readonly fitsComputed: number;
}

/** Simulates one autoscaler on the scenario the flags describe; run on a worker thread. */
export async function runSpeedJob(job: SpeedJob): Promise<SpeedJobResult> {
  const options = benchOptionsFrom(benchCliOptions({ ...job.values, autoscalers: job.autoscaler }));
  const cache = job.values.cold === true ? undefined : cachedForecaster(defaultForecastCacheDir());
  const wallMark = performance.now();
  const cpuMark = threadCpuSeconds();
  const result = await runBench({ ...options, ...(cache ? { forecast: cache.forecast } : {}) });
  return {
    speed: { name: job.autoscaler, steps: result.scenario.steps, wallSeconds: (performance.now() - wallMark) / 1000, cpuSeconds: threadCpuSeconds() - cpuMark },
    stepSeconds: result.scenario.stepSeconds,
    traceName: result.scenario.traceName,
    fitsReused: cache?.stats.hits ?? 0,
    fitsComputed: cache?.stats.misses ?? 0,
  };
}

function describeFits(cold: boolean, reused: number, computed: number): string {
  return cold ? 'every forecast fit computed (--cold)' : `${reused} forecast fits reused, ${computed} computed (cache ${defaultForecastCacheDir()})`;
}

/** The scalers take longest, so they start first and the baselines fill in beside them. */
function longestFirst(names: readonly string[]): string[] {
  const isScaler = (name: string) => name.startsWith('scaler-');
  return [...names.filter(isScaler), ...names.filter((name) => !isScaler(name))];
}

/**
 * One row per autoscaler plus the total, as a fixed-width table. The total's wall time is the rows'
 * sum, or `runWallSeconds` when they ran at once.
 */
export function formatSpeedTable(rows: readonly AutoscalerSpeed[], runWallSeconds?: number): string {
  const header = ['autoscaler', 'steps', 'wall s', 'CPU s', 'steps/s (wall)', 'steps/s (CPU)'];
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(22) : cell.padStart(i === 1 ? 10 : 14))).join(' ');
  const format = (row: AutoscalerSpeed) =>
    line([row.name, String(row.steps), row.wallSeconds.toFixed(2), row.cpuSeconds.toFixed(2), Math.round(row.steps / row.wallSeconds).toLocaleString('en-US'), Math.round(row.steps / row.cpuSeconds).toLocaleString('en-US')]);
  const total: AutoscalerSpeed = {
    name: 'all',
    steps: rows.reduce((sum, row) => sum + row.steps, 0),
    wallSeconds: runWallSeconds ?? rows.reduce((sum, row) => sum + row.wallSeconds, 0),
    cpuSeconds: rows.reduce((sum, row) => sum + row.cpuSeconds, 0),
  };
  return [line(header), ...rows.map(format), format(total)].join('\n');
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 a file failed, 2 bad command line). */
export function runBenchSpeedCli(argv: readonly string[], io: CommandIo): Promise<number> {
  return runCommand(SPEED_COMMAND, argv, io, async (values) => {
    const workers = integerFlag(values.workers as string | undefined, '--workers', 1, 64) ?? 1;
    const progress = progressLine(io);
    let names: readonly string[] = AUTOSCALER_NAMES;
    let rows: AutoscalerSpeed[];
    let runWallSeconds: number | undefined;
    let steps: number;
    let stepSeconds: number;
    let traceName: string;
    let fits: string;
    try {
      const options = benchOptionsFrom(benchCliOptions(values));
      names = options.autoscalers ?? AUTOSCALER_NAMES;
      if (workers > 1) {
        const startedMs = performance.now();
        const order = longestFirst(names);
        const jobs = order.map((autoscaler): SpeedJob => ({ values, autoscaler }));
        let done = 0;
        const results = await runOnWorkers<SpeedJob, SpeedJobResult>(new URL('./bench-speed-worker.ts', import.meta.url), jobs, workers, (result) =>
          progress.update(`${++done}/${names.length} autoscalers simulated (${result.speed.name} last)`),
        );
        runWallSeconds = (performance.now() - startedMs) / 1000;
        rows = names.map((name) => results[order.indexOf(name)]!.speed);
        ({ stepSeconds, traceName } = results[0]!);
        steps = results[0]!.speed.steps;
        const reused = results.reduce((sum, result) => sum + result.fitsReused, 0);
        const computed = results.reduce((sum, result) => sum + result.fitsComputed, 0);
        fits = describeFits(values.cold === true, reused, computed);
      } else {
        const cache = values.cold === true ? undefined : cachedForecaster(defaultForecastCacheDir());
        const timed: AutoscalerSpeed[] = [];
        let wallMark = performance.now();
        let cpuMark = threadCpuSeconds();
        const result = await runBench({
          ...options,
          ...(cache ? { forecast: cache.forecast } : {}),
          onResult: (policy) => {
            const wallNow = performance.now();
            const cpuNow = threadCpuSeconds();
            timed.push({ name: policy.name, steps: 0, wallSeconds: (wallNow - wallMark) / 1000, cpuSeconds: cpuNow - cpuMark });
            progress.update(`${timed.length}/${names.length} autoscalers simulated (${policy.name} last)`);
            wallMark = wallNow;
            cpuMark = cpuNow;
          },
        });
        ({ steps, stepSeconds, traceName } = result.scenario);
        rows = timed.map((row) => ({ ...row, steps }));
        fits = describeFits(cache === undefined, cache?.stats.hits ?? 0, cache?.stats.misses ?? 0);
      }
    } catch (error) {
      if (error instanceof ScenarioSpecError) throw new UsageError(error.message);
      throw error;
    } finally {
      progress.done();
    }
    const at = workers > 1 ? `, ${Math.min(workers, names.length)} at once on worker threads` : '';
    io.out(`${traceName}: ${steps} steps of ${stepSeconds} s per autoscaler, ${names.length} autoscalers${at}, node ${process.version}\n\n`);
    io.out(`${formatSpeedTable(rows, runWallSeconds)}\n`);
    io.out(`\n${fits}\n`);
    return 0;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runBenchSpeedCli(process.argv.slice(2), processIo());
}
