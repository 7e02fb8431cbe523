import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { startTestCloud, TEST_CREDENTIALS, TEST_REGION, type TestCloud } from '../../support/cloud.ts';
import { Sha256 } from '../../support/signed-fetch.ts';
import type { CloudEvent } from '../../../local-cloud/cloud.ts';

/** One request as a hostile client writes it. `path` is sent exactly as given. */
export interface HostileRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Signing name (sqs, sns, iam, sts, lambda, apigateway, logs, dynamodb); omitted: unsigned. */
  service?: string;
}

export interface HostileResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** SigV4 headers for a request, signed with the test credentials over the path as sent. */
export async function signedHeaders(port: number, req: HostileRequest): Promise<Record<string, string>> {
  // An absolute-form target is signed over its path, as a client behind a proxy signs it.
  const path = (req.path ?? '/').replace(/^https?:\/\/[^/?#]*/i, '') || '/';
  const [pathname, search = ''] = splitTarget(path);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const signer = new SignatureV4({ service: req.service!, region: TEST_REGION, credentials: TEST_CREDENTIALS, sha256: Sha256 });
  const signed = await signer.sign({
    method: req.method ?? 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: pathname,
    query,
    headers: { host: `127.0.0.1:${port}`, ...req.headers },
    body: req.body ?? '',
  });
  return signed.headers as Record<string, string>;
}

function splitTarget(path: string): [string, string?] {
  const i = path.indexOf('?');
  return i < 0 ? [path] : [path.slice(0, i), path.slice(i + 1)];
}

/** Sends one request with node:http (no Origin, Host 127.0.0.1:PORT) and reads the answer within a timeout. */
export async function send(cloud: TestCloud, req: HostileRequest, timeoutMs = 10_000): Promise<HostileResponse> {
  const headers = req.service ? await signedHeaders(cloud.port, req) : { host: `127.0.0.1:${cloud.port}`, ...req.headers };
  return new Promise((resolve, reject) => {
    const out = request(
      { host: '127.0.0.1', port: cloud.port, method: req.method ?? 'POST', path: req.path ?? '/', headers, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    out.on('timeout', () => out.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    out.on('error', reject);
    out.end(req.body);
  });
}

/** What came back on a raw socket: the status line's code (0: none), and everything read. */
export interface RawExchange {
  status: number;
  text: string;
  /** How the connection ended: closed by the server, or still open when the timeout struck. */
  ended: 'closed' | 'timeout';
}

/**
 * Writes raw bytes on a fresh connection and reads until the server closes it, or `timeoutMs`
 * once a full answer arrived. `halfClose` ends the client's side after writing (shutdown(SHUT_WR));
 * `hangUpAfterMs` drops the connection instead, without reading anything.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  options: { halfClose?: boolean; hangUpAfterMs?: number; timeoutMs?: number; gapMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const received: Buffer[] = [];
    let done = false;
    const finish = (ended: RawExchange['ended']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : 0, text, ended });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 5_000);
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('end', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? finish('closed') : reject(err)));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
      if (options.hangUpAfterMs !== undefined) {
        setTimeout(() => finish('closed'), options.hangUpAfterMs);
      } else if (options.halfClose) socket.end();
    });
  });
}

/** A request's head and body as raw bytes, signed when `service` is given. */
export async function rawRequest(port: number, req: HostileRequest & { declaredLength?: string }): Promise<string> {
  const method = req.method ?? 'POST';
  const body = req.body === undefined ? '' : req.body.toString();
  const headers = req.service ? await signedHeaders(port, req) : { host: `127.0.0.1:${port}`, ...req.headers };
  const lines = Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'content-length').map(([k, v]) => `${k}: ${v}`);
  lines.push(`content-length: ${req.declaredLength ?? Buffer.byteLength(body)}`);
  return `${method} ${req.path ?? '/'} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** The protocols' error shapes, and the code each carries. */
export type Shape = 'json' | 'query' | 'lambda' | 'apigateway' | 'execute-api' | 'http';

export function errorCodeOf(shape: Shape, res: HostileResponse): string | undefined {
  switch (shape) {
    case 'json': {
      const type = (JSON.parse(res.text) as { __type?: string }).__type;
      return type?.slice(type.lastIndexOf('#') + 1);
    }
    case 'query':
      expect(res.text).toMatch(/<ErrorResponse[\s>][\s\S]*<Error>[\s\S]*<Message>/);
      return /<Code>([^<]*)<\/Code>/.exec(res.text)?.[1];
    case 'lambda': {
      const body = JSON.parse(res.text) as { Type?: string; Message?: string };
      expect(typeof body.Message).toBe('string');
      return String(res.headers['x-amzn-errortype'] ?? '').split(':')[0];
    }
    case 'apigateway': {
      const body = JSON.parse(res.text) as { message?: string; Message?: string };
      expect(typeof (body.message ?? body.Message)).toBe('string');
      return String(res.headers['x-amzn-errortype'] ?? '').split(':')[0];
    }
    case 'execute-api':
      expect(typeof (JSON.parse(res.text) as { message?: string }).message).toBe('string');
      return String(res.headers['x-amzn-errortype'] ?? '') || undefined;
    case 'http':
      return undefined;
  }
}

/** One row of a hostile table: a request and the AWS-style error it must get. */
export interface HostileCase {
  name: string;
  request: HostileRequest | ((ctx: HostileContext) => HostileRequest | Promise<HostileRequest>);
  shape: Shape;
  /** The error code the body must carry (any of them, for codes AWS spells two ways). */
  code: string | string[];
  /** Exact status, when it matters; otherwise any 4xx. */
  status?: number;
}

/** Names of things the tables refer to, made once per suite. */
export interface HostileContext {
  cloud: TestCloud;
  [name: string]: unknown;
}

/** Sends a case and checks the answer: a 4xx in the protocol's error shape with the expected code. */
export async function expectRefused(ctx: HostileContext, row: HostileCase): Promise<void> {
  const req = typeof row.request === 'function' ? await row.request(ctx) : row.request;
  const res = await send(ctx.cloud, req);
  if (row.status) expect(res.status, res.text).toBe(row.status);
  expect(res.status, res.text).toBeGreaterThanOrEqual(400);
  expect(res.status, res.text).toBeLessThan(500);
  const codes = Array.isArray(row.code) ? row.code : [row.code];
  expect(codes, res.text).toContain(errorCodeOf(row.shape, res));
}

/**
 * A cloud for a hostile suite, watched: every answer it logs, errors it reports on its own, and
 * what appears in the system temp folder while it runs (it must write only in its data folder).
 */
export interface Watch {
  cloud: TestCloud;
  events: CloudEvent[];
  /** The temp folder this cloud (and its workers) see: TMPDIR points here while it runs. */
  privateTmp: string;
  stop(): Promise<void>;
}

export async function startWatchedCloud(): Promise<Watch> {
  const previousTmp = process.env.TMPDIR;
  const privateTmp = mkdtempSync(join(tmpdir(), 'hostile-tmp-'));
  process.env.TMPDIR = privateTmp;
  const cloud = await startTestCloud();
  const events: CloudEvent[] = [];
  cloud.cloud.events.on('event', (e) => events.push(e));
  return {
    cloud,
    events,
    privateTmp,
    stop: async () => {
      await cloud.close();
      if (previousTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmp;
      rmSync(privateTmp, { recursive: true, force: true });
    },
  };
}

/** The cloud still answers an ordinary signed call (STS GetCallerIdentity). */
export async function expectHealthy(cloud: TestCloud): Promise<void> {
  const res = await send(cloud, {
    service: 'sts',
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=GetCallerIdentity&Version=2011-06-15',
  });
  expect(res.status, res.text).toBe(200);
}

/**
 * The end of a suite: no 5xx was logged and no error escaped a request, nothing new in the temp
 * folder but the cloud's own data folder, and Object.prototype is as it was.
 */
export async function expectUnharmed(watch: Watch): Promise<void> {
  await expectHealthy(watch.cloud);
  const serverErrors = watch.events.filter((e) => (e.status ?? 0) >= 500 && e.service !== 'execute-api');
  expect(serverErrors.map((e) => `${e.service} ${e.action} ${e.status} ${e.error ?? ''}`)).toEqual([]);
  expect(watch.events.filter((e) => e.service === 'cloud')).toEqual([]);
  expect(readdirSync(watch.privateTmp)).toEqual([basename(watch.cloud.dataDir)]);
  expectPrototypesClean();
}

export function expectPrototypesClean(): void {
  const names = ['methodIntegration', 'httpMethod', 'type', 'a', 'polluted', 'Name', 'Value', 'DataType', 'x', 'X'];
  for (const name of names) expect(Object.hasOwn(Object.prototype, name), `Object.prototype.${name}`).toBe(false);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PRISTINE_OBJECT_PROTOTYPE);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

const PRISTINE_OBJECT_PROTOTYPE = Object.getOwnPropertyNames(Object.prototype).sort();

/** Splits rows into batches, so a health check can follow each batch. */
export function batches<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const JSON_10 = { 'content-type': 'application/x-amz-json-1.0' };
export const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };
export const HOSTILE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
