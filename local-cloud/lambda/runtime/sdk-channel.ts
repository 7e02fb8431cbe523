/**
 * The sandbox's SDK channel, worker side (core/channel/messages.ts says what it is).
 *
 * The runtime-provided SDK sends requests with @smithy/node-http-handler's NodeHttpHandler. Once
 * that module is loaded (by the function's first SDK client, never before: a function without the
 * SDK pays nothing), its `handle` takes the requests addressed to the local cloud and sends them
 * over IPC; any other request (another host, a streamed body, Expect: 100-continue) goes over HTTP
 * as before. The SDK above it — serialisation, signing, retries, errors — is untouched, and so is
 * its configuration: an abort signal, requestTimeout and socketTimeout act as they do over HTTP.
 * A function that bundles its own SDK, or sets its own requestHandler, talks HTTP.
 */
import Module, { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { decodeBody, encodeBody, type BodyEncoding, type SdkAbortMessage, type SdkRequestMessage, type SdkResponseMessage } from '../../core/channel/messages.ts';

/** The parts of Smithy's HttpRequest read here. */
interface SmithyRequest {
  protocol?: string;
  hostname?: string;
  port?: number | string;
  method: string;
  path?: string;
  query?: Record<string, unknown>;
  fragment?: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

interface AbortSignalLike {
  aborted: boolean;
  reason?: unknown;
  addEventListener?: (type: 'abort', listener: () => void, options?: { once: boolean }) => void;
  removeEventListener?: (type: 'abort', listener: () => void) => void;
  onabort?: (() => void) | null;
}

interface HandleOptions {
  abortSignal?: AbortSignalLike;
  requestTimeout?: number;
}

interface HandlerConfig {
  /** The agent whose sockets bound the handler's concurrent requests (made on first use, as NodeHttpHandler does). */
  httpAgent?: { maxSockets?: number };
  httpAgentProvider?: () => Promise<{ maxSockets?: number }>;
  requestTimeout?: number;
  socketTimeout?: number;
  defaultSocketTimeout?: number;
  throwOnRequestTimeout?: boolean;
  logger?: { warn?: (message: string) => void };
}

interface HandlerInstance {
  config?: HandlerConfig;
  configProvider: Promise<HandlerConfig>;
}

type Handle = (this: HandlerInstance, request: SmithyRequest, options?: HandleOptions) => Promise<{ response: unknown }>;

interface HandlerModule {
  NodeHttpHandler?: { prototype: { handle?: Handle } };
}

const HANDLER_MODULE = '@smithy/node-http-handler';
const PROTOCOLS_MODULE = '@smithy/core/protocols';

export interface SdkChannelOptions {
  /** The local cloud's port: requests to http://127.0.0.1:PORT (or localhost) take the channel. */
  port: number;
  send(message: SdkRequestMessage | SdkAbortMessage): void;
}

/**
 * Watches for the SDK's HTTP handler to be loaded and sends its requests to the cloud over the
 * channel from then on. Returns what to do with the cloud's answers.
 */
export function installSdkChannel(options: SdkChannelOptions): { answer(message: SdkResponseMessage): void } {
  const waiting = new Map<number, (message: SdkResponseMessage) => void>();
  const patched = new WeakSet<object>();
  let nextId = 1;

  type Require = (this: NodeJS.Module, id: string) => unknown;
  const moduleProto = Module.prototype as unknown as { require: Require };
  const originalRequire = moduleProto.require;
  moduleProto.require = function (this: NodeJS.Module, id: string) {
    const exported = originalRequire.call(this, id);
    if (id === HANDLER_MODULE && exported && typeof exported === 'object' && !patched.has(exported)) {
      patched.add(exported);
      const resolve = (Module as unknown as { _resolveFilename(id: string, parent: NodeJS.Module): string })._resolveFilename;
      patchHandler(exported as HandlerModule, () => createRequire(resolve(id, this))(PROTOCOLS_MODULE));
    }
    return exported;
  };

  /** `loadProtocols` requires @smithy/core/protocols from where the handler module itself does. */
  function patchHandler(handlerModule: HandlerModule, loadProtocols: () => unknown): void {
    const proto = handlerModule.NodeHttpHandler?.prototype;
    const original = proto?.handle;
    if (!proto || typeof original !== 'function') return;
    let protocols: { buildQueryString(query: Record<string, unknown>): string; HttpResponse: new (init: object) => unknown };
    try {
      protocols = loadProtocols() as typeof protocols;
    } catch {
      return; // an SDK of another shape: it keeps its HTTP
    }
    proto.handle = async function (this: HandlerInstance, request: SmithyRequest, handleOptions: HandleOptions = {}) {
      if (!takesTheChannel(request, options.port)) return original.call(this, request, handleOptions);
      this.config ??= await this.configProvider;
      const config = this.config;
      config.httpAgent ??= await config.httpAgentProvider?.();
      // The agent's sockets bound how many requests one client has open; the rest wait their turn, as over HTTP.
      const slots = slotsOf(this, config.httpAgent?.maxSockets);
      await slots.take();
      try {
        return await exchange(config, request, handleOptions, protocols);
      } finally {
        slots.give();
      }
    };
  }

  /**
   * An open call keeps the event loop alive, as its socket does over HTTP (a handler that answers
   * through its callback waits for an empty loop, and the IPC channel itself does not count).
   */
  let keepAlive: NodeJS.Timeout | undefined;
  const opened = () => {
    keepAlive ??= setInterval(() => undefined, 2 ** 30);
  };
  const closed = () => {
    if (waiting.size > 0 || !keepAlive) return;
    clearInterval(keepAlive);
    keepAlive = undefined;
  };

  function exchange(
    config: HandlerConfig,
    request: SmithyRequest,
    { abortSignal, requestTimeout }: HandleOptions,
    protocols: { buildQueryString(query: Record<string, unknown>): string; HttpResponse: new (init: object) => unknown },
  ): Promise<{ response: unknown }> {
    return new Promise((resolve, reject) => {
      if (abortSignal?.aborted) return reject(abortError(abortSignal));
      const id = nextId++;
      const timers: NodeJS.Timeout[] = [];
      const finish = () => {
        waiting.delete(id);
        closed();
        for (const timer of timers) clearTimeout(timer);
        abortSignal?.removeEventListener?.('abort', onAbort);
      };
      const giveUp = (error: Error) => {
        finish();
        options.send({ type: 'sdkAbort', id });
        reject(error);
      };
      const onAbort = () => giveUp(abortError(abortSignal!));
      if (typeof abortSignal?.addEventListener === 'function') abortSignal.addEventListener('abort', onAbort, { once: true });
      else if (abortSignal) abortSignal.onabort = onAbort;

      // NodeHttpHandler's own timeouts, with its messages: requestTimeout warns unless told to
      // throw; a socket timeout (configured, or the service's default) fails the request.
      const requestMs = requestTimeout ?? config.requestTimeout;
      if (requestMs) {
        timers.push(
          setTimeout(() => {
            const prefix = `@smithy/node-http-handler - [${config.throwOnRequestTimeout ? 'ERROR' : 'WARN'}] a request has exceeded the configured ${requestMs} ms requestTimeout.`;
            if (config.throwOnRequestTimeout) giveUp(Object.assign(new Error(prefix), { name: 'TimeoutError', code: 'ETIMEDOUT' }));
            else (config.logger ?? console).warn?.(`${prefix} Init client requestHandler with throwOnRequestTimeout=true to turn this into an error.`);
          }, requestMs),
        );
      }
      const socketMs = config.socketTimeout ?? positive(config.defaultSocketTimeout);
      if (socketMs && socketMs > 0) {
        const origin = config.socketTimeout === undefined ? 'service default socket timeout' : 'configured by client requestHandler';
        // NodeHttpHandler starts counting a timeout of 6 s or more once 3 s have passed.
        const startsAfterMs = socketMs < 6000 ? 0 : 3000;
        timers.push(
          setTimeout(
            () => giveUp(Object.assign(new Error(`@smithy/node-http-handler - the request socket timed out after ${socketMs} ms of inactivity (${origin}).`), { name: 'TimeoutError' })),
            startsAfterMs + socketMs,
          ),
        );
      }

      opened();
      waiting.set(id, (message) => {
        finish();
        // Node's error for a dropped connection; NodeHttpHandler names ECONNRESET a TimeoutError.
        if ('reset' in message) return reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', name: 'TimeoutError' }));
        const headers: Record<string, string> = {};
        for (const [name, value] of message.headers) headers[name] = value;
        const body = new Readable({ read() {} });
        const bytes = decodeBody(message.body, message.encoding);
        if (bytes.length > 0) body.push(bytes);
        body.push(null);
        resolve({
          response: new protocols.HttpResponse({ statusCode: message.status, reason: STATUS_CODES[message.status], headers, body }),
        });
      });

      const query = request.query ? protocols.buildQueryString(request.query) : '';
      const { body, encoding, bytes } = requestBody(request.body);
      options.send({
        type: 'sdkRequest',
        id,
        method: request.method,
        path: `${request.path ?? '/'}${query ? `?${query}` : ''}`,
        headers: wireHeaders(request, bytes),
        body,
        encoding,
      });
    });
  }

  return { answer: (message) => waiting.get(message.id)?.(message) };
}

/** Only a plain request to the cloud itself: its host and port, a body already in memory, nothing HTTP-specific. */
function takesTheChannel(request: SmithyRequest, port: number): boolean {
  if (request.protocol !== 'http:' || Number(request.port) !== port) return false;
  if (request.hostname !== '127.0.0.1' && request.hostname !== 'localhost') return false;
  if (request.username != null || request.password != null || request.fragment) return false;
  const headers = request.headers ?? {};
  if ((headers.Expect ?? headers.expect) === '100-continue') return false;
  const body = request.body;
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

/** The body as it travels: a string as it is (Node's HTTP client would send it as UTF-8), bytes as encodeBody says. */
function requestBody(body: unknown): { body: string; encoding: BodyEncoding; bytes: number } {
  if (typeof body === 'string') return { body, encoding: 'utf8', bytes: Buffer.byteLength(body) };
  if (body instanceof Uint8Array) return { ...encodeBody(body), bytes: body.byteLength };
  return { body: '', encoding: 'utf8', bytes: 0 };
}

/** The headers Node's HTTP client would send: the SDK's, plus Host and Content-Length where the SDK left them out. */
function wireHeaders(request: SmithyRequest, bodyBytes: number): Array<[string, string]> {
  const headers = Object.entries(request.headers ?? {}).map(([name, value]): [string, string] => [name, String(value)]);
  const has = (wanted: string) => headers.some(([name]) => name.toLowerCase() === wanted);
  if (!has('host')) headers.push(['host', `${request.hostname}:${request.port}`]);
  if (bodyBytes > 0 && !has('content-length') && !has('transfer-encoding')) headers.push(['content-length', String(bodyBytes)]);
  return headers;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** NodeHttpHandler's AbortError. */
function abortError(signal: AbortSignalLike): Error {
  const reason = signal.reason;
  const error = new Error(reason && !(reason instanceof Error) ? String(reason) : 'Request aborted');
  error.name = 'AbortError';
  if (reason instanceof Error) error.cause = reason;
  return error;
}

/** One client's requests in flight, at most its agent's sockets (NodeHttpHandler's default agent has 50). */
class Slots {
  private open = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}

  take(): Promise<void> {
    if (this.open < this.max) {
      this.open++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  give(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.open--;
  }
}

const slotsByHandler = new WeakMap<object, Slots>();

function slotsOf(handler: object, maxSockets: number | undefined): Slots {
  let slots = slotsByHandler.get(handler);
  if (!slots) {
    const max = typeof maxSockets === 'number' && maxSockets >= 1 ? maxSockets : 50;
    slotsByHandler.set(handler, (slots = new Slots(max)));
  }
  return slots;
}
