import type { IncomingMessage } from 'node:http';

/**
 * The request target as a URL. Origin-form ("/path?query") is the usual one; absolute-form
 * ("http://127.0.0.1:4566/path", as proxies and some clients send it) is routed by its path too.
 * Anything else ("*", garbage) reads as "/", which no service answers with success.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    if (target.startsWith('/')) return new URL(`http://local${target}`);
    if (/^https?:\/\//i.test(target)) {
      const absolute = new URL(target);
      return new URL(`http://local${absolute.pathname}${absolute.search}`);
    }
  } catch {
    // an unparsable target falls through to "/"
  }
  return new URL('http://local/');
}

/**
 * The path and query of the request target exactly as sent (percent-encoding and dot segments
 * kept), with an absolute-form target's scheme and authority taken off.
 */
export function rawRequestTarget(req: IncomingMessage): string {
  const target = req.url ?? '/';
  if (target.startsWith('/')) return target;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  if (!absolute) return '/';
  const rest = target.slice(absolute[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
