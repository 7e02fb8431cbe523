/**
 * Whether a Host value (or a URL's host) names this machine's loopback interface on the cloud's
 * port. A page on another site can make a browser connect here under its own name (DNS
 * rebinding: evil.example resolves to 127.0.0.1); the Host header still says evil.example, so
 * refusing every other name keeps such pages out.
 */

/** What a Host value may look like at all: a name or IPv4 form, or a bracketed IPv6 literal, then a port. */
const HOST_SYNTAX = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/;

/** A parsed, normalised host: lower-case name, IPv4 in dotted decimal, IPv6 compressed and bracketed. */
export interface NormalisedHost {
  hostname: string;
  port: number;
  /** hostname:port, as a browser would name the same place. */
  host: string;
}

/**
 * Parses a Host value the way a browser's URL parser would (so `0x7f.1` and `[0:0::1]` are
 * recognised as what they are). Undefined for anything that is not plainly a host and port:
 * user info, paths and other characters a URL parser would quietly reinterpret are refused first.
 */
export function normaliseHost(value: string): NormalisedHost | undefined {
  if (!HOST_SYNTAX.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(`http://${value}`);
  } catch {
    return undefined;
  }
  const port = url.port === '' ? 80 : Number(url.port);
  const hostname = url.hostname.endsWith('.') ? url.hostname.slice(0, -1) : url.hostname;
  return { hostname, port, host: `${hostname}:${port}` };
}

/** 127.0.0.0/8, localhost, *.localhost (RFC 6761: browsers resolve them to loopback themselves), [::1]. */
export function isLoopbackName(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** True when `value` is a loopback name or address with exactly the cloud's port. */
export function isLoopbackHost(value: string, port: number): boolean {
  const host = normaliseHost(value);
  return host !== undefined && host.port === port && isLoopbackName(host.hostname);
}
