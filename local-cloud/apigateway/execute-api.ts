import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import type { DeployedStage } from './backend.ts';
import { newExtendedRequestId } from './ids.ts';
import { lambdaFunctionArn } from './integration-uri.ts';
import type { MethodSettingRecord } from './model.ts';
import { buildProxyEvent, matchesMediaType, traceId } from './proxy-event.ts';
import { parseProxyResponse, type ProxyHttpResponse } from './proxy-response.ts';
import type { ProxyOutcome } from './proxy-target.ts';
import { matchRoute, type RouteMatch } from './routing.ts';
import { Throttles } from './throttle.ts';
import { readBody } from '../core/http/body.ts';
import { rawRequestTarget, requestUrl } from '../core/http/request-url.ts';
import { AwsError } from '../protocol/errors.ts';

/** The local stand-in for https://API.execute-api.REGION.amazonaws.com/STAGE/PATH. */
const EXECUTE_API_PATH = /^\/restapis\/([^/?]+)\/([^/?]+)\/_user_request_(\/[^?]*)?(?:\?(.*))?$/;

/** API Gateway's payload limit for REST APIs. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export function isExecuteApiPath(pathname: string): boolean {
  return EXECUTE_API_PATH.test(pathname);
}

/** One call to a deployed API, as it goes through the data plane. */
interface CallInfo {
  req: IncomingMessage;
  apiId: string;
  stageName: string;
  /** The path after the stage, as sent (percent-encoding kept). */
  rawPath: string;
  query: string;
  method: string;
  now: Date;
  requestId: string;
  extendedRequestId: string;
  traceId?: string;
  binaryMediaTypes?: string[];
}

/** An answer API Gateway gives itself (not the integration's), with its error type. */
interface GatewayAnswer {
  status: number;
  message: string;
  errorType?: string;
  /** Why, for the live log (API Gateway's execution log). */
  reason?: string;
}

const missingToken = (reason: string): GatewayAnswer => ({
  status: 403,
  message: 'Missing Authentication Token',
  errorType: 'MissingAuthenticationTokenException',
  reason,
});
const internalError = (status: 500 | 502, reason: string): GatewayAnswer => ({
  status,
  message: 'Internal server error',
  errorType: 'InternalServerErrorException',
  reason,
});

/**
 * The execute-api data plane: serves calls to deployed stages. It routes to the method of the
 * stage's deployment (later edits stay invisible until redeployed), applies the stage's
 * throttling, invokes the Lambda function of an AWS_PROXY integration as
 * apigateway.amazonaws.com, and turns the proxy response into HTTP.
 */
export class ExecuteApi {
  private readonly throttles = new Throttles();

  constructor(readonly cloud: Cloud) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    // As sent; the normalised form (dot segments resolved) when only that one names a stage.
    const url = requestUrl(req);
    const [, apiId, stageName, rawPath = '/', query = ''] =
      EXECUTE_API_PATH.exec(rawRequestTarget(req)) ?? EXECUTE_API_PATH.exec(`${url.pathname}${url.search}`)!;
    const call: CallInfo = {
      req,
      apiId,
      stageName,
      rawPath,
      query,
      method: req.method ?? 'GET',
      now: new Date(),
      requestId: randomUUID(),
      extendedRequestId: newExtendedRequestId(),
    };
    const body = await readPayload(req, res);
    if (body === null) return; // the client hung up mid-body
    const result: GatewayAnswer | ProxyHttpResponse = body
      ? await this.serve(call, body)
      : { status: 413, message: 'Request Too Long', errorType: 'RequestTooLongException', reason: 'payload over 10 MB' };

    const common = { 'x-amzn-RequestId': call.requestId, 'x-amz-apigw-id': call.extendedRequestId };
    let status: number;
    let reason: string | undefined;
    if ('message' in result) {
      const payload = JSON.stringify({ message: result.message });
      res.writeHead(result.status, {
        ...common,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(payload),
        ...(result.errorType ? { 'x-amzn-ErrorType': result.errorType } : {}),
      });
      res.end(payload);
      ({ status, reason } = result);
    } else {
      this.writeProxyResponse(call, result, common, res);
      status = result.statusCode;
    }
    this.cloud.log({
      service: 'execute-api',
      action: `${call.method} /${stageName}${rawPath}`,
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
      detail: `api ${apiId}`,
      error: reason,
    });
  }

  /** Routes the call and runs its integration: the function's response, or API Gateway's own answer. */
  private async serve(call: CallInfo, body: Buffer): Promise<GatewayAnswer | ProxyHttpResponse> {
    const { apiId, stageName, rawPath, method } = call;
    const deployed = this.cloud.apigateway.deployedStage(apiId, stageName);
    if (!deployed) return missingToken(`no deployed stage "${stageName}" on REST API ${apiId}`);
    if (deployed.api.disableExecuteApiEndpoint) {
      return { status: 403, message: 'Forbidden', errorType: 'ForbiddenException', reason: 'the API disables its execute-api endpoint' };
    }
    const route = matchRoute(deployed.deployment.snapshot.resources, rawPath, method);
    if (!route) return missingToken(`no deployed method ${method} ${rawPath} in stage "${stageName}"`);
    const refusal = this.checkAccess(call.req, route) ?? this.throttle(deployed, route, method);
    if (refusal) return refusal;

    const integration = route.method.methodIntegration!;
    if (integration.type !== 'AWS_PROXY') {
      return internalError(500, `integration type ${integration.type} is not supported by the local cloud (use AWS_PROXY)`);
    }
    const functionArn = lambdaFunctionArn(integration.uri ?? '', deployed.stage.variables);
    if (!functionArn) return internalError(500, `Execution failed due to configuration error: Invalid integration URI ${integration.uri}`);
    if (integration.httpMethod !== 'POST') {
      // Lambda's Invoke API only takes POST, so any other integration method fails every call.
      return internalError(
        500,
        `Execution failed due to configuration error: the integration calls Lambda with ${integration.httpMethod}; ` +
          'Lambda proxy integrations must use integrationHttpMethod POST',
      );
    }

    const event = buildProxyEvent({
      req: call.req,
      body,
      accountId: this.cloud.accountId,
      apiId,
      stage: stageName,
      deploymentId: deployed.deployment.id,
      stageVariables: deployed.stage.variables,
      binaryMediaTypes: deployed.deployment.snapshot.binaryMediaTypes,
      requestPath: rawPath,
      query: call.query,
      route,
      requestId: call.requestId,
      extendedRequestId: call.extendedRequestId,
      serverPort: call.req.socket.localPort ?? 0,
      now: call.now,
    });
    call.traceId = event.headers?.['X-Amzn-Trace-Id'];
    call.binaryMediaTypes = deployed.deployment.snapshot.binaryMediaTypes;
    // The path as called, not the resource's: /orders/42, never /orders/{orderId}. A permission whose
    // SourceArn names "{orderId}" matches nothing; /orders/* matches every order.
    const sourceArn = `arn:aws:execute-api:${this.cloud.region}:${this.cloud.accountId}:${apiId}/${stageName}/${method}${calledPath(rawPath)}`;

    let outcome: ProxyOutcome | 'timeout';
    try {
      outcome = await withTimeout(
        this.cloud.apigateway.proxyTarget.invoke(functionArn, event, {
          principal: 'apigateway.amazonaws.com',
          sourceArn,
          sourceAccount: this.cloud.accountId,
          credentials: integration.credentials,
        }),
        integration.timeoutInMillis,
      );
    } catch (err) {
      return internalError(500, `Execution failed: ${(err as Error).message}`);
    }
    if (outcome === 'timeout') {
      return { status: 504, message: 'Endpoint request timed out', reason: `no answer from ${functionArn} within ${integration.timeoutInMillis} ms` };
    }
    if (outcome.kind !== 'invoked' || outcome.functionError) return describeFailure(outcome, functionArn, sourceArn);
    const parsed = parseProxyResponse(outcome.payload);
    if (!parsed.ok) {
      return internalError(502, `Execution failed due to configuration error: Malformed Lambda proxy response (${parsed.reason})`);
    }
    return parsed.response;
  }

  private writeProxyResponse(call: CallInfo, response: ProxyHttpResponse, common: Record<string, string>, res: ServerResponse): void {
    // A base64 body is sent as bytes only when the client accepts one of the API's binary media types.
    const binary = response.isBase64Encoded && matchesMediaType(header(call.req, 'accept'), call.binaryMediaTypes ?? []);
    const payload = Buffer.from(response.body, binary ? 'base64' : 'utf8');
    const headers: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (!/^(content-length|transfer-encoding|connection)$/i.test(name)) headers[name] = value;
    }
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    Object.assign(headers, common, { 'X-Amzn-Trace-Id': call.traceId ?? traceId(call.now) });
    headers['Content-Length'] = payload.length;
    res.writeHead(response.statusCode, headers);
    res.end(call.method === 'HEAD' ? undefined : payload);
  }

  /** Method-level access: IAM-authorized methods need a signed request; API keys are not issued here. */
  private checkAccess(req: IncomingMessage, route: RouteMatch): GatewayAnswer | undefined {
    const { authorizationType, apiKeyRequired } = route.method;
    if (authorizationType === 'AWS_IAM' && !header(req, 'authorization')?.startsWith('AWS4-HMAC-SHA256')) {
      return missingToken('the method requires AWS_IAM authorization and the request is not signed');
    }
    if (authorizationType === 'CUSTOM' || authorizationType === 'COGNITO_USER_POOLS') {
      return internalError(500, `authorizers (${authorizationType}) are not supported by the local cloud`);
    }
    if (apiKeyRequired) {
      return { status: 403, message: 'Forbidden', errorType: 'ForbiddenException', reason: 'the method requires an API key' };
    }
    return undefined;
  }

  /** Stage throttling, when the stage sets it (method settings for the method, else for *\/*). */
  private throttle(deployed: DeployedStage, route: RouteMatch, method: string): GatewayAnswer | undefined {
    const settings = deployed.stage.methodSettings;
    const resource = route.resource.path.slice(1);
    const key = [`${resource}/${method}`, `${resource}/${route.method.httpMethod}`].find((k) => settings[k]);
    const setting: MethodSettingRecord | undefined = key ? settings[key] : settings['*/*'];
    if (!setting) return undefined;
    // Each method has its own bucket, whether its limits are its own or the stage-wide ones.
    const bucket = `${deployed.api.id}/${deployed.stage.stageName} ${key ?? `${resource}/${method}`}`;
    if (this.throttles.take(bucket, setting.throttlingRateLimit, setting.throttlingBurstLimit)) return undefined;
    return {
      status: 429,
      message: 'Too Many Requests',
      errorType: 'TooManyRequestsException',
      reason: `throttled by stage "${deployed.stage.stageName}" (rate ${setting.throttlingRateLimit}/s, burst ${setting.throttlingBurstLimit})`,
    };
  }
}

/** How a failed invocation shows to the caller; the reason wording follows API Gateway's execution log. */
function describeFailure(outcome: ProxyOutcome, functionArn: string, sourceArn: string): GatewayAnswer {
  switch (outcome.kind) {
    case 'denied':
      return internalError(
        500,
        outcome.reason ??
          'Execution failed due to configuration error: Invalid permissions on Lambda function ' +
          `(its resource policy must allow lambda:InvokeFunction for principal apigateway.amazonaws.com ` +
          `with a SourceArn matching ${sourceArn}; see lambda AddPermission)`,
      );
    case 'not-found':
      return internalError(500, `Execution failed due to configuration error: Function not found: ${functionArn}`);
    case 'invoked':
      return internalError(
        502,
        `Lambda execution failed with status 200 due to customer function error: ${errorMessageOf(outcome.payload)}`,
      );
  }
}

function errorMessageOf(payload: Buffer): string {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { errorMessage?: string };
    return parsed.errorMessage ?? payload.toString('utf8');
  } catch {
    return payload.toString('utf8');
  }
}

/** The request path as the source ARN carries it: one leading slash, no trailing one ("/" for the root). */
function calledPath(rawPath: string): string {
  return `/${rawPath.replace(/^\/+/, '').replace(/\/$/, '')}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The request body; undefined when it exceeds API Gateway's payload limit (the connection then
 * closes after the answer), null when the client hung up before sending all of it.
 */
async function readPayload(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined | null> {
  try {
    return await readBody(req, MAX_PAYLOAD_BYTES);
  } catch (err) {
    if (err instanceof AwsError && err.status === 413) {
      res.setHeader('connection', 'close');
      return undefined;
    }
    return null;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
