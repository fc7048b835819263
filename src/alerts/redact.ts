// The webhook URL is a credential: anyone holding it can post to the channel. It must not reach a
// log line, an error message or a metric, so every text alerting emits passes through a redactor.
import type { AlertLogger, LogMethod } from './alerting-observer.ts';

export const REDACTED = '[redacted webhook URL]';

/** Replaces every occurrence of the secrets (and their URL-encoded forms) in a text. */
export type Redactor = (text: string) => string;

/**
 * A redactor for a webhook URL: the whole URL and its path (the token part, which error messages
 * may quote without the host), each also URL-encoded. Longest first, so the URL wins over its path.
 */
export function webhookRedactor(webhookUrl: string): Redactor {
  const secrets = new Set<string>([webhookUrl]);
  try {
    const { pathname, search } = new URL(webhookUrl);
    if (pathname.length > 1) secrets.add(pathname + search);
  } catch {
    // Not a URL: the whole text is still redacted.
  }
  for (const secret of [...secrets]) secrets.add(encodeURIComponent(secret));
  const ordered = [...secrets].filter((secret) => secret.length > 0).sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((result, secret) => result.split(secret).join(REDACTED), text);
}

function redactValue(value: unknown, redact: Redactor, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return redact(value.message);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redact, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactValue(inner, redact, depth + 1)]));
}

/** A logger that redacts every string (and error message) in fields and message before logging. */
export function redactingLogger(logger: AlertLogger, redact: Redactor): AlertLogger {
  const wrap =
    (method: LogMethod): LogMethod =>
    (fields, message) =>
      method(redactValue(fields, redact, 0) as Record<string, unknown>, redact(message));
  return { debug: wrap(logger.debug.bind(logger)), info: wrap(logger.info.bind(logger)), warn: wrap(logger.warn.bind(logger)), error: wrap(logger.error.bind(logger)) };
}
