// Real Chromium for the dashboard's browser tests: Debian's /usr/bin/chromium through playwright-core,
// pages that record every console error, page error, failed or non-local request, and a check that a
// chart's canvas holds pixels of a series colour (so a series was drawn, not only the axes).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BINARY ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(process.cwd(), 'artifacts', 'screenshots');
export const LAPTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Series colours as the page draws them (src/dashboard/page/charts.ts COLORS), in RGB. */
export const SERIES_RGB = {
  load: [31, 119, 180],
  current: [44, 160, 44],
  recommended: [214, 39, 40],
  threshold: [255, 127, 14],
} as const;

export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and warnings, page errors, failed requests, HTTP ≥ 400 and requests leaving 127.0.0.1. */
  readonly problems: string[];
}

/** A fresh context and page whose problems are recorded; nothing outside 127.0.0.1 is fetched. */
export async function openWatchedPage(browser: Browser, viewport: { width: number; height: number }): Promise<WatchedPage> {
  const problems: string[] = [];
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  // The page must work on an offline cluster: any request elsewhere is a problem.
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
    problems.push(`request outside the scaler: ${route.request().url()}`);
    return route.abort();
  });
  return { page, context, problems };
}

/** Pixels of a chart's canvas close to an RGB colour. */
export function pixelsOfColour(page: Page, chartId: string, rgb: readonly [number, number, number]): Promise<number> {
  return page.evaluate(
    ({ chartId, rgb }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`#${chartId} canvas`);
      if (!canvas || canvas.width === 0) return 0;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 200 && Math.abs(data[i]! - rgb[0]) < 40 && Math.abs(data[i + 1]! - rgb[1]) < 40 && Math.abs(data[i + 2]! - rgb[2]) < 40) count++;
      }
      return count;
    },
    { chartId, rgb },
  );
}

/** The what-if totals table as text cells, one array per row. */
export function whatIfTotals(page: Page): Promise<string[][]> {
  return page.$$eval('#whatif-totals tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '')));
}

/** The colour of each series' marker in a chart's legend (the time column has none). */
export function legendColours(page: Page, chartId: string): Promise<string[]> {
  return page.$$eval(`#${chartId} .u-legend .u-series:not(:first-child) .u-marker`, (markers) => markers.map((marker) => getComputedStyle(marker).borderColor));
}

/**
 * Pixels drawn in the outermost two columns of a chart's canvas. Axis labels are drawn on the canvas,
 * so a label too wide for its axis shows up as ink at the edge it is cut at.
 */
export function inkAtCanvasEdges(page: Page, chartId: string): Promise<{ left: number; right: number }> {
  return page.evaluate((id) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`#${id} canvas`);
    if (!canvas || canvas.width === 0) return { left: -1, right: -1 };
    const { width, height } = canvas;
    // Read a copy made for reading, so the chart's own canvas is not read back again (Chromium warns).
    const copy = document.createElement('canvas');
    copy.width = width;
    copy.height = height;
    const context = copy.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(canvas, 0, 0);
    const data = context.getImageData(0, 0, width, height).data;
    const inkInColumns = (from: number) => {
      let count = 0;
      for (let y = 0; y < height; y++) for (let x = from; x < from + 2; x++) if (data[(y * width + x) * 4 + 3]! > 0) count++;
      return count;
    };
    return { left: inkInColumns(0), right: inkInColumns(width - 2) };
  }, chartId);
}
