import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import type { ProxyCall, ProxyOutcome, ProxyTarget } from '../../local-cloud/apigateway/proxy-target.ts';

/**
 * execute-api over real HTTP, with a stand-in for Lambda: what the function receives (the
 * AWS_PROXY event), how its answers are validated and turned into HTTP, and the answers API
 * Gateway gives itself (403, 429, 500, 502, 504).
 */
let cloud: TestCloud;
let client: APIGatewayClient;
const events: CloudEvent[] = [];

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:intake';
const OTHER_FN = 'arn:aws:lambda:us-east-1:000000000000:function:other';
const lambdaUri = (fn: string) => `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${fn}/invocations`;

/** A Lambda stand-in: records each call and answers with whatever `respond` gives. */
class FakeTarget implements ProxyTarget {
  calls: { functionArn: string; event: any; call: ProxyCall }[] = [];
  respond: (event: any) => ProxyOutcome | Promise<ProxyOutcome> = () => ({ kind: 'invoked', payload: json({ statusCode: 200 }) });
  async invoke(functionArn: string, event: unknown, call: ProxyCall): Promise<ProxyOutcome> {
    this.calls.push({ functionArn, event, call });
    return this.respond(event);
  }
}
const target = new FakeTarget();
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const returns = (value: unknown) => (target.respond = () => ({ kind: 'invoked', payload: json(value) }));

let apiId: string;
let rootId: string;
let ordersId: string;

async function addRoute(parentId: string, pathPart: string | null, httpMethod: string, fn = FN, integrationHttpMethod = 'POST') {
  const resourceId = pathPart
    ? (await client.send(new CreateResourceCommand({ restApiId: apiId, parentId, pathPart }))).id!
    : parentId;
  const ids = { restApiId: apiId, resourceId, httpMethod };
  await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
  await client.send(new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod, uri: lambdaUri(fn) }));
  return resourceId;
}

beforeAll(async () => {
  cloud = await startTestCloud();
  cloud.cloud.apigateway.proxyTarget = target;
  cloud.cloud.events.on('event', (e) => events.push(e));
  client = new APIGatewayClient(cloud.clientConfig);
  const api = await client.send(new CreateRestApiCommand({ name: 'shop' }));
  apiId = api.id!;
  rootId = api.rootResourceId!;
  ordersId = await addRoute(rootId, 'orders', 'POST');
  await addRoute(rootId, null, 'GET');
  const items = await addRoute(rootId, 'items', 'GET');
  await addRoute(items, '{id}', 'GET');
  await addRoute(items, 'special', 'GET', OTHER_FN);
  await addRoute(rootId, 'files', 'GET').then((files) => addRoute(files, '{proxy+}', 'ANY'));
  await addRoute(rootId, 'legacy', 'GET', FN, 'GET');
  await client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod', variables: { mode: 'test' } }));
});
afterAll(() => cloud?.close());
beforeEach(() => {
  target.calls = [];
  returns({ statusCode: 200 });
});

const url = (path: string, stage = 'prod', api = apiId) => `${cloud.url}/restapis/${api}/${stage}/_user_request_${path}`;

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(url(path), init);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}

/** The live-log line execute-api wrote for the latest call. */
function lastLog(): CloudEvent {
  return events.filter((e) => e.service === 'execute-api').at(-1)!;
}

describe('execute-api: the AWS_PROXY event', () => {
  it('carries the request as API Gateway does (keys, casing, multi-value fields, context)', async () => {
    const sent = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
      const req = request(
        url('/orders?size=1&size=2&note=a+b%21'),
        { method: 'POST', headers: { 'Content-Type': 'application/json', 'tEsT-HEADeR': 'aValUE', 'User-Agent': 'shop/1.0' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end('{"customerId":"c1"}');
    });
    expect(sent.status).toBe(200);
    expect(target.calls).toHaveLength(1);
    const { event, functionArn, call: invocation } = target.calls[0];

    expect(functionArn).toBe(FN);
    expect(invocation).toEqual({
      principal: 'apigateway.amazonaws.com',
      sourceArn: `arn:aws:execute-api:us-east-1:000000000000:${apiId}/prod/POST/orders`,
      sourceAccount: '000000000000',
      credentials: undefined,
    });

    expect(Object.keys(event).sort()).toEqual(
      [
        'body', 'headers', 'httpMethod', 'isBase64Encoded', 'multiValueHeaders', 'multiValueQueryStringParameters', 'path',
        'pathParameters', 'queryStringParameters', 'requestContext', 'resource', 'stageVariables',
      ].sort(),
    );
    expect(event).toMatchObject({
      resource: '/orders',
      path: '/orders',
      httpMethod: 'POST',
      body: '{"customerId":"c1"}',
      isBase64Encoded: false,
      pathParameters: null,
      queryStringParameters: { size: '2', note: 'a b!' },
      multiValueQueryStringParameters: { size: ['1', '2'], note: ['a b!'] },
      stageVariables: { mode: 'test' },
    });
    // The client's spelling of header names is kept; framing headers are not passed on.
    expect(event.headers).toMatchObject({ 'Content-Type': 'application/json', 'tEsT-HEADeR': 'aValUE', 'User-Agent': 'shop/1.0' });
    expect(event.multiValueHeaders['tEsT-HEADeR']).toEqual(['aValUE']);
    expect(Object.keys(event.headers).map((h) => h.toLowerCase())).not.toContain('content-length');
    expect(event.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1');

    const ctx = event.requestContext;
    expect(Object.keys(ctx).sort()).toEqual(
      [
        'accountId', 'apiId', 'deploymentId', 'domainName', 'domainPrefix', 'extendedRequestId', 'httpMethod', 'identity', 'path',
        'protocol', 'requestId', 'requestTime', 'requestTimeEpoch', 'resourceId', 'resourcePath', 'stage',
      ].sort(),
    );
    expect(ctx).toMatchObject({
      accountId: '000000000000',
      apiId,
      domainPrefix: apiId,
      domainName: `127.0.0.1:${cloud.port}`,
      httpMethod: 'POST',
      path: '/prod/orders',
      protocol: 'HTTP/1.1',
      resourceId: ordersId,
      resourcePath: '/orders',
      stage: 'prod',
    });
    expect(ctx.deploymentId).toMatch(/^[a-z0-9]{6}$/);
    expect(ctx.requestId).toBe(sent.headers['x-amzn-requestid']);
    expect(ctx.extendedRequestId).toBe(sent.headers['x-amz-apigw-id']);
    expect(ctx.requestTime).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(Math.abs(ctx.requestTimeEpoch - Date.now())).toBeLessThan(5_000);
    expect(ctx.identity).toEqual({
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: '127.0.0.1',
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: 'shop/1.0',
      user: null,
    });
  });

  it('a call without body or query has null body and null query fields', async () => {
    await call('/');
    const { event } = target.calls[0];
    expect(event).toMatchObject({
      resource: '/',
      path: '/',
      httpMethod: 'GET',
      body: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
    });
    expect(event.requestContext.path).toBe('/prod/');
    expect(target.calls[0].call.sourceArn).toBe(`arn:aws:execute-api:us-east-1:000000000000:${apiId}/prod/GET/`);
  });

  it('routes {param} and {proxy+} resources; a literal path part wins over a variable', async () => {
    await call('/items/42');
    expect(target.calls[0].event).toMatchObject({ resource: '/items/{id}', path: '/items/42', pathParameters: { id: '42' } });
    expect(target.calls[0].call.sourceArn).toBe(`arn:aws:execute-api:us-east-1:000000000000:${apiId}/prod/GET/items/42`);

    await call('/items/special');
    expect(target.calls[1].functionArn).toBe(OTHER_FN);

    await call('/files/a/b%2Bc/d.txt', { method: 'DELETE' });
    expect(target.calls[2].event).toMatchObject({
      resource: '/files/{proxy+}',
      httpMethod: 'DELETE',
      path: '/files/a/b%2Bc/d.txt',
      pathParameters: { proxy: 'a/b%2Bc/d.txt' },
    });
  });

  it('a body whose type is one of the API binaryMediaTypes arrives base64-encoded', async () => {
    const api = await client.send(new CreateRestApiCommand({ name: 'bin', binaryMediaTypes: ['image/*'] }));
    const ids = { restApiId: api.id!, resourceId: api.rootResourceId!, httpMethod: 'PUT' };
    await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    await client.send(new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri(FN) }));
    await client.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'v1' }));
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const res = await fetch(url('/', 'v1', api.id!), { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
    expect(res.status).toBe(200);
    expect(target.calls[0].event).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
  });
});

describe('execute-api: the proxy response', () => {
  it('statusCode, headers and body become the HTTP response, with API Gateway headers added', async () => {
    returns({ statusCode: 202, headers: { 'X-Order-Id': 'o-1', 'header-bool': true }, body: '{"orderId":"o-1"}' });
    const res = await call('/orders', { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    expect(res.text).toBe('{"orderId":"o-1"}');
    expect(res.headers.get('x-order-id')).toBe('o-1');
    expect(res.headers.get('header-bool')).toBe('true');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-amz-apigw-id')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(res.headers.get('x-amzn-trace-id')).toMatch(/^Root=1-/);
  });

  const valid: [string, unknown, number, string][] = [
    ['no body', { statusCode: 200 }, 200, ''],
    ['headers null', { statusCode: 200, headers: null }, 200, ''],
    ['statusCode as a string', { statusCode: '201' }, 201, ''],
    ['only headers (status 200)', { headers: { 'test-header': 'value' } }, 200, ''],
    ['a base64 body without binaryMediaTypes stays text', { statusCode: 200, body: 'dGVzdC1kYXRh', isBase64Encoded: true }, 200, 'dGVzdC1kYXRh'],
  ];
  it.each(valid)('accepts %s', async (_name, payload, status, body) => {
    returns(payload);
    const res = await call('/orders', { method: 'POST' });
    expect(res.status).toBe(status);
    expect(res.text).toBe(body);
  });

  const malformed: [string, unknown][] = [
    ['an extra key', { statusCode: 200, wrongValue: 'value' }],
    ['an empty object', {}],
    ['a bare string', 'justAString'],
    ['a non-numeric statusCode', { statusCode: 'test' }],
    ['multiValueHeaders that are not lists', { statusCode: 200, multiValueHeaders: { 'test-multi-invalid': 'value1' } }],
    ['a body that is not a string', { statusCode: 200, body: { orderId: 'o-1' } }],
    ['null (a handler that returns nothing)', null],
  ];
  it.each(malformed)('answers 502 for %s', async (_name, payload) => {
    returns(payload);
    const res = await call('/orders', { method: 'POST' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal server error' });
    expect(res.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
    expect(lastLog().error).toMatch(/^Execution failed due to configuration error: Malformed Lambda proxy response/);
  });

  it('merges multiValueHeaders with headers, keeping the multi-value spelling', async () => {
    returns({ statusCode: 200, multiValueHeaders: { 'test-multi': ['value1', 'value2'] } });
    expect((await call('/orders', { method: 'POST' })).headers.get('test-multi')).toBe('value1, value2');
    returns({ statusCode: 200, multiValueHeaders: { 'tesT-Multi': ['value-multi'] }, headers: { 'test-multi': 'value-solo' } });
    const raw = await new Promise<string[]>((resolve) =>
      request(url('/orders'), { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.rawHeaders);
      }).end(),
    );
    const at = raw.indexOf('tesT-Multi');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(raw[at + 1]).toBe('value-multi, value-solo');
  });

  it('decodes an isBase64Encoded body when the Accept header is one of the binaryMediaTypes', async () => {
    const api = await client.send(new CreateRestApiCommand({ name: 'img', binaryMediaTypes: ['image/png'] }));
    const ids = { restApiId: api.id!, resourceId: api.rootResourceId!, httpMethod: 'GET' };
    await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    await client.send(new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri(FN) }));
    await client.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'v1' }));
    const bytes = Buffer.from([1, 2, 3, 250]);
    returns({ statusCode: 200, headers: { 'Content-Type': 'image/png' }, body: bytes.toString('base64'), isBase64Encoded: true });
    const binary = await fetch(url('/', 'v1', api.id!), { headers: { accept: 'image/png' } });
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(bytes);
    const text = await fetch(url('/', 'v1', api.id!), { headers: { accept: 'application/json' } });
    expect(await text.text()).toBe(bytes.toString('base64'));
  });

  it('a function error answers 502 and logs the function error message', async () => {
    target.respond = () => ({
      kind: 'invoked',
      payload: json({ errorType: 'TypeError', errorMessage: 'boom', trace: [] }),
      functionError: 'Unhandled',
    });
    const res = await call('/orders', { method: 'POST' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal server error' });
    expect(lastLog().error).toBe('Lambda execution failed with status 200 due to customer function error: boom');
  });
});

describe('execute-api: answers of API Gateway itself', () => {
  const missingToken = async (res: Awaited<ReturnType<typeof call>>) => {
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({ message: 'Missing Authentication Token' });
    expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  };

  it('403 Missing Authentication Token for an unknown path, method, stage or API', async () => {
    await missingToken(await call('/nowhere'));
    await missingToken(await call('/orders', { method: 'GET' }));
    await missingToken(await call('/items/1/2'));
    await missingToken(await fetch(url('/orders', 'staging'), { method: 'POST' }).then(toResult));
    await missingToken(await fetch(url('/orders', 'prod', 'nosuchapi0'), { method: 'POST' }).then(toResult));
    expect(target.calls).toHaveLength(0);
    expect(lastLog()).toMatchObject({ service: 'execute-api', status: 403 });
  });

  it('serves the deployment, not later edits, until the API is deployed again', async () => {
    const later = await addRoute(rootId, 'later', 'GET');
    await missingToken(await call('/later'));
    // Re-pointing POST /orders at another function does not change the deployed route either.
    await client.send(
      new PutIntegrationCommand({
        restApiId: apiId, resourceId: ordersId, httpMethod: 'POST', type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri(OTHER_FN),
      }),
    );
    await call('/orders', { method: 'POST' });
    expect(target.calls.at(-1)!.functionArn).toBe(FN);

    await client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
    expect((await call('/later')).status).toBe(200);
    expect(target.calls.at(-1)!.event.requestContext.resourceId).toBe(later);
    await call('/orders', { method: 'POST' });
    expect(target.calls.at(-1)!.functionArn).toBe(OTHER_FN);
  });

  it('500 when the function resource policy does not allow API Gateway, with the reason in the live log', async () => {
    target.respond = () => ({ kind: 'denied' });
    const res = await call('/orders', { method: 'POST' });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal server error' });
    expect(res.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
    const log = lastLog();
    expect(log.error).toMatch(/^Execution failed due to configuration error: Invalid permissions on Lambda function/);
    expect(log.error).toContain(`arn:aws:execute-api:us-east-1:000000000000:${apiId}/prod/POST/orders`);
  });

  it('500 when the integration calls Lambda with another method than POST', async () => {
    const res = await call('/legacy');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal server error' });
    expect(target.calls).toHaveLength(0);
    expect(lastLog().error).toContain('integrationHttpMethod POST');
  });

  it('504 when the function does not answer within the integration timeout', async () => {
    const api = await client.send(new CreateRestApiCommand({ name: 'slow' }));
    const ids = { restApiId: api.id!, resourceId: api.rootResourceId!, httpMethod: 'GET' };
    await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    await client.send(
      new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri(FN), timeoutInMillis: 50 }),
    );
    await client.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'v1' }));
    let release!: () => void;
    target.respond = () =>
      new Promise((resolve) => (release = () => resolve({ kind: 'invoked', payload: json({ statusCode: 200 }) })));
    try {
      const res = await fetch(url('/', 'v1', api.id!)).then(toResult);
      expect(res.status).toBe(504);
      expect(JSON.parse(res.text)).toEqual({ message: 'Endpoint request timed out' });
    } finally {
      release();
    }
  });

  it('429 Too Many Requests once the stage throttling bucket is empty', async () => {
    await client.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: 'prod',
        patchOperations: [
          { op: 'replace', path: '/*/*/throttling/rateLimit', value: '0.01' },
          { op: 'replace', path: '/*/*/throttling/burstLimit', value: '2' },
        ],
      }),
    );
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call('/orders', { method: 'POST' })).status);
      expect(statuses).toEqual([200, 200, 429, 429]);
      const res = await call('/orders', { method: 'POST' });
      expect(JSON.parse(res.text)).toEqual({ message: 'Too Many Requests' });
      expect(res.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
      expect(target.calls).toHaveLength(2);
      // Each method has its own bucket.
      expect((await call('/')).status).toBe(200);
    } finally {
      await client.send(
        new UpdateStageCommand({ restApiId: apiId, stageName: 'prod', patchOperations: [{ op: 'remove', path: '/*/*' }] }),
      );
    }
    expect((await call('/orders', { method: 'POST' })).status).toBe(200);
  });
});

async function toResult(res: Response) {
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}
