// `npm run forecast:backtest -- …`: scores the forecasting models on the M4 hourly protocol or on a
// load trace, and benchmarks fit + forecast time. The only file in forecasting/ that does I/O
// (reads data files, writes --json, prints, reads the clock for --bench).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BacktestReport } from './backtest-report.ts';
import { durationSeconds } from './duration.ts';
import { forecast } from './forecast.ts';
import { BacktestInputError } from './input-error.ts';
import { parseM4Csv, runM4Backtest } from './m4-protocol.ts';
import { seasonPeriodsForStep } from './series.ts';
import { defaultStepSeconds, FINEST_STEP_SECONDS, parseTraceCsv, regularTrace, runDayAheadBacktest } from './trace-protocol.ts';

const USAGE = `usage:
  npm run forecast:backtest -- --m4 DIR [--quantile 0.9] [--json OUT]
  npm run forecast:backtest -- --trace FILE [--horizon 24h] [--test-days 14] [--history 28d] [--step 5m] [--quantile 0.9] [--json OUT]
  npm run forecast:backtest -- --bench [--history 28d] [--step 5m] [--horizon 24h] [--runs 30]`;

const OPTIONS = {
  m4: { type: 'string' },
  trace: { type: 'string' },
  bench: { type: 'boolean' },
  horizon: { type: 'string' },
  'test-days': { type: 'string' },
  history: { type: 'string' },
  step: { type: 'string' },
  quantile: { type: 'string' },
  runs: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** The flags that carry a value for --trace and --bench. */
type ValueFlags = Partial<Record<'horizon' | 'test-days' | 'history' | 'step' | 'runs', string>>;

function durationFlag(flag: string, text: string | undefined, fallback: string): number {
  const seconds = durationSeconds(text ?? fallback);
  if (seconds === undefined) throw new BacktestInputError(`--${flag} must be a duration like "5m", "24h" or "28d", got "${text}"`);
  return seconds;
}

function integerFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new BacktestInputError(`--${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  return value;
}

function quantileFlag(text: string | undefined): number {
  if (text === undefined) return 0.9;
  const value = Number(text);
  if (!(value >= 0.5 && value < 1)) throw new BacktestInputError(`--quantile must be a number ≥ 0.5 and < 1 (e.g. 0.9), got "${text}"`);
  return value;
}

function stepsOf(flag: string, seconds: number, stepSeconds: number): number {
  const steps = seconds / stepSeconds;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new BacktestInputError(`--${flag} (${seconds}s) must be a whole number of steps of ${stepSeconds}s`);
  }
  return steps;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new BacktestInputError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function checkStep(stepSeconds: number): void {
  try {
    seasonPeriodsForStep(stepSeconds);
  } catch (error) {
    throw new BacktestInputError(`--step: ${(error as Error).message}`);
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

function runM4(dir: string, quantile: number, io: CommandOutput): BacktestReport {
  const train = parseM4Csv(readText(join(dir, 'Hourly-train.csv'), 'M4 training file'), 'Hourly-train.csv');
  const test = parseM4Csv(readText(join(dir, 'Hourly-test.csv'), 'M4 test file'), 'Hourly-test.csv');
  return runM4Backtest(train, test, dir, {
    quantile,
    onSeries: (done, total) => {
      if (!io.progress) return;
      if (done % 50 === 0 || done === total) io.err(`\r${done}/${total} series`);
      if (done === total) io.err('\n');
    },
  });
}

function runTrace(file: string, flags: ValueFlags, quantile: number): BacktestReport {
  const samples = parseTraceCsv(readText(file, 'trace'), basename(file));
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

/** Where the command writes; the real process streams when run from the command line. */
export interface CommandOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Progress lines go to err only when it is a terminal. */
  readonly progress: boolean;
}

/** Runs the command for `argv` (flags only); returns the exit code: 0 ok, 2 bad flags or input. */
export function main(argv: string[], io: CommandOutput): number {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const flags = parsed.values;
  if (flags.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const modes = [flags.m4 !== undefined, flags.trace !== undefined, flags.bench === true].filter(Boolean).length;
  try {
    if (modes !== 1) throw new BacktestInputError('give exactly one of --m4 DIR, --trace FILE or --bench');
    if (flags.bench) {
      if (flags.json !== undefined) throw new BacktestInputError('--json is for --m4 and --trace, not --bench');
      io.out(`${runBench(flags)}\n`);
      return 0;
    }
    if (flags.m4 !== undefined) {
      for (const flag of ['horizon', 'test-days', 'history', 'step', 'runs'] as const) {
        if (flags[flag] !== undefined) throw new BacktestInputError(`--${flag} does not apply to --m4 (the protocol fixes horizon 48 and the data)`);
      }
    }
    if (flags.trace !== undefined && flags.runs !== undefined) throw new BacktestInputError('--runs is for --bench');
    const quantile = quantileFlag(flags.quantile);
    const report = flags.m4 !== undefined ? runM4(flags.m4, quantile, io) : runTrace(flags.trace!, flags, quantile);
    io.out(`${formatReport(report)}\n`);
    if (flags.json !== undefined) {
      try {
        writeFileSync(flags.json, `${JSON.stringify(report, null, 2)}\n`);
      } catch (error) {
        throw new BacktestInputError(`cannot write --json ${flags.json}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof BacktestInputError) {
      io.err(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    progress: process.stderr.isTTY === true,
  });
}
