import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser } from 'playwright-core';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { eventKeyOf, timeBucketOf, type OrderEvent } from '../../lib/order-events.ts';
import { captureOutput } from '../../lib/output.ts';
import { throughputSeries } from '../../lib/report-html.ts';
import { parseHtmlOption, parseWindow, report } from '../../scripts/report.ts';
import { aimAt } from '../workbook/steps-2-3-support.ts';
import { deploySolution } from '../workbook/steps-6-7-support.ts';
import { runScript } from '../workbook/support.ts';
import { ARTIFACTS, inkedPixels, launchChromium, pageProblems, screenshot } from './support.ts';

// Code passed to page.evaluate() and waitForFunction() runs in the page, where these exist.
declare const document: any, window: any;

/**
 * `npm run report -- --html FILE`: the report as one self-contained page, read through the SDK
 * like the text report (so for every target), rendered in real headless Chromium with no network.
 */
let cloud: TestCloud;
let browser: Browser;
const WINDOW = { from: new Date('2025-06-01T14:00:00.000Z'), to: new Date('2025-06-01T15:00:00.000Z') };

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  await deploySolution(6);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
  // 60 orders over ten minutes, coming ever slower; order i spends 3·(i mod 20) ms in the queue and 4 ms being recorded.
  for (let i = 0; i < 60; i++) {
    const acceptedAt = WINDOW.from.getTime() + 5 * 60_000 + i * i * 170;
    const times = { acceptedAt, queuedAt: acceptedAt + 2, processedAt: acceptedAt + 2 + 3 * (i % 20), publishedAt: acceptedAt + 4 + 3 * (i % 20), recordedAt: acceptedAt + 8 + 3 * (i % 20) };
    const time = new Date(acceptedAt).toISOString();
    const item: OrderEvent = { orderId: `o-${i}`, eventKey: eventKeyOf(time, 'confirmed'), timeBucket: timeBucketOf(time, `o-${i}`), eventId: `e-${i}`, messageId: `m-${i}`, status: 'confirmed', eventTime: time, eventEpochMs: times.publishedAt, times };
    await db.send(new PutCommand({ TableName: 'workbook-order-events', Item: item }));
  }
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await cloud?.close();
});

describe('npm run report -- --html', () => {
  it('takes --html FILE, and refuses it without a file', () => {
    expect(parseHtmlOption(['--since', '1h', '--html', 'r.html'])).toBe('r.html');
    expect(parseHtmlOption(['--html=r.html'])).toBe('r.html');
    expect(parseHtmlOption(['--since', '1h'])).toBeUndefined();
    expect(() => parseHtmlOption(['--html'])).toThrow('--html needs a file name.');
    expect(() => parseHtmlOption(['--html', '--since', '1h'])).toThrow('--html needs a file name.');
    expect(() => parseWindow(['--html', 'r.html', '--since', '1h'])).not.toThrow();
  });

  it('counts throughput per interval, empty intervals included, in at most 60 points', () => {
    expect(throughputSeries([0, 500, 2500])).toEqual({ intervalMs: 1000, label: 'second', points: [{ t: 0, count: 2 }, { t: 1000, count: 0 }, { t: 2000, count: 1 }] });
    expect(throughputSeries([0, 3_600_000]).points.length).toBeLessThanOrEqual(60);
  });

  it('writes a self-contained page next to the text report; Chromium renders both charts with no network', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'report.html');
    const { lines, error } = await captureOutput(() => report(WINDOW, file));
    expect(error).toBeUndefined();
    const output = lines.join('\n');
    expect(output).toContain('end to end'); // the text report is printed as ever
    expect(output).toContain(`the charts are in ${file}`);
    const html = readFileSync(file, 'utf8');
    // Nothing loaded from elsewhere (the browser below proves it: the file is its only request).
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/);

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems = pageProblems(page);
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => 'reportCharts' in window);
    const counts = await page.evaluate(() => {
      const charts = (window as unknown as { reportCharts: Record<string, { data: { datasets: { data: number[] }[] } }> }).reportCharts;
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      return { latency: charts.latency.data.datasets.map((d) => sum(d.data)), throughput: sum(charts.throughput.data.datasets[0].data) };
    });
    expect(counts.latency).toEqual([60, 60, 60, 60, 60]);
    expect(counts.throughput).toBe(60);
    expect(await inkedPixels(page, '#latency')).toBeGreaterThan(1000);
    expect(await inkedPixels(page, '#throughput')).toBeGreaterThan(1000);
    expect(await page.textContent('table')).toContain('queue → monitor');
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);
    await screenshot(page, 'report.png');
    await page.close();
  });

  it('npm run report -- --html with nothing in the window writes no page and says why', async () => {
    const result = await runScript('report', cloud.env, '--from', '2020-01-01T00:00Z', '--to', '2020-01-01T01:00Z', '--html', join(ARTIFACTS, 'empty.html'));
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('No order events in this window.');
    expect(() => readFileSync(join(ARTIFACTS, 'empty.html'))).toThrow();
  });
});
