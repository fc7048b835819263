// An AdvisorLogger that keeps every line, so tests can assert what was logged and at which level.
import type { AdvisorLogger } from '../../src/advisor/advisor-logger.ts';

export class RecordingLogger implements AdvisorLogger {
  readonly lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  info(fields: Record<string, unknown>, message: string) {
    this.lines.push({ level: 'info', fields, message });
  }
  warn(fields: Record<string, unknown>, message: string) {
    this.lines.push({ level: 'warn', fields, message });
  }
  error(fields: Record<string, unknown>, message: string) {
    this.lines.push({ level: 'error', fields, message });
  }
}

/** An AdvisorLogger that drops every line, for tests that assert on what was decided, not logged. */
export const silentLogger: AdvisorLogger = { info: () => {}, warn: () => {}, error: () => {} };
