import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { latencyReport, percentile } from '../../lib/latency-report.ts';
import { eventKeyOf, timeBucketOf, type OrderEvent } from '../../lib/order-events.ts';
import { captureOutput } from '../../lib/output.ts';
import { parseWindow, report } from '../../scripts/report.ts';
import { runScript } from './support.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * `npm run report`: the per-stage latency report from the order-events table, for a time window,
 * read through the time-window index. Events are written straight into the table with stage
 * times chosen so that every percentile is known in advance.
 */
let cloud: TestCloud;
const TABLE = 'workbook-order-events';
const HOUR = 3_600_000;
/** Inside the window: 14:00–15:00 UTC on a fixed day. */
const WINDOW = { from: new Date('2025-06-01T14:00:00.000Z'), to: new Date('2025-06-01T15:00:00.000Z') };

/** An event whose stages take `queue`, `monitor`, `publish`, `record` ms; published at `publishedAt`. */
function event(orderId: string, publishedAt: number, spans: { intake: number; queue: number; monitor: number; record: number }): OrderEvent {
  const processedAt = publishedAt - spans.monitor;
  const queuedAt = processedAt - spans.queue;
  const acceptedAt = queuedAt - spans.intake;
  const eventTime = new Date(publishedAt).toISOString();
  const messageId = `m-${orderId}`;
  return {
    orderId,
    eventKey: eventKeyOf(eventTime, messageId),
    timeBucket: timeBucketOf(eventTime, orderId),
    eventId: `e-${orderId}`,
    messageId,
    status: 'confirmed',
    eventTime,
    eventEpochMs: publishedAt,
    times: { acceptedAt, queuedAt, processedAt, publishedAt, recordedAt: publishedAt + spans.record },
    customerId: 'c-1',
  };
}

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
});
afterAll(() => cloud.close());

describe('npm run report', () => {
  it('without the table, says so and names the step that makes it (exit 1)', async () => {
    const result = await runScript('report', cloud.env, '--since', '1h');
    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toContain('✘ There is no table workbook-order-events on local cloud');
    expect(result.stdout).toContain('Step 6 makes it (`npm run step:6`)');
  });

  it('reports the window with Queries on the time index, never a Scan: percentiles per stage, max, throughput', async () => {
    await deploySolution(6);
    const db = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
    const start = WINDOW.from.getTime() + 10 * 60_000;
    const inside: OrderEvent[] = [];
    // 20 orders a second apart; order i: intake 1 ms, queue 10·i ms, monitor 2 ms, record 5·i ms.
    for (let i = 1; i <= 20; i++) inside.push(event(`in-${i}`, start + i * 1000, { intake: 1, queue: 10 * i, monitor: 2, record: 5 * i }));
    const outside = [event('before', WINDOW.from.getTime() - 1, { intake: 1, queue: 9999, monitor: 1, record: 1 }), event('after', WINDOW.to.getTime() + 5 * HOUR, { intake: 1, queue: 9999, monitor: 1, record: 1 })];
    const incomplete = { ...event('partial', start, { intake: 1, queue: 1, monitor: 1, record: 1 }), times: { acceptedAt: start, queuedAt: start + 1 } };
    for (const item of [...inside, ...outside, incomplete]) await db.send(new PutCommand({ TableName: TABLE, Item: item }));

    const calls: string[] = [];
    const listen = (e: { service: string; action: string }) => e.service === 'dynamodb' && calls.push(e.action);
    cloud.cloud.events.on('event', listen);
    const { result, error, lines } = await captureOutput(() => report(WINDOW));
    cloud.cloud.events.off('event', listen);
    expect(error).toBeUndefined();

    expect(result).toMatchObject({ orders: 20, events: 20, incomplete: 1 });
    const span = (label: string) => result!.spans.find((s) => s.label === label)!;
    // Nearest rank over 20 values: p50 is the 10th, p95 the 19th, p99 the 20th.
    expect(span('intake → queue')).toMatchObject({ p50: 1, p95: 1, p99: 1, max: 1 });
    expect(span('queue → monitor')).toMatchObject({ p50: 100, p95: 190, p99: 200, max: 200 });
    expect(span('publish → record')).toMatchObject({ p50: 50, p95: 95, p99: 100, max: 100 });
    expect(span('end to end')).toMatchObject({ p50: 1 + 100 + 2 + 50, p95: 1 + 190 + 2 + 95, p99: 303, max: 303 });
    // From the first acceptance (order 1) to the last record (order 20).
    const first = inside[0].times.acceptedAt;
    const last = inside[19].times.recordedAt;
    expect(result!.throughputPerSecond).toBeCloseTo(20 / ((last - first) / 1000), 6);

    const output = lines.join('\n');
    expect(output).toContain('Latency report: workbook-order-events, 2025-06-01T14:00:00.000Z → 2025-06-01T15:00:00.000Z');
    expect(output).toMatch(/queue → monitor +100 ms +190 ms +200 ms +200 ms/);
    expect(output).toContain('(1 event(s) without every stage time left out)');
    expect(calls).toContain('Query');
    expect(calls).not.toContain('Scan');
  });

  it('an empty window says so, and how orders get there', async () => {
    const { result, lines } = await captureOutput(() => report({ from: new Date(WINDOW.from.getTime() - 3 * HOUR), to: new Date(WINDOW.from.getTime() - 2 * HOUR) }));
    expect(result).toBeUndefined();
    expect(lines.join('\n')).toContain('No order events in this window.');
    expect(lines.join('\n')).toContain('npm run step:8');
  });

  it('npm run report -- --from … --to … prints the report (a child process, as a learner runs it)', async () => {
    const result = await runScript('report', cloud.env, '--from', '2025-06-01T14:00Z', '--to', '2025-06-01T15:00Z');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/end to end +153 ms +288 ms +303 ms +303 ms/);
    expect(result.stdout).toContain('20 orders (20 events)');
  });
});

describe('the report window and the percentiles', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');

  it('--since takes s, m, h and d; the default is the last 24 hours', () => {
    expect(parseWindow(['--since', '90m'], now)).toEqual({ from: new Date('2025-06-01T10:30:00.000Z'), to: now });
    expect(parseWindow(['--since=2d'], now).from).toEqual(new Date('2025-05-30T12:00:00.000Z'));
    expect(parseWindow([], now).from).toEqual(new Date('2025-05-31T12:00:00.000Z'));
  });

  it('--from and --to take ISO times (UTC unless a zone is given); --to defaults to now', () => {
    expect(parseWindow(['--from', '2025-06-01T09:00', '--to', '2025-06-01T11:00+01:00'], now)).toEqual({
      from: new Date('2025-06-01T09:00:00.000Z'),
      to: new Date('2025-06-01T10:00:00.000Z'),
    });
    expect(parseWindow(['--from', '2025-06-01'], now)).toEqual({ from: new Date('2025-06-01T00:00:00.000Z'), to: now });
  });

  it('refuses what it cannot read, saying what to give instead', () => {
    expect(() => parseWindow(['--since', 'yesterday'], now)).toThrow('--since yesterday is not a duration.');
    expect(() => parseWindow(['--from', 'noon'], now)).toThrow('--from noon is not a time.');
    expect(() => parseWindow(['--from', '2025-06-01T11:00Z', '--to', '2025-06-01T10:00Z'], now)).toThrow('must come before --to');
    expect(() => parseWindow(['--since', '1h', '--from', '2025-06-01'], now)).toThrow('either --since or --from/--to');
    expect(() => parseWindow(['--since', '40d'], now)).toThrow('at most 31 days');
    expect(() => parseWindow(['--to', '2025-06-01T10:00Z'], now)).toThrow('--to needs a --from');
    expect(() => parseWindow(['--window', '1h'], now)).toThrow('Unknown option --window');
  });

  it('percentiles by nearest rank', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect([50, 95, 99, 100].map((p) => percentile(twenty, p))).toEqual([10, 19, 20, 20]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(latencyReport([])).toBeUndefined();
  });
});
