// The dashboard in real Chromium over three scripted tiers (one scaling, one held by a failing
// backend, one steady): status colours, a target's charts and reasons, a what-if, the token prompt
// and the phone layout, with no console errors. Screenshots go to artifacts/screenshots/; the
// docs/screenshots come from here.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dashboardTargetUrl } from '../../src/alerts/dashboard-link.ts';
import { PROPOSAL_NAMES } from '../../src/policy/decision.ts';
import { inkAtCanvasEdges, LAPTOP, launchChromium, legendColours, openWatchedPage, PHONE, pixelsOfColour, SCREENSHOTS, SERIES_RGB, type WatchedPage, whatIfTotals } from './browser-support.ts';
import { call, postJson, startTestDashboard, type TestDashboard } from './dashboard-fixture.ts';
import { DEMO_TIERS } from './demo-tiers.ts';

let dashboard: TestDashboard;
let browser: Browser;
let watched: WatchedPage | undefined;

beforeAll(async () => {
  dashboard = await startTestDashboard({ targets: DEMO_TIERS, decidedSteps: 6 * 60 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
});

afterEach(async () => {
  const problems = watched?.problems ?? [];
  await watched?.context.close();
  watched = undefined;
  expect(problems, 'console errors, page errors or failed requests').toEqual([]);
});

async function open(viewport: { width: number; height: number }) {
  watched = await openWatchedPage(browser, viewport);
  return watched.page;
}

describe('dashboard in Chromium', () => {
  it('shows the fleet overview: one row per target with its status colour and summary', async () => {
    const page = await open(LAPTOP);
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

    // A change the HPA ignores reads as a hold everywhere: status, replicas and the summary sentence.
    const ignored = page.locator('tr[data-target="search/otel-gateway"]');
    await expect.poll(() => ignored.getAttribute('class')).toContain('row-steady');
    expect(await ignored.locator('td.summary').textContent()).toMatch(/^Holding at 20: 21 is inside the HPA's ±10%; /);
    expect(await ignored.locator('td[data-label="Replicas"]').textContent()).toBe('20 (21 inside ±10%)');

    // One time zone, labelled: every time on the page is UTC, as is the top bar's note.
    const updated = await page.$$eval('td[data-label="Updated"]', (cells) => cells.map((cell) => cell.textContent ?? ''));
    expect(updated.every((text) => / UTC$/.test(text))).toBe(true);
    expect(await page.textContent('#overview-note')).toMatch(/as of (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}:\d{2} UTC$/);
    expect(await page.textContent('#clock-note')).toBe('times in UTC');
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-laptop.png'), fullPage: true });
  });

  it('opens a target: charts drawn, the reasons of the latest decision in words, and a what-if that answers', async () => {
    const page = await open(LAPTOP);
    await page.goto(dashboard.url);
    await page.click('a.target-link >> text=observability/otel-gateway');
    await page.waitForSelector('#chart-load canvas');
    expect(page.url()).toMatch(/#\/targets\/observability\/otel-gateway$/);

    const detail = (await call(dashboard.url, '/api/targets/observability/otel-gateway')).json as { decision: { summary: string; reasons: string[] } };
    await expect.poll(() => page.textContent('#reason-summary')).toBe(detail.decision.summary);
    const reasons = await page.$$eval('#reasons li', (items) => items.map((item) => item.textContent));
    expect(reasons).toEqual(detail.decision.reasons.slice(1));

    const firstSeries: Record<string, readonly [number, number, number]> = {
      'chart-load': SERIES_RGB.load,
      'chart-replicas': SERIES_RGB.current,
      'chart-proposals': SERIES_RGB.threshold,
      'chart-queue': SERIES_RGB.load,
      'chart-send-failed': SERIES_RGB.recommended,
      'chart-latency': SERIES_RGB.load,
    };
    for (const [chartId, colour] of Object.entries(firstSeries)) {
      await expect.poll(() => pixelsOfColour(page, chartId, colour), { message: `${chartId} has its first series drawn` }).toBeGreaterThan(100);
    }
    // Every proposal has a colour of its own; no axis label runs off a chart's edge.
    const proposalColours = await legendColours(page, 'chart-proposals');
    expect(proposalColours).toHaveLength(PROPOSAL_NAMES.length);
    expect(new Set(proposalColours).size).toBe(PROPOSAL_NAMES.length);
    for (const chartId of Object.keys(firstSeries)) {
      expect(await inkAtCanvasEdges(page, chartId), `${chartId}: a label is cut at the canvas edge`).toEqual({ left: 0, right: 0 });
    }
    expect(await page.textContent('#why .muted')).toMatch(/^Decided (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}:\d{2} UTC /);
    await page.screenshot({ path: join(SCREENSHOTS, 'target-laptop.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'target-laptop-full.png'), fullPage: true });

    await page.fill('#whatif-form input[name="from"]', '3h');
    await page.fill('#whatif-form input[name="step"]', '1m');
    await page.fill('#whatif-form input[name="targetQueueFill"]', '0.4');
    await page.click('#whatif-submit');
    await page.waitForSelector('#whatif-result');
    const shown = await whatIfTotals(page);
    const expected = (await postJson(dashboard.url, '/api/targets/observability/otel-gateway/whatif', { from: '3h', step: '1m', overrides: { targetQueueFill: '0.4' } })).json as {
      replay: { replicaHours: number; scaleActions: number };
      actual: { replicaHours: number; scaleActions: number };
    };
    // The page prints three significant digits.
    expect(shown[0]![0]).toBe('Replica-hours');
    expect(Math.abs(Number(shown[0]![1]) - expected.actual.replicaHours)).toBeLessThanOrEqual(expected.actual.replicaHours * 0.005);
    expect(Math.abs(Number(shown[0]![2]) - expected.replay.replicaHours)).toBeLessThanOrEqual(expected.replay.replicaHours * 0.005);
    expect(shown[2]!.slice(0, 3)).toEqual(['Scale actions', String(expected.actual.scaleActions), String(expected.replay.scaleActions)]);
    await expect.poll(() => pixelsOfColour(page, 'chart-whatif', SERIES_RGB.current)).toBeGreaterThan(100);
    // The window says which days it spans, not only the time of day.
    expect(await page.textContent('#whatif-result > p')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC → \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC, /);
    await page.locator('#whatif').screenshot({ path: join(SCREENSHOTS, 'whatif-laptop.png') });
  });

  it('asks for the token when the dashboard is protected, and opens with it', async () => {
    const protectedDashboard = await startTestDashboard({ targets: DEMO_TIERS.slice(2, 3), decidedSteps: 5, bearerToken: 'browser-test-token' });
    try {
      const page = await open(LAPTOP);
      await page.goto(protectedDashboard.url);
      await page.waitForSelector('#token-form');
      // The refused API call is expected; the browser reports it as a failed resource.
      const problems = watched!.problems;
      expect(problems).toContain(`HTTP 401 for ${protectedDashboard.url}/api/targets`);
      expect(problems.every((problem) => /401/.test(problem))).toBe(true);
      problems.length = 0;
      await page.fill('#token-input', 'browser-test-token');
      await page.click('#token-form button[type="submit"]');
      await page.waitForSelector('tr.target-row');
      expect(await page.$$eval('tr.target-row', (rows) => rows.map((row) => row.getAttribute('data-target')))).toEqual(['payments/otel-gateway']);
    } finally {
      // Close the page first: stopping the server waits for the page's keep-alive connection, and the
      // overview's 5 s refresh would meanwhile hit a closed port and count as a failed request.
      await watched?.page.close();
      await protectedDashboard.stop();
    }
  });

  it('reads on a phone: no sideways scrolling, charts as wide as the screen', async () => {
    const page = await open(PHONE);
    await page.goto(dashboard.url);
    await page.waitForSelector('tr.target-row');
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview-phone.png') });

    // The link Slack messages carry ("Open in dashboard") opens the target's page.
    await page.goto(dashboardTargetUrl(dashboard.url, { namespace: 'observability', name: 'otel-gateway-canary' }));
    await page.waitForSelector('#chart-send-failed canvas');
    await expect.poll(() => page.textContent('#reason-summary')).toMatch(/backend/i);
    await expect.poll(() => pixelsOfColour(page, 'chart-send-failed', SERIES_RGB.recommended)).toBeGreaterThan(50);
    const chartWidth = await page.$eval('#chart-load canvas', (canvas) => canvas.getBoundingClientRect().width);
    expect(chartWidth).toBeGreaterThan(PHONE.width * 0.7);
    expect(chartWidth).toBeLessThanOrEqual(PHONE.width);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'target-phone.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'target-phone-full.png'), fullPage: true });
  });
});
