// Bundles the dashboard page (uPlot included) with esbuild, so the page loads nothing from outside the
// scaler and works on an offline cluster. `npm run build` writes the bundle into dist/; running from the
// sources (tests, tsx) bundles it in memory at start-up. esbuild is a development dependency: the built
// scaler never loads this module.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The page's sources: main.ts, styles.css, index.html, favicon.svg. */
const PAGE_SOURCE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/** The files the page is served from; the built layout holds exactly these, under these names. */
export type PageFileName = 'index.html' | 'favicon.svg' | 'app.js' | 'app.css';
export type PageFiles = ReadonlyMap<PageFileName, Uint8Array>;

export async function bundlePage(): Promise<PageFiles> {
  const result = await build({
    entryPoints: { app: `${PAGE_SOURCE_DIR}main.ts`, 'app-style': `${PAGE_SOURCE_DIR}styles.css` },
    bundle: true,
    write: false,
    outdir: '/assets',
    format: 'iife',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const byName = new Map(result.outputFiles.map((file) => [file.path.replace(/^.*\//, ''), file.contents]));
  const script = byName.get('app.js');
  const style = byName.get('app-style.css');
  if (!script || !style) throw new Error(`esbuild did not produce the page bundle (got ${[...byName.keys()].join(', ')})`);
  const [html, favicon] = await Promise.all([readFile(`${PAGE_SOURCE_DIR}index.html`), readFile(`${PAGE_SOURCE_DIR}favicon.svg`)]);
  return new Map<PageFileName, Uint8Array>([
    ['index.html', html],
    ['favicon.svg', favicon],
    ['app.js', script],
    ['app.css', style],
  ]);
}
