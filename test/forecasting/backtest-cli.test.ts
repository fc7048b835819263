import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../forecasting/backtest-cli.ts';
import { noisyLoad } from './synthetic-load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'forecast-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command in this process, with its output captured. */
function command(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(args, { out: (text) => (stdout += text), err: (text) => (stderr += text), progress: false });
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

describe('forecast:backtest CLI', () => {
  const rejections: { name: string; args: string[]; want: RegExp }[] = [
    { name: 'no mode', args: [], want: /give exactly one of --m4 DIR, --trace FILE or --bench/ },
    { name: 'two modes', args: ['--m4', dir, '--trace', trace], want: /give exactly one of/ },
    { name: 'an unknown flag', args: ['--trace', trace, '--days', '3'], want: /Unknown option '--days'[\s\S]*usage:/ },
    { name: 'a missing trace file', args: ['--trace', join(dir, 'nope.csv')], want: /cannot read trace .*nope\.csv: ENOENT/ },
    { name: 'a trace without the header', args: ['--trace', badTrace], want: /bad\.csv:1: expected the header "timestamp,value"/ },
    { name: 'a horizon that is not a duration', args: ['--trace', trace, '--horizon', '24'], want: /--horizon must be a duration like "5m"/ },
    { name: 'a horizon that is not whole steps', args: ['--trace', trace, '--horizon', '90m'], want: /--horizon \(5400s\) must be a whole number of steps of 3600s/ },
    { name: 'test days that are not a number', args: ['--trace', trace, '--test-days', 'two'], want: /--test-days must be a whole number from 1 to 365, got "two"/ },
    { name: 'a quantile above 1', args: ['--trace', trace, '--quantile', '90'], want: /--quantile must be a number ≥ 0.5 and < 1/ },
    { name: 'an M4 directory without the files', args: ['--m4', dir], want: /cannot read M4 training file .*Hourly-train\.csv: ENOENT/ },
    { name: 'a horizon for M4', args: ['--m4', dir, '--horizon', '24h'], want: /--horizon does not apply to --m4/ },
    { name: '--json with --bench', args: ['--bench', '--json', join(dir, 'x.json')], want: /--json is for --m4 and --trace/ },
  ];
  for (const row of rejections) {
    it(`exits 2 with a clear message on ${row.name}`, () => {
      const result = command(row.args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(row.want);
    });
  }

  it('exits the process with code 2 on bad input when run from the command line', async () => {
    const result = await cli(['--trace', badTrace]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.csv:1: expected the header/);
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
