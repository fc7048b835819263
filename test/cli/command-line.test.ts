import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CommandIo, type CommandSpec, helpText, parseCommand, progressLine, projectVersion, RunFailure, runCommand, UsageError } from '../../src/cli/command-line.ts';

const SPEC: CommandSpec = {
  name: 'tool',
  usage: ['tool [options]'],
  summary: 'Does one thing.',
  options: {
    input: { value: 'FILE', description: 'file to read\nsecond line of its description' },
    quiet: { short: 'q', description: 'print less' },
  },
  footer: 'Exit codes: 0, 1, 2.',
};

function recordingIo(isTerminal: boolean): CommandIo & { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  return { out: (text) => (stdout += text), err: (text) => (stderr += text), isTerminal, stdout: () => stdout, stderr: () => stderr };
}

describe('helpText', () => {
  const text = helpText(SPEC);

  it('lists every option, --help and --version with its description, descriptions aligned in one column', () => {
    const lines = text.split('\n');
    const column = (line: string | undefined) => line!.search(/(?<=\S {2,})\S/);
    const input = lines.find((line) => line.includes('--input FILE'));
    const quiet = lines.find((line) => line.includes('-q, --quiet'));
    const help = lines.find((line) => line.includes('-h, --help'));
    const version = lines.find((line) => line.includes('-V, --version'));
    expect([input, quiet, help, version].every((line) => line !== undefined)).toBe(true);
    expect(input).toContain('file to read');
    expect(quiet).toContain('print less');
    expect(new Set([input, quiet, help, version].map(column)).size).toBe(1);
    const continuation = lines[lines.indexOf(input!) + 1]!;
    expect(continuation.trim()).toBe('second line of its description');
    expect(continuation.indexOf('second')).toBe(column(input));
  });

  it('starts with the usage and ends with the footer', () => {
    expect(text.startsWith('Usage: tool [options]\n')).toBe(true);
    expect(text.trimEnd().endsWith('Exit codes: 0, 1, 2.')).toBe(true);
  });
});

describe('parseCommand', () => {
  const rows: { argv: string[]; want: RegExp }[] = [
    { argv: ['--inptu', 'x'], want: /^unknown option --inptu$/ },
    { argv: ['-z'], want: /^unknown option -z$/ },
    { argv: ['--input'], want: /^--input needs a value$/ },
    { argv: ['--quiet=yes'], want: /^--quiet takes no value$/ },
    { argv: ['file.csv'], want: /^unexpected argument "file.csv"/ },
  ];
  for (const row of rows) {
    it(`names the flag: ${row.argv.join(' ')}`, () => {
      expect(() => parseCommand(SPEC, row.argv)).toThrow(UsageError);
      expect(() => parseCommand(SPEC, row.argv)).toThrow(row.want);
    });
  }

  it('answers help and version before anything else, and hands over the values otherwise', () => {
    expect(parseCommand(SPEC, ['--input', 'a', '-h'])).toEqual({ kind: 'help' });
    expect(parseCommand(SPEC, ['-V'])).toEqual({ kind: 'version' });
    expect(parseCommand(SPEC, ['--input', 'a', '-q'])).toEqual({ kind: 'run', values: expect.objectContaining({ input: 'a', quiet: true }) });
  });
});

describe('runCommand', () => {
  it('exits 2 on a usage error, 1 on a run failure, and throws anything else', async () => {
    const usage = recordingIo(false);
    expect(await runCommand(SPEC, ['--nope'], usage, () => 0)).toBe(2);
    expect(usage.stderr()).toBe('tool: unknown option --nope\nRun with --help for the options.\n');
    const failure = recordingIo(false);
    expect(
      await runCommand(SPEC, [], failure, () => {
        throw new RunFailure('--input a.csv cannot be read: ENOENT');
      }),
    ).toBe(1);
    expect(failure.stderr()).toBe('tool: --input a.csv cannot be read: ENOENT\n');
    await expect(runCommand(SPEC, [], recordingIo(false), () => Promise.reject(new TypeError('a bug')))).rejects.toThrow('a bug');
  });

  it('prints the help and the version on stdout and exits 0', async () => {
    const help = recordingIo(false);
    expect(await runCommand(SPEC, ['--help'], help, () => 3)).toBe(0);
    expect(help.stdout()).toBe(helpText(SPEC));
    const version = recordingIo(false);
    expect(await runCommand(SPEC, ['--version'], version, () => 3)).toBe(0);
    expect(version.stdout()).toBe(`${projectVersion()}\n`);
  });

  it("takes the version from the project's package.json", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(projectVersion()).toBe(manifest.version);
  });
});

describe('progressLine', () => {
  it('rewrites one line on a terminal and clears it when done', () => {
    const io = recordingIo(true);
    const progress = progressLine(io);
    progress.update('1/2');
    progress.update('2/2');
    progress.done();
    expect(io.stderr()).toBe('\r\u001b[2K1/2\r\u001b[2K2/2\r\u001b[2K');
  });

  it('writes nothing when stderr is not a terminal', () => {
    const io = recordingIo(false);
    const progress = progressLine(io);
    progress.update('1/2');
    progress.done();
    expect(io.stderr()).toBe('');
  });
});
