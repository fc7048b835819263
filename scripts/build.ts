// `npm run build`: compiles the scaler to JavaScript and lays out everything it reads at run time, so
// `node dist/main.js` runs with production dependencies only (no tsx, TypeScript or esbuild):
//   dist/main.js                      entry point (the package's `bin`)
//   dist/src/…, dist/forecasting/…    compiled modules, same tree as the sources
//   dist/src/dashboard/page/          the dashboard page, bundled now instead of at start-up
//   dist/proto/                       KEDA's external scaler and gRPC health protos
//   dist/deploy/examples/gateway/scaled-object.yaml   the demo's ScaledObject
// `--out-dir DIR` builds elsewhere (the build test does); the default is dist/.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundlePage } from '../src/dashboard/page-bundle.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Files read through `new URL(…, import.meta.url)` at run time, relative to the project root. */
const RUNTIME_FILES = ['proto/externalscaler.proto', 'proto/health.proto', 'deploy/examples/gateway/scaled-object.yaml'];

const ENTRY_POINT = `#!/usr/bin/env node
// Entry point of the built scaler (npm run build); the composition root is src/main.js.
import './src/main.js';
`;

async function buildInto(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
  const pageDir = join(outDir, 'src/dashboard/page');
  mkdirSync(pageDir, { recursive: true });
  for (const [name, body] of await bundlePage()) writeFileSync(join(pageDir, name), body);
  for (const file of RUNTIME_FILES) cpSync(join(ROOT, file), join(outDir, file));
  writeFileSync(join(outDir, 'main.js'), ENTRY_POINT);
  chmodSync(join(outDir, 'main.js'), 0o755);
  // The built tree is ES modules like the sources; a package.json here keeps that true when dist/ is copied alone.
  // Name and version too: `--version` reads them from the nearest package.json of the project.
  const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ name, version, type: 'module' }, null, 2)}\n`);
}

const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } }, strict: true });
await buildInto(resolve(values['out-dir'] ?? join(ROOT, 'dist')));
