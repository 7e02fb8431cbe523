import type { SandboxSizing } from './lambda/runtime/sizing.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Cloud, type CloudOptions } from './cloud.ts';
import type { RealismProfile } from './realism/profile.ts';
import { lockDataDir } from './state/store.ts';
import type { CallContext } from './core/context.ts';
import { AwsError, commonErrors, toAwsError } from './protocol/errors.ts';
import { callJsonOperation, writeJson, writeJsonError, type JsonService } from './protocol/awsJson.ts';
import { QueryParams, callQueryAction, queryErrorXml, type QueryService } from './protocol/awsQuery.ts';
import { checkBodyDepth, matchRoute, writeRest, writeRestError, type RestService } from './protocol/restJson.ts';
import { stsQuery } from './sts/index.ts';
import { iamQuery } from './iam/query.ts';
import { sqsJson } from './sqs/json.ts';
import { sqsQuery } from './sqs/query.ts';
import { DynamoDbService } from './dynamodb/index.ts';
import { authorizeDynamoDbCall, replayRequest } from './dynamodb/authorize.ts';
import { apigatewayRest } from './apigateway/rest.ts';
import { lambdaRest } from './lambda/rest.ts';
import { logsJson } from './logs/json.ts';
import { snsQuery } from './sns/query.ts';
import { ExecuteApi, isExecuteApiPath } from './apigateway/execute-api.ts';
import { readBody } from './core/http/body.ts';
import { codeUploadBodyLimit } from './lambda/code/limits.ts';
import { requestUrl } from './core/http/request-url.ts';
import { answerClientError } from './core/http/client-error.ts';
import { guardProcess, inRequestScope } from './core/http/crash-guard.ts';
import { answerOverChannel, type ServeHttp } from './core/channel/index.ts';
import { refuseBrowserAttack } from './core/browser/guard.ts';
import { authenticate } from './core/auth/authenticate.ts';
import { SignatureError } from './core/auth/errors.ts';
import { credentialScopeOf, writeSignatureError } from './core/auth/write-error.ts';
import { handleControl, isControlPath } from './control/routes.ts';
import { issueControlToken } from './control/token.ts';


export interface LocalCloudOptions {
  /** 0 picks a free port. */
  port?: number;
  /** null keeps state in memory only. */
  dataDir?: string | null;
  region?: string;
  /** AWS's timing, or instant (the default); see realism/profile.ts. */
  realism?: RealismProfile;
  /** Lambda sandboxes per function and idle times (lambda/runtime/sizing.ts); from the environment by default. */
  sandboxes?: SandboxSizing;
  /**
   * Whether functions' SDK calls to the cloud travel over their worker's IPC channel
   * (core/channel/) rather than loopback HTTP; LOCAL_CLOUD_SDK_CHANNEL (on, the default, or off).
   */
  sdkChannel?: boolean;
}

export const SDK_CHANNEL_VARIABLE = 'LOCAL_CLOUD_SDK_CHANNEL';

/** LOCAL_CLOUD_SDK_CHANNEL: on (or unset) or off; anything else is named, not guessed at. */
export function sdkChannelFromEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[SDK_CHANNEL_VARIABLE];
  if (value === undefined || value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new Error(`${SDK_CHANNEL_VARIABLE} must be on or off; it is "${value.slice(0, 40)}".`);
}

export interface LocalCloud {
  url: string;
  port: number;
  cloud: Cloud;
  /** Opens /_localcloud/health, faults, …; also in DATA/control-token when there is a data folder. */
  controlToken: string;
  close(): Promise<void>;
}

/** The wire protocols each service speaks, keyed the way requests name them. */
interface Protocols {
  /** By signing name (credential scope). */
  query: Record<string, QueryService>;
  /** By X-Amz-Target prefix. */
  json: Record<string, JsonService>;
  rest: RestService[];
  /** API Gateway's data plane: calls to deployed REST APIs. */
  executeApi: ExecuteApi;
}

function protocolsFor(cloud: Cloud): Protocols {
  const sqsJsonService = sqsJson(cloud);
  const logsJsonService = logsJson(cloud);
  return {
    query: { sts: stsQuery, iam: iamQuery(cloud), sqs: sqsQuery(cloud), sns: snsQuery(cloud) },
    json: { [sqsJsonService.targetPrefix]: sqsJsonService, [logsJsonService.targetPrefix]: logsJsonService },
    rest: [apigatewayRest(cloud.apigateway), lambdaRest(cloud)],
    executeApi: new ExecuteApi(cloud),
  };
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const useSdkChannel = options.sdkChannel ?? sdkChannelFromEnvironment();
  const dataDir = options.dataDir === undefined ? null : options.dataDir;
  const unlock = dataDir ? lockDataDir(dataDir) : () => undefined;
  let cloud: Cloud;
  try {
    const controlToken = issueControlToken(dataDir);
    cloud = new Cloud({ dataDir, region: options.region ?? 'us-east-1', realism: options.realism, sandboxes: options.sandboxes } satisfies CloudOptions);
    cloud.controlToken = controlToken;
  } catch (err) {
    unlock();
    throw err;
  }
  const protocols = protocolsFor(cloud);
  let port = 0;
  const serve: ServeHttp = (req, res) => {
    const scope = { requestId: randomUUID(), method: req.method ?? '?', target: req.url ?? '' };
    inRequestScope(scope, () => handle(cloud, protocols, () => port, req, res)).catch((err) => {
      // Last resort for genuine bugs: a client's mistake that lands here is itself a bug to fix.
      const error = toAwsError(err);
      cloud.log({ service: 'http', action: `${scope.method} ${scope.target}`.slice(0, 200), status: error.status, error: `${error.code}: ${error.message}` });
      // Already answering (or answered): writing again would fail; the connection is cut instead.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      writeRestError(res, undefined, scope.requestId, error);
    });
  };
  const server = createServer(serve);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status = answerClientError(err, socket);
    if (status) cloud.log({ service: 'http', action: 'malformed request', status, error: `${err.code ?? 'Error'}: ${err.message}` });
  });
  server.keepAliveTimeout = 65_000;
  // A client may half-close once its request is sent (shutdown(SHUT_WR)); it still gets its answer.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;

  await listen(server, options.port ?? 4566).catch(async (err) => {
    await cloud.close();
    unlock();
    throw err;
  });
  port = (server.address() as AddressInfo).port;
  cloud.baseUrl = `http://127.0.0.1:${port}`;
  if (useSdkChannel) {
    cloud.sdkChannel = (message, signal) =>
      answerOverChannel(message, signal, serve, port, (status, reason) =>
        cloud.log({ service: 'http', action: 'malformed request', status, error: `a function's SDK channel: ${reason}` }),
      );
  }
  const unguard = guardProcess((err, request, origin) =>
    cloud.log({
      service: 'cloud',
      action: origin,
      status: 500,
      detail: request ? `while handling ${request.method} ${request.target.slice(0, 200)} (request ${request.requestId})` : 'outside any request',
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    }),
  );

  let closing: Promise<void> | undefined;
  return {
    url: cloud.baseUrl,
    port,
    cloud,
    controlToken: cloud.controlToken,
    close: () =>
      (closing ??= (async () => {
        unguard();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await cloud.close();
        unlock();
      })()),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`Port ${port} is in use. Set LOCAL_CLOUD_PORT to another port (0 picks a free one).`));
      } else reject(err);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** How a request speaks, decided before it is read, so that even an early refusal answers in its shape. */
type WireProtocol = 'dynamodb' | 'json' | 'query' | 'rest';

function wireProtocolOf(req: IncomingMessage, url: URL): WireProtocol {
  const target = header(req, 'x-amz-target');
  if (target) return DynamoDbService.accepts(target) ? 'dynamodb' : 'json';
  const contentType = header(req, 'content-type') ?? '';
  if (contentType.startsWith('application/x-www-form-urlencoded') || url.searchParams.has('Action')) return 'query';
  return 'rest';
}

const DYNAMODB_WIRE = { version: '1.0', errorNamespace: 'com.amazon.coral.service' } as const;

/** Writes an error in the request's own protocol, before a service was chosen. */
function writeEarlyError(
  protocols: Protocols,
  wire: WireProtocol,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  error: AwsError,
): void {
  const scope = credentialScopeOf(req);
  const queryService = scope && Object.hasOwn(protocols.query, scope.service) ? protocols.query[scope.service] : undefined;
  if (error instanceof SignatureError) {
    const json = wire === 'json' ? jsonServiceFor(protocols, header(req, 'x-amz-target') ?? '') : undefined;
    return writeSignatureError(res, requestId, error, { xmlns: queryService?.xmlns, json });
  }
  if (wire === 'dynamodb') return writeJsonError(res, DYNAMODB_WIRE, requestId, error);
  if (wire === 'json') {
    const target = header(req, 'x-amz-target') ?? '';
    const service = jsonServiceFor(protocols, target);
    return writeJsonError(res, service, requestId, error);
  }
  if (wire === 'query') {
    res.writeHead(error.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
    res.end(queryErrorXml(error, requestId, queryService?.xmlns));
    return;
  }
  writeRestError(res, undefined, requestId, error);
}

function jsonServiceFor(protocols: Protocols, target: string): JsonService | undefined {
  const prefix = target.slice(0, Math.max(0, target.lastIndexOf('.')));
  return Object.hasOwn(protocols.json, prefix) ? protocols.json[prefix] : undefined;
}

async function handle(
  cloud: Cloud,
  protocols: Protocols,
  port: () => number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const started = performance.now();
  const requestId = randomUUID();
  const url = requestUrl(req);
  const wire = wireProtocolOf(req, url);

  const refused = refuseBrowserAttack(req, port());
  if (refused) {
    writeEarlyError(protocols, wire, req, res, requestId, refused);
    cloud.log({ service: 'http', action: req.method ?? '?', status: refused.status, error: `${refused.code}: ${refused.message}` });
    return;
  }

  // Calls to a deployed API come first: they are public (no signature) and may carry any body
  // or headers, and their path shares the /restapis/{id}/ prefix with the control plane.
  if (isExecuteApiPath(url.pathname)) return protocols.executeApi.handle(req, res);
  if (isControlPath(url.pathname)) return handleControl(cloud, req, res, url);

  const target = header(req, 'x-amz-target');
  let hangUp: AbortSignal | undefined;
  const ctx: CallContext = {
    requestId,
    region: cloud.region,
    accountId: cloud.accountId,
    service: 'unknown',
    action: wire === 'dynamodb' ? (target!.split('.')[1] ?? '?') : 'unknown',
    caller: cloud.identify('anonymous'),
    cloud,
    // Made on first use: only long polls need it.
    get signal() {
      return (hangUp ??= hangUpSignal(res));
    },
  };
  const record = (status: number, error?: AwsError) =>
    cloud.log({
      service: ctx.service,
      action: ctx.action,
      status,
      ms: elapsed(started),
      caller: ctx.caller.kind === 'role' ? ctx.caller.arn : undefined,
      error: error ? `${error.code}: ${error.message}` : undefined,
    });

  let body: Buffer;
  try {
    const uploadLimit = wire === 'rest' ? codeUploadBodyLimit(req.method, url.pathname) : undefined;
    body = uploadLimit ? await readBody(req, uploadLimit.bytes, uploadLimit.refusal) : await readBody(req);
    const who = authenticate(cloud, req, url, body, wire);
    ctx.caller = who.caller;
    ctx.service = who.service ?? (wire === 'dynamodb' ? 'dynamodb' : 'unknown');
  } catch (err) {
    const error = toAwsError(err);
    // A body over the limit was drained, not kept: the connection is done with.
    if (error.status === 413) res.setHeader('connection', 'close');
    writeEarlyError(protocols, wire, req, res, requestId, error);
    return record(error.status, error);
  }

  if (wire === 'dynamodb') return handleDynamoDb(cloud, ctx, req, body, res, record);

  // awsJson: X-Amz-Target names the service and the operation.
  if (wire === 'json') {
    const service = jsonServiceFor(protocols, target!);
    ctx.action = target!.slice(target!.lastIndexOf('.') + 1);
    if (service && ctx.service === 'unknown') ctx.service = service.targetPrefix;
    try {
      if (!service) throw commonErrors.unknownOperation(target!);
      const output = await callJsonOperation(service, ctx.action, body, ctx);
      await cloud.store.flushed();
      writeJson(res, service, requestId, output);
      return record(200);
    } catch (err) {
      const error = toAwsError(err);
      writeJsonError(res, service, requestId, error);
      return record(error.status, error);
    }
  }

  // Query protocol: a form with Action=..., for the service the request was signed for.
  if (wire === 'query') {
    const isForm = (header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded');
    const params = QueryParams.parse(isForm ? body.toString('utf8') : url.search.slice(1));
    ctx.action = params.action ?? 'unknown';
    const service = Object.hasOwn(protocols.query, ctx.service)
      ? protocols.query[ctx.service]
      : guessQueryService(protocols, ctx.action, ctx);
    try {
      if (!service) throw commonErrors.invalidAction(ctx.action);
      const xml = await callQueryAction(service, params, ctx);
      await cloud.store.flushed();
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(xml);
      return record(200);
    } catch (err) {
      const error = toAwsError(err);
      res.writeHead(error.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(queryErrorXml(error, requestId, service?.xmlns));
      return record(error.status, error);
    }
  }

  // REST-JSON: method and path choose the operation.
  const method = req.method ?? 'GET';
  const services = protocols.rest.filter((s) => s.signingName === ctx.service);
  for (const service of services.length ? services : protocols.rest) {
    const match = matchRoute(service, method, url.pathname);
    if (!match.route) continue;
    ctx.service = service.signingName;
    ctx.action = match.route.operation;
    try {
      if (match.malformed) throw match.malformed;
      checkBodyDepth(body);
      const out = await match.route.handler(
        { method, path: url.pathname, params: match.params, query: url.searchParams, headers: req.headers, body },
        ctx,
      );
      await cloud.store.flushed();
      writeRest(res, requestId, out);
      return record(out.status ?? 200);
    } catch (err) {
      const error = toAwsError(err);
      writeRestError(res, service, requestId, error);
      return record(error.status, error);
    }
  }

  const error = new AwsError('UnknownOperationException', `No operation matches ${method} ${url.pathname}`, {
    status: 404,
  });
  writeRestError(res, undefined, requestId, error);
  record(error.status, error);
}

/**
 * DynamoDB is dynalite's; a function role's calls are first authorized against the role's
 * policies (dynalite itself has no IAM). The body was read already, so dynalite gets a replay.
 */
function handleDynamoDb(
  cloud: Cloud,
  ctx: CallContext,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  record: (status: number, error?: AwsError) => void,
): Promise<void> {
  if (ctx.caller.kind !== 'admin') {
    try {
      authorizeDynamoDbCall(ctx, ctx.action, body);
    } catch (err) {
      const error = toAwsError(err);
      writeJsonError(res, DYNAMODB_WIRE, ctx.requestId, error);
      record(error.status, error);
      return Promise.resolve();
    }
  }
  res.on('finish', () => record(res.statusCode));
  return cloud.dynamodb.handle(replayRequest(req, body), res);
}

/** An unsigned query request: find the one service that knows the action. */
function guessQueryService(protocols: Protocols, action: string, ctx: CallContext): QueryService | undefined {
  for (const [name, service] of Object.entries(protocols.query)) {
    if (Object.hasOwn(service.actions, action)) {
      ctx.service = name;
      return service;
    }
  }
  return undefined;
}

/**
 * Aborts when the connection closes before the response is complete (the client gave up), or
 * when the client ends its side: half-open connections are allowed, so a hang-up shows first as
 * that end. A client that only half-closed still gets the answer, given at once.
 */
function hangUpSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const socket = res.socket;
  const onClientEnd = () => controller.abort();
  if (socket?.readableEnded) controller.abort();
  else socket?.once('end', onClientEnd);
  res.once('close', () => {
    socket?.off('end', onClientEnd);
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
