import type { IncomingMessage } from 'node:http';

/** The request target as a URL (origin-form "/path?query"). */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://local');
}
