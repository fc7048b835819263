// Where the incoming-webhook URL comes from: an environment variable or a file (a mounted Kubernetes
// Secret). Not configured → alerting sends nothing, and says so once. Configured but unusable →
// a start-up error that names the field and never quotes the secret.
import type { ServerConfig } from '../../config/server-config.ts';
import { ScalerError } from '../../errors.ts';

export type WebhookUrlSource =
  | { readonly kind: 'disabled'; readonly reason: string }
  | { readonly kind: 'enabled'; readonly url: string; readonly origin: string };

export interface WebhookUrlDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

function invalid(field: string, message: string): ScalerError {
  return new ScalerError('INVALID_SERVER_CONFIG', `alerts.slack.${field} ${message}`);
}

function validate(raw: string, field: string, origin: string): string {
  const url = raw.trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw invalid(field, `names ${origin}, whose content is not an http(s) URL; put the Slack incoming-webhook URL (https://hooks.slack.com/services/…) there`);
  }
  return url;
}

/** Reads the webhook URL as configured. Throws ScalerError INVALID_SERVER_CONFIG (without the URL) when it is set but unusable. */
export function readWebhookUrl(slack: ServerConfig['alerts']['slack'], deps: WebhookUrlDeps): WebhookUrlSource {
  if (slack?.webhookUrlFile !== undefined) {
    const origin = `file ${slack.webhookUrlFile}`;
    let content: string;
    try {
      content = deps.readFile(slack.webhookUrlFile);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'read error';
      throw invalid('webhookUrlFile', `names ${origin}, which cannot be read (${code}); mount the Secret there or remove alerts.slack`);
    }
    return { kind: 'enabled', url: validate(content, 'webhookUrlFile', origin), origin };
  }
  if (slack?.webhookUrlEnv !== undefined) {
    const origin = `environment variable ${slack.webhookUrlEnv}`;
    const value = deps.env[slack.webhookUrlEnv];
    if (value === undefined || value.trim() === '') {
      throw invalid('webhookUrlEnv', `names ${origin}, which is not set; set it (e.g. from a Secret) or remove alerts.slack`);
    }
    return { kind: 'enabled', url: validate(value, 'webhookUrlEnv', origin), origin };
  }
  return { kind: 'disabled', reason: 'alerts.slack.webhookUrlEnv and alerts.slack.webhookUrlFile are not set' };
}
