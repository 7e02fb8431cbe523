import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type IncomingMessage } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { eventKeyOf, timeBucketOf } from '../../lib/order-events.ts';
import { TICKET_LIFETIME_MS, Tickets } from '../../local-cloud/dashboard/tickets.ts';
import { aimAt } from '../workbook/steps-2-3-support.ts';
import { deploySolution } from '../workbook/steps-6-7-support.ts';

/**
 * /_localcloud/dashboard over real HTTP: the page's files (public, with a strict CSP), and its API
 * (the control token in a header; the event stream with a one-time ticket), with the client's
 * mistakes answered 4xx and other sites refused.
 */
let cloud: TestCloud;
const base = () => `${cloud.url}/_localcloud/dashboard`;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
});
afterAll(() => cloud.close());

describe('the page', () => {
  it('is served without a token, with a CSP that allows no inline script, no framing, no CORS', async () => {
    for (const path of ['', '/', '/dashboard.js', '/dashboard.css', '/latency-chart.js', '/chart.umd.min.js']) {
      const res = await fetch(`${base()}${path}`);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      await res.arrayBuffer();
    }
    const html = await (await fetch(`${base()}/`)).text();
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // every script is a file of its own
    expect(html).not.toMatch(/https?:\/\//.source.replace('s?', 's?') && /src="https?:/);
    const chart = await (await fetch(`${base()}/chart.umd.min.js`)).text();
    expect(chart).toContain('Chart.js v4');
  });

  it('answers 404 for files it does not have, and refuses paths that climb out', async () => {
    for (const path of ['/nope.js', '/../control-token', '/%2e%2e/control-token', '/page/index.html', '/__proto__', '/constructor']) {
      const res = await rawGet(`/_localcloud/dashboard${path}`);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).not.toContain(cloud.controlToken);
    }
  });

  it('is refused to another site (Origin, Sec-Fetch-Site) and to a foreign Host', async () => {
    const cases: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { referer: 'http://evil.example/page' },
    ];
    for (const headers of cases) {
      const res = await fetch(`${base()}/`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      const api = await fetch(`${base()}/api/pipeline`, { headers: { ...headers, 'x-local-cloud-token': cloud.controlToken } });
      expect(api.status, JSON.stringify(headers)).toBe(403);
      expect(await api.text()).toContain('Cross-site requests to the local cloud are refused');
    }
    const rebound = await rawGet('/_localcloud/dashboard/', { host: `evil.example:${cloud.port}` });
    expect(rebound.status).toBe(403);
  });
});

describe('the API', () => {
  it('needs the token: 401 without it, 403 with a wrong one, in a header only (never in the query)', async () => {
    for (const path of ['pipeline', 'latency', 'orders/abc', 'ticket']) {
      const method = path === 'ticket' ? 'POST' : 'GET';
      const none = await fetch(`${base()}/api/${path}`, { method });
      expect(none.status, path).toBe(401);
      expect((await json(none)).code).toBe('LocalCloudTokenMissing');
      const wrong = await fetch(`${base()}/api/${path}`, { method, headers: { 'x-local-cloud-token': 'not-the-token' } });
      expect(wrong.status, path).toBe(403);
      expect((await json(wrong)).code).toBe('LocalCloudTokenInvalid');
      const inQuery = await fetch(`${base()}/api/${path}?token=${cloud.controlToken}`, { method });
      expect(inQuery.status, path).toBe(401);
      await inQuery.arrayBuffer();
    }
  });

  it('pipeline: each resource missing on an empty cloud, then present with its counts', async () => {
    const before = await (await json(cloud.control('dashboard/api/pipeline')));
    expect(before.resources.map((r: { id: string }) => r.id)).toEqual(['api', 'intake', 'queue', 'dlq', 'monitor', 'topic', 'recorder', 'table']);
    expect(before.resources.every((r: { exists: boolean }) => !r.exists)).toBe(true);

    const sqs = new SQSClient(cloud.clientConfig);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'dash-orders' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{}' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{}' }));
    const after = await (await json(cloud.control('dashboard/api/pipeline?prefix=dash')));
    const queue = after.resources.find((r: { id: string }) => r.id === 'queue');
    expect(queue).toMatchObject({ name: 'dash-orders', exists: true, facts: ['2 waiting', '0 in flight'] });
  });

  it('refuses bad parameters with 400: unknown, repeated, huge, __proto__, a prefix that is no prefix', async () => {
    const bad = [
      'pipeline?prefix=UPPER',
      'pipeline?prefix=a&prefix=b',
      `pipeline?prefix=${'a'.repeat(5000)}`,
      'pipeline?__proto__=x',
      'pipeline?constructor=x',
      'pipeline?prefix=__proto__',
      'latency?minutes=0',
      'latency?minutes=99999',
      'latency?minutes=1e3',
      'latency?minutes=-5',
      'orders/abc?__proto__[x]=1',
    ];
    for (const path of bad) {
      const res = await cloud.control(`dashboard/api/${path}`);
      expect(res.status, path).toBe(400);
      expect((await json(res)).code, path).toBe('ValidationException');
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('orders: 400 for a malformed id, 404 without the table, 404 for an unknown order, the timeline oldest first', async () => {
    for (const id of ['%E0%A4%A', 'a%2Fb', 'x'.repeat(65), '__proto__', '<script>', '%00']) {
      const res = await cloud.control(`dashboard/api/orders/${id}`);
      expect(res.status, id).toBe(400);
    }
    const noTable = await cloud.control('dashboard/api/orders/abc');
    expect(noTable.status).toBe(404);
    expect((await json(noTable)).message).toContain('There is no table workbook-order-events yet');

    await deploySolution(6);
    const unknown = await cloud.control('dashboard/api/orders/no-such-order');
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({ code: 'OrderNotFound', message: 'No events for order no-such-order in workbook-order-events.' });

    const db = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
    const acceptedAt = Date.now() - 1000;
    for (const [status, offset] of [['shipped', 500], ['confirmed', 0]] as const) {
      const times = { acceptedAt: acceptedAt + offset, queuedAt: acceptedAt + offset + 2, processedAt: acceptedAt + offset + 10, publishedAt: acceptedAt + offset + 12, recordedAt: acceptedAt + offset + 20 };
      const time = new Date(times.acceptedAt).toISOString();
      await db.send(new PutCommand({
        TableName: 'workbook-order-events',
        Item: { orderId: 'order-1', eventKey: eventKeyOf(time, status), timeBucket: timeBucketOf(time, 'order-1'), eventId: status, messageId: status, status, eventTime: time, eventEpochMs: times.publishedAt, times },
      }));
    }
    const timeline = await (await json(cloud.control('dashboard/api/orders/order-1')));
    expect(timeline.orderId).toBe('order-1');
    expect(timeline.events.map((e: { status: string }) => e.status)).toEqual(['confirmed', 'shipped']);
    expect(timeline.events[0].times).toEqual({ acceptedAt, queuedAt: acceptedAt + 2, processedAt: acceptedAt + 10, publishedAt: acceptedAt + 12, recordedAt: acceptedAt + 20 });

    const latency = await (await json(cloud.control('dashboard/api/latency?minutes=5')));
    expect(latency.events).toBe(2);
    expect(latency.spans.find((s: { label: string }) => s.label === 'end to end').values).toEqual([20, 20]);
    expect(latency.spans.find((s: { label: string }) => s.label === 'queue → monitor').values).toEqual([8, 8]);
  });

  it('answers 405 for the wrong method and 404 for an unknown endpoint', async () => {
    expect((await cloud.control('dashboard/api/ticket')).status).toBe(405);
    expect((await cloud.control('dashboard/api/pipeline', { method: 'DELETE' })).status).toBe(405);
    expect((await cloud.control('dashboard/api/nothing')).status).toBe(404);
    expect((await fetch(`${base()}/`, { method: 'POST' })).status).toBe(405);
  });
});

describe('the event stream', () => {
  it('opens with a ticket bought with the token, once; streams the cloud events as they happen', async () => {
    const { ticket, expiresInSeconds } = await (await json(cloud.control('dashboard/api/ticket', { method: 'POST' })));
    expect(expiresInSeconds).toBe(30);
    const controller = new AbortController();
    const res = await fetch(`${base()}/api/events?ticket=${ticket}`, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const sqs = new SQSClient(cloud.clientConfig);
    await sqs.send(new CreateQueueCommand({ QueueName: 'streamed-queue' }));
    let text = '';
    while (!text.includes('CreateQueue')) text += new TextDecoder().decode((await reader.read()).value);
    const line = text.split('\n').find((l) => l.includes('CreateQueue'))!;
    expect(JSON.parse(line.slice('data: '.length))).toMatchObject({ service: 'sqs', action: 'CreateQueue', status: 200 });
    controller.abort();

    const again = await fetch(`${base()}/api/events?ticket=${ticket}`);
    expect(again.status).toBe(403);
    expect((await json(again)).code).toBe('TicketInvalid');
  });

  it('refuses a missing, unknown, huge or repeated ticket, and the token in the query', async () => {
    const missing = await fetch(`${base()}/api/events`);
    expect(missing.status).toBe(401);
    expect((await json(missing)).code).toBe('TicketMissing');
    for (const query of ['ticket=nope', `ticket=${cloud.controlToken}`]) {
      const res = await fetch(`${base()}/api/events?${query}`);
      expect(res.status, query).toBe(403);
      await res.arrayBuffer();
    }
    for (const query of [`ticket=${'t'.repeat(100_00)}`, 'ticket=a&ticket=b', '__proto__=1', 'token=x']) {
      const res = await fetch(`${base()}/api/events?${query}`);
      expect(res.status, query.slice(0, 30)).toBe(400);
      await res.arrayBuffer();
    }
  });

  it('an expired ticket is refused (tickets last 30 s)', () => {
    let now = 1_000_000;
    const tickets = new Tickets(() => now);
    const { ticket } = tickets.issue();
    now += TICKET_LIFETIME_MS + 1;
    expect(tickets.redeem(ticket)).toBe('expired');
    const fresh = tickets.issue().ticket;
    expect(tickets.redeem(fresh)).toBe('ok');
    expect(tickets.redeem(fresh)).toBe('unknown');
    expect(tickets.redeem(undefined)).toBe('missing');
  });

  it('drops a client that stops reading; the cloud goes on answering', async () => {
    const listeners = () => cloud.cloud.events.listenerCount('event');
    const before = listeners();
    const { ticket } = await (await json(cloud.control('dashboard/api/ticket', { method: 'POST' })));
    // A client that never reads: the kernel's buffers fill, then the stream's own, up to its bound.
    const response = await new Promise<IncomingMessage>((resolve) => request(`${base()}/api/events?ticket=${ticket}`, resolve).end());
    response.pause();
    expect(response.statusCode).toBe(200);
    expect(listeners()).toBe(before + 1);
    const detail = 'x'.repeat(400);
    for (let round = 0; round < 500 && listeners() > before; round++) {
      // Events are emitted synchronously: a stream that cannot keep up may only buffer, never block.
      for (let i = 0; i < 200; i++) cloud.cloud.log({ service: 'test', action: 'Noise', detail });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(listeners()).toBe(before);
    // The dropped client sees its stream end once it reads again; the cloud answers as ever.
    const ended = new Promise((resolve) => response.socket.once('close', resolve));
    response.resume();
    await ended;
    expect((await cloud.control('dashboard/api/pipeline')).status).toBe(200);
  });
});

/** A response's JSON body, as the tests read it. */
function json(res: Response | Promise<Response>): Promise<any> {
  return Promise.resolve(res).then((r) => r.json());
}

/** A GET whose path and Host are sent exactly as written (fetch would normalise both). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: cloud.port, path, method: 'GET', headers: { host: `127.0.0.1:${cloud.port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
