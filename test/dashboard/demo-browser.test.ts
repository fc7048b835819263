// The dashboard of the embedded demo, as `npm start` runs it (tsx src/main.ts without Prometheus: the
// simulated gateway tier polled through the Advisor), in real Chromium: the overview, the simulated
// target's charts and reasons, and a what-if over the simulated fleet's history.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WhatIfAnswer } from '../../src/dashboard/api-routes.ts';
import type { TargetDetailView } from '../../src/dashboard/target-views.ts';
import { LAPTOP, launchChromium, openWatchedPage, pixelsOfColour, SCREENSHOTS, SERIES_RGB, type WatchedPage, whatIfTotals } from './browser-support.ts';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TSX = join(PROJECT_ROOT, 'node_modules/.bin/tsx');
/** Ten simulated minutes per second: a KEDA poll (30 s) every 50 ms, so the charts fill in seconds. */
const SIM_SPEED = 600;
const MIN_DECISIONS = 30;

let dir: string;
let demo: ChildProcess;
let output = '';
let dashboardUrl: string;
let browser: Browser;
let watched: WatchedPage | undefined;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (demo.exitCode !== null) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  throw new Error(`${what} did not happen; demo output:\n${output}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dashboard-demo-'));
  const configFile = join(dir, 'scaler.yaml');
  writeFileSync(configFile, ['grpc: { host: 127.0.0.1, port: 0 }', 'http: { host: 127.0.0.1, port: 0 }', `demo: { simSpeed: ${SIM_SPEED} }`, ''].join('\n'));
  demo = spawn(TSX, ['src/main.ts', '--config', configFile], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  dashboardUrl = await until('the "started" log line', async () => {
    for (const line of output.split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; http?: string };
      if (entry.msg === 'otel-gateway-scaler started' && entry.http) return entry.http;
    }
    return undefined;
  });
  await until(`${MIN_DECISIONS} decisions of the simulated target`, async () => {
    const history = (await (await fetch(`${dashboardUrl}/api/targets/observability/otel-gateway/history`)).json()) as { points?: number };
    return (history.points ?? 0) >= MIN_DECISIONS ? true : undefined;
  });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const exited = new Promise((resolveExit) => demo.once('exit', resolveExit));
    demo.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  const problems = watched?.problems ?? [];
  await watched?.context.close();
  watched = undefined;
  expect(problems, 'console errors, page errors or failed requests').toEqual([]);
});

describe('the demo’s dashboard (npm start without Prometheus) in Chromium', () => {
  it('shows the simulated tier, its charts and reasons, and answers a what-if over its history', async () => {
    watched = await openWatchedPage(browser, LAPTOP);
    const { page } = watched;
    await page.goto(dashboardUrl);
    await page.waitForSelector('tr.target-row[data-target="observability/otel-gateway"]');
    expect(await page.textContent('tr.target-row td.summary')).not.toBe('');
    // The demo's times are on its simulated clock, and the page says so, in UTC like the rest.
    expect(await page.textContent('#clock-note')).toBe('times in UTC on the demo’s simulated clock');
    expect(await page.textContent('tr.target-row td[data-label="Updated"]')).toMatch(/ UTC, simulated$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-overview.png') });

    // The demo decides every 50 ms; compare the page with the answer it drew, not a later one.
    const detailAnswer = page.waitForResponse((response) => response.url() === `${dashboardUrl}/api/targets/observability/otel-gateway`);
    await page.click('a.target-link >> text=observability/otel-gateway');
    const detail = (await (await detailAnswer).json()) as TargetDetailView;
    await page.waitForSelector('#chart-load canvas');
    expect(await page.textContent('#reason-summary')).toBe(detail.decision!.summary);
    expect(await page.$$eval('#reasons li', (items) => items.map((item) => item.textContent))).toEqual(detail.decision!.reasons.slice(1));
    // The capacity figure the decision sized with, and where it came from.
    expect(await page.textContent('#capacity')).toBe(`capacity · ${detail.decision!.capacity.source} ${detail.decision!.capacity.sentence}`);
    expect(await page.textContent('#startup')).toBe(`startup · ${detail.decision!.startup.source} ${detail.decision!.startup.sentence}`);
    expect(await page.textContent('#drain')).toBe(`re-resolve · ${detail.decision!.drain.reresolveSource} ${detail.decision!.drain.sentence}.`);
    await expect.poll(() => pixelsOfColour(page, 'chart-load', SERIES_RGB.load), { message: 'load drawn' }).toBeGreaterThan(100);
    await expect.poll(() => pixelsOfColour(page, 'chart-replicas', SERIES_RGB.current), { message: 'current replicas drawn' }).toBeGreaterThan(100);
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-target.png') });

    await page.fill('#whatif-form input[name="targetQueueFill"]', '0.4');
    const whatIfAnswer = page.waitForResponse((response) => response.url().endsWith('/whatif'));
    await page.click('#whatif-submit');
    const answer = (await (await whatIfAnswer).json()) as WhatIfAnswer;
    await page.waitForSelector('#whatif-result');
    expect(answer.overrides).toEqual({ targetQueueFill: '0.4' });
    // Six hours of the simulated fleet's history at its 30 s polling interval.
    expect(answer.steps).toBe(6 * 120 + 1);
    expect(answer.comparedSteps).toBeGreaterThan(600);
    expect(answer.actual.replicaHours).toBeGreaterThan(0);
    const shown = await whatIfTotals(page);
    expect(Math.abs(Number(shown[0]![1]) - answer.actual.replicaHours)).toBeLessThanOrEqual(answer.actual.replicaHours * 0.005);
    expect(Math.abs(Number(shown[0]![2]) - answer.replay.replicaHours)).toBeLessThanOrEqual(answer.replay.replicaHours * 0.005);
    expect(shown[2]!.slice(0, 3)).toEqual(['Scale actions', String(answer.actual.scaleActions), String(answer.replay.scaleActions)]);
    await expect.poll(() => pixelsOfColour(page, 'chart-whatif', SERIES_RGB.current)).toBeGreaterThan(100);
    await page.locator('#whatif').screenshot({ path: join(SCREENSHOTS, 'demo-whatif.png') });
  });
});
