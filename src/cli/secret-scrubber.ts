// Last line of defence against secrets in logs: every finished log line passes through here, so a
// webhook URL inside an error message or a key pasted into a config value is caught even where no
// redact path names the field.

const SECRET_PATTERNS: readonly { readonly pattern: RegExp; readonly replacement: string }[] = [
  // Slack incoming webhooks (and workflow triggers): the path is the credential.
  { pattern: /https:\/\/hooks\.slack\.com\/(services|workflows|triggers)\/[^\s"'\\<>]+/g, replacement: 'https://hooks.slack.com/$1/[redacted]' },
  // Slack API tokens.
  { pattern: /\bxox[abposer]-[A-Za-z0-9-]+/g, replacement: 'xox-[redacted]' },
  // Authorization header values.
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replacement: '$1 [redacted]' },
  // PEM private keys, raw or JSON-escaped (newlines as \n).
  { pattern: /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, replacement: '[redacted private key]' },
  // Passwords in URLs (https://user:password@host).
  { pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"]+:)[^@\s"/]+@/gi, replacement: '$1[redacted]@' },
];

/** Replaces every recognised secret in `text` with a marker; the rest of the text is unchanged. */
export function scrubSecrets(text: string): string {
  let scrubbed = text;
  for (const { pattern, replacement } of SECRET_PATTERNS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** Field names whose values never reach a log line (pino redact paths, one and two levels deep). */
export const SECRET_FIELD_NAMES = ['token', 'bearerToken', 'authorization', 'password', 'webhookUrl', 'privateKey', 'private_key', 'secret'] as const;

export function secretRedactPaths(): string[] {
  return SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);
}
