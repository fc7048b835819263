import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextCopiesOf, readDockerfile } from '../deploy/support/dockerfile.ts';
import { healthClient } from '../keda/support/grpc-client.ts';
import { DEMO_TRIGGER, demoReplicas, logLine, spawnScaler } from '../support/scaler-process.ts';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const packageJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const TOOLCHAIN = ['tsx', 'typescript', 'esbuild', 'vitest'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

describe('the production dependency tree', () => {
  it('holds no TypeScript toolchain or test runner (npm ls --omit=dev)', () => {
    const packages = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(packages.length).toBeGreaterThan(Object.keys(packageJson.dependencies).length);
    expect(packages.filter((name) => TOOLCHAIN.includes(name))).toEqual([]);
  });
});

describe('npm run build', () => {
  // Built outside the project, beside a node_modules that links only the production dependencies, so
  // anything the built scaler imports from a development dependency fails to resolve.
  let root: string;
  let dist: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'scaler-build-'));
    dist = join(root, 'dist');
    execFileSync(join(PROJECT_ROOT, 'node_modules/.bin/tsx'), ['scripts/build.ts', '--out-dir', dist], { cwd: PROJECT_ROOT, stdio: 'pipe' });
    for (const name of Object.keys(packageJson.dependencies)) {
      mkdirSync(dirname(join(root, 'node_modules', name)), { recursive: true });
      symlinkSync(join(PROJECT_ROOT, 'node_modules', name), join(root, 'node_modules', name));
    }
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('emits JavaScript only, with the page bundled and the protos beside it, and `bin` names the entry point', () => {
    const files = filesUnder(dist).map((file) => file.slice(dist.length + 1));
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining(['main.js', 'src/main.js', 'src/dashboard/page/app.js', 'src/dashboard/page/app.css', 'src/dashboard/page/index.html', 'proto/externalscaler.proto']),
    );
    expect(Object.values(packageJson.bin)).toEqual(['dist/main.js']);
    expect(packageJson.scripts.start).toMatch(/npm run -s build && node dist\/main\.js$/);
  });

  it("is the size docs/install.md and the README give for dist/ and the image's layers (du -sb, within 20 %)", () => {
    const builtMb = Number(execFileSync('du', ['-sb', dist], { encoding: 'utf8' }).split('\t')[0]) / 1e6;
    const install = readFileSync(join(PROJECT_ROOT, 'docs/install.md'), 'utf8');
    const documented = /production `node_modules`\s+([\d.]+) MB and `dist\/` ([\d.]+) MB/.exec(install);
    expect(documented, 'docs/install.md states the node_modules and dist/ sizes').not.toBeNull();
    expect(Math.abs(Number(documented![2]) - builtMb) / builtMb).toBeLessThanOrEqual(0.2);
    const total = Number(documented![1]) + Number(documented![2]);
    expect(install).toContain(`**${total.toFixed(1)} MB**`);
    const base = readDockerfile().findLast((instruction) => instruction.keyword === 'FROM')!.argument.split(/\s+/)[0];
    expect(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')).toContain(`\`${base}\` plus ${total.toFixed(1)} MB`);
  });

  it('`node dist/main.js --help` exits 0 and prints the usage', () => {
    const help = execFileSync(process.execPath, [join(dist, 'main.js'), '--help'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(help).toMatch(/^Usage: /);
    expect(help).toContain('--prometheus-url');
  });

  it('`node dist/main.js --version` prints the version from package.json', () => {
    const version = execFileSync(process.execPath, [join(dist, 'main.js'), '--version'], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(version).toBe(`${(packageJson as unknown as { version: string }).version}\n`);
  });

  it('starts from the built tree with production dependencies only: answers gRPC, serves the bundled page, and exits 0 on SIGTERM', async () => {
    const config = join(root, 'demo.yaml');
    writeFileSync(config, ['grpc:', '  host: 127.0.0.1', '  port: 0', 'http:', '  host: 127.0.0.1', '  port: 0', ''].join('\n'));
    const run = spawnScaler(process.execPath, [join(dist, 'main.js'), '--config', config], { cwd: root });
    try {
      const started = await logLine(run, 'otel-gateway-scaler started');
      const health = healthClient(String(started.grpc));
      expect(await health.check('')).toEqual({ status: 'SERVING' });
      health.close();

      // The embedded demo reads its ScaledObject from the built tree and decides from the simulated tier.
      const replicas = await demoReplicas(String(started.grpc));
      expect(Number.isInteger(replicas) && replicas >= DEMO_TRIGGER.minReplicas && replicas <= DEMO_TRIGGER.maxReplicas).toBe(true);

      const page = await fetch(`${started.http}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/assets/app.js');
      const script = await fetch(`${started.http}/assets/app.js`);
      expect(script.status).toBe(200);
      expect((await script.arrayBuffer()).byteLength).toBe(readFileSync(join(dist, 'src/dashboard/page/app.js')).byteLength);

      run.child.kill('SIGTERM');
      expect(await run.exited).toEqual({ code: 0, signal: null });
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});

describe("the Dockerfile's build stage", () => {
  it('copies everything npm run build reads: the build succeeds in a context holding only those files', () => {
    const context = mkdtempSync(join(tmpdir(), 'scaler-image-context-'));
    try {
      for (const source of contextCopiesOf(readDockerfile(), 'build')) cpSync(join(PROJECT_ROOT, source), join(context, source), { recursive: true });
      symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(context, 'node_modules'));
      execFileSync(join(context, 'node_modules/.bin/tsx'), ['scripts/build.ts'], { cwd: context, stdio: 'pipe' });
      const built = filesUnder(join(context, 'dist')).map((file) => file.slice(context.length + 1));
      expect(built).toEqual(expect.arrayContaining(['dist/main.js', 'dist/src/dashboard/page/app.js', 'dist/proto/health.proto', 'dist/deploy/examples/gateway/scaled-object.yaml']));
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }, 120_000);
});
