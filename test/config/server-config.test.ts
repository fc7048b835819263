import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConfigOverrides, loadServerConfig, parseServerConfig } from '../../src/config/server-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'scaler-config-'));
const configFile = join(dir, 'scaler.yaml');
writeFileSync(configFile, ['grpc:', '  port: 7000', 'demo:', '  simSpeed: 120', 'prometheus:', '  default:', '    url: http://file:9090', '    queryTimeoutMs: 1500', ''].join('\n'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadServerConfig precedence: command line over file over schema default', () => {
  const rows: { name: string; input: ConfigOverrides; want: { grpcPort: number; httpPort: number; simSpeed: number; url: string | undefined; queryTimeoutMs: number | undefined } }[] = [
    { name: 'schema defaults alone', input: {}, want: { grpcPort: 6000, httpPort: 8080, simSpeed: 60, url: undefined, queryTimeoutMs: undefined } },
    { name: 'the file over the defaults', input: { configFile }, want: { grpcPort: 7000, httpPort: 8080, simSpeed: 120, url: 'http://file:9090', queryTimeoutMs: 1500 } },
    {
      name: 'flags over the file, keeping the file’s other fields of the same section',
      input: { configFile, grpcPort: 7100, httpPort: 0, simSpeed: 600, prometheusUrl: 'http://flag:9090' },
      want: { grpcPort: 7100, httpPort: 0, simSpeed: 600, url: 'http://flag:9090', queryTimeoutMs: 1500 },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const config = loadServerConfig(row.input);
      expect({
        grpcPort: config.grpc.port,
        httpPort: config.http.port,
        simSpeed: config.demo.simSpeed,
        url: config.prometheus.default?.url,
        queryTimeoutMs: config.prometheus.default?.queryTimeoutMs,
      }).toEqual(row.want);
    });
  }

  it('names the file and the field when the file is wrong', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'grpc:\n  port: sixty\n');
    expect(() => loadServerConfig({ configFile: bad })).toThrow(/bad\.yaml: grpc\.port/);
  });
});

describe('Prometheus-compatible stores (prometheus.<name>)', () => {
  const server = (fields: Record<string, unknown>) => ({ prometheus: { mimir: { url: 'http://mimir:8080', ...fields } } });

  it('accepts a tenant header, a path prefix and basic auth from a file', () => {
    const config = parseServerConfig(server({ headers: { 'X-Scope-OrgID': 'team-a' }, pathPrefix: '/prometheus', basicAuth: { username: 'scaler', passwordFile: '/run/secrets/password' } }));
    expect(config.prometheus.mimir).toMatchObject({ headers: { 'X-Scope-OrgID': 'team-a' }, pathPrefix: '/prometheus', basicAuth: { username: 'scaler' } });
  });

  const refusals: { name: string; input: Record<string, unknown>; want: RegExp }[] = [
    { name: 'an Authorization header (secrets come from files)', input: { headers: { authorization: 'Bearer x' } }, want: /prometheus\.mimir\.headers must not set Authorization: use bearerTokenFile or basicAuth/ },
    { name: 'a header name with a space', input: { headers: { 'X Scope': 'a' } }, want: /prometheus\.mimir\.headers keys must be HTTP header names/ },
    { name: 'a path prefix without a leading slash', input: { pathPrefix: 'prometheus' }, want: /prometheus\.mimir\.pathPrefix must start with "\/" and not end with "\/"/ },
    { name: 'a path prefix with a trailing slash', input: { pathPrefix: '/prometheus/' }, want: /prometheus\.mimir\.pathPrefix must start with "\/"/ },
    { name: 'basic auth without a password file', input: { basicAuth: { username: 'scaler' } }, want: /prometheus\.mimir\.basicAuth\.passwordFile/ },
    { name: 'a bearer token and basic auth together', input: { bearerTokenFile: '/t', basicAuth: { username: 'u', passwordFile: '/p' } }, want: /prometheus\.mimir set bearerTokenFile or basicAuth, not both/ },
  ];
  for (const row of refusals) {
    it(`refuses ${row.name}, naming the field`, () => {
      expect(() => parseServerConfig(server(row.input))).toThrow(row.want);
    });
  }
});
