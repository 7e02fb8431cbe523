/**
 * The benchmark's load generator, a process of its own so that its CPU is counted apart from
 * the local cloud's: it POSTs orders over HTTP to the stage's /orders at a steady rate, and
 * bursts PutItem calls with the SDK for the raw DynamoDB rate. bench.ts forks it and talks to it
 * over the IPC channel (load-messages.ts); the environment it inherits aims the SDK at the cloud.
 */
import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../../lib/clients.ts';
import { percentile } from '../../lib/latency-report.ts';
import { plannedOrders, type LoadReply, type LoadRequest, type OrdersRequest, type OrdersResult, type PutsRequest, type PutsResult } from './load-messages.ts';

const reply = (message: LoadReply) => process.send!(message);

process.on('message', (request: LoadRequest) => {
  if (request.kind === 'exit') {
    process.disconnect();
    return;
  }
  const work = request.kind === 'orders' ? sendOrders(request) : burstPuts(request);
  work.then(reply, (err: Error) => reply({ kind: 'failed', error: err.stack ?? err.message }));
});
reply({ kind: 'ready' });

/**
 * Open loop: order i leaves at start + i / rate, whether or not earlier ones have been answered,
 * as a shop's visitors do not wait for each other; only the concurrency bound holds one back.
 */
async function sendOrders(p: OrdersRequest): Promise<OrdersResult> {
  const count = plannedOrders(p.rate, p.seconds);
  const acceptedOrderIds: string[] = [];
  const statuses: Record<string, number> = {};
  const refusals: string[] = [];
  const answerMs: number[] = [];
  const open = new Set<Promise<void>>();
  let sent = 0;
  let answered = 0;
  let late = 0;
  const progress = setInterval(() => reply({ kind: 'progress', sent, accepted: acceptedOrderIds.length, answered }), 200);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    while (sent < count) {
      const early = started + (sent * 1000) / p.rate - performance.now();
      if (early > 1) await delay(early); // pacing: a timer is the right tool for "at this time"
      while (open.size >= p.concurrency) await Promise.race(open);
      if (performance.now() - (started + (sent * 1000) / p.rate) > 100) late++;
      const request = postOne(p, sent).then(({ status, text, ms }) => {
        answered++;
        answerMs.push(ms);
        statuses[status] = (statuses[status] ?? 0) + 1;
        const orderId = status === 202 ? orderIdOf(text) : undefined;
        if (orderId) acceptedOrderIds.push(orderId);
        else if (refusals.length < 5) refusals.push(`${status || 'no answer'}: ${text.slice(0, 200)}`);
        open.delete(request);
      });
      open.add(request);
      sent++;
    }
    await Promise.all(open);
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  answerMs.sort((a, b) => a - b);
  return {
    kind: 'orders-done',
    sent,
    acceptedOrderIds,
    statuses,
    refusals,
    seconds,
    answerP50Ms: percentile(answerMs, 50),
    answerP99Ms: percentile(answerMs, 99),
    late,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

const SKUS = ['tea-earl-grey', 'tea-sencha', 'mug-blue', 'biscuits-ginger'];

/**
 * Kept-alive connections through node:http, not fetch(): the shop's side should cost little next
 * to the pipeline it measures (fetch spends several times the CPU per request).
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function postOne(p: OrdersRequest, index: number): Promise<{ status: number; text: string; ms: number }> {
  const order = {
    customerId: `${p.label}-${index % 1000}`,
    items: [{ sku: SKUS[index % SKUS.length], quantity: 1 + (index % 3) }],
    note: 'sent by npm run bench',
  };
  const body = JSON.stringify(order);
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const failed = (err: Error) => resolve({ status: 0, text: `${err.name}: ${err.message}`, ms: performance.now() - sentAt });
    const req = httpRequest(
      p.url,
      { method: 'POST', agent, timeout: 30_000, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - sentAt }));
        res.on('error', failed);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', failed);
    req.end(body);
  });
}

function orderIdOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { orderId?: unknown };
    return typeof body.orderId === 'string' ? body.orderId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * PutItem as fast as `concurrency` open calls allow: items shaped like the recorder's (ten
 * attributes, ~400 bytes) but with no condition and no index, the plain cost of a write.
 */
async function burstPuts(p: PutsRequest): Promise<PutsResult> {
  const db = dynamoDbClient();
  let puts = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const endAt = started + p.seconds * 1000;
  const put = async (n: number) => {
    const now = new Date();
    await db.send(
      new PutItemCommand({
        TableName: p.table,
        Item: {
          pk: { S: `item-${n}` },
          sk: { S: `${now.toISOString()}#confirmed` },
          eventId: { S: crypto.randomUUID() },
          messageId: { S: crypto.randomUUID() },
          status: { S: 'confirmed' },
          eventTime: { S: now.toISOString() },
          eventEpochMs: { N: String(now.getTime()) },
          customerId: { S: `raw-${n % 1000}` },
          times: { M: { acceptedAt: { N: String(now.getTime()) }, recordedAt: { N: String(now.getTime()) } } },
          note: { S: 'x'.repeat(120) },
        },
      }),
    );
  };
  let next = 0;
  const lane = async () => {
    while (performance.now() < endAt) {
      try {
        await put(next++);
        puts++;
      } catch (err) {
        errors++;
        firstError ??= `${(err as Error).name}: ${(err as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: p.concurrency }, lane));
  db.destroy();
  return { kind: 'puts-done', puts, errors, firstError, seconds: (performance.now() - started) / 1000 };
}
