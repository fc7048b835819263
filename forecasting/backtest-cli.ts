// `npm run forecast:backtest -- …`: scores the forecasting models on the M4 hourly protocol or on a
// load trace, and benchmarks fit + forecast time. The only file in forecasting/ that does I/O
// (reads data files, writes --json, prints, reads the clock for --bench).
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CommandIo, type CommandSpec, processIo, progressLine, RunFailure, readFlagFile, runCommand, UsageError, writeFlagFile } from '../src/cli/command-line.ts';
import type { BacktestReport } from './backtest-report.ts';
import { durationSeconds } from './duration.ts';
import { forecast } from './forecast.ts';
import { BacktestInputError } from './input-error.ts';
import { parseM4Csv, runM4Backtest } from './m4-protocol.ts';
import { seasonPeriodsForStep } from './series.ts';
import { defaultStepSeconds, FINEST_STEP_SECONDS, parseTraceCsv, regularTrace, runDayAheadBacktest } from './trace-protocol.ts';

export const BACKTEST_COMMAND: CommandSpec = {
  name: 'forecast:backtest',
  usage: [
    'npm run forecast:backtest -- --m4 DIR [--quantile 0.9] [--json OUT]',
    'npm run forecast:backtest -- --trace FILE [--horizon 24h] [--test-days 14] [--history 28d] [--step 5m] [--quantile 0.9] [--json OUT]',
    'npm run forecast:backtest -- --bench [--history 28d] [--step 5m] [--horizon 24h] [--runs 30]',
  ],
  summary: 'Scores the forecasting models against seasonal naive on the M4 hourly protocol or on a load\ntrace, or times one fit + forecast. Give exactly one of --m4, --trace and --bench.',
  options: {
    m4: { value: 'DIR', description: "M4 hourly protocol on DIR/Hourly-train.csv and DIR/Hourly-test.csv (414 series, horizon 48)" },
    trace: { value: 'FILE', description: 'day-ahead rolling forecasts on a CSV "timestamp,value" load trace' },
    bench: { description: 'time fit + forecast of one synthetic series (wall and CPU time per run)' },
    horizon: { value: 'DUR', description: 'forecast horizon, --trace and --bench (default 24h)' },
    'test-days': { value: 'N', description: '--trace: days forecast and scored, one origin a day, 1–365 (default 14)' },
    history: { value: 'DUR', description: 'history each forecast is fitted on, --trace and --bench (default 28d)' },
    step: { value: 'DUR', description: `series step, --trace and --bench (default: the trace's own step, at least ${FINEST_STEP_SECONDS}s;\n--bench ${FINEST_STEP_SECONDS}s); must divide a day` },
    quantile: { value: 'Q', description: 'quantile of the forecast band whose coverage is scored, ≥ 0.5 and < 1 (default 0.9)' },
    runs: { value: 'N', description: '--bench: timed runs after one warm-up run, 1–10000 (default 30)' },
    json: { value: 'OUT', description: '--m4 and --trace: also write the figures as JSON to OUT' },
  },
  footer: 'Exit codes: 0 done; 1 a file could not be read or written, or its data cannot be used;\n2 bad command line (the message names the flag). Progress is shown on a terminal only.',
};

/** The flags that carry a value for --trace and --bench. */
type ValueFlags = Partial<Record<'horizon' | 'test-days' | 'history' | 'step' | 'runs', string>>;

function durationFlag(flag: string, text: string | undefined, fallback: string): number {
  const seconds = durationSeconds(text ?? fallback);
  if (seconds === undefined) throw new UsageError(`--${flag} must be a duration like "5m", "24h" or "28d", got "${text}"`);
  return seconds;
}

function integerFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  return value;
}

function quantileFlag(text: string | undefined): number {
  if (text === undefined) return 0.9;
  const value = Number(text);
  if (!(value >= 0.5 && value < 1)) throw new UsageError(`--quantile must be a number ≥ 0.5 and < 1 (e.g. 0.9), got "${text}"`);
  return value;
}

function stepsOf(flag: string, seconds: number, stepSeconds: number): number {
  const steps = seconds / stepSeconds;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new UsageError(`--${flag} (${seconds}s) must be a whole number of steps of ${stepSeconds}s`);
  }
  return steps;
}


function checkStep(stepSeconds: number): void {
  try {
    seasonPeriodsForStep(stepSeconds);
  } catch (error) {
    throw new UsageError(`--step: ${(error as Error).message}`);
  }
}

function formatReport(report: BacktestReport): string {
  const title =
    report.protocol === 'm4-hourly'
      ? `M4 hourly: ${report.series} series, horizon ${report.horizon} steps (${report.source})`
      : `day-ahead backtest of ${report.source}: step ${report.stepSeconds}s, horizon ${report.horizon} steps`;
  const header = `${'model'.padEnd(24)}${'MASE'.padStart(8)}${'sMAPE'.padStart(8)}${'WAPE'.padStart(8)}${'under'.padStart(8)}${`p${Math.round(report.quantile * 100)} cover`.padStart(11)}`;
  const rows = report.models.map((model) => {
    const marks = [model.name === report.chosen ? 'chosen' : '', model.name === report.baseline ? 'baseline' : ''].filter(Boolean).join(', ');
    return `${model.name.padEnd(24)}${model.mase.toFixed(3).padStart(8)}${model.smape.toFixed(2).padStart(8)}${model.wape.toFixed(3).padStart(8)}${model.underForecastShare.toFixed(3).padStart(8)}${model.bandCoverage.toFixed(3).padStart(11)}${marks ? `  (${marks})` : ''}`;
  });
  const chosen = report.models.find((model) => model.name === report.chosen)!;
  const baseline = report.models.find((model) => model.name === report.baseline)!;
  const verdict = `${report.chosen} MASE ${chosen.mase.toFixed(3)} vs ${report.baseline} ${baseline.mase.toFixed(3)} (${((chosen.mase / baseline.mase - 1) * 100).toFixed(1)}%)`;
  return [title, header, ...rows, verdict].join('\n');
}

function runM4(dir: string, quantile: number, io: CommandIo): BacktestReport {
  const train = parseM4Csv(readFlagFile('--m4', join(dir, 'Hourly-train.csv')), 'Hourly-train.csv');
  const test = parseM4Csv(readFlagFile('--m4', join(dir, 'Hourly-test.csv')), 'Hourly-test.csv');
  const progress = progressLine(io);
  try {
    return runM4Backtest(train, test, dir, { quantile, onSeries: (done, total) => progress.update(`${done}/${total} series`) });
  } finally {
    progress.done();
  }
}

function runTrace(file: string, flags: ValueFlags, quantile: number): BacktestReport {
  const samples = parseTraceCsv(readFlagFile('--trace', file), basename(file));
  const stepSeconds = flags.step === undefined ? defaultStepSeconds(samples) : durationFlag('step', flags.step, '5m');
  checkStep(stepSeconds);
  const series = regularTrace(samples, stepSeconds);
  return runDayAheadBacktest(series, basename(file), {
    horizonSteps: stepsOf('horizon', durationFlag('horizon', flags.horizon, '24h'), stepSeconds),
    testDays: integerFlag('test-days', flags['test-days'], 14, 1, 365),
    historySteps: stepsOf('history', durationFlag('history', flags.history, '28d'), stepSeconds),
    quantile,
  });
}

/** A deterministic load-like series: daily and weekly seasons, weekend dip, noise from a fixed-seed LCG. */
function syntheticLoad(length: number, stepSeconds: number): Float64Array {
  const { dailySteps, weeklySteps } = seasonPeriodsForStep(stepSeconds);
  let seed = 12345;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648 - 0.5;
  };
  return Float64Array.from({ length }, (_, t) => {
    const day = Math.sin((2 * Math.PI * (t % dailySteps)) / dailySteps);
    const weekend = Math.floor((t % weeklySteps) / dailySteps) >= 5 ? -3000 : 0;
    return 10_000 + 5000 * day + weekend + 800 * noise();
  });
}

function runBench(flags: ValueFlags): string {
  const stepSeconds = durationFlag('step', flags.step, `${FINEST_STEP_SECONDS}s`);
  checkStep(stepSeconds);
  const historySteps = stepsOf('history', durationFlag('history', flags.history, '28d'), stepSeconds);
  const horizonSteps = stepsOf('horizon', durationFlag('horizon', flags.horizon, '24h'), stepSeconds);
  const runs = integerFlag('runs', flags.runs, 30, 1, 10_000);
  const values = syntheticLoad(historySteps, stepSeconds);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let run = 0; run < runs + 1; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const result = forecast({ values, stepSeconds }, { horizonSteps });
    const cpu = process.cpuUsage(cpuStarted);
    wallMs.push(performance.now() - started);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    if (result.kind !== 'ok') throw new Error(`benchmark series could not be forecast: ${result.reason}`);
  }
  const summary = (times: number[]) => {
    const first = times.shift()!;
    times.sort((a, b) => a - b);
    const at = (share: number) => times[Math.min(times.length - 1, Math.floor(share * times.length))]!;
    return `first run ${first.toFixed(1)} ms; median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms per series`;
  };
  return [
    `fit + forecast: ${historySteps} history steps of ${stepSeconds}s, horizon ${horizonSteps} steps, ${runs} runs after 1 warm-up run`,
    `wall time: ${summary(wallMs)}`,
    // CPU time (user + system) is what the work costs; wall time also counts waiting for a busy CPU.
    `CPU time:  ${summary(cpuMs)}`,
  ].join('\n');
}

/** Runs the command for `argv` (flags only); resolves to the exit code: 0 ok, 1 a file or its data failed, 2 bad flags. */
export function main(argv: readonly string[], io: CommandIo): Promise<number> {
  return runCommand(BACKTEST_COMMAND, argv, io, (values) => {
    const flags = values as Partial<Record<'m4' | 'trace' | 'json' | 'quantile' | 'horizon' | 'test-days' | 'history' | 'step' | 'runs', string>> & { bench?: boolean };
    const modes = [flags.m4 !== undefined, flags.trace !== undefined, flags.bench === true].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('give exactly one of --m4 DIR, --trace FILE or --bench');
    if (flags.bench) {
      if (flags.json !== undefined) throw new UsageError('--json is for --m4 and --trace, not --bench');
      io.out(`${runBench(flags)}\n`);
      return 0;
    }
    if (flags.m4 !== undefined) {
      for (const flag of ['horizon', 'test-days', 'history', 'step', 'runs'] as const) {
        if (flags[flag] !== undefined) throw new UsageError(`--${flag} does not apply to --m4 (the protocol fixes horizon 48 and the data)`);
      }
    }
    if (flags.trace !== undefined && flags.runs !== undefined) throw new UsageError('--runs is for --bench');
    const quantile = quantileFlag(flags.quantile);
    let report: BacktestReport;
    try {
      report = flags.m4 !== undefined ? runM4(flags.m4, quantile, io) : runTrace(flags.trace!, flags, quantile);
    } catch (error) {
      // The data files, not the command line, are what cannot be used.
      if (error instanceof BacktestInputError) throw new RunFailure(error.message);
      throw error;
    }
    io.out(`${formatReport(report)}\n`);
    if (flags.json !== undefined) {
      writeFlagFile('--json', flags.json, `${JSON.stringify(report, null, 2)}\n`);
    }
    return 0;
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), processIo());
}
