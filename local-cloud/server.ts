import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Cloud, type CloudOptions } from './cloud.ts';
import { lockDataDir } from './state/store.ts';
import { parseCredentialScope, type CallContext } from './core/context.ts';
import { AwsError, commonErrors, toAwsError } from './protocol/errors.ts';
import { callJsonOperation, writeJson, writeJsonError, type JsonService } from './protocol/awsJson.ts';
import { QueryParams, callQueryAction, queryErrorXml, type QueryService } from './protocol/awsQuery.ts';
import { matchRoute, writeRest, writeRestError, type RestService } from './protocol/restJson.ts';
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

const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface LocalCloudOptions {
  /** 0 picks a free port. */
  port?: number;
  /** null keeps state in memory only. */
  dataDir?: string | null;
  region?: string;
}

export interface LocalCloud {
  url: string;
  port: number;
  cloud: Cloud;
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
  const dataDir = options.dataDir === undefined ? null : options.dataDir;
  const unlock = dataDir ? lockDataDir(dataDir) : () => undefined;
  let cloud: Cloud;
  try {
    cloud = new Cloud({ dataDir, region: options.region ?? 'us-east-1' } satisfies CloudOptions);
  } catch (err) {
    unlock();
    throw err;
  }
  const protocols = protocolsFor(cloud);
  const server = createServer((req, res) => {
    handle(cloud, protocols, req, res).catch((err) => {
      // Last resort: never let one request take the process down.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`Internal error: ${(err as Error).message}`);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  server.keepAliveTimeout = 65_000;

  await listen(server, options.port ?? 4566).catch(async (err) => {
    await cloud.close();
    unlock();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  cloud.baseUrl = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: cloud.baseUrl,
    port,
    cloud,
    close: () =>
      (closing ??= (async () => {
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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AwsError('RequestEntityTooLarge', 'Request body is too large.', { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(cloud: Cloud, protocols: Protocols, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'http://local');
  const target = header(req, 'x-amz-target');

  // Calls to a deployed API come first: they are unsigned and may carry any body or headers,
  // and their path shares the /restapis/{id}/ prefix with the control plane.
  if (isExecuteApiPath(url.pathname)) return protocols.executeApi.handle(req, res);
  if (DynamoDbService.accepts(target)) return handleDynamoDb(cloud, target!, req, res, started);
  if (url.pathname === '/_localcloud/health') {
    writeRest(res, randomUUID(), { body: { status: 'ready', pid: process.pid, region: cloud.region } });
    return;
  }
  if (url.pathname === '/_localcloud/faults') return handleFaults(cloud, req, res);

  const requestId = randomUUID();
  const scope = parseCredentialScope(header(req, 'authorization'));
  let hangUp: AbortSignal | undefined;
  const ctx: CallContext = {
    requestId,
    region: cloud.region,
    accountId: cloud.accountId,
    service: scope?.service ?? 'unknown',
    action: 'unknown',
    caller: cloud.identify(scope?.accessKeyId ?? 'anonymous'),
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
    body = await readBody(req);
  } catch (err) {
    const error = toAwsError(err);
    writeRestError(res, undefined, requestId, error);
    return record(error.status, error);
  }

  // awsJson: X-Amz-Target names the service and the operation.
  if (target) {
    const dot = target.lastIndexOf('.');
    const service = protocols.json[target.slice(0, dot)];
    ctx.action = target.slice(dot + 1);
    if (service) ctx.service = scope?.service ?? service.targetPrefix;
    try {
      if (!service) throw commonErrors.unknownOperation(target);
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
  const contentType = header(req, 'content-type') ?? '';
  const isForm = contentType.startsWith('application/x-www-form-urlencoded');
  if (isForm || url.searchParams.has('Action')) {
    const params = QueryParams.parse(isForm ? body.toString('utf8') : url.search.slice(1));
    ctx.action = params.action ?? 'unknown';
    const service = protocols.query[ctx.service] ?? guessQueryService(protocols, ctx.action, ctx);
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
 * DynamoDB is dynalite's; the admin's calls go straight to it, while a function role's calls are
 * first authorized against the role's policies (dynalite itself has no IAM).
 */
async function handleDynamoDb(
  cloud: Cloud,
  target: string,
  req: IncomingMessage,
  res: ServerResponse,
  started: number,
): Promise<void> {
  const operation = target.split('.')[1] ?? '?';
  const scope = parseCredentialScope(header(req, 'authorization'));
  const caller = cloud.identify(scope?.accessKeyId ?? 'anonymous');
  res.on('finish', () =>
    cloud.log({
      service: 'dynamodb',
      action: operation,
      status: res.statusCode,
      ms: elapsed(started),
      caller: caller.kind === 'role' ? caller.arn : undefined,
    }),
  );
  if (caller.kind === 'admin') return cloud.dynamodb.handle(req, res);
  const requestId = randomUUID();
  const body = await readBody(req);
  const ctx: CallContext = {
    requestId,
    region: cloud.region,
    accountId: cloud.accountId,
    service: 'dynamodb',
    action: operation,
    caller,
    cloud,
  };
  try {
    authorizeDynamoDbCall(ctx, operation, body);
  } catch (err) {
    const error = toAwsError(err);
    writeJsonError(res, { version: '1.0', errorNamespace: 'com.amazon.coral.service' }, requestId, error);
    cloud.log({ service: 'dynamodb', action: operation, status: error.status, error: `${error.code}: ${error.message}` });
    return;
  }
  return cloud.dynamodb.handle(replayRequest(req, body), res);
}

/** GET shows the fault switches; POST sets them, e.g. {"roleNotAssumableFor": N} (see core/faults.ts). */
async function handleFaults(cloud: Cloud, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method === 'POST') cloud.faults.set(JSON.parse((await readBody(req)).toString('utf8') || '{}'));
    writeRest(res, randomUUID(), { body: cloud.faults.current() });
  } catch (err) {
    writeRest(res, randomUUID(), { status: 400, body: { message: (err as Error).message } });
  }
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

/** Aborts when the connection closes before the response is complete (the client gave up). */
function hangUpSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
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
