// The logging the advisor needs, as a minimal structural interface: pino's logger satisfies it, tests
// pass a recorder, and advisor/ never imports a logging library itself.

/** Structured fields first, then the message (pino's argument order). */
export interface AdvisorLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}
