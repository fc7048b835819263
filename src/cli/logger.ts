// The one logger of the process: pino, JSON lines on stdout (what log collectors parse), readable
// lines when stdout is a terminal, and no secrets either way — known secret fields are redacted by
// path and every finished line is scrubbed for secret-looking text.
import { type DestinationStream, type Level, type Logger, pino, stdTimeFunctions } from 'pino';
import { prettyLogLine } from './pretty-log-line.ts';
import { scrubSecrets, secretRedactPaths } from './secret-scrubber.ts';

export interface LoggerOptions {
  readonly level: Level;
  /** Readable lines instead of JSON; default: whether stdout is a TTY. */
  readonly pretty?: boolean;
  /** Where lines go; default stdout. Tests pass a collector. */
  readonly output?: { write(text: string): unknown };
}

export function createLogger(options: LoggerOptions): Logger {
  const output = options.output ?? process.stdout;
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const colour = pretty && options.output === undefined && process.stdout.isTTY === true;
  const destination: DestinationStream = {
    write(line: string) {
      const clean = scrubSecrets(line);
      output.write(pretty ? prettyLogLine(clean, colour) : clean);
    },
  };
  return pino(
    {
      level: options.level,
      base: { service: 'otel-gateway-scaler' },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: secretRedactPaths(), censor: '[redacted]' },
    },
    destination,
  );
}
