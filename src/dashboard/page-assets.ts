// The dashboard page, bundled in memory at start-up with esbuild (uPlot included), so `npm start` needs
// no build step and the page loads nothing from outside the scaler: it works on an offline cluster.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface PageAsset {
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** Served paths → content. */
export type PageAssets = ReadonlyMap<string, PageAsset>;

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

let bundling: Promise<PageAssets> | undefined;

async function bundle(): Promise<PageAssets> {
  const result = await build({
    entryPoints: { app: `${PAGE_DIR}main.ts`, 'app-style': `${PAGE_DIR}styles.css` },
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
  const [html, favicon] = await Promise.all([readFile(`${PAGE_DIR}index.html`), readFile(`${PAGE_DIR}favicon.svg`)]);
  return new Map<string, PageAsset>([
    ['/', { contentType: 'text/html; charset=utf-8', body: html }],
    ['/assets/app.js', { contentType: 'text/javascript; charset=utf-8', body: script }],
    ['/assets/app.css', { contentType: 'text/css; charset=utf-8', body: style }],
    ['/favicon.svg', { contentType: 'image/svg+xml', body: favicon }],
  ]);
}

/** The page's files; bundled once per process and shared by every dashboard it starts. */
export function pageAssets(): Promise<PageAssets> {
  bundling ??= bundle().catch((error: unknown) => {
    bundling = undefined;
    throw error;
  });
  return bundling;
}
