import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus.ts';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TSX = join(PROJECT_ROOT, 'node_modules/.bin/tsx');

interface Readyz {
  readonly ready: boolean;
  readonly checks: readonly { name: string; kind: string; reason?: string }[];
}

/** Starts the scaler with `prometheusUrl` as the server named `default`, reads /readyz once, stops it. */
async function readyzWith(dir: string, prometheusUrl: string): Promise<{ status: number; body: Readyz }> {
  const configFile = join(dir, `scaler-${Date.now()}.yaml`);
  writeFileSync(configFile, ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', '  port: 0', 'prometheus:', '  default:', `    url: ${prometheusUrl}`, ''].join('\n'));
  const child = spawn(TSX, ['src/main.ts', '--config', configFile], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  try {
    const deadline = Date.now() + 20_000;
    let httpUrl: string | undefined;
    while (!httpUrl && Date.now() < deadline) {
      const started = stdout.split('\n').find((line) => line.includes('"msg":"otel-gateway-scaler started"'));
      if (started) httpUrl = String((JSON.parse(started) as { http: string }).http);
      else await new Promise((wait) => setTimeout(wait, 50));
    }
    if (!httpUrl) throw new Error(`the scaler did not start; stdout:\n${stdout}`);
    const response = await fetch(`${httpUrl}/readyz`);
    return { status: response.status, body: (await response.json()) as Readyz };
  } finally {
    child.kill('SIGTERM');
  }
}

describe('/readyz of the running scaler', () => {
  let dir: string;
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scaler-readyz-'));
    prometheus = await startPrometheus({});
  });
  afterAll(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready when the configured Prometheus answers', async () => {
    const { status, body } = await readyzWith(dir, prometheus.url);
    expect(status).toBe(200);
    expect(body.checks.map((check) => `${check.name}:${check.kind}`)).toEqual(['config:ready', 'grpc:ready', 'prometheus:default:ready']);
  });

  it('is not ready, naming the server and the cause, when the configured Prometheus does not answer', async () => {
    // Port 9 (discard) on loopback refuses connections at once.
    const { status, body } = await readyzWith(dir, 'http://127.0.0.1:9');
    expect(status).toBe(503);
    const check = body.checks.find((entry) => entry.name === 'prometheus:default');
    expect(check?.kind).toBe('not-ready');
    expect(check?.reason).toMatch(/Prometheus server "default" \(http:\/\/127\.0\.0\.1:9\/?\) did not answer: .*ECONNREFUSED/);
  });
});
