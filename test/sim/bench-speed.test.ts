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
  });

  it('rejects a bad bench flag as the bench does, and takes no output files', async () => {
    expect(await cli(['--autoscalers', 'nope'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bench:speed: --autoscalers/) });
    expect(await cli(['--json', 'out.json'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown option --json/) });
  });
});
