// The one convention every command-line tool of the project follows (the scaler, the benchmarks, the
// forecast backtest): options declared once with their description, from which both the parser and
// `--help` are made; `--version` from package.json; a bad flag names itself and exits 2; a failure
// while running (a file that cannot be read) exits 1; progress only on a terminal.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** One option: its value's placeholder in the help (none for a switch) and what it does. */
export interface OptionSpec {
  /** e.g. `FILE`, `N`, `COUNTxDUR`; absent for a boolean switch. */
  readonly value?: string;
  readonly short?: string;
  /** What the option does, with its default; `\n` starts a continuation line in the help. */
  readonly description: string;
  /** The option may be given more than once; its value is then the list of values given. */
  readonly multiple?: boolean;
  /** Heading the option is listed under in the help (options of one group are declared together). */
  readonly group?: string;
}

/** Option values as parsed: a string (or the list of them for `multiple`), true for a switch given. */
export type OptionValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export interface CommandSpec {
  /** The name messages start with, e.g. `bench`. */
  readonly name: string;
  /** How to call it: one or more `Usage:` lines. */
  readonly usage: readonly string[];
  /** What the command does, a sentence or two. */
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Text after the options (exit codes, examples). */
  readonly footer?: string;
}

/** A command line that cannot be run: the message names the flag and the fix; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure while running (an unreadable or unwritable file): the message says what; exit code 1. */
export class RunFailure extends Error {
  override readonly name = 'RunFailure';
}

/** Exit codes shared by every tool. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Where a command writes; `isTerminal` says whether stderr is a TTY (progress is shown only then). */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTerminal: boolean;
}

/** The process's own stdout and stderr. */
export function processIo(): CommandIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTerminal: process.stderr.isTTY === true,
  };
}

const BUILT_IN: Readonly<Record<string, OptionSpec>> = {
  help: { short: 'h', description: 'show this text and exit', group: 'General' },
  version: { short: 'V', description: 'print the version and exit', group: 'General' },
};

function allOptions(spec: CommandSpec): Readonly<Record<string, OptionSpec>> {
  return { ...spec.options, ...BUILT_IN };
}

/** The `--help` text: usage, summary, then every option with its description, aligned. */
export function helpText(spec: CommandSpec): string {
  const grouped = Object.values(spec.options).some((option) => option.group !== undefined);
  const entries = Object.entries(allOptions(spec)).map(([flag, option]) => {
    const names = `${option.short ? `-${option.short}, ` : ''}--${flag}${option.value ? ` ${option.value}` : ''}`;
    return { names, lines: option.description.split('\n'), group: grouped ? option.group : undefined };
  });
  const width = Math.max(...entries.map((entry) => entry.names.length)) + 2;
  const options = entries.flatMap((entry, index) => [
    ...(entry.group !== undefined && entry.group !== entries[index - 1]?.group ? [`${entry.group}:`] : []),
    `  ${entry.names.padEnd(width)}${entry.lines[0]}`,
    ...entry.lines.slice(1).map((line) => `  ${' '.repeat(width)}${line}`),
  ]);
  const usage = spec.usage.map((line, index) => `${index === 0 ? 'Usage: ' : '       '}${line}`);
  return [...usage, '', spec.summary, '', 'Options:', ...options, ...(spec.footer ? ['', spec.footer] : []), ''].join('\n');
}

let cachedVersion: string | undefined;

/** This project's version, from the nearest package.json up the tree that is the project's own. */
export function projectVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    const file = new URL('package.json', dir);
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'otel-gateway-scaler' && typeof manifest.version === 'string') {
        cachedVersion = manifest.version;
        return cachedVersion;
      }
    }
    if (dir.pathname === '/') throw new RunFailure('package.json of otel-gateway-scaler not found above the program; cannot tell the version');
  }
}

/** Node's parseArgs messages, reworded to name the flag and nothing else. */
function usageErrorFrom(error: unknown): UsageError {
  const { code, message } = error as { code?: string; message: string };
  // Node quotes the option as '--name', '-n' or '-n, --name …'; the long name is the one to show.
  const quoted = /'(-[^']*)'/.exec(message)?.[1] ?? '';
  const option = /--[\w-]+/.exec(quoted)?.[0] ?? /-\w/.exec(quoted)?.[0];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return new UsageError(`unknown option ${option}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return /argument missing/.test(message) ? new UsageError(`${option} needs a value`) : new UsageError(`${option} takes no value`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /'([^']*)'/.exec(message)?.[1];
    return new UsageError(`unexpected argument ${argument === undefined ? '' : `"${argument}"`}: every input is given with a flag`);
  }
  return new UsageError(message);
}

/** What a command line asked for: help, the version, or a run with these option values. */
export type Parsed =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly values: OptionValues };

/** Parses argv (flags only) against the spec; throws UsageError naming the flag. */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): Parsed {
  const options = Object.fromEntries(
    Object.entries(allOptions(spec)).map(([flag, option]) => [
      flag,
      { type: option.value ? 'string' : 'boolean', ...(option.short ? { short: option.short } : {}), ...(option.multiple ? { multiple: true } : {}) },
    ]),
  ) as Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
  let values: Record<string, string | boolean | string[] | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw usageErrorFrom(error);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  return { kind: 'run', values: values as OptionValues };
}

/**
 * Runs a command by the convention: `--help` and `--version` answered here, then `body` with the
 * parsed values. Resolves to the exit code: the body's (0 when it returns nothing), 2 for a
 * UsageError, 1 for a RunFailure; anything else is a bug and is thrown.
 */
export async function runCommand(
  spec: CommandSpec,
  argv: readonly string[],
  io: CommandIo,
  body: (values: OptionValues) => Promise<number | undefined> | number | undefined,
): Promise<number> {
  try {
    const parsed = parseCommand(spec, argv);
    if (parsed.kind === 'help') {
      io.out(helpText(spec));
      return EXIT.ok;
    }
    if (parsed.kind === 'version') {
      io.out(`${projectVersion()}\n`);
      return EXIT.ok;
    }
    return (await body(parsed.values)) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${spec.name}: ${error.message}\nRun with --help for the options.\n`);
      return EXIT.usage;
    }
    if (error instanceof RunFailure) {
      io.err(`${spec.name}: ${error.message}\n`);
      return EXIT.failure;
    }
    throw error;
  }
}

/** Reads a file named by a flag; a missing or unreadable file is a RunFailure naming the flag and the path. */
export function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new RunFailure(`${flag} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Writes a file named by a flag; a failure is a RunFailure naming the flag and the path. */
export function writeFlagFile(flag: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new RunFailure(`${flag} ${path} cannot be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export interface Progress {
  /** Replaces the progress line (on a terminal; nothing otherwise). */
  readonly update: (line: string) => void;
  /** Clears the progress line so the next output starts on a clean line. */
  readonly done: () => void;
}

/** A one-line progress display on stderr when it is a terminal, and silence when it is not (logs, pipes, CI). */
export function progressLine(io: CommandIo): Progress {
  let shown = false;
  return {
    update: (line) => {
      if (!io.isTerminal) return;
      io.err(`\r\u001b[2K${line}`);
      shown = true;
    },
    done: () => {
      if (shown) io.err('\r\u001b[2K');
      shown = false;
    },
  };
}
