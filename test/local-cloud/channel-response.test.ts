import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ResponseCollector } from '../../local-cloud/core/channel/response.ts';
import { incomingMessage, MalformedChannelRequest, readChannelRequest } from '../../local-cloud/core/channel/request.ts';
import { encodeBody, decodeBody, type ChannelResponse } from '../../local-cloud/core/channel/messages.ts';
import { readBody } from '../../local-cloud/core/http/body.ts';

/** The stand-ins the server's pipeline reads and writes for a request that came over a sandbox's channel. */
const collect = (method = 'POST') => {
  let answer: ChannelResponse | undefined | 'pending' = 'pending';
  const res = new ResponseCollector(method, (a) => (answer = a));
  return { res, answer: () => answer };
};

describe('ResponseCollector', () => {
  it('collects status, headers and body; adds Date and Content-Length as Node would; finish comes before close', async () => {
    const { res, answer } = collect();
    const order: string[] = [];
    res.on('finish', () => order.push('finish'));
    res.on('close', () => order.push('close'));
    res.setHeader('X-Amzn-RequestId', 'r1');
    res.writeHead(201, { 'Content-Type': 'application/x-amz-json-1.0', skipped: undefined });
    res.write('{"a":');
    res.end(Buffer.from('"é"}'));
    expect(res.writableEnded).toBe(true);
    await once(res, 'close');
    expect(order).toEqual(['finish', 'close']);
    expect(res.writableFinished).toBe(true);
    const out = answer() as ChannelResponse;
    expect(out.status).toBe(201);
    expect(out.body.toString('utf8')).toBe('{"a":"é"}');
    expect(Object.fromEntries(out.headers)).toEqual({
      'x-amzn-requestid': 'r1',
      'content-type': 'application/x-amz-json-1.0',
      date: expect.stringMatching(/GMT$/),
      'content-length': String(Buffer.byteLength('{"a":"é"}')),
    });
  });

  it('refuses to change headers once sent, as ServerResponse does', () => {
    const { res } = collect();
    res.writeHead(200);
    expect(() => res.setHeader('x', '1')).toThrow(expect.objectContaining({ code: 'ERR_HTTP_HEADERS_SENT' }));
    expect(() => res.writeHead(500)).toThrow(expect.objectContaining({ code: 'ERR_HTTP_HEADERS_SENT' }));
    expect(() => res.removeHeader('x')).toThrow(expect.objectContaining({ code: 'ERR_HTTP_HEADERS_SENT' }));
  });

  it('a HEAD answer has no body; headers given as a flat array count', async () => {
    const { res, answer } = collect('HEAD');
    res.writeHead(200, ['Content-Type', 'text/plain']);
    res.end('ignored');
    await once(res, 'close');
    const out = answer() as ChannelResponse;
    expect(out.body.length).toBe(0);
    expect(out.headers).toContainEqual(['content-type', 'text/plain']);
  });

  it('abandoned or destroyed before the end: no answer, and close without finish (a long poll stops)', async () => {
    for (const cut of ['abandon', 'destroy'] as const) {
      const { res, answer } = collect();
      res[cut]();
      await once(res, 'close');
      expect(res.writableFinished).toBe(false);
      expect(answer()).toBeUndefined();
      res.end('too late');
      expect(answer()).toBeUndefined();
    }
  });
});

describe('ResponseCollector refuses what ServerResponse refuses', () => {
  it('a header name that is no token, a value with a line break; an answer without a body by its status has no length', async () => {
    const { res, answer } = collect();
    expect(() => res.setHeader('bad name', 'x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_HTTP_TOKEN' }));
    expect(() => res.setHeader('x-split', 'a\r\nx-injected: 1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
    expect(() => res.writeHead(200, { 'x-split': 'a\nb' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
    res.write('12345');
    expect(res.writableLength).toBe(5);
    res.statusCode = 204;
    const empty = collect();
    empty.res.writeHead(204).end();
    await once(empty.res, 'close');
    expect((empty.answer() as ChannelResponse).headers.map(([name]) => name)).not.toContain('content-length');
    res.destroy();
    expect(answer()).toBeUndefined();
  });
});

describe("a worker's request message", () => {
  const message = (over: Record<string, unknown>) => ({ method: 'GET', path: '/', headers: [['host', '127.0.0.1:1']], body: '', encoding: 'utf8', ...over });

  it('has its header values checked as Node parses them: controls refused, spaces around trimmed', () => {
    for (const value of ['a\x01b', 'a\x7fb', 'a\u0100b']) {
      expect(() => readChannelRequest(message({ headers: [['x-v', value]] }))).toThrow(MalformedChannelRequest);
    }
    expect(readChannelRequest(message({ headers: [['x-v', ' \tpadded value\t ']] })).headers).toEqual([['x-v', 'padded value']]);
  });

  it('takes no other types than the wire has (structured clone carries Maps, typed arrays, boxed strings)', () => {
    const odd = [new Map(), new Uint8Array(3), Object('GET'), 1n, null];
    for (const value of odd) {
      for (const field of ['method', 'path', 'headers', 'body', 'encoding']) {
        expect(() => readChannelRequest(message({ [field]: value }))).toThrow(MalformedChannelRequest);
      }
    }
  });
});

describe('the request as the pipeline reads it', () => {
  it('is a complete IncomingMessage: method, target, headers in every view, and its body', async () => {
    const req = incomingMessage(
      { method: 'POST', path: '/?Action=ListQueues', headers: [['Host', '127.0.0.1:4566'], ['X-Amz-Target', 'a.b']], body: Buffer.from('{"x":1}') },
      4566,
    );
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/?Action=ListQueues');
    expect(req.headers.host).toBe('127.0.0.1:4566');
    expect(req.headersDistinct['x-amz-target']).toEqual(['a.b']);
    expect(req.rawHeaders).toEqual(['Host', '127.0.0.1:4566', 'X-Amz-Target', 'a.b']);
    expect((await readBody(req)).toString()).toBe('{"x":1}');
    expect(req.complete).toBe(true);
  });
});

describe('bodies on the channel', () => {
  it('UTF-8 travels as text, other bytes as base64, both unchanged', () => {
    const text = Buffer.from('{"k":"ü ✓"}');
    expect(encodeBody(text)).toEqual({ body: '{"k":"ü ✓"}', encoding: 'utf8' });
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    const sent = encodeBody(bytes);
    expect(sent.encoding).toBe('base64');
    expect(decodeBody(sent.body, sent.encoding).equals(bytes)).toBe(true);
  });
});
