import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { dashboardUrl } from '../../local-cloud/dashboard/url.ts';
import { aimAt } from '../workbook/steps-2-3-support.ts';
import { deploySolution } from '../workbook/steps-6-7-support.ts';
import { inkedPixels, launchChromium, pageProblems, screenshot } from './support.ts';

// Code passed to page.evaluate() and waitForFunction() runs in the page, where these exist.
declare const document: any, window: any;

/**
 * The live dashboard in real headless Chromium, on a cloud with the pipeline of steps 1–7
 * deployed: it loads clean, shows every resource, and an order posted through the API shows up
 * in the flow, in its timeline and in the latency histogram within 2 seconds.
 */
let cloud: TestCloud;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  for (const step of [1, 2, 3, 4, 5, 6, 7]) await deploySolution(step);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  problems = pageProblems(page);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await cloud?.close();
});

async function postOrder(order: unknown): Promise<{ status: number; orderId: string }> {
  const api = cloud.cloud.apigateway.getRestApis().find((a) => a.name === 'workbook-orders-api')!;
  const res = await fetch(`${cloud.url}/restapis/${api.id}/v1/_user_request_/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(order),
  });
  return { status: res.status, orderId: ((await res.json()) as { orderId: string }).orderId };
}

describe('the dashboard in Chromium', () => {
  it('loads with no console errors, connects live, and shows every resource of the pipeline as existing', async () => {
    await page.goto(dashboardUrl(cloud.url, cloud.controlToken));
    await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'live');
    await page.waitForFunction(() => document.querySelectorAll('#nodes .node.exists').length === 8);
    // The token left the address bar (and the history) once the page had it.
    expect(page.url()).not.toContain('token');
    expect(await page.textContent('#node-queue')).toContain('waiting');
    expect(problems).toEqual([]);
  });

  it('an order posted through the API appears in the flow and in its timeline within 2 s', async () => {
    const posted = Date.now();
    const { status, orderId } = await postOrder({ customerId: 'c-browser', items: [{ sku: 'SKU-1', quantity: 2 }] });
    expect(status).toBe(202);
    const left = () => Math.max(1, 2000 - (Date.now() - posted));
    await page.waitForFunction(() => [...document.querySelectorAll('#flow li')].some((li) => li.textContent!.includes('POST /v1/orders → 202')), undefined, { timeout: left() });
    await page.waitForFunction(() => [...document.querySelectorAll('#flow li.kind-record')].some((li) => li.textContent!.includes('record written')), undefined, { timeout: left() });
    await page.fill('#order-id', orderId);
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#order-result')!.textContent!.includes('recorded'), undefined, { timeout: left() });
    const timeline = await page.textContent('#order-result');
    for (const stage of ['accepted by intake', 'sent to the queue', 'taken by the monitor', 'published', 'recorded']) expect(timeline).toContain(stage);
    // Every kind of step the order took is in the flow.
    const kinds = await page.$$eval('#flow li', (rows) => rows.map((row) => row.className));
    for (const kind of ['kind-api', 'kind-message', 'kind-invocation', 'kind-publish', 'kind-delivery', 'kind-record']) {
      expect(kinds.some((k) => k.includes(kind)), kind).toBe(true);
    }
    expect(problems).toEqual([]);
  });

  it('an unknown order says so; the latency histogram renders the recorded orders', async () => {
    await page.fill('#order-id', 'no-such-order');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#order-result')!.textContent!.includes('No events for order no-such-order'));

    for (let i = 0; i < 5; i++) expect((await postOrder({ customerId: `c-${i}`, items: [{ sku: 'SKU-2', quantity: 1 }] })).status).toBe(202);
    await page.waitForFunction(() => {
      const chart = (window as unknown as { latencyChart?: { data: { datasets: { data: number[] }[] } } }).latencyChart;
      const total = chart ? chart.data.datasets[4].data.reduce((sum, n) => sum + n, 0) : 0;
      return total >= 6;
    });
    expect(await inkedPixels(page, '#latency-chart')).toBeGreaterThan(1000);
    expect(await page.textContent('#latency-count')).toMatch(/^\d+ events, last 15 minutes$/);
    await screenshot(page, 'dashboard.png');
    // The unknown order's 404s (the search, and its refreshes as records arrive) are the only errors the browser logs.
    const unexpected = problems.filter((p) => !p.includes('404 (Not Found)') || !p.includes('/api/orders/no-such-order?'));
    expect(unexpected).toEqual([]);
  });

  it('without the token, the page says how to open it and calls nothing', async () => {
    const bare = await browser.newPage();
    const own = pageProblems(bare);
    const requests: string[] = [];
    bare.on('request', (request) => requests.push(new URL(request.url()).pathname));
    await bare.goto(`${cloud.url}/_localcloud/dashboard`);
    await bare.waitForSelector('#no-token:not([hidden])');
    expect(await bare.textContent('#connection')).toBe('no token');
    expect(requests.filter((path) => path.includes('/api/'))).toEqual([]);
    expect(own).toEqual([]);
    await bare.close();
  });

  it('refuses to be framed by another page', async () => {
    const framer = await browser.newPage();
    const own = pageProblems(framer);
    await framer.setContent(`<iframe src="${cloud.url}/_localcloud/dashboard"></iframe>`);
    await framer.waitForTimeout(0);
    const frame = framer.frames()[1];
    // The frame is refused (blocked by frame-ancestors / X-Frame-Options, or by the browser guard): no dashboard in it.
    await expect.poll(async () => (frame ? await frame.evaluate(() => document.getElementById('diagram') === null).catch(() => true) : true)).toBe(true);
    expect(own.join('\n')).not.toContain('exception');
    await framer.close();
  });
});
