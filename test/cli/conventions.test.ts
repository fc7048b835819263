// Every command-line tool of the project, run as its npm script runs it (node with tsx), follows one
// convention: --help describes every option, --version prints the package's version, a bad flag
// names itself and exits 2, a file that cannot be read (or written) exits 1. Every npm script that
// runs a program of the project is one of them.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAIN_COMMAND } from '../../src/cli/args.ts';
import type { CommandSpec } from '../../src/cli/command-line.ts';
import { BENCH_COMMAND } from '../../src/sim/bench-cli.ts';
import { MATRIX_COMMAND } from '../../src/sim/bench-matrix-cli.ts';
import { SPEED_COMMAND } from '../../src/sim/bench-speed.ts';
import { BACKTEST_COMMAND } from '../../forecasting/backtest-cli.ts';
import { BENCH_GRPC_COMMAND } from '../bench/bench-grpc.ts';
import { BENCH_MEMORY_COMMAND } from '../bench/bench-memory.ts';
import { CALIBRATE_COMMAND } from '../collector/calibrate.ts';
import { SATURATE_COMMAND } from '../collector/saturate.ts';
import { BUILD_COMMAND } from '../../scripts/build.ts';
import { RULES_COMMAND } from '../../scripts/generate-rules.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; scripts: Record<string, string> };
const VERSION = PACKAGE.version;
const MISSING = '/nonexistent/otel-gateway-scaler-input';

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, timeout: 60_000, env: { ...process.env, PROMETHEUS_URL: '' } }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

const TOOLS: { script: string; spec: CommandSpec; missingFile?: string[] }[] = [
  { script: 'src/main.ts', spec: MAIN_COMMAND, missingFile: ['--config', MISSING] },
  { script: 'src/sim/bench-cli.ts', spec: BENCH_COMMAND, missingFile: ['--trace', MISSING] },
  { script: 'src/sim/bench-matrix-cli.ts', spec: MATRIX_COMMAND, missingFile: ['--traces', MISSING] },
  { script: 'src/sim/bench-speed.ts', spec: SPEED_COMMAND, missingFile: ['--trace', MISSING] },
  { script: 'forecasting/backtest-cli.ts', spec: BACKTEST_COMMAND, missingFile: ['--trace', MISSING] },
  { script: 'test/bench/bench-grpc.ts', spec: BENCH_GRPC_COMMAND },
  { script: 'test/bench/bench-memory.ts', spec: BENCH_MEMORY_COMMAND },
  { script: 'scripts/build.ts', spec: BUILD_COMMAND },
  { script: 'scripts/generate-rules.ts', spec: RULES_COMMAND, missingFile: ['--out', MISSING] },
  { script: 'test/collector/calibrate.ts', spec: CALIBRATE_COMMAND, missingFile: ['--out', MISSING] },
  { script: 'test/collector/saturate.ts', spec: SATURATE_COMMAND, missingFile: ['--out', MISSING] },
];

describe('the npm scripts', () => {
  it('run only programs held to the convention below', () => {
    const programs = Object.values(PACKAGE.scripts).flatMap((command) => [...command.matchAll(/\btsx ([\w./-]+\.ts)\b/g)].map((match) => match[1]!));
    expect(programs.length).toBeGreaterThanOrEqual(TOOLS.length - 1);
    expect(programs.filter((program) => !TOOLS.some((tool) => tool.script === program))).toEqual([]);
  });
});

describe('command-line conventions', () => {
  for (const tool of TOOLS) {
    it(`${tool.script}: --help, --version, a bad flag (2) and a missing file (1)`, async () => {
      const [help, version, badFlag, missing] = await Promise.all([
        run(tool.script, ['--help']),
        run(tool.script, ['--version']),
        run(tool.script, ['--no-such-flag']),
        tool.missingFile ? run(tool.script, tool.missingFile) : Promise.resolve(undefined),
      ]);

      expect(help.code).toBe(0);
      const helpLines = help.stdout.split('\n');
      for (const [flag, option] of Object.entries(tool.spec.options)) {
        const line = helpLines.find((candidate) => new RegExp(`^\\s+(-\\w, )?--${flag}\\b`).test(candidate));
        expect(line, `--help of ${tool.script} lists --${flag}`).toBeDefined();
        expect(option.description.trim().length, `--${flag} has a description`).toBeGreaterThan(10);
        expect(line).toContain(option.description.split('\n')[0]);
      }
      expect(help.stdout).toMatch(/--version/);

      expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });

      expect(badFlag.code).toBe(2);
      expect(badFlag.stderr).toMatch(/unknown option --no-such-flag\n/);
      expect(badFlag.stdout).toBe('');

      if (missing) {
        expect(missing.code).toBe(1);
        expect(missing.stderr).toContain(MISSING);
      }
    }, 90_000);
  }
});
