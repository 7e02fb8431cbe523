import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, CreateFunctionCommand, LambdaClient, RemovePermissionCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * A GET route with a path parameter (GET /orders/{orderId}) in front of a real function, over
 * HTTP: the proxy event carries the parameter by name and the resource's path; API Gateway
 * presents the path as called in its SourceArn, so a permission for /orders/* lets every order
 * in, and one written with the literal {orderId} lets none.
 */
let cloud: TestCloud;
let apigw: APIGatewayClient;
let lambda: LambdaClient;
let apiId: string;
let ordersId: string;
const FUNCTION = 'status-echo';

beforeAll(async () => {
  cloud = await startTestCloud();
  apigw = new APIGatewayClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  const { Role } = await new IAMClient(cloud.clientConfig).send(
    new CreateRoleCommand({
      RoleName: 'status-echo-role',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }),
  );
  const code = `export const handler = async (event) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(event) });`;
  const fn = await lambda.send(
    new CreateFunctionCommand({ FunctionName: FUNCTION, Runtime: 'nodejs22.x', Handler: 'index.handler', Role: Role!.Arn, Code: { ZipFile: zipSync({ 'index.mjs': strToU8(code) }) } }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: FUNCTION });

  const api = await apigw.send(new CreateRestApiCommand({ name: 'shop' }));
  apiId = api.id!;
  ordersId = (await apigw.send(new CreateResourceCommand({ restApiId: apiId, parentId: api.rootResourceId, pathPart: 'orders' }))).id!;
  const order = await apigw.send(new CreateResourceCommand({ restApiId: apiId, parentId: ordersId, pathPart: '{orderId}' }));
  expect(order).toMatchObject({ path: '/orders/{orderId}', pathPart: '{orderId}', parentId: ordersId });
  const ids = { restApiId: apiId, resourceId: order.id!, httpMethod: 'GET' };
  await apigw.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
  await apigw.send(
    new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${fn.FunctionArn}/invocations` }),
  );
  await apigw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'v1' }));
});
afterAll(() => cloud?.close());

const url = (path: string) => `${cloud.url}/restapis/${apiId}/v1/_user_request_${path}`;

async function allowOnly(sourceArn: string): Promise<void> {
  await lambda.send(new RemovePermissionCommand({ FunctionName: FUNCTION, StatementId: 'apigateway' })).catch(() => {});
  await lambda.send(
    new AddPermissionCommand({ FunctionName: FUNCTION, StatementId: 'apigateway', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: sourceArn }),
  );
}

const arn = (tail: string) => `arn:aws:execute-api:us-east-1:000000000000:${apiId}/${tail}`;

describe('execute-api: a GET route with a path parameter', () => {
  it('GET /orders/ID reaches the function with pathParameters {orderId: ID} and the resource /orders/{orderId}', async () => {
    await allowOnly(arn('*/GET/orders/*'));
    const id = '3f2c9b1e-7d4a-4c1b-9a55-0e6f1b2c3d4e';
    const res = await fetch(url(`/orders/${id}?verbose=1`));
    expect(res.status).toBe(200);
    const event = (await res.json()) as { requestContext: unknown };
    expect(event).toMatchObject({
      resource: '/orders/{orderId}',
      path: `/orders/${id}`,
      httpMethod: 'GET',
      pathParameters: { orderId: id },
      queryStringParameters: { verbose: '1' },
      body: null,
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({ resourcePath: '/orders/{orderId}', httpMethod: 'GET', path: `/v1/orders/${id}`, stage: 'v1' });
  });

  it('a path parameter value arrives as sent, percent-encoding kept', async () => {
    await allowOnly(arn('*/GET/orders/*'));
    const event = (await (await fetch(url('/orders/a%20b%2Fc'))).json()) as { pathParameters: unknown };
    expect(event.pathParameters).toEqual({ orderId: 'a%20b%2Fc' });
  });

  it('what the route does not match answers 403 Missing Authentication Token: no id, one segment too many, another method', async () => {
    await allowOnly(arn('*/GET/orders/*'));
    for (const [method, path] of [['GET', '/orders'], ['GET', '/orders/1/2'], ['DELETE', '/orders/1'], ['POST', '/orders/1']]) {
      const res = await fetch(url(path), { method });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
    }
  });

  it('the SourceArn API Gateway presents carries the path as called: /orders/* lets it in, the literal /orders/{orderId} does not', async () => {
    await allowOnly(arn('*/GET/orders/{orderId}'));
    const refused = await fetch(url('/orders/42'));
    expect(refused.status).toBe(500);
    expect(await refused.json()).toEqual({ message: 'Internal server error' });

    await allowOnly(arn('v1/GET/orders/42'));
    expect((await fetch(url('/orders/42'))).status).toBe(200);
    expect((await fetch(url('/orders/43'))).status).toBe(500);
  });

  it('bad path parts are refused (400): a second variable among siblings, a malformed or empty part; __proto__ and a huge part are plain names', async () => {
    await expect(apigw.send(new CreateResourceCommand({ restApiId: apiId, parentId: ordersId, pathPart: '{id}' }))).rejects.toMatchObject({
      name: 'BadRequestException',
      $metadata: { httpStatusCode: 400 },
    });
    for (const pathPart of ['{orderId', 'a/b', '{}', '']) {
      await expect(apigw.send(new CreateResourceCommand({ restApiId: apiId, parentId: ordersId, pathPart })), pathPart.slice(0, 20)).rejects.toMatchObject({
        name: 'BadRequestException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const proto = await apigw.send(new CreateResourceCommand({ restApiId: apiId, parentId: ordersId, pathPart: '__proto__' }));
    expect(proto.path).toBe('/orders/__proto__');
    // A huge (2,000-character) path part is a client's business, never a server error.
    const huge = await apigw.send(new CreateResourceCommand({ restApiId: apiId, parentId: ordersId, pathPart: 'x'.repeat(2000) }));
    expect(huge.path).toBe(`/orders/${'x'.repeat(2000)}`);
  });
});
