import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectHealthy, expectUnharmed, rawExchange, rawRequest, send, startWatchedCloud, FORM, JSON_10,
  type RawExchange, type Watch,
} from './support.ts';

/**
 * Malformed HTTP and hostile connections: every one gets a proper status line (or, for a client
 * that hangs up, nothing is owed), and the cloud keeps serving.
 */

interface RawCase {
  name: string;
  /** The bytes to write, given the port (signed requests need it). */
  bytes: (port: number) => Promise<(string | Buffer)[]> | (string | Buffer)[];
  status: number;
  options?: Parameters<typeof rawExchange>[2];
  /** Text the answer must contain (an error code or message). */
  contains?: string;
}

const head = (port: number, lines: string[]) => `${lines[0]}\r\nHost: 127.0.0.1:${port}\r\n${lines.slice(1).map((l) => `${l}\r\n`).join('')}\r\n`;
const listQueues = (port: number, path = '/') =>
  rawRequest(port, { service: 'sqs', path, headers: { ...JSON_10, 'x-amz-target': 'AmazonSQS.ListQueues' }, body: '{}' });

const rawCases: RawCase[] = [
  { name: 'an unknown method', bytes: (p) => [head(p, ['FOO / HTTP/1.1'])], status: 400 },
  { name: 'a method of 1 KB', bytes: (p) => [head(p, [`${'X'.repeat(1024)} / HTTP/1.1`])], status: 400 },
  { name: 'Content-Length: abc', bytes: (p) => [head(p, ['POST / HTTP/1.1', 'Content-Length: abc'])], status: 400 },
  { name: 'Content-Length: -1', bytes: (p) => [head(p, ['POST / HTTP/1.1', 'Content-Length: -1'])], status: 400 },
  { name: 'two different Content-Lengths', bytes: (p) => [head(p, ['POST / HTTP/1.1', 'Content-Length: 1', 'Content-Length: 2'])], status: 400 },
  { name: 'Content-Length with Transfer-Encoding: chunked', bytes: (p) => [head(p, ['POST / HTTP/1.1', 'Content-Length: 3', 'Transfer-Encoding: chunked']) + '0\r\n\r\n'], status: 400 },
  { name: 'a bad chunk size', bytes: (p) => [head(p, ['POST / HTTP/1.1', 'Transfer-Encoding: chunked']) + 'zz\r\nabc\r\n0\r\n\r\n'], status: 400 },
  { name: 'a 20 KB header', bytes: (p) => [head(p, ['GET / HTTP/1.1', `X-Big: ${'a'.repeat(20_000)}`])], status: 431 },
  { name: '300 headers of 100 bytes', bytes: (p) => [head(p, ['GET / HTTP/1.1', ...Array.from({ length: 300 }, (_, i) => `X-H${i}: ${'v'.repeat(100)}`)])], status: 431 },
  { name: 'a header with NUL', bytes: (p) => [head(p, ['GET / HTTP/1.1', 'X-Nul: a\u0000b'])], status: 400 },
  { name: 'a header name with a space', bytes: (p) => [head(p, ['GET / HTTP/1.1', 'Bad Name: x'])], status: 400 },
  { name: 'HTTP/9.9', bytes: (p) => [head(p, ['GET / HTTP/9.9'])], status: 400 },
  { name: 'garbage instead of a request line', bytes: () => ['\u0001\u0002\u0003 garbage\r\n\r\n'], status: 400 },
  { name: 'a bare LF request', bytes: () => ['GET / HTTP/1.1\nHost: x\n\n\u0000'], status: 400 },
  {
    name: 'absolute-form target (signed SQS JSON)',
    bytes: async (p) => [await listQueues(p, `http://127.0.0.1:${p}/`)],
    status: 200,
  },
  {
    name: 'absolute-form target to an unknown REST path',
    bytes: async (p) => [await rawRequest(p, { service: 'lambda', method: 'GET', path: `http://127.0.0.1:${p}/nothing/here` })],
    status: 404,
    contains: 'UnknownOperationException',
  },
  {
    name: 'absolute-form target to execute-api',
    bytes: (p) => [head(p, [`GET http://127.0.0.1:${p}/restapis/none/prod/_user_request_/x HTTP/1.1`])],
    status: 403,
    contains: 'Missing Authentication Token',
  },
  {
    name: 'asterisk-form target',
    bytes: (p) => [head(p, ['OPTIONS * HTTP/1.1'])],
    status: 403, // read as "/": an unsigned call there
  },
  {
    name: 'a half-close after a complete signed request',
    bytes: async (p) => [await listQueues(p)],
    status: 200,
    options: { halfClose: true },
  },
  {
    name: 'a half-close after an unsigned execute-api call',
    bytes: (p) => [head(p, ['GET /restapis/none/prod/_user_request_/ HTTP/1.1'])],
    status: 403,
    options: { halfClose: true },
  },
  {
    name: 'a half-close mid-body (the body is incomplete)',
    bytes: async (p) => [(await rawRequest(p, { service: 'sqs', path: '/', headers: { ...JSON_10, 'x-amz-target': 'AmazonSQS.ListQueues' }, body: '{}', declaredLength: '10' }))],
    status: 400,
    options: { halfClose: true },
  },
  {
    name: 'a body over the limit, declared and sent',
    bytes: (p) => [head(p, ['POST / HTTP/1.1', 'Content-Type: application/x-amz-json-1.0', 'X-Amz-Target: AmazonSQS.ListQueues', `Content-Length: ${17 * 1024 * 1024}`]), Buffer.alloc(17 * 1024 * 1024, 0x20)],
    status: 413,
    options: { timeoutMs: 15_000 },
    contains: 'RequestEntityTooLarge',
  },
  {
    name: 'a chunked body over the limit',
    bytes: (p) => [head(p, ['POST /2015-03-31/functions/any/invocations HTTP/1.1', 'Content-Type: application/json', 'Transfer-Encoding: chunked']), ...Array.from({ length: 17 }, () => `100000\r\n${' '.repeat(0x100000)}\r\n`), '0\r\n\r\n'],
    status: 413,
    options: { timeoutMs: 15_000 },
  },
  {
    name: 'an execute-api body over 10 MB',
    bytes: (p) => [head(p, ['POST /restapis/none/prod/_user_request_/x HTTP/1.1', `Content-Length: ${11 * 1024 * 1024}`]), Buffer.alloc(11 * 1024 * 1024, 0x61)],
    status: 413,
    options: { timeoutMs: 15_000 },
    contains: 'Request Too Long',
  },
];

/** Connections that hang up: nothing is owed to them, but the cloud must not suffer. */
const hangUps: { name: string; bytes: (port: number) => Promise<string[]> | string[]; gapMs?: number }[] = [
  { name: 'mid-headers', bytes: (p) => [`POST / HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nX-Amz-Tar`] },
  { name: 'mid-body of a DynamoDB call', bytes: async (p) => [(await rawRequest(p, { service: 'dynamodb', path: '/', headers: { ...JSON_10, 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{"Limit":', declaredLength: '100' }))] },
  { name: 'mid-body of an SQS JSON call', bytes: async (p) => [(await rawRequest(p, { service: 'sqs', path: '/', headers: { ...JSON_10, 'x-amz-target': 'AmazonSQS.CreateQueue' }, body: '{"QueueN', declaredLength: '50' }))] },
  { name: 'mid-body of a query call', bytes: async (p) => [(await rawRequest(p, { service: 'sns', path: '/', headers: FORM, body: 'Action=CreateTopic&Na', declaredLength: '60' }))] },
  { name: 'mid-body of a Lambda call', bytes: async (p) => [(await rawRequest(p, { service: 'lambda', path: '/2015-03-31/functions', headers: { 'content-type': 'application/json' }, body: '{"Fun', declaredLength: '500' }))] },
  { name: 'mid-body of an execute-api call', bytes: (p) => [`POST /restapis/x/prod/_user_request_/ HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nContent-Length: 100\r\n\r\nabc`] },
  { name: 'slowly, a byte at a time, then gone', bytes: (p) => [...`POST / HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nContent-Length: 40\r\n\r\n{"a`], gapMs: 5 },
  { name: 'after a chunk of a chunked body', bytes: (p) => [`POST /2015-03-31/functions HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n`] },
];

describe('hostile HTTP', () => {
  let watch: Watch;
  beforeAll(async () => {
    watch = await startWatchedCloud();
  });
  afterAll(async () => {
    await expectUnharmed(watch);
    await watch.stop();
  });

  describe('malformed requests get a status line, not a reset', () => {
    for (const row of rawCases) {
      it(`${row.name} → ${row.status}`, async () => {
        const answer: RawExchange = await rawExchange(watch.cloud.port, await row.bytes(watch.cloud.port), { timeoutMs: 1_500, ...row.options });
        expect(answer.status, answer.text.slice(0, 300)).toBe(row.status);
        if (row.contains) expect(answer.text).toContain(row.contains);
        if (row.status >= 400 && row.status !== 404 && row.status !== 403) expect(answer.ended).toBe('closed');
      });
    }
    it('the cloud still answers', () => expectHealthy(watch.cloud));
  });

  describe('clients that hang up', () => {
    for (const row of hangUps) {
      it(`hangs up ${row.name}`, async () => {
        const answer = await rawExchange(watch.cloud.port, await row.bytes(watch.cloud.port), { hangUpAfterMs: 50, gapMs: row.gapMs });
        expect(answer.status).toBe(0); // gone before any answer was due
        await expectHealthy(watch.cloud);
      });
    }
  });

  describe('the live log survives hostile targets', () => {
    it('a listener that formats every event, as `npm run local` does, sees them all and nothing throws', async () => {
      const seen: string[] = [];
      const listener = (e: { service: string; action: string }) => seen.push(`${e.service.padEnd(10)} ${e.action.padEnd(28)}`);
      watch.cloud.cloud.events.on('event', listener);
      try {
        for (const target of ['__proto__.ListQueues', 'constructor.ListQueues', 'toString.ListQueues', 'DynamoDB_20120810.__proto__']) {
          const res = await send(watch.cloud, { service: target.startsWith('DynamoDB') ? 'dynamodb' : 'sqs', path: '/', headers: { ...JSON_10, 'x-amz-target': target }, body: '{}' });
          expect(res.status, res.text).toBe(400);
          expect(JSON.parse(res.text).__type).toMatch(/UnknownOperationException$/);
        }
      } finally {
        watch.cloud.cloud.events.off('event', listener);
      }
      expect(seen).toHaveLength(4);
    });

    it('keep-alive: many hostile requests on one connection, each answered in order', async () => {
      const p = watch.cloud.port;
      const one = await listQueues(p);
      const answer = await rawExchange(p, [one, one, head(p, ['GET /restapis/none/prod/_user_request_/ HTTP/1.1']), one], { timeoutMs: 1_500 });
      expect(answer.text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 403', 'HTTP/1.1 200']);
    });
  });
});
