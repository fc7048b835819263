import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/cli/logger.ts';
import { prettyLogLine } from '../../src/cli/pretty-log-line.ts';
import { scrubSecrets } from '../../src/cli/secret-scrubber.ts';

const WEBHOOK = 'https://hooks.slack.com/services/T0000AAAA/B0000BBBB/abcdefghijklmnopqrstuvwx';
const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nqwerty\n-----END PRIVATE KEY-----';
const BEARER = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.payload.signature';

function collect() {
  const lines: string[] = [];
  return { lines, output: { write: (text: string) => lines.push(text) } };
}

describe('scrubSecrets', () => {
  const cases: { name: string; input: string; secret: string; want: string }[] = [
    { name: 'Slack webhook URL in a message', input: `POST ${WEBHOOK} failed`, secret: 'abcdefghijklmnopqrstuvwx', want: 'POST https://hooks.slack.com/services/[redacted] failed' },
    { name: 'bearer token', input: `Authorization: Bearer ${BEARER}`, secret: BEARER, want: 'Authorization: Bearer [redacted]' },
    { name: 'PEM private key', input: `key=${PRIVATE_KEY} end`, secret: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', want: 'key=[redacted private key] end' },
    {
      name: 'JSON-escaped PEM private key',
      input: JSON.stringify({ key: PRIVATE_KEY }),
      secret: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      want: '{"key":"[redacted private key]"}',
    },
    { name: 'password in a URL', input: 'GET https://scaler:s3cr3t-pass@prometheus:9090/api', secret: 's3cr3t-pass', want: 'GET https://scaler:[redacted]@prometheus:9090/api' },
    { name: 'Slack API token', input: 'token xoxb-1234-5678-abcdef', secret: 'xoxb-1234-5678-abcdef', want: 'token xox-[redacted]' },
  ];
  for (const row of cases) {
    it(`removes a ${row.name}`, () => {
      const scrubbed = scrubSecrets(row.input);
      expect(scrubbed).not.toContain(row.secret);
      expect(scrubbed).toBe(row.want);
    });
  }

  it('leaves ordinary text alone', () => {
    const text = 'GetMetrics observability/otel-gateway → 12 replicas (queue 82% full) http://prometheus:9090';
    expect(scrubSecrets(text)).toBe(text);
  });
});

describe('createLogger', () => {
  it('writes JSON lines with level, time, message and fields', () => {
    const { lines, output } = collect();
    createLogger({ level: 'info', pretty: false, output }).info({ target: 'obs/gw', replicas: 4 }, 'answered');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, msg: 'answered', target: 'obs/gw', replicas: 4, service: 'otel-gateway-scaler' });
    expect(Number.isNaN(Date.parse(String(entry.time)))).toBe(false);
  });

  it('drops lines below the level', () => {
    const { lines, output } = collect();
    const logger = createLogger({ level: 'warn', pretty: false, output });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['shown']);
  });

  it('never writes secrets: redacted fields, scrubbed messages and error stacks', () => {
    const { lines, output } = collect();
    const logger = createLogger({ level: 'info', pretty: false, output });
    logger.info({ token: 'tok-123456789', alerts: { webhookUrl: WEBHOOK }, tls: { privateKey: 'raw-key-bytes' } }, 'config loaded');
    logger.error({ err: new Error(`send to ${WEBHOOK} failed with Bearer ${BEARER}`) }, 'slack delivery failed');
    logger.warn(`tls key ${PRIVATE_KEY}`);
    const text = lines.join('');
    for (const secret of ['tok-123456789', 'abcdefghijklmnopqrstuvwx', 'raw-key-bytes', BEARER, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC']) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({ token: '[redacted]', alerts: { webhookUrl: '[redacted]' } });
  });

  it('writes readable lines when pretty, still without secrets', () => {
    const { lines, output } = collect();
    createLogger({ level: 'info', pretty: true, output }).child({ component: 'grpc' }).warn({ target: 'obs/gw', url: WEBHOOK }, 'slow answer');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}\[grpc\] slow answer target=obs\/gw url=https:\/\/hooks\.slack\.com\/services\/\[redacted\]\n$/);
  });
});

describe('prettyLogLine', () => {
  it('indents an error stack under the line', () => {
    const line = JSON.stringify({ level: 50, time: '2026-01-01T10:00:00.000Z', msg: 'failed', err: { message: 'boom', stack: 'Error: boom\n    at x' } });
    expect(prettyLogLine(line, false)).toBe('10:00:00.000 ERROR failed\n    Error: boom\n        at x\n');
  });

  it('passes a line that is not JSON through', () => {
    expect(prettyLogLine('plain text', false)).toBe('plain text\n');
  });
});
