import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChannelResponse } from './messages.ts';
import { incomingMessage, MalformedChannelRequest, readChannelRequest } from './request.ts';
import { ResponseCollector } from './response.ts';

/** The server's whole pipeline for one request, as its HTTP listener runs it. */
export type ServeHttp = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Answers a worker's request message through the server's own pipeline. Resolves with the answer,
 * or undefined when the exchange was cut (the worker then sees a dropped connection). A message no
 * HTTP parser would take gets Node's answer to a malformed request, and `onMalformed` hears of it.
 */
export function answerOverChannel(
  message: Record<string, unknown>,
  signal: AbortSignal,
  serve: ServeHttp,
  port: number,
  onMalformed: (status: number, reason: string) => void,
): Promise<ChannelResponse | undefined> {
  let request;
  try {
    request = readChannelRequest(message);
  } catch (err) {
    if (!(err instanceof MalformedChannelRequest)) throw err;
    onMalformed(err.status, err.message);
    return Promise.resolve({ status: err.status, headers: [['connection', 'close']], body: Buffer.alloc(0) });
  }
  return new Promise((resolve) => {
    const res = new ResponseCollector(request.method, resolve);
    if (signal.aborted) return res.abandon();
    signal.addEventListener('abort', () => res.abandon(), { once: true });
    serve(incomingMessage(request, port), res as unknown as ServerResponse);
  });
}
