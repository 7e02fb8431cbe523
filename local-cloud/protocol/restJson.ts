import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AwsError } from './errors.ts';
import type { CallContext } from '../core/context.ts';

/**
 * REST-JSON (Lambda, API Gateway): the operation is chosen by method and path, with path
 * parameters such as /2015-03-31/functions/{FunctionName}; bodies are JSON.
 */
export interface RestRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RestResponse {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a Buffer or string as is. */
  body?: unknown;
}

export interface RestRoute {
  method: string;
  /** e.g. "/2015-03-31/functions/{FunctionName}/invocations"; a trailing {Name+} takes the rest. */
  path: string;
  operation: string;
  handler: (req: RestRequest, ctx: CallContext) => RestResponse | Promise<RestResponse>;
}

export interface RestService {
  /** The signing name this service answers to, e.g. "lambda". */
  signingName: string;
  routes: RestRoute[];
  /** How this service's error bodies look (Lambda: {Type, Message}; API Gateway: {message}). */
  errorBody?: (err: AwsError) => Record<string, unknown>;
}

interface CompiledRoute {
  route: RestRoute;
  regex: RegExp;
  names: string[];
}

const compiled = new WeakMap<RestService, CompiledRoute[]>();

function compile(service: RestService): CompiledRoute[] {
  let routes = compiled.get(service);
  if (!routes) {
    routes = service.routes.map((route) => {
      const names: string[] = [];
      const pattern = route.path.replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy: string) => {
        names.push(name);
        return greedy ? '(.+)' : '([^/]+)';
      });
      return { route, names, regex: new RegExp(`^${pattern}/?$`) };
    });
    compiled.set(service, routes);
  }
  return routes;
}

/** Finds the route for a request; `pathMatched` tells a wrong method from an unknown path. */
export function matchRoute(
  service: RestService,
  method: string,
  path: string,
): { route: RestRoute; params: Record<string, string> } | { route: undefined; pathMatched: boolean } {
  let pathMatched = false;
  for (const { route, regex, names } of compile(service)) {
    const match = regex.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1])));
    return { route, params };
  }
  return { route: undefined, pathMatched };
}

export function writeRest(res: ServerResponse, requestId: string, out: RestResponse): void {
  const headers: Record<string, string | number> = { 'x-amzn-requestid': requestId, ...out.headers };
  let payload: Buffer | string = '';
  if (Buffer.isBuffer(out.body) || typeof out.body === 'string') {
    payload = out.body;
  } else if (out.body !== undefined) {
    payload = JSON.stringify(out.body);
    headers['content-type'] ??= 'application/json';
  }
  headers['content-length'] = Buffer.byteLength(payload);
  res.writeHead(out.status ?? 200, headers);
  res.end(payload);
}

export function writeRestError(
  res: ServerResponse,
  service: RestService | undefined,
  requestId: string,
  err: AwsError,
): void {
  const body = service?.errorBody?.(err) ?? { Type: err.fault === 'Sender' ? 'User' : 'Service', message: err.message };
  writeRest(res, requestId, {
    status: err.status,
    headers: { 'x-amzn-errortype': err.code, 'content-type': 'application/json' },
    body: { ...body, ...err.extra },
  });
}
