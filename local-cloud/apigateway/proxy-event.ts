import { dict } from '../core/dict.ts';
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { RouteMatch } from './routing.ts';

/** Hop-by-hop and framing headers API Gateway does not pass on to the integration. */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'content-length', 'transfer-encoding', 'expect', 'te', 'upgrade', 'proxy-connection']);

export interface ProxyEventInput {
  req: IncomingMessage;
  body: Buffer;
  accountId: string;
  apiId: string;
  stage: string;
  deploymentId: string;
  stageVariables: Record<string, string> | undefined;
  binaryMediaTypes: string[];
  /** The path after the stage, as sent (e.g. "/orders/42?x" without the query). */
  requestPath: string;
  query: string;
  route: RouteMatch;
  requestId: string;
  extendedRequestId: string;
  serverPort: number;
  now: Date;
}

/** The AWS_PROXY (payload format 1.0) event a Lambda function receives from a REST API. */
export function buildProxyEvent(input: ProxyEventInput) {
  const { req, route, now } = input;
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const { headers, multiValueHeaders } = collectHeaders(req.rawHeaders, {
    'X-Amzn-Trace-Id': traceId(now),
    'X-Forwarded-For': sourceIp,
    'X-Forwarded-Port': String(input.serverPort),
    'X-Forwarded-Proto': 'http',
  });
  const { single, multi } = collectQuery(input.query);
  const contentType = header(req, 'content-type');
  const binary = input.body.length > 0 && matchesMediaType(contentType, input.binaryMediaTypes);
  const resourcePath = route.resource.path;

  return {
    resource: resourcePath,
    path: '/' + input.requestPath.replace(/^\/+/, ''),
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
    pathParameters: route.pathParameters,
    stageVariables: input.stageVariables && Object.keys(input.stageVariables).length ? input.stageVariables : null,
    requestContext: {
      resourceId: route.resource.id,
      resourcePath,
      httpMethod: req.method ?? 'GET',
      extendedRequestId: input.extendedRequestId,
      requestTime: formatRequestTime(now),
      path: `/${input.stage}${input.requestPath}`,
      accountId: input.accountId,
      protocol: `HTTP/${req.httpVersion}`,
      stage: input.stage,
      domainPrefix: input.apiId,
      requestTimeEpoch: now.getTime(),
      requestId: input.requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: header(req, 'user-agent') ?? null,
        user: null,
      },
      domainName: header(req, 'host') ?? '',
      deploymentId: input.deploymentId,
      apiId: input.apiId,
    },
    body: input.body.length === 0 ? null : input.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}

/** Headers as the client spelled them; `headers` keeps the last value, `multiValueHeaders` all. */
function collectHeaders(rawHeaders: string[], added: Record<string, string>) {
  const multi = dict<string[]>();
  const spelling = new Map<string, string>();
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    if (DROPPED_HEADERS.has(lower)) return;
    const key = spelling.get(lower) ?? name;
    spelling.set(lower, key);
    (multi[key] ??= []).push(value);
  };
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) add(rawHeaders[i], rawHeaders[i + 1]);
  for (const [name, value] of Object.entries(added)) if (!spelling.has(name.toLowerCase())) add(name, value);
  const names = Object.keys(multi);
  if (names.length === 0) return { headers: null, multiValueHeaders: null };
  const headers = dict(names.map((n) => [n, multi[n][multi[n].length - 1]] as const));
  return { headers, multiValueHeaders: multi };
}

/** Query parameters, decoded; null when there are none. */
function collectQuery(query: string) {
  const params = new URLSearchParams(query);
  const multi = dict<string[]>();
  for (const [name, value] of params) (multi[name] ??= []).push(value);
  const names = Object.keys(multi);
  if (names.length === 0) return { single: null, multi: null };
  return { single: dict(names.map((n) => [n, multi[n][multi[n].length - 1]] as const)), multi };
}

/** Whether a media type matches one of the API's binaryMediaTypes ("image/png", "image/*", "*\/*"). */
export function matchesMediaType(mediaType: string | undefined, binaryMediaTypes: string[]): boolean {
  if (!mediaType || binaryMediaTypes.length === 0) return false;
  const candidates = mediaType.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  return candidates.some((type) => {
    const [major, minor] = type.split('/');
    return binaryMediaTypes.some((pattern) => {
      const [pMajor, pMinor] = pattern.toLowerCase().split('/');
      return (pMajor === '*' || pMajor === major) && (pMinor === '*' || pMinor === minor);
    });
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "09/Apr/2015:12:34:56 +0000", as API Gateway writes requestTime. */
function formatRequestTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** An X-Ray trace id: Root=1-<epoch seconds in hex>-<96 random bits in hex>. */
export function traceId(now: Date): string {
  return `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}
