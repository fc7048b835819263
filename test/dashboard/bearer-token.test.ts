import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerCheckFor, loadBearerCheck } from '../../src/dashboard/bearer-auth.ts';
import { ScalerError } from '../../src/errors.ts';
import { call, NOW_MS, postJson, startTestDashboard, type TestDashboard } from './dashboard-fixture.ts';

const TOKEN = 'dashboard-token-7f3a9c1e5b';
const WEBHOOK_URL = 'https://hooks.slack.com/services/T000/B000/secretpart123';

let dashboard: TestDashboard;

beforeAll(async () => {
  // A webhook URL in the environment, as main.ts would hold it for the Slack notifier: no answer may carry it.
  process.env.TEST_DASHBOARD_SLACK_WEBHOOK = WEBHOOK_URL;
  dashboard = await startTestDashboard({
    bearerToken: TOKEN,
    targets: [
      {
        ref: { namespace: 'observability', name: 'gateway' },
        origin: 'keda',
        metadata: { gatewaySelector: 'job="gw"' },
        script: () => ({ acceptedSpansPerSecond: 40_000, replicas: 4 }),
      },
    ],
  });
});

afterAll(async () => {
  delete process.env.TEST_DASHBOARD_SLACK_WEBHOOK;
  await dashboard?.stop();
});

const withToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('bearer token', () => {
  const protectedPaths = ['/api/targets', '/api/targets/observability/gateway', '/api/targets/observability/gateway/history', '/metrics'];
  for (const path of protectedPaths) {
    it(`refuses ${path} without the token, with 401 and a WWW-Authenticate challenge`, async () => {
      const answer = await call(dashboard.url, path);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((answer.json as { error: { code: string; message: string } }).error).toEqual({
        code: 'UNAUTHORIZED',
        message: expect.stringContaining('Authorization: Bearer'),
      });
    });
  }

  const rejectedHeaders: { name: string; input: string }[] = [
    { name: 'a wrong token', input: 'Bearer not-the-token' },
    { name: 'the token with a suffix', input: `Bearer ${TOKEN}x` },
    { name: 'a prefix of the token', input: `Bearer ${TOKEN.slice(0, -1)}` },
    { name: 'the token as Basic credentials', input: `Basic ${TOKEN}` },
    { name: 'the token without a scheme', input: TOKEN },
    { name: 'an empty bearer', input: 'Bearer ' },
  ];
  for (const row of rejectedHeaders) {
    it(`refuses ${row.name}`, async () => {
      expect((await call(dashboard.url, '/api/targets', { headers: { authorization: row.input } })).status).toBe(401);
    });
  }

  it('refuses a what-if without the token before reading the body', async () => {
    const answer = await postJson(dashboard.url, '/api/targets/observability/gateway/whatif', {});
    expect(answer.status).toBe(401);
    expect(dashboard.tiers.rangeReads).toHaveLength(0);
  });

  it('answers every data path with the token, the scheme in any case', async () => {
    for (const path of protectedPaths) expect((await call(dashboard.url, path, withToken(TOKEN))).status).toBe(200);
    expect((await call(dashboard.url, '/api/targets', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('leaves the probes and the page shell open (they hold no data)', async () => {
    for (const path of ['/healthz', '/readyz', '/', '/assets/app.js', '/assets/app.css', '/favicon.svg']) {
      expect((await call(dashboard.url, path)).status, path).toBe(200);
    }
  });

  it('never puts the token or a webhook URL in any answer', async () => {
    const answers = [
      ...(await Promise.all(
        ['/', '/assets/app.js', '/healthz', '/readyz', '/metrics', '/api/targets', '/api/targets/observability/gateway', '/api/targets/observability/gateway/history', '/api/targets/x/y', '/nothing'].map(
          (path) => call(dashboard.url, path, withToken(TOKEN)),
        ),
      )),
      await postJson(dashboard.url, '/api/targets/observability/gateway/whatif', { from: new Date(NOW_MS - 600_000).toISOString() }, withToken(TOKEN).headers),
      await call(dashboard.url, '/api/targets', { headers: { authorization: 'Bearer wrong' } }),
    ];
    for (const answer of answers) {
      const everything = `${[...answer.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n${answer.text}`;
      expect(everything).not.toContain(TOKEN);
      expect(everything).not.toContain(WEBHOOK_URL);
      expect(everything).not.toContain('secretpart123');
    }
  });
});

describe('bearerCheckFor', () => {
  const cases: { name: string; input: string | undefined; want: boolean }[] = [
    { name: 'the exact token', input: 'Bearer abc', want: true },
    { name: 'the scheme in upper case', input: 'BEARER abc', want: true },
    { name: 'trailing spaces', input: 'Bearer abc  ', want: true },
    { name: 'no header', input: undefined, want: false },
    { name: 'another token of the same length', input: 'Bearer abd', want: false },
    { name: 'two tokens', input: 'Bearer abc abc', want: false },
  ];
  for (const row of cases) {
    it(`${row.want ? 'allows' : 'refuses'} ${row.name}`, () => {
      expect(bearerCheckFor('abc').allows(row.input)).toBe(row.want);
    });
  }
});

describe('loadBearerCheck', () => {
  const cases: { name: string; input: string | null; want: RegExp }[] = [
    { name: 'a missing file', input: null, want: /http\.bearerTokenFile: cannot read .*missing/ },
    { name: 'an empty file', input: '\n', want: /http\.bearerTokenFile: .* must hold one token without spaces/ },
    { name: 'two words', input: 'two words\n', want: /must hold one token without spaces/ },
  ];
  for (const row of cases) {
    it(`refuses to start with ${row.name}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bearer-'));
      try {
        const file = join(dir, row.input === null ? 'missing' : 'token');
        if (row.input !== null) writeFileSync(file, row.input);
        const error = await loadBearerCheck(file).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(ScalerError);
        expect((error as ScalerError).code).toBe('INVALID_SERVER_CONFIG');
        expect((error as ScalerError).message).toMatch(row.want);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('leaves the dashboard open when no file is configured', async () => {
    expect((await loadBearerCheck(undefined)).allows(undefined)).toBe(true);
  });
});
