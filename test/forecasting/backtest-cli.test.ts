import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../forecasting/backtest-cli.ts';
import { noisyLoad } from './synthetic-load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'forecast-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command in this process, with its output captured. */
async function command(args: string[], isTerminal = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (text) => (stdout += text), err: (text) => (stderr += text), isTerminal });
  return { code, stdout, stderr };
}

/** The command as `npm run forecast:backtest` runs it: a separate process, its real exit code. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'forecasting/backtest-cli.ts', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

// 36 days of hourly synthetic load as a trace file.
const trace = join(dir, 'trace.csv');
const start = Date.UTC(2026, 0, 5);
const values = noisyLoad({ stepsPerDay: 24, level: 1000, dailyAmplitude: 400, weekendOffset: -300 }, 0, 36 * 24, 30, 11);
writeFileSync(trace, ['timestamp,value', ...values.map((v, t) => `${new Date(start + t * 3600_000).toISOString()},${v.toFixed(1)}`)].join('\n'));
const badTrace = join(dir, 'bad.csv');
writeFileSync(badTrace, 'time,requests\n2026-01-05T00:00:00Z,1\n');

// Two hourly series in M4's layout (header row, then id and values), 30 days to train on and 48 hours to score.
const m4Dir = join(dir, 'm4');
mkdirSync(m4Dir);
const m4Series = [noisyLoad({ stepsPerDay: 24, level: 500, dailyAmplitude: 200, weekendOffset: 0 }, 0, 32 * 24, 20, 3), noisyLoad({ stepsPerDay: 24, level: 90, dailyAmplitude: 30, weekendOffset: -10 }, 0, 32 * 24, 5, 4)];
const m4File = (from: number, to: number) => ['"V1"', ...m4Series.map((values, index) => [`"H${index + 1}"`, ...Array.from(values.slice(from, to), (v) => v.toFixed(2))].join(','))].join('\n');
writeFileSync(join(m4Dir, 'Hourly-train.csv'), m4File(0, 30 * 24));
writeFileSync(join(m4Dir, 'Hourly-test.csv'), m4File(30 * 24, 32 * 24));

describe('forecast:backtest CLI', () => {
  const rejections: { name: string; args: string[]; want: RegExp }[] = [
    { name: 'no mode', args: [], want: /give exactly one of --m4 DIR, --trace FILE or --bench/ },
    { name: 'two modes', args: ['--m4', dir, '--trace', trace], want: /give exactly one of/ },
    { name: 'an unknown flag', args: ['--trace', trace, '--days', '3'], want: /^forecast:backtest: unknown option --days\nRun with --help/ },
    { name: 'a flag without its value', args: ['--trace'], want: /^forecast:backtest: --trace needs a value\n/ },
    { name: 'a horizon that is not a duration', args: ['--trace', trace, '--horizon', '24'], want: /--horizon must be a duration like "5m"/ },
    { name: 'a horizon that is not whole steps', args: ['--trace', trace, '--horizon', '90m'], want: /--horizon \(5400s\) must be a whole number of steps of 3600s/ },
    { name: 'test days that are not a number', args: ['--trace', trace, '--test-days', 'two'], want: /--test-days must be a whole number from 1 to 365, got "two"/ },
    { name: 'a quantile above 1', args: ['--trace', trace, '--quantile', '90'], want: /--quantile must be a number ≥ 0.5 and < 1/ },
    { name: 'a horizon for M4', args: ['--m4', dir, '--horizon', '24h'], want: /--horizon does not apply to --m4/ },
    { name: '--json with --bench', args: ['--bench', '--json', join(dir, 'x.json')], want: /--json is for --m4 and --trace/ },
  ];
  for (const row of rejections) {
    it(`exits 2 with a message naming the flag on ${row.name}`, async () => {
      const result = await command(row.args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(row.want);
    });
  }

  const failures: { name: string; args: string[]; want: RegExp }[] = [
    { name: 'a missing trace file', args: ['--trace', join(dir, 'nope.csv')], want: /--trace .*nope\.csv cannot be read: ENOENT/ },
    { name: 'a trace without the header', args: ['--trace', badTrace], want: /bad\.csv:1: expected the header "timestamp,value"/ },
    { name: 'an M4 directory without the files', args: ['--m4', dir], want: /--m4 .*Hourly-train\.csv cannot be read: ENOENT/ },
    { name: 'a --json file that cannot be written', args: ['--trace', trace, '--test-days', '1', '--json', join(dir, 'no-such-dir', 'r.json')], want: /--json .*r\.json cannot be written: ENOENT/ },
  ];
  for (const row of failures) {
    it(`exits 1 with the file named on ${row.name}`, async () => {
      const result = await command(row.args);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(row.want);
    });
  }

  it('exits the process with code 1 on a file it cannot use when run from the command line', async () => {
    const result = await cli(['--trace', badTrace]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.csv:1: expected the header/);
  });

  it('shows M4 progress on a terminal and none otherwise', async () => {
    const quiet = await command(['--m4', m4Dir]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/M4 hourly: 2 series/);
    const shown = await command(['--m4', m4Dir], true);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/1\/2 series[\s\S]*2\/2 series/);
    expect(shown.stdout).toBe(quiet.stdout);
  });

  it('prints every model next to the baseline and writes the same figures with --json', async () => {
    const out = join(dir, 'report.json');
    const result = await cli(['--trace', trace, '--horizon', '24h', '--test-days', '5', '--json', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/seasonal-naive-weekly .*\(baseline\)/);
    expect(result.stdout).toMatch(/combination .*\(chosen\)/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['protocol', 'series', 'horizon', 'chosen', 'baseline', 'models']));
    expect(report).toMatchObject({ protocol: 'trace-day-ahead', horizon: 24, chosen: 'combination', baseline: 'seasonal-naive-weekly' });
    for (const model of report.models) {
      expect(Object.keys(model).sort()).toEqual(['bandCoverage', 'mase', 'name', 'smape', 'underForecastShare', 'wape']);
    }
  });
});
