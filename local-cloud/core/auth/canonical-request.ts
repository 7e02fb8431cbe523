import type { IncomingMessage } from 'node:http';

/**
 * The SigV4 canonical request, rebuilt from the request as it arrived on the wire. Written out
 * (rather than borrowed from a signer) so that it runs synchronously, costs a few microseconds,
 * and can be shown in the SignatureDoesNotMatch message the way AWS shows it.
 */
export interface CanonicalInput {
  method: string;
  /** req.url as sent: path and query still percent-encoded. */
  rawUrl: string;
  rawHeaders: string[];
  /** Lower-case names, in the order the request's SignedHeaders lists them. */
  signedHeaders: string[];
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalInput, query: QueryPair[]): string {
  const headers = canonicalHeaders(input.rawHeaders, input.signedHeaders);
  return [
    input.method,
    canonicalPath(pathOf(input.rawUrl)),
    canonicalQuery(query),
    headers,
    '',
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

/** A query parameter as the client meant it (percent-decoded). */
export type QueryPair = [key: string, value: string];

/** Splits the raw query without URLSearchParams, which would turn '+' into a space the signer never saw. */
export function parseRawQuery(rawUrl: string): QueryPair[] {
  const start = rawUrl.indexOf('?');
  if (start < 0) return [];
  const pairs: QueryPair[] = [];
  for (const piece of rawUrl.slice(start + 1).split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    pairs.push(eq < 0 ? [decode(piece), ''] : [decode(piece.slice(0, eq)), decode(piece.slice(eq + 1))]);
  }
  return pairs;
}

function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a stray '%': the signer encoded what it had, so keep it as sent
  }
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Sorted by encoded key, then encoded value; the signature parameter itself is left out. */
function canonicalQuery(query: QueryPair[]): string {
  const encoded: string[][] = [];
  for (const [key, value] of query) {
    if (key.toLowerCase() === 'x-amz-signature') continue;
    encoded.push([uriEncode(key), uriEncode(value)]);
  }
  encoded.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
  return encoded.map(([key, value]) => `${key}=${value}`).join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pathOf(rawUrl: string): string {
  const end = rawUrl.indexOf('?');
  const path = end < 0 ? rawUrl : rawUrl.slice(0, end);
  if (path.startsWith('/')) return path;
  try {
    return new URL(path).pathname; // absolute-form request target
  } catch {
    return '/';
  }
}

/**
 * Services other than S3 sign the path normalised (no empty, "." or ".." segments) and encoded
 * once more on top of the encoding it travelled with, so "%3A" on the wire signs as "%253A".
 */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEncode(segment));
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

/**
 * From rawHeaders, not req.headers: Node drops repeats of some headers and joins others with
 * ", ", while SigV4 joins every value of a header with "," after trimming and folding spaces.
 */
function canonicalHeaders(rawHeaders: string[], signedHeaders: string[]): string {
  const values = new Map<string, string[]>();
  for (const name of signedHeaders) values.set(name, []);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const found = values.get(rawHeaders[i].toLowerCase());
    if (found) found.push(rawHeaders[i + 1].trim().replace(/\s+/g, ' '));
  }
  return signedHeaders.map((name) => `${name}:${values.get(name)!.join(',')}`).join('\n');
}

export function canonicalInputOf(req: IncomingMessage, signedHeaders: string[], payloadHash: string): CanonicalInput {
  return { method: req.method ?? 'GET', rawUrl: req.url ?? '/', rawHeaders: req.rawHeaders, signedHeaders, payloadHash };
}
