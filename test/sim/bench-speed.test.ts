import { describe, expect, it } from 'vitest';
import { runBenchSpeedCli } from '../../src/sim/bench-speed.ts';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runBenchSpeedCli(args, { out: (text) => (stdout += text), err: (text) => (stderr += text), isTerminal: false });
  return { code, stdout, stderr };
}

describe('npm run bench:speed', () => {
  it('times each requested autoscaler over the scenario the bench flags describe, and the total', async () => {
    const { code, stdout } = await cli(['--days', '1', '--autoscalers', 'static-peak,scaler-reactive']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/17280 steps of 5 s per autoscaler, 2 autoscalers/);
    const rows = stdout.split('\n').filter((line) => /^(static-peak|scaler-reactive|all) /.test(line));
    expect(rows.map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
      ['static-peak', '17280'],
      ['scaler-reactive', '17280'],
      ['all', '34560'],
    ]);
    for (const row of rows) for (const cell of row.split(/\s+/).slice(2)) expect(Number(cell.replaceAll(',', ''))).toBeGreaterThan(0);
    // One thread's CPU time, as on worker threads: never more than the wall time it ran in (printed to 0.01 s).
    for (const row of rows.slice(0, -1)) {
      const [wall, cpu] = row.split(/\s+/).slice(2, 4).map(Number);
      expect(cpu!, row).toBeLessThanOrEqual(wall! + 0.01);
    }
  });

  it('with --workers, simulates the autoscalers on worker threads, each timed on its own, and totals the whole run', async () => {
    const { code, stdout } = await cli(['--days', '1', '--autoscalers', 'static-peak,scaler-reactive,oracle', '--workers', '2']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/17280 steps of 5 s per autoscaler, 3 autoscalers, 2 at once on worker threads/);
    const rows = stdout.split('\n').filter((line) => /^(static-peak|scaler-reactive|oracle|all) /.test(line));
    // In the order asked for, whichever thread finished first.
    expect(rows.map((line) => line.split(/\s+/).slice(0, 2))).toEqual([
      ['static-peak', '17280'],
      ['scaler-reactive', '17280'],
      ['oracle', '17280'],
      ['all', '51840'],
    ]);
    const wallOf = (line: string) => Number(line.split(/\s+/)[2]);
    for (const row of rows) expect(wallOf(row)).toBeGreaterThan(0);
    // The total is the run's wall time, so at least its longest autoscaler's.
    expect(wallOf(rows.at(-1)!)).toBeGreaterThanOrEqual(Math.max(...rows.slice(0, -1).map(wallOf)));
  });

  it('rejects a bad bench flag as the bench does, and takes no output files', async () => {
    expect(await cli(['--workers', '0'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bench:speed: --workers must be an integer from 1 to 64/) });
    expect(await cli(['--autoscalers', 'nope'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bench:speed: --autoscalers/) });
    expect(await cli(['--json', 'out.json'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown option --json/) });
  });
});
