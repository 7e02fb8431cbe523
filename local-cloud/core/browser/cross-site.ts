import type { IncomingMessage } from 'node:http';
import { normaliseHost } from './loopback-host.ts';
import { printable as describe } from './printable.ts';

/**
 * Whether a request was made by a web page of another origin: an <img> or <script> tag, a form
 * post, a fetch(). Browsers say so themselves, in headers a page cannot remove:
 * - Origin on every cross-origin request except simple GETs (form posts, fetch, XHR);
 * - Sec-Fetch-Site on everything, in current browsers (cross-site, same-site, same-origin, none);
 * - Referer, unless the page's policy suppresses it (older browsers send no Sec-Fetch-Site).
 * The SDKs and the aws CLI send none of them, so they are never refused here.
 *
 * `ownHost` is the request's Host, already known to be loopback with the cloud's port: a page
 * loaded from that host and port is the cloud's own. Returns why the request is refused, or undefined.
 */
export function crossSiteReason(req: IncomingMessage, ownHost: string): string | undefined {
  const headers = req.headersDistinct;

  const origins = headers.origin ?? [];
  if (origins.length > 1) return 'it carries more than one Origin header';
  if (origins.length === 1 && !isOwnOrigin(origins[0], ownHost)) return `it comes from a page at ${describe(origins[0])}`;

  const sites = headers['sec-fetch-site'] ?? [];
  if (sites.length > 1) return 'it carries more than one Sec-Fetch-Site header';
  // same-origin: a page of the cloud itself; none: the learner typed the address or opened a bookmark.
  if (sites.length === 1 && sites[0] !== 'same-origin' && sites[0] !== 'none') {
    const mode = headers['sec-fetch-mode']?.[0];
    return `the browser marks it Sec-Fetch-Site: ${describe(sites[0])}${mode ? ` (mode ${describe(mode)})` : ''}`;
  }

  const referers = headers.referer ?? [];
  if (referers.length > 1) return 'it carries more than one Referer header';
  if (referers.length === 1 && !isOwnOrigin(originOf(referers[0]), ownHost)) {
    return `it was made by a page at ${describe(originOf(referers[0]))}`;
  }
  return undefined;
}

/** http://HOST:PORT of the request itself; "null" (sandboxed frames, file: pages) and anything else are foreign. */
function isOwnOrigin(origin: string, ownHost: string): boolean {
  const match = /^http:\/\/([^/?#]+)$/.exec(origin.toLowerCase());
  if (!match) return false;
  const theirs = normaliseHost(match[1]);
  const ours = normaliseHost(ownHost);
  return theirs !== undefined && ours !== undefined && theirs.host === ours.host;
}

/** The origin part of a Referer URL; "invalid" when it does not parse. */
function originOf(referer: string): string {
  try {
    return new URL(referer).origin;
  } catch {
    return 'invalid';
  }
}
