import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConfigOverrides, loadServerConfig } from '../../src/config/server-config.ts';

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
