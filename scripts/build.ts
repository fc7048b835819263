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
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CommandSpec, processIo, RunFailure, runCommand } from '../src/cli/command-line.ts';
import { bundlePage } from '../src/dashboard/page-bundle.ts';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Files read through `new URL(…, import.meta.url)` at run time, relative to the project root. */
const RUNTIME_FILES = ['proto/externalscaler.proto', 'proto/health.proto', 'deploy/examples/gateway/scaled-object.yaml'];

const ENTRY_POINT = `#!/usr/bin/env node
// Entry point of the built scaler (npm run build); the composition root is src/main.js.
import './src/main.js';
`;

export const BUILD_COMMAND: CommandSpec = {
  name: 'build',
  usage: ['npm run build -- [--out-dir DIR]'],
  summary: 'Compiles the scaler to JavaScript with the dashboard page bundled, so `node DIR/main.js` runs with\nproduction dependencies only.',
  options: {
    'out-dir': { value: 'DIR', description: 'where to build; emptied first (default dist/)' },
  },
  footer: 'Exit codes: 0 built; 1 the compiler or the page bundle failed (their messages above); 2 bad command line.',
};

async function buildInto(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'inherit' });
  } catch {
    throw new RunFailure('tsc failed to compile the sources; its messages are above');
  }
  const pageDir = join(outDir, 'src/dashboard/page');
  mkdirSync(pageDir, { recursive: true });
  let page: Awaited<ReturnType<typeof bundlePage>>;
  try {
    page = await bundlePage();
  } catch (error) {
    throw new RunFailure(`the dashboard page did not bundle: ${(error as Error).message}`);
  }
  for (const [name, body] of page) writeFileSync(join(pageDir, name), body);
  for (const file of RUNTIME_FILES) cpSync(join(ROOT, file), join(outDir, file));
  writeFileSync(join(outDir, 'main.js'), ENTRY_POINT);
  chmodSync(join(outDir, 'main.js'), 0o755);
  // The built tree is ES modules like the sources; a package.json here keeps that true when dist/ is copied alone.
  // Name and version too: `--version` reads them from the nearest package.json of the project.
  const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ name, version, type: 'module' }, null, 2)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runCommand(BUILD_COMMAND, process.argv.slice(2), processIo(), async (values) => {
    await buildInto(resolve(typeof values['out-dir'] === 'string' ? values['out-dir'] : join(ROOT, 'dist')));
    return 0;
  });
}
