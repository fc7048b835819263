// The dashboard in real Chromium: overview, a target's charts and reasons, a what-if, on a laptop and
// a phone, with no console errors. Screenshots go to artifacts/screenshots/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, postJson, startTestDashboard, type TestDashboard } from './dashboard-fixture.ts';
import { DEMO_TIERS } from './demo-tiers.ts';

const CHROMIUM = process.env.CHROMIUM_BINARY ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'artifacts', 'screenshots');
const LAPTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

let dashboard: TestDashboard;
let browser: Browser;
let context: BrowserContext | undefined;
let problems: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dashboard = await startTestDashboard({ targets: DEMO_TIERS, decidedSteps: 6 * 60 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
});

afterEach(async () => {
  await context?.close();
  context = undefined;
  expect(problems, 'console errors, page errors or failed requests').toEqual([]);
});

async function openPage(viewport: { width: number; height: number }): Promise<Page> {
  problems = [];
  context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  // Nothing may be fetched from outside the scaler: the page must work on an offline cluster.
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => {
    problems.push(`request outside the scaler: ${route.request().url()}`);
    return route.abort();
  });
  return page;
}

/** Pixels of a chart's canvas close to an RGB colour: proof that a series was drawn, not just the axes. */
function pixelsOfColour(page: Page, chartId: string, rgb: readonly [number, number, number]): Promise<number> {
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

describe('dashboard in Chromium', () => {
  it('shows the fleet overview: one row per target with its status colour and summary', async () => {
    const page = await openPage(LAPTOP);
    await page.goto(dashboard.url);
    await page.waitForSelector('tr.target-row');
    const rows = await page.$$eval('tr.target-row', (elements) =>
      elements.map((row) => ({ target: row.getAttribute('data-target'), status: row.className, summary: row.querySelector('td.summary')?.textContent ?? '' })),
    );
    const api = (await call(dashboard.url, '/api/targets')).json as { targets: { namespace: string; name: string; status: string; summary: string }[] };
    expect(rows.map((row) => row.target)).toEqual(api.targets.map((target) => `${target.namespace}/${target.name}`));
    for (const [index, target] of api.targets.entries()) {
      expect(rows[index]!.status).toContain(`row-${target.status}`);
      expect(rows[index]!.summary).toContain(target.summary);
    }
    expect(new Set(api.targets.map((target) => target.status))).toEqual(new Set(['scaling', 'critical', 'steady']));
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-laptop.png'), fullPage: true });
  });

  it('opens a target: charts drawn, the reasons of the latest decision in words, and a what-if that answers', async () => {
    const page = await openPage(LAPTOP);
    await page.goto(dashboard.url);
    await page.click('a.target-link >> text=observability/otel-gateway');
    await page.waitForSelector('#chart-load canvas');
    expect(page.url()).toMatch(/#\/targets\/observability\/otel-gateway$/);

    const detail = (await call(dashboard.url, '/api/targets/observability/otel-gateway')).json as { decision: { summary: string; reasons: string[] } };
    await expect.poll(() => page.textContent('#reason-summary')).toBe(detail.decision.summary);
    const reasons = await page.$$eval('#reasons li', (items) => items.map((item) => item.textContent));
    expect(reasons).toEqual(detail.decision.reasons.slice(1));

    const drawn: Record<string, readonly [number, number, number]> = {
      'chart-load': [31, 119, 180],
      'chart-replicas': [44, 160, 44],
      'chart-proposals': [255, 127, 14],
      'chart-queue': [31, 119, 180],
      'chart-send-failed': [214, 39, 40],
      'chart-latency': [31, 119, 180],
    };
    for (const [chartId, colour] of Object.entries(drawn)) {
      await expect.poll(() => pixelsOfColour(page, chartId, colour), { message: `${chartId} has its first series drawn` }).toBeGreaterThan(100);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'target-laptop.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'target-laptop-full.png'), fullPage: true });

    await page.fill('#whatif-form input[name="from"]', '3h');
    await page.fill('#whatif-form input[name="step"]', '1m');
    await page.fill('#whatif-form input[name="targetQueueFill"]', '0.4');
    await page.click('#whatif-submit');
    await page.waitForSelector('#whatif-result');
    const shown = await page.$$eval('#whatif-totals tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent)));
    const expected = (await postJson(dashboard.url, '/api/targets/observability/otel-gateway/whatif', { from: '3h', step: '1m', overrides: { targetQueueFill: '0.4' } })).json as {
      replay: { replicaHours: number; scaleActions: number };
      actual: { replicaHours: number; scaleActions: number };
    };
    // The page prints three significant digits.
    expect(shown[0]![0]).toBe('Replica-hours');
    expect(Math.abs(Number(shown[0]![1]) - expected.actual.replicaHours)).toBeLessThanOrEqual(expected.actual.replicaHours * 0.005);
    expect(Math.abs(Number(shown[0]![2]) - expected.replay.replicaHours)).toBeLessThanOrEqual(expected.replay.replicaHours * 0.005);
    expect(shown[2]!.slice(0, 3)).toEqual(['Scale actions', String(expected.actual.scaleActions), String(expected.replay.scaleActions)]);
    await expect.poll(() => pixelsOfColour(page, 'chart-whatif', [44, 160, 44])).toBeGreaterThan(100);
    await page.locator('#whatif').screenshot({ path: join(SCREENSHOTS, 'whatif-laptop.png') });
  });

  it('asks for the token when the dashboard is protected, and opens with it', async () => {
    const protectedDashboard = await startTestDashboard({ targets: DEMO_TIERS.slice(2), decidedSteps: 5, bearerToken: 'browser-test-token' });
    try {
      const page = await openPage(LAPTOP);
      await page.goto(protectedDashboard.url);
      await page.waitForSelector('#token-form');
      // The refused API call is expected; the browser reports it as a failed resource.
      expect(problems).toContain(`HTTP 401 for ${protectedDashboard.url}/api/targets`);
      expect(problems.every((problem) => /401/.test(problem))).toBe(true);
      problems = [];
      await page.fill('#token-input', 'browser-test-token');
      await page.click('#token-form button[type="submit"]');
      await page.waitForSelector('tr.target-row');
      expect(await page.$$eval('tr.target-row', (rows) => rows.map((row) => row.getAttribute('data-target')))).toEqual(['payments/otel-gateway']);
    } finally {
      await protectedDashboard.stop();
    }
  });

  it('reads on a phone: no sideways scrolling, charts as wide as the screen', async () => {
    const page = await openPage(PHONE);
    await page.goto(dashboard.url);
    await page.waitForSelector('tr.target-row');
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-phone.png') });

    await page.goto(`${dashboard.url}/#/targets/observability/otel-gateway-canary`);
    await page.waitForSelector('#chart-send-failed canvas');
    await expect.poll(() => page.textContent('#reason-summary')).toMatch(/backend/i);
    await expect.poll(() => pixelsOfColour(page, 'chart-send-failed', [214, 39, 40])).toBeGreaterThan(50);
    const chartWidth = await page.$eval('#chart-load canvas', (canvas) => canvas.getBoundingClientRect().width);
    expect(chartWidth).toBeGreaterThan(PHONE.width * 0.7);
    expect(chartWidth).toBeLessThanOrEqual(PHONE.width);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'target-phone.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'target-phone-full.png'), fullPage: true });
  });
});
