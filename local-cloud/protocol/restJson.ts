import { dict, type Dict } from '../core/dict.ts';
import { jsonDepthExceeds } from './json-depth.ts';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { AwsError } from './errors.ts';
import type { CallContext } from '../core/context.ts';

/**
 * REST-JSON (Lambda, API Gateway): the operation is chosen by method and path, with path
 * parameters such as /2015-03-31/functions/{FunctionName}; bodies are JSON.
 */
export interface RestRequest {
  method: string;
  path: string;
  /** Path parameters, percent-decoded; prototype-free (a name may be "__proto__"). */
  params: Dict<string>;
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
  /** The error for a path parameter whose percent-encoding is malformed (e.g. "%E0%A4%A"). */
  malformedPath?: (value: string) => AwsError;
}

/**
 * How deeply a REST-JSON body may nest. Far beyond any control-plane shape, and generous for
 * Lambda invocation payloads, yet well short of what would overflow the stack of the code that
 * walks a parsed body.
 */
export const MAX_REST_JSON_DEPTH = 1000;

/** Refuses a body nested deeper than MAX_REST_JSON_DEPTH, before any service parses it. */
export function checkBodyDepth(body: Buffer): void {
  if (body.length > 0 && jsonDepthExceeds(body.toString('utf8'), MAX_REST_JSON_DEPTH)) {
    throw new AwsError('SerializationException', `The request body nests deeper than ${MAX_REST_JSON_DEPTH} levels.`);
  }
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

/**
 * Finds the route for a request; `pathMatched` tells a wrong method from an unknown path.
 * A path parameter that is not valid percent-encoding gives `malformed`, the service's 400.
 */
export function matchRoute(
  service: RestService,
  method: string,
  path: string,
):
  | { route: RestRoute; params: Dict<string>; malformed?: AwsError }
  | { route: undefined; pathMatched: boolean } {
  let pathMatched = false;
  for (const { route, regex, names } of compile(service)) {
    const match = regex.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    const params = dict<string>();
    let malformed: AwsError | undefined;
    names.forEach((name, i) => {
      const raw = match[i + 1];
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        params[name] = raw;
        malformed ??= service.malformedPath?.(raw) ?? malformedPathError(raw);
      }
    });
    return { route, params, malformed };
  }
  return { route: undefined, pathMatched };
}

function malformedPathError(value: string): AwsError {
  return new AwsError('BadRequestException', `The request path contains malformed percent-encoding: ${value}`);
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
    headers: { ...err.headers, 'x-amzn-errortype': err.code, 'content-type': 'application/json' },
    body: { ...body, ...err.extra },
  });
}
