import { EventEmitter } from 'node:events';
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import type { ChannelResponse } from './messages.ts';

/**
 * Where the server's pipeline writes an answer to a request that came over a sandbox's channel:
 * the parts of ServerResponse that the cloud and dynalite use, collecting the answer instead of
 * writing it to a socket. It behaves as Node's does where they could tell: headers cannot change
 * once sent, `finish` then `close` follow `end`, a Date header is added, and a destroyed or
 * abandoned exchange closes without an answer (the worker sees a dropped connection).
 */
export class ResponseCollector extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  sendDate = true;
  shouldKeepAlive = true;
  /** No socket: hangUpSignal() then listens to `close` alone. */
  readonly socket = null;
  private readonly headers = new Map<string, OutgoingHttpHeader>();
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private closed = false;
  private settled = false;

  /** `done` gets the answer once it is complete, or undefined when the exchange was cut. */
  constructor(
    private readonly method: string,
    private readonly done: (answer: ChannelResponse | undefined) => void,
  ) {
    super();
  }

  get finished(): boolean {
    return this.writableEnded;
  }

  /** What waits for the reader: the whole answer until it ends (an endless stream meets its writer's limit). */
  get writableLength(): number {
    return this.buffered;
  }

  /** Refuses what ServerResponse refuses: a name that is no token, a value with a line break or past Latin-1. */
  setHeader(name: string, value: OutgoingHttpHeader): this {
    if (this.headersSent) throw headersSent('set');
    validateHeaderName(name);
    for (const one of Array.isArray(value) ? value : [value]) validateHeaderValue(name, String(one));
    this.headers.set(name.toLowerCase(), value);
    return this;
  }

  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this.headers.get(name.toLowerCase());
  }

  getHeaders(): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = Object.create(null);
    for (const [name, value] of this.headers) headers[name] = value;
    return headers;
  }

  hasHeader(name: string): boolean {
    return this.headers.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    if (this.headersSent) throw headersSent('remove');
    this.headers.delete(name.toLowerCase());
  }

  writeHead(status: number, reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    if (this.headersSent) throw headersSent('write');
    if (typeof reason !== 'string') {
      headers = reason;
      reason = undefined;
    }
    this.statusCode = status;
    if (reason) this.statusMessage = reason;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(String(headers[i]), headers[i + 1]);
    } else if (headers) {
      for (const [name, value] of Object.entries(headers)) if (value !== undefined) this.setHeader(name, value);
    }
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void), callback?: () => void): boolean {
    if (this.writableEnded) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : Buffer.from(chunk);
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    if (callback) process.nextTick(callback);
    return true;
  }

  end(chunk?: string | Uint8Array | (() => void), encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    if (typeof chunk === 'function') [callback, chunk] = [chunk, undefined];
    if (typeof encoding === 'function') [callback, encoding] = [encoding, undefined];
    if (this.writableEnded || this.closed) return this;
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.writableEnded = true;
    process.nextTick(() => {
      this.writableFinished = true;
      this.settle(this.answer());
      this.emit('finish');
      callback?.();
      this.close();
    });
    return this;
  }

  /** Cuts the exchange (the cloud's last resort on a broken answer): the worker sees a dropped connection. */
  destroy(): this {
    this.settle(undefined);
    this.close();
    return this;
  }

  /** The worker gave up on the request (the SDK's abort or timeout): as a client closing its connection. */
  abandon(): void {
    if (this.writableFinished) return;
    this.settle(undefined);
    this.close();
  }

  private answer(): ChannelResponse {
    const body = this.method === 'HEAD' ? Buffer.alloc(0) : Buffer.concat(this.chunks);
    const headers: Array<[string, string]> = [];
    for (const [name, value] of this.headers) headers.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
    if (this.sendDate && !this.headers.has('date')) headers.push(['date', new Date().toUTCString()]);
    // As Node: no length for an answer that has no body by its status.
    const bodiless = this.statusCode === 204 || this.statusCode === 304 || (this.statusCode >= 100 && this.statusCode < 200);
    if (!bodiless && !this.headers.has('content-length') && !this.headers.has('transfer-encoding')) headers.push(['content-length', String(body.length)]);
    return { status: this.statusCode, headers, body };
  }

  private settle(answer: ChannelResponse | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.done(answer);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    process.nextTick(() => this.emit('close'));
  }
}

/** Node's ERR_HTTP_HEADERS_SENT. */
function headersSent(verb: string): Error {
  return Object.assign(new Error(`Cannot ${verb} headers after they are sent to the client`), { code: 'ERR_HTTP_HEADERS_SENT' });
}
