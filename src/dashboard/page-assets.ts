// The dashboard page's files and the paths they are served at. The built scaler (`npm run build`)
// reads the bundle written next to this module at build time; run from the sources, there is no bundle
// there and the page is bundled in memory at start-up instead.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { PageFileName, PageFiles } from './page-bundle.ts';

export interface PageAsset {
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** Served paths → content. */
export type PageAssets = ReadonlyMap<string, PageAsset>;

/** In the built layout (dist/src/dashboard/page/) the bundle; in the sources, the page's sources. */
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

const SERVED: readonly { path: string; file: PageFileName; contentType: string }[] = [
  { path: '/', file: 'index.html', contentType: 'text/html; charset=utf-8' },
  { path: '/assets/app.js', file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  { path: '/assets/app.css', file: 'app.css', contentType: 'text/css; charset=utf-8' },
  { path: '/favicon.svg', file: 'favicon.svg', contentType: 'image/svg+xml' },
];

async function readBuiltPage(): Promise<PageFiles> {
  const files = await Promise.all(SERVED.map(async ({ file }) => [file, await readFile(`${PAGE_DIR}${file}`)] as const));
  return new Map(files);
}

async function loadPage(): Promise<PageAssets> {
  const built = existsSync(`${PAGE_DIR}app.js`);
  const files = built ? await readBuiltPage() : await (await import('./page-bundle.ts')).bundlePage();
  return new Map(SERVED.map(({ path, file, contentType }) => [path, { contentType, body: files.get(file)! }]));
}

let loading: Promise<PageAssets> | undefined;

/** The page's files; loaded once per process and shared by every dashboard it starts. */
export function pageAssets(): Promise<PageAssets> {
  loading ??= loadPage().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}
