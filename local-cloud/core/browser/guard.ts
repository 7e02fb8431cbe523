import type { IncomingMessage } from 'node:http';
import { AwsError } from '../../protocol/errors.ts';
import { isExecuteApiPath } from '../../apigateway/execute-api.ts';
import { requestUrl } from '../http/request-url.ts';
import { isLoopbackHost } from './loopback-host.ts';
import { crossSiteReason } from './cross-site.ts';
import { printable } from './printable.ts';

/**
 * Requests a web page could make on the learner's behalf (or through DNS rebinding), refused
 * before any service sees them. Undefined: the request may go on.
 *
 * Every request must name the cloud by a loopback Host with its port. Requests from web pages
 * of other origins are refused too, except calls to deployed APIs (execute-api), which are
 * public on AWS and which a learner's own web page may call.
 */
export function refuseBrowserAttack(req: IncomingMessage, port: number): AwsError | undefined {
  const hosts = req.headersDistinct.host ?? [];
  if (hosts.length === 0) {
    return refusal('A request to the local cloud must name it in a Host header (127.0.0.1 or localhost, with its port).');
  }
  if (hosts.length > 1) return refusal('A request to the local cloud must carry exactly one Host header.');
  const host = hosts[0];
  if (!isLoopbackHost(host, port)) return foreignName(`Host ${JSON.stringify(printable(host, 100))}`, port);
  if (!absoluteFormIsLoopback(req, port)) return foreignName(`the request target ${JSON.stringify(printable(req.url ?? '', 100))}`, port);
  if (isExecuteApiPath(requestUrl(req).pathname)) return undefined;
  const why = crossSiteReason(req, host);
  if (why) return refusal(`Cross-site requests to the local cloud are refused: ${why}.`);
  return undefined;
}

/** A request target in absolute form (GET http://host/path) names a host too; it must be ours as well. */
function absoluteFormIsLoopback(req: IncomingMessage, port: number): boolean {
  const target = req.url ?? '/';
  if (target.startsWith('/') || target === '*') return true;
  const match = /^http:\/\/([^/?#]*)/i.exec(target);
  return match !== null && isLoopbackHost(match[1], port);
}

function foreignName(what: string, port: number): AwsError {
  return refusal(
    `The local cloud answers only to loopback names on port ${port} (127.0.0.1:${port}, localhost:${port}, [::1]:${port}, ` +
      `*.localhost:${port}); ${what} is refused (a web page may point its own name at this machine).`,
  );
}

function refusal(message: string): AwsError {
  return new AwsError('AccessDeniedException', message, { status: 403, queryCode: 'AccessDenied' });
}
