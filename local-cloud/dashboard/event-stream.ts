import type { ServerResponse } from 'node:http';
import type { Cloud, CloudEvent } from '../cloud.ts';
import { PAGE_HEADERS } from './responses.ts';

/**
 * The live log as Server-Sent Events. A client that reads too slowly is dropped, never waited
 * for: the cloud emits events synchronously, so a stream may only ever buffer, never block.
 */
export const MAX_BUFFERED_BYTES = 256 * 1024;
export const MAX_STREAMS = 16;
const HEARTBEAT_MS = 15_000;

export class EventStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly cloud: Cloud) {}

  get count(): number {
    return this.open.size;
  }

  get full(): boolean {
    return this.open.size >= MAX_STREAMS;
  }

  attach(res: ServerResponse): void {
    res.writeHead(200, { ...PAGE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.open.add(res);
    const send = (text: string) => {
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy(); // too slow: dropped; its page reconnects with a fresh ticket
        return;
      }
      res.write(text);
    };
    const onEvent = (event: CloudEvent) => send(`data: ${JSON.stringify(wireEvent(event))}\n\n`);
    const heartbeat = setInterval(() => send(': still here\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    this.cloud.events.on('event', onEvent);
    res.once('close', () => {
      clearInterval(heartbeat);
      this.cloud.events.off('event', onEvent);
      this.open.delete(res);
    });
  }
}

/** What a page needs of an event, with the texts cut to a sensible length. */
function wireEvent(event: CloudEvent) {
  const cut = (text: string | undefined, max: number) => (text === undefined ? undefined : text.length > max ? `${text.slice(0, max)}…` : text);
  return {
    time: event.time.getTime(),
    service: event.service,
    action: cut(event.action, 120),
    status: event.status,
    ms: event.ms,
    caller: cut(event.caller, 300),
    detail: cut(event.detail, 400),
    error: cut(event.error, 400),
  };
}
