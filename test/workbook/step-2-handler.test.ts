import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { BUNDLE_FILE, bundleHandler } from '../../lib/lambda.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { repoRoot } from './support.ts';

/**
 * The intake handler (solutions/02-intake-lambda), called in this process with API Gateway
 * events, sending to a real queue on the local cloud: validation, the queued message, failures.
 */
let cloud: TestCloud;
let sqs: SQSClient;
let queueUrl: string;
let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }))).QueueUrl!;
  // What Lambda would set: region, credentials, the endpoint (here the local cloud), QUEUE_URL.
  Object.assign(process.env, {
    AWS_REGION: cloud.clientConfig.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL: cloud.url,
    QUEUE_URL: queueUrl,
  });
  ({ handler } = await import('../../solutions/02-intake-lambda/handler.ts'));
  vi.spyOn(console, 'log').mockImplementation(() => {}); // the handler's log lines
});
afterAll(() => cloud.close());
beforeEach(async () => {
  process.env.QUEUE_URL = queueUrl;
  await queued(); // takes (and deletes) whatever an earlier test left
});

const context = { awsRequestId: 'request-1' } as Context;
const order = { customerId: 'c-1042', items: [{ sku: 'tea-earl-grey', quantity: 2 }] };

function event(body: string | null, headers: Record<string, string> = { 'Content-Type': 'application/json' }, base64 = false) {
  return { httpMethod: 'POST', path: '/orders', resource: '/orders', headers, body, isBase64Encoded: base64 } as unknown as APIGatewayProxyEvent;
}

async function post(body: string | null, headers?: Record<string, string>, base64?: boolean) {
  const result = await handler(event(body, headers, base64), context);
  return { status: result.statusCode, body: JSON.parse(result.body), headers: result.headers };
}

/** Everything on the queue, received and deleted. */
async function queued() {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
  );
  for (const m of Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  return Messages;
}

describe('the intake handler', () => {
  it('accepts a good order: 202 {orderId, status, acceptedAt} and one message with the order and its times', async () => {
    const before = Date.now();
    const answer = await post(JSON.stringify({ ...order, note: 'gift wrap' }));
    expect(answer.status).toBe(202);
    expect(answer.headers?.['Content-Type']).toMatch(/^application\/json/);
    expect(answer.body).toEqual({ orderId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'accepted', acceptedAt: expect.any(String) });

    const [message, ...rest] = await queued();
    expect(rest).toEqual([]);
    const body = JSON.parse(message.Body!);
    expect(body).toEqual({ orderId: answer.body.orderId, ...order, note: 'gift wrap', times: { acceptedAt: expect.any(Number), queuedAt: expect.any(Number) } });
    expect(body.times.acceptedAt).toBeGreaterThanOrEqual(before);
    expect(body.times.queuedAt).toBeGreaterThanOrEqual(body.times.acceptedAt);
    expect(new Date(answer.body.acceptedAt).getTime()).toBe(body.times.acceptedAt);
    expect(message.MessageAttributes).toEqual({
      orderId: { DataType: 'String', StringValue: answer.body.orderId },
      acceptedAt: { DataType: 'Number', StringValue: String(body.times.acceptedAt) },
    });
  });

  it('reads the Content-Type header in any case, with parameters, and a base64 body', async () => {
    const text = JSON.stringify(order);
    expect((await post(text, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
    expect((await post(Buffer.from(text).toString('base64'), { 'CONTENT-TYPE': 'application/json' }, true)).status).toBe(202);
    expect(await queued()).toHaveLength(2);
  });

  const refusals: [string, string | null, Record<string, string> | undefined, string, RegExp][] = [
    ['no Content-Type', JSON.stringify(order), {}, 'UnsupportedContentType', /no Content-Type/],
    ['text/plain', JSON.stringify(order), { 'Content-Type': 'text/plain' }, 'UnsupportedContentType', /"text\/plain"/],
    ['an empty body', null, undefined, 'InvalidJson', /the body is empty/],
    ['broken JSON', '{"customerId": "c-1", "items": [', undefined, 'InvalidJson', /not valid JSON/],
    ['a body over 16 KB', JSON.stringify({ ...order, note: 'x'.repeat(17_000) }), undefined, 'BodyTooLarge', /at most 16384/],
    ['a JSON array', '[]', undefined, 'InvalidOrder', /^\(the order\) must be a JSON object/],
    ['no customerId', JSON.stringify({ items: order.items }), undefined, 'InvalidOrder', /^customerId is required/],
    ['a customerId with spaces', JSON.stringify({ ...order, customerId: 'c 1' }), undefined, 'InvalidOrder', /^customerId may hold only/],
    ['a 65-character customerId', JSON.stringify({ ...order, customerId: 'c'.repeat(65) }), undefined, 'InvalidOrder', /at most 64 characters/],
    ['no items', JSON.stringify({ ...order, items: [] }), undefined, 'InvalidOrder', /^items must hold at least one item/],
    ['51 items', JSON.stringify({ ...order, items: Array.from({ length: 51 }, (_, i) => ({ sku: `s-${i}`, quantity: 1 })) }), undefined, 'InvalidOrder', /at most 50 items/],
    ['the same sku twice', JSON.stringify({ ...order, items: [{ sku: 'a', quantity: 1 }, { sku: 'a', quantity: 2 }] }), undefined, 'InvalidOrder', /each sku once/],
    ['quantity 0', JSON.stringify({ ...order, items: [{ sku: 'a', quantity: 0 }] }), undefined, 'InvalidOrder', /^items\[0\]\.quantity must be at least 1$/],
    ['quantity 2.5', JSON.stringify({ ...order, items: [{ sku: 'a', quantity: 2.5 }] }), undefined, 'InvalidOrder', /^items\[0\]\.quantity must be a whole number$/],
    ['quantity "2"', JSON.stringify({ ...order, items: [{ sku: 'a', quantity: '2' }] }), undefined, 'InvalidOrder', /must be a whole number/],
    ['quantity 1001', JSON.stringify({ ...order, items: [{ sku: 'a', quantity: 1001 }] }), undefined, 'InvalidOrder', /must be at most 1000/],
    ['an unknown field', JSON.stringify({ ...order, items: [{ sku: 'a', quantiy: 1 }] }), undefined, 'InvalidOrder', /items\[0\]\.quantity is required/],
    ['a note of 501 characters', JSON.stringify({ ...order, note: 'n'.repeat(501) }), undefined, 'InvalidOrder', /^note must be at most 500/],
  ];

  it.each(refusals)('refuses %s with 400 and the reason, and queues nothing', async (_label, body, headers, error, message) => {
    const answer = await post(body, headers ?? { 'Content-Type': 'application/json' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(error);
    expect(answer.body.message).toMatch(message);
    expect(await queued()).toEqual([]);
  });

  it('lists every problem of an invalid order, each with its path', async () => {
    const answer = await post(JSON.stringify({ customerId: '', items: [{ sku: 'a', quantity: 0, colour: 'red' }] }));
    expect(answer.body.problems).toEqual([
      { path: 'customerId', message: 'must not be empty' },
      { path: 'items[0].quantity', message: 'must be at least 1' },
      { path: 'items[0].colour', message: 'is not a field of an order' },
    ]);
    expect(answer.body.message).toBe('customerId must not be empty (and 2 more problem(s))');
  });

  it('answers 500 with the request id, and logs the cause, when the order cannot be queued', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      process.env.QUEUE_URL = `${cloud.url}/000000000000/no-such-queue`;
      const missing = await post(JSON.stringify(order));
      expect(missing.status).toBe(500);
      expect(missing.body).toMatchObject({ error: 'NotQueued', requestId: 'request-1' });
      expect(JSON.stringify(missing.body)).not.toMatch(/no-such-queue|QueueDoesNotExist/); // details stay in the log
      expect(logged.mock.calls.at(-1)?.[0]).toMatch(/could not queue the order .*"error":"QueueDoesNotExist"/);

      delete process.env.QUEUE_URL;
      expect((await post(JSON.stringify(order))).status).toBe(500);
      expect(logged.mock.calls.at(-1)?.[0]).toMatch(/QUEUE_URL is not set/);
    } finally {
      logged.mockRestore();
    }
  });
});

describe('bundleHandler (lib/lambda.ts)', () => {
  it('bundles the handler into one ESM file with a require, leaves the SDK out, and zips it the same way each time', async () => {
    const entry = join(repoRoot, 'solutions/02-intake-lambda/handler.ts');
    const first = await bundleHandler(entry);
    const again = await bundleHandler(new URL(`file://${entry}`));
    expect(again.sha256).toBe(first.sha256); // unchanged code is recognised by its CodeSha256
    const files = unzipSync(first.zip);
    expect(Object.keys(files)).toEqual([BUNDLE_FILE]);
    const code = Buffer.from(files[BUNDLE_FILE]).toString('utf8');
    expect(code.startsWith("import { createRequire as __workbookRequire } from 'node:module';")).toBe(true);
    expect(code).toMatch(/from "@aws-sdk\/client-sqs"/); // external: provided by the Lambda runtime
    expect(code).toContain('must be a whole number'); // order.ts and zod are inside
    expect(code).not.toContain('findBlanks'); // the unused todo() import is dropped
  });

  it('names the file and line when the handler does not build', async () => {
    const dir = mkdtempSync(join(workbookDir(), 'bundle-test-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'handler.ts'), 'export const handler = async () => {\n  return { statusCode: 200 ;\n};\n');
      const error = await bundleHandler(join(dir, 'handler.ts')).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(WorkbookError);
      expect((error as WorkbookError).message).toMatch(/^The handler does not build: \.workbook\/bundle-test-\w+\/handler\.ts:2: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The repository's .workbook folder (ignored by git), made if a fresh clone has none yet. */
function workbookDir(): string {
  const dir = join(repoRoot, '.workbook');
  mkdirSync(dir, { recursive: true });
  return dir;
}
