import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipSync, strToU8 } from 'fflate';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';

/**
 * API Gateway in front of real Lambda functions, end to end over HTTP: the function runs,
 * sees the proxy event, and its answer (or error) reaches the caller the way it does on AWS;
 * the function's resource policy decides whether API Gateway may invoke it at all.
 */
let cloud: TestCloud;
let apigw: APIGatewayClient;
let lambda: LambdaClient;
let apiId: string;
const events: CloudEvent[] = [];

const HANDLERS = {
  // Answers with the event it received.
  plain: `export const handler = async () => ({ statusCode: 200, body: 'plain' });`,
  echo: `export const handler = async (event) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) });`,
  // Answers with whatever the request body says: lets a test choose the proxy response.
  fromBody: `export const handler = async (event) => JSON.parse(event.body);`,
  throws: `export const handler = async () => { throw new TypeError('no such order'); };`,
};

async function createFunction(name: keyof typeof HANDLERS, roleArn: string) {
  const zip = zipSync({ 'index.mjs': strToU8(HANDLERS[name]) });
  const fn = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: roleArn,
      Code: { ZipFile: zip },
    }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: name });
  return fn.FunctionArn!;
}

/** A resource /PATH with an ANY method proxied to the function (through a role when `credentials` names one). */
async function route(rootId: string, pathPart: string, functionArn: string, credentials?: string) {
  const resource = await apigw.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart }));
  const ids = { restApiId: apiId, resourceId: resource.id!, httpMethod: 'ANY' };
  await apigw.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
  await apigw.send(
    new PutIntegrationCommand({
      ...ids,
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
      credentials,
    }),
  );
}

const allowApiGateway = (name: string, sourceArn: string, sid = 'apigateway') =>
  lambda.send(
    new AddPermissionCommand({
      FunctionName: name,
      StatementId: sid,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sourceArn,
    }),
  );

beforeAll(async () => {
  cloud = await startTestCloud();
  cloud.cloud.events.on('event', (e) => events.push(e));
  apigw = new APIGatewayClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  const iam = new IAMClient(cloud.clientConfig);
  const trusting = async (RoleName: string, service: string) =>
    (
      await iam.send(
        new CreateRoleCommand({
          RoleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
          }),
        }),
      )
    ).Role!.Arn!;
  const roleArn = await trusting('api-functions', 'lambda.amazonaws.com');
  const [echo, fromBody, throws, plain] = await Promise.all([
    createFunction('echo', roleArn),
    createFunction('fromBody', roleArn),
    createFunction('throws', roleArn),
    createFunction('plain', roleArn),
  ]);
  // Integration credentials: API Gateway assumes a role that may invoke "plain" (which has no resource policy).
  const invoker = await trusting('api-invoker', 'apigateway.amazonaws.com');
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'api-invoker',
      PolicyName: 'invoke',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: plain }],
      }),
    }),
  );
  const powerless = await trusting('api-powerless', 'apigateway.amazonaws.com');

  const api = await apigw.send(new CreateRestApiCommand({ name: 'shop' }));
  apiId = api.id!;
  await route(api.rootResourceId!, 'echo', echo);
  await route(api.rootResourceId!, 'respond', fromBody);
  await route(api.rootResourceId!, 'throws', throws);
  await route(api.rootResourceId!, 'unpermitted', echo.replace(':echo', ':throws'));
  await route(api.rootResourceId!, 'via-role', plain, invoker);
  await route(api.rootResourceId!, 'via-powerless-role', plain, powerless);
  await apigw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));

  const source = (path: string) => `arn:aws:execute-api:us-east-1:000000000000:${apiId}/*/*/${path}`;
  await allowApiGateway('echo', source('echo'));
  await allowApiGateway('fromBody', source('respond'));
  // "throws" may be invoked for /throws only: /unpermitted points at it without a matching grant.
  await allowApiGateway('throws', source('throws'));
}, 60_000);
afterAll(() => cloud?.close());

const url = (path: string) => `${cloud.url}/restapis/${apiId}/prod/_user_request_${path}`;

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(url(path), init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('API Gateway → Lambda (AWS_PROXY), end to end', () => {
  it('the function receives the proxy event and its answer reaches the caller', async () => {
    const res = await call('/echo?customer=c1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop': 'web' },
      body: JSON.stringify({ items: [{ sku: 'A', quantity: 1 }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
    const event = JSON.parse(res.text);
    expect(event).toMatchObject({
      resource: '/echo',
      path: '/echo',
      httpMethod: 'POST',
      body: '{"items":[{"sku":"A","quantity":1}]}',
      isBase64Encoded: false,
      queryStringParameters: { customer: 'c1' },
      multiValueQueryStringParameters: { customer: ['c1'] },
      pathParameters: null,
      stageVariables: null,
      requestContext: { apiId, stage: 'prod', path: '/prod/echo', resourcePath: '/echo', httpMethod: 'POST' },
    });
    expect(event.headers['x-shop']).toBe('web');
    expect(event.requestContext.requestId).toBe(res.headers.get('x-amzn-requestid'));
  });

  it('validates the proxy response as AWS does', async () => {
    const respond = (payload: unknown) => call('/respond', { method: 'POST', body: JSON.stringify(payload) });
    expect(await respond({ statusCode: 201, body: 'made' })).toMatchObject({ status: 201, text: 'made' });
    expect(await respond({ statusCode: '201' })).toMatchObject({ status: 201, text: '' });
    expect(await respond({ statusCode: 200, headers: null })).toMatchObject({ status: 200 });
    for (const malformed of [{ statusCode: 200, wrongValue: 'value' }, {}, 'justAString', { statusCode: 'test' }]) {
      const res = await respond(malformed);
      expect(res.status, JSON.stringify(malformed)).toBe(502);
      expect(JSON.parse(res.text)).toEqual({ message: 'Internal server error' });
    }
  });

  it('a function that throws answers 502 Internal server error', async () => {
    const res = await call('/throws');
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal server error' });
    expect(events.filter((e) => e.service === 'execute-api').at(-1)!.error).toContain('no such order');
  });

  it('without an invoke permission for this SourceArn the call answers 500, and the live log says why', async () => {
    const res = await call('/unpermitted');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.text)).toEqual({ message: 'Internal server error' });
    expect(res.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
    const log = events.filter((e) => e.service === 'execute-api').at(-1)!;
    expect(log.error).toMatch(/^Execution failed due to configuration error: Invalid permissions on Lambda function/);
    expect(log.error).toContain(`${apiId}/prod/GET/unpermitted`);
  });

  it('with integration credentials, the role (not the resource policy) decides', async () => {
    expect(await call('/via-role')).toMatchObject({ status: 200, text: 'plain' });
    const denied = await call('/via-powerless-role');
    expect(denied.status).toBe(500);
    expect(JSON.parse(denied.text)).toEqual({ message: 'Internal server error' });
    expect(events.filter((e) => e.service === 'execute-api').at(-1)!.error).toContain(
      'the integration role arn:aws:iam::000000000000:role/api-powerless is not allowed lambda:InvokeFunction',
    );
  });

  it('an unknown path answers 403 Missing Authentication Token without invoking anything', async () => {
    const res = await call('/orders');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({ message: 'Missing Authentication Token' });
  });
});
