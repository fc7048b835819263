import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCli } from '../../src/sim/bench-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runBenchCli(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const badCsv = join(dir, 'bad.csv');
writeFileSync(badCsv, 'timestamp,value\n2020-01-01 00:00,5\n2020-01-01 00:01,6\n');

describe('bench CLI rejects bad input with exit code 2 and a message naming the flag', () => {
  const cases: { name: string; input: string[]; want: RegExp }[] = [
    { name: 'unknown flag', input: ['--speed', '3'], want: /Unknown option '--speed'/ },
    { name: 'positional argument', input: ['trace.csv'], want: /Unexpected argument 'trace.csv'/ },
    { name: 'peak replicas not a number', input: ['--peak-replicas', 'many'], want: /--peak-replicas must be an integer from 1 to 60, got "many"/ },
    { name: 'peak replicas above max replicas', input: ['--peak-replicas', '61'], want: /--peak-replicas must be an integer from 1 to 60/ },
    { name: 'outage without duration', input: ['--outage', '2x'], want: /--outage must be COUNTxDURATION/ },
    { name: 'burst without multiplier', input: ['--burst', '1x10m'], want: /--burst must be COUNTxDURATION@MULTIPLIER/ },
    { name: 'negative seed', input: ['--seed=-1'], want: /--seed must be an integer from 0/ },
    { name: 'flag without its value', input: ['--seed'], want: /Option '--seed <value>' argument missing/ },
    { name: 'unknown autoscaler', input: ['--autoscalers', 'oracle,vpa'], want: /--autoscalers must list names from static-peak.*unknown: vpa/ },
    { name: 'drain not a multiple of the step', input: ['--drain-seconds', '7'], want: /--drain-seconds must be a multiple of the 5 s simulation step/ },
    { name: 'days with a trace file', input: ['--trace', badCsv, '--days', '3'], want: /--days sets the length of the synthetic trace/ },
    { name: 'missing trace file', input: ['--trace', join(dir, 'nope.csv')], want: /--trace .*nope\.csv cannot be read: ENOENT/ },
    { name: 'malformed trace file', input: ['--trace', badCsv], want: /bad\.csv: line 2 timestamp must be ISO-8601/ },
    { name: 'outages that do not fit the trace', input: ['--days', '1', '--outage', '3x12h', '--autoscalers', 'oracle'], want: /--outage 3x12h does not fit the run/ },
    { name: 'empty json path', input: ['--json', ''], want: /--json needs a file path/ },
  ];
  for (const row of cases) {
    it(row.name, async () => {
      const got = await cli(row.input);
      expect(got.code).toBe(2);
      expect(got.stderr).toMatch(row.want);
      expect(got.stderr).toMatch(/Run with --help/);
      expect(got.stdout).toBe('');
    });
  }
});

describe('bench CLI', () => {
  it('prints one row per autoscaler and writes the JSON and the SVG', async () => {
    const json = join(dir, 'out.json');
    const svg = join(dir, 'out.svg');
    const got = await cli(['--days', '1', '--outage', '1x30m', '--autoscalers', 'static-peak,oracle', '--json', json, '--plot', svg]);
    expect(got.code).toBe(0);
    const rows = got.stdout.split('\n').filter((line) => /^(static-peak|oracle)\s/.test(line));
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(['static-peak', 'oracle']);
    expect(got.stdout).toMatch(/removed pods drain 40 s; min\/max 2\/60/);
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(written).slice(0, 3)).toEqual(['trace', 'steps', 'policies']);
    expect(written.outages).toHaveLength(1);
    const picture = readFileSync(svg, 'utf8');
    expect(picture).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(picture).toContain('lost spans/s (log scale)');
    expect(picture.match(/<polyline /g)).toHaveLength(2 + 2 * 2);
  });

  it('exits with code 2 from the real command line too', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/sim/bench-cli.ts', '--outage', 'often'], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--outage must be COUNTxDURATION/);
  });

  it('prints its usage with --help', async () => {
    const got = await cli(['--help']);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/--outage COUNTxDUR/);
  });
});
