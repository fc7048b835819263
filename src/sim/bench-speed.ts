// `npm run bench:speed -- [any npm run bench flag]`: how fast the benchmark simulates. Runs the same
// scenario as `npm run bench` with the same flags and prints, per autoscaler, the simulated 5-s steps,
// wall and CPU seconds and steps per second, so a slow autoscaler or a slow change shows. The
// process's CPU time is printed beside wall time because a shared machine stretches wall time.
import { pathToFileURL } from 'node:url';
import { type CommandIo, type CommandSpec, processIo, progressLine, runCommand, UsageError } from '../cli/command-line.ts';
import { AUTOSCALER_NAMES } from './autoscaler.ts';
import { runBench } from './bench.ts';
import { BENCH_COMMAND, benchCliOptions, benchOptionsFrom } from './bench-cli.ts';
import { cachedForecaster, defaultForecastCacheDir } from './forecast-cache.ts';
import { ScenarioSpecError } from './scenario.ts';

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
  },
  footer: BENCH_COMMAND.footer,
};
export interface AutoscalerSpeed {
  readonly name: string;
  readonly steps: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
}

function cpuSecondsNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** One row per autoscaler plus the total, as a fixed-width table. */
export function formatSpeedTable(rows: readonly AutoscalerSpeed[]): string {
  const header = ['autoscaler', 'steps', 'wall s', 'CPU s', 'steps/s (wall)', 'steps/s (CPU)'];
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(22) : cell.padStart(i === 1 ? 10 : 14))).join(' ');
  const format = (row: AutoscalerSpeed) =>
    line([row.name, String(row.steps), row.wallSeconds.toFixed(2), row.cpuSeconds.toFixed(2), Math.round(row.steps / row.wallSeconds).toLocaleString('en-US'), Math.round(row.steps / row.cpuSeconds).toLocaleString('en-US')]);
  const total: AutoscalerSpeed = {
    name: 'all',
    steps: rows.reduce((sum, row) => sum + row.steps, 0),
    wallSeconds: rows.reduce((sum, row) => sum + row.wallSeconds, 0),
    cpuSeconds: rows.reduce((sum, row) => sum + row.cpuSeconds, 0),
  };
  return [line(header), ...rows.map(format), format(total)].join('\n');
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 a file failed, 2 bad command line). */
export function runBenchSpeedCli(argv: readonly string[], io: CommandIo): Promise<number> {
  return runCommand(SPEED_COMMAND, argv, io, async (values) => {
    const rows: AutoscalerSpeed[] = [];
    const progress = progressLine(io);
    let result: Awaited<ReturnType<typeof runBench>>;
    let names: readonly string[] = AUTOSCALER_NAMES;
    let cache: ReturnType<typeof cachedForecaster> | undefined;
    try {
      const options = benchOptionsFrom(benchCliOptions(values));
      names = options.autoscalers ?? AUTOSCALER_NAMES;
      cache = values.cold === true ? undefined : cachedForecaster(defaultForecastCacheDir());
      let wallMark = performance.now();
      let cpuMark = cpuSecondsNow();
      result = await runBench({
        ...options,
        ...(cache ? { forecast: cache.forecast } : {}),
        onResult: (policy) => {
          const wallNow = performance.now();
          const cpuNow = cpuSecondsNow();
          rows.push({ name: policy.name, steps: 0, wallSeconds: (wallNow - wallMark) / 1000, cpuSeconds: cpuNow - cpuMark });
          progress.update(`${rows.length}/${names.length} autoscalers simulated (${policy.name} last)`);
          wallMark = wallNow;
          cpuMark = cpuNow;
        },
      });
    } catch (error) {
      if (error instanceof ScenarioSpecError) throw new UsageError(error.message);
      throw error;
    } finally {
      progress.done();
    }
    const { steps, stepSeconds, traceName } = result.scenario;
    io.out(`${traceName}: ${steps} steps of ${stepSeconds} s per autoscaler, ${names.length} autoscalers, node ${process.version}\n\n`);
    io.out(`${formatSpeedTable(rows.map((row) => ({ ...row, steps })))}\n`);
    const fits = cache ? `${cache.stats.hits} forecast fits reused, ${cache.stats.misses} computed (cache ${defaultForecastCacheDir()})` : 'every forecast fit computed (--cold)';
    io.out(`\n${fits}\n`);
    return 0;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runBenchSpeedCli(process.argv.slice(2), processIo());
}
