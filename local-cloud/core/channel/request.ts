import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { decodeBody, type ChannelRequest } from './messages.ts';

/** Node's own bounds on a request head (--max-http-header-size's default, the request line's length). */
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_PATH_LENGTH = 16 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node's parser refuses in a request target: controls, space, DEL, and anything past ASCII. */
const BAD_TARGET = /[^\x21-\x7e]/;
/** What Node's parser refuses in a header value: control characters other than tab, and DEL. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/**
 * Past the largest body any service reads (a Lambda code upload: 70 MB and its slack), a body is not
 * even decoded: 413. Below it, the pipeline applies each operation's own limit, as over HTTP.
 */
const MAX_CHANNEL_BODY_BYTES = 80 * 1024 * 1024;

/**
 * A message a worker sent that no HTTP parser would have taken: answered 400 (431 for an oversized
 * head), as Node answers; 413 for a body past anything the cloud reads, as core/http/body.ts answers.
 */
export class MalformedChannelRequest extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 431 = 400,
  ) {
    super(message);
  }
}

/**
 * Reads a worker's request message. It comes from the function's process, so it is checked as
 * strictly as Node's HTTP parser checks a request off the wire: the SDK's own requests always pass.
 */
export function readChannelRequest(message: Record<string, unknown>): ChannelRequest {
  const { method, path, headers, body, encoding } = message;
  if (typeof method !== 'string' || !/^[A-Z]{1,20}$/.test(method)) throw new MalformedChannelRequest('invalid method');
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > MAX_PATH_LENGTH || BAD_TARGET.test(path)) {
    throw new MalformedChannelRequest('invalid request target');
  }
  if (!Array.isArray(headers)) throw new MalformedChannelRequest('invalid headers');
  const seen = new Set<string>();
  let headBytes = method.length + path.length;
  const pairs: Array<[string, string]> = [];
  for (const entry of headers as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new MalformedChannelRequest('invalid header');
    const [name, raw] = entry as unknown[];
    if (typeof name !== 'string' || !TOKEN.test(name) || typeof raw !== 'string' || BAD_VALUE.test(raw)) {
      throw new MalformedChannelRequest('invalid header');
    }
    // The parser drops the spaces and tabs around a value.
    const value = raw.replace(/^[\t ]+|[\t ]+$/g, '');
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new MalformedChannelRequest(`header ${lower.slice(0, 40)} repeated`);
    seen.add(lower);
    headBytes += name.length + value.length + 4;
    if (headBytes > MAX_HEADER_BYTES) throw new MalformedChannelRequest('request header fields too large', 431);
    pairs.push([name, value]);
  }
  if (typeof body !== 'string' || (encoding !== 'utf8' && encoding !== 'base64')) throw new MalformedChannelRequest('invalid body');
  // Not decoded past what any request may carry: a UTF-8 character is at least one byte, four base64 characters three.
  const least = encoding === 'utf8' ? body.length : Math.floor((body.length * 3) / 4) - 2;
  if (least > MAX_CHANNEL_BODY_BYTES) throw new MalformedChannelRequest('request entity too large', 413);
  return { method, path, headers: pairs, body: decodeBody(body, encoding) };
}

/**
 * The request as the server's pipeline reads it: a real IncomingMessage, complete, its body
 * ready to be read, from a peer on loopback.
 */
export function incomingMessage(request: ChannelRequest, port: number): IncomingMessage {
  const socket = { readable: false, destroyed: false, remoteAddress: '127.0.0.1', remotePort: 0, localAddress: '127.0.0.1', localPort: port };
  const req = new IncomingMessage(socket as unknown as Socket);
  req.method = request.method;
  req.url = request.path;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  // Names are unique (readChannelRequest), so each view of them holds one value per name.
  const headers: Record<string, string> = Object.create(null);
  const distinct: Record<string, string[]> = Object.create(null);
  const raw: string[] = [];
  for (const [name, value] of request.headers) {
    headers[name.toLowerCase()] = value;
    distinct[name.toLowerCase()] = [value];
    raw.push(name, value);
  }
  req.headers = headers;
  req.headersDistinct = distinct;
  req.rawHeaders = raw;
  req.complete = true;
  if (request.body.length > 0) req.push(request.body);
  req.push(null);
  return req;
}
