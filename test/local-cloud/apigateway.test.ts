import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  DeleteMethodCommand,
  DeleteResourceCommand,
  DeleteRestApiCommand,
  GetDeploymentsCommand,
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  GetStageCommand,
  GetStagesCommand,
  GetTagsCommand,
  PutIntegrationCommand,
  PutIntegrationResponseCommand,
  PutMethodCommand,
  PutMethodResponseCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateStageCommand,
  type PutIntegrationCommandInput,
} from '@aws-sdk/client-api-gateway';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

let cloud: TestCloud;
let client: APIGatewayClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  client = new APIGatewayClient(cloud.clientConfig);
});
afterAll(() => cloud?.close());

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:intake';
const lambdaUri = (fn = FN) => `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${fn}/invocations`;

/** The SDK error a call fails with: name, message, HTTP status. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

async function newApi(name = 'orders-api') {
  const api = await client.send(new CreateRestApiCommand({ name }));
  return { apiId: api.id!, rootId: api.rootResourceId! };
}

/** An API with POST /orders → AWS_PROXY, ready to deploy. */
async function ordersApi() {
  const { apiId, rootId } = await newApi();
  const orders = await client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'orders' }));
  const ids = { restApiId: apiId, resourceId: orders.id!, httpMethod: 'POST' };
  await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
  await client.send(new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri() }));
  return { apiId, rootId, ordersId: orders.id!, ids };
}

describe('API Gateway REST APIs (SDK)', () => {
  it('CreateRestApi answers 201 with AWS defaults, an id of 10 lowercase alphanumerics and the tags', async () => {
    const out = await client.send(new CreateRestApiCommand({ name: 'shop', description: 'orders', tags: { workbook: 'wb' } }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.id).toMatch(/^[a-z0-9]{10}$/);
    expect(out.rootResourceId).toMatch(/^[a-z0-9]{10}$/);
    expect(out).toMatchObject({
      name: 'shop',
      description: 'orders',
      apiKeySource: 'HEADER',
      disableExecuteApiEndpoint: false,
      endpointConfiguration: { ipAddressType: 'ipv4', types: ['EDGE'] },
      tags: { workbook: 'wb' },
    });
    expect(out.createdDate).toBeInstanceOf(Date);
    expect(Math.abs(out.createdDate!.getTime() - Date.now())).toBeLessThan(5_000);

    const got = await client.send(new GetRestApiCommand({ restApiId: out.id! }));
    expect(got).toMatchObject({ id: out.id, name: 'shop', rootResourceId: out.rootResourceId, tags: { workbook: 'wb' } });
    const all = await client.send(new GetRestApisCommand({}));
    expect(all.items!.map((a) => a.id)).toContain(out.id);
  });

  it('CreateRestApi rejects an empty description and several endpoint types', async () => {
    expect(await failure(client.send(new CreateRestApiCommand({ name: 'x', description: '' })))).toEqual({
      name: 'BadRequestException',
      message: 'Description cannot be an empty string',
      status: 400,
    });
    expect(
      await failure(client.send(new CreateRestApiCommand({ name: 'x', endpointConfiguration: { types: ['EDGE', 'REGIONAL'] } }))),
    ).toEqual({ name: 'BadRequestException', message: 'Cannot create an api with multiple Endpoint Types.', status: 400 });
    const regional = await client.send(new CreateRestApiCommand({ name: 'r', endpointConfiguration: { types: ['REGIONAL'] } }));
    expect(regional.endpointConfiguration).toEqual({ types: ['REGIONAL'], ipAddressType: 'ipv4' });
  });

  it('GetRestApis pages with limit and position', async () => {
    for (let i = 0; i < 3; i++) await newApi(`page-${i}`);
    const first = await client.send(new GetRestApisCommand({ limit: 2 }));
    expect(first.items).toHaveLength(2);
    expect(first.position).toBeTruthy();
    const rest = await client.send(new GetRestApisCommand({ limit: 500, position: first.position }));
    const ids = [...first.items!, ...rest.items!].map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rest.position).toBeUndefined();
  });

  it('DeleteRestApi answers 202; afterwards the API is gone with AWS wording', async () => {
    const { apiId } = await newApi('doomed');
    const out = await client.send(new DeleteRestApiCommand({ restApiId: apiId }));
    expect(out.$metadata.httpStatusCode).toBe(202);
    const expected = { name: 'NotFoundException', message: `Invalid API identifier specified 000000000000:${apiId}`, status: 404 };
    expect(await failure(client.send(new GetRestApiCommand({ restApiId: apiId })))).toEqual(expected);
    expect(await failure(client.send(new DeleteRestApiCommand({ restApiId: apiId })))).toEqual(expected);
    expect(await failure(client.send(new GetResourcesCommand({ restApiId: apiId })))).toEqual(expected);
  });

  it('tags: TagResource, GetTags, UntagResource on the API ARN', async () => {
    const { apiId } = await newApi('tagged');
    const arn = `arn:aws:apigateway:us-east-1::/restapis/${apiId}`;
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: { workbook: 'wb', team: 'shop' } }));
    expect((await client.send(new GetTagsCommand({ resourceArn: arn }))).tags).toEqual({ workbook: 'wb', team: 'shop' });
    await client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }));
    expect((await client.send(new GetTagsCommand({ resourceArn: arn }))).tags).toEqual({ workbook: 'wb' });
    expect((await client.send(new GetRestApiCommand({ restApiId: apiId }))).tags).toEqual({ workbook: 'wb' });
  });
});

describe('API Gateway resources and methods (SDK)', () => {
  it('a new API has only the root resource "/"', async () => {
    const { apiId, rootId } = await newApi();
    const out = await client.send(new GetResourcesCommand({ restApiId: apiId }));
    expect(out.items).toEqual([{ id: rootId, path: '/' }]);
  });

  it('CreateResource answers 201 {id, parentId, path, pathPart}; nested paths build on the parent', async () => {
    const { apiId, rootId } = await newApi();
    const orders = await client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'orders' }));
    expect(orders.$metadata.httpStatusCode).toBe(201);
    expect(orders).toMatchObject({ parentId: rootId, path: '/orders', pathPart: 'orders' });
    expect(orders.id).toMatch(/^[a-z0-9]{6}$/);
    const one = await client.send(new CreateResourceCommand({ restApiId: apiId, parentId: orders.id!, pathPart: '{orderId}' }));
    expect(one.path).toBe('/orders/{orderId}');
    const all = await client.send(new GetResourcesCommand({ restApiId: apiId }));
    expect(all.items!.map((r) => r.path)).toEqual(['/', '/orders', '/orders/{orderId}']);
  });

  it('CreateResource errors: existing path part (409), unknown parent (404), bad path part, child of a greedy variable', async () => {
    const { apiId, rootId } = await newApi();
    await client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'orders' }));
    expect(await failure(client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'orders' })))).toEqual({
      name: 'ConflictException',
      message: 'Another resource with the same parent already has this name: orders',
      status: 409,
    });
    expect(
      await failure(client.send(new CreateResourceCommand({ restApiId: apiId, parentId: 'nosuch', pathPart: 'x' }))),
    ).toEqual({ name: 'NotFoundException', message: 'Invalid Resource identifier specified', status: 404 });
    const bad = await failure(client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'a b' })));
    expect(bad).toMatchObject({ name: 'BadRequestException', status: 400 });
    expect(bad.message).toMatch(/^Resource's path part only allow a-zA-Z0-9._-/);
    const proxy = await client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: '{proxy+}' }));
    expect(await failure(client.send(new CreateResourceCommand({ restApiId: apiId, parentId: proxy.id!, pathPart: 'x' })))).toEqual({
      name: 'BadRequestException',
      message: 'Cannot create a child of a resource with a greedy path variable: {proxy+}',
      status: 400,
    });
  });

  it('DeleteResource answers 202 and removes the subtree', async () => {
    const { apiId, rootId } = await newApi();
    const a = await client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: 'a' }));
    await client.send(new CreateResourceCommand({ restApiId: apiId, parentId: a.id!, pathPart: 'b' }));
    const out = await client.send(new DeleteResourceCommand({ restApiId: apiId, resourceId: a.id! }));
    expect(out.$metadata.httpStatusCode).toBe(202);
    expect((await client.send(new GetResourcesCommand({ restApiId: apiId }))).items).toEqual([{ id: rootId, path: '/' }]);
  });

  it('PutMethod answers 201 {apiKeyRequired:false, authorizationType, httpMethod}; GetMethod and DeleteMethod', async () => {
    const { apiId, rootId } = await newApi();
    const ids = { restApiId: apiId, resourceId: rootId, httpMethod: 'GET' };
    const put = await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    expect(put.$metadata.httpStatusCode).toBe(201);
    expect(put).toMatchObject({ apiKeyRequired: false, authorizationType: 'NONE', httpMethod: 'GET' });
    expect(await client.send(new GetMethodCommand(ids))).toMatchObject({ httpMethod: 'GET', authorizationType: 'NONE' });
    expect(await failure(client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' })))).toMatchObject({
      name: 'ConflictException',
      status: 409,
    });
    expect((await client.send(new DeleteMethodCommand(ids))).$metadata.httpStatusCode).toBe(204);
    expect(await failure(client.send(new GetMethodCommand(ids)))).toEqual({
      name: 'NotFoundException',
      message: 'Invalid Method identifier specified',
      status: 404,
    });
  });

  it('PutMethod errors: unknown API or resource (404), bad HTTP method, CUSTOM without an authorizer', async () => {
    const { apiId, rootId } = await newApi();
    const resourceGone = { name: 'NotFoundException', message: 'Invalid Resource identifier specified', status: 404 };
    const put = (input: Partial<{ restApiId: string; resourceId: string; httpMethod: string; authorizationType: string }>) =>
      failure(
        client.send(
          new PutMethodCommand({ restApiId: apiId, resourceId: rootId, httpMethod: 'GET', authorizationType: 'NONE', ...input }),
        ),
      );
    expect(await put({ restApiId: 'nosuchapi0' })).toEqual(resourceGone);
    expect(await put({ resourceId: 'nosuch' })).toEqual(resourceGone);
    expect(await put({ httpMethod: 'FETCH' })).toEqual({
      name: 'BadRequestException',
      message: 'Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY',
      status: 400,
    });
    expect(await put({ authorizationType: undefined })).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'putMethodInput.authorizationType' failed to satisfy constraint: Member must not be null",
      status: 400,
    });
    expect(await put({ authorizationType: 'CUSTOM' })).toEqual({
      name: 'BadRequestException',
      message:
        'Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.',
      status: 400,
    });
  });
});

describe('API Gateway integrations (SDK)', () => {
  it('PutIntegration AWS_PROXY answers 201 with AWS defaults; GetMethod embeds it', async () => {
    const { apiId, rootId } = await newApi();
    const ids = { restApiId: apiId, resourceId: rootId, httpMethod: 'POST' };
    await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    const out = await client.send(
      new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri() }),
    );
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out).toMatchObject({
      type: 'AWS_PROXY',
      httpMethod: 'POST',
      uri: lambdaUri(),
      passthroughBehavior: 'WHEN_NO_MATCH',
      timeoutInMillis: 29000,
      cacheNamespace: rootId,
      cacheKeyParameters: [],
    });
    expect(await client.send(new GetIntegrationCommand(ids))).toMatchObject({ type: 'AWS_PROXY', uri: lambdaUri() });
    expect((await client.send(new GetMethodCommand(ids))).methodIntegration).toMatchObject({ type: 'AWS_PROXY' });
  });

  it('PutIntegration validation errors, word for word', async () => {
    const { apiId, rootId } = await newApi();
    const ids = { restApiId: apiId, resourceId: rootId, httpMethod: 'POST' };
    await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    const put = (input: Partial<PutIntegrationCommandInput>) =>
      failure(client.send(new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri(), ...input })));
    const bad = (message: string) => ({ name: 'BadRequestException', message, status: 400 });

    expect(await put({ uri: FN })).toEqual(bad('AWS ARN for integration must contain path or action'));
    expect(await put({ uri: 'arn:aws:apigateway:us-east-1:lambda:test/2015-03-31/functions/x/invocations' })).toEqual(
      bad('AWS ARN for integration must contain path or action'),
    );
    expect(await put({ uri: `bad-arn:lambda:path/2015-03-31/functions/${FN}/invocations` })).toEqual(
      bad('Invalid ARN specified in the request'),
    );
    expect(await put({ uri: 'not-an-arn' })).toEqual(bad('Invalid ARN specified in the request'));
    expect(await put({ uri: `arn:aws:apigateway:us-east-1:lambda:path/random/value/${FN}/invocations` })).toEqual(
      bad("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."),
    );
    expect(await put({ integrationHttpMethod: undefined })).toEqual(bad('Enumeration value for HttpMethod must be non-empty'));
    expect(await put({ type: 'HTTP', uri: 'not-http' })).toEqual(bad('Invalid HTTP endpoint specified for URI'));
    expect(await put({ type: 'HTTPS_PROXY' as 'HTTP_PROXY' })).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]",
      status: 400,
    });
  });

  it('PutIntegration accepts a non-POST integration method (it fails only when called, as on AWS)', async () => {
    const { apiId, rootId } = await newApi();
    const ids = { restApiId: apiId, resourceId: rootId, httpMethod: 'GET' };
    await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    const out = await client.send(new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'GET', uri: lambdaUri() }));
    expect(out.httpMethod).toBe('GET');
  });

  it('missing things: 404 for resource, method and integration', async () => {
    const { apiId, rootId } = await newApi();
    const ids = { restApiId: apiId, resourceId: rootId, httpMethod: 'GET' };
    expect(await failure(client.send(new GetIntegrationCommand({ ...ids, resourceId: 'nosuch' })))).toEqual({
      name: 'NotFoundException',
      message: 'Invalid Resource identifier specified',
      status: 404,
    });
    expect(await failure(client.send(new GetIntegrationCommand(ids)))).toEqual({
      name: 'NotFoundException',
      message: 'Invalid Method identifier specified',
      status: 404,
    });
    await client.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
    expect(await failure(client.send(new GetIntegrationCommand(ids)))).toEqual({
      name: 'NotFoundException',
      message: 'Invalid Integration identifier specified',
      status: 404,
    });
  });

  it('PutMethodResponse and PutIntegrationResponse answer 201; an integration response needs its method response', async () => {
    const { ids } = await ordersApi();
    const mr = await client.send(new PutMethodResponseCommand({ ...ids, statusCode: '202' }));
    expect(mr.$metadata.httpStatusCode).toBe(201);
    expect(mr.statusCode).toBe('202');
    const ir = await client.send(new PutIntegrationResponseCommand({ ...ids, statusCode: '202', selectionPattern: '' }));
    expect(ir).toMatchObject({ statusCode: '202', selectionPattern: '' });
    expect(await failure(client.send(new PutIntegrationResponseCommand({ ...ids, statusCode: '500' })))).toEqual({
      name: 'NotFoundException',
      message: 'Invalid Response status code specified',
      status: 404,
    });
    const method = await client.send(new GetMethodCommand(ids));
    expect(method.methodResponses).toEqual({ '202': { statusCode: '202' } });
    expect(method.methodIntegration?.integrationResponses).toEqual({ '202': { statusCode: '202', selectionPattern: '' } });
  });

  it('GetResources lists methods as empty objects, or in full with embed=methods', async () => {
    const { apiId, ordersId } = await ordersApi();
    const plain = await client.send(new GetResourcesCommand({ restApiId: apiId }));
    expect(plain.items!.find((r) => r.id === ordersId)!.resourceMethods).toEqual({ POST: {} });
    const embedded = await client.send(new GetResourcesCommand({ restApiId: apiId, embed: ['methods'] }));
    expect(embedded.items!.find((r) => r.id === ordersId)!.resourceMethods!.POST).toMatchObject({
      httpMethod: 'POST',
      methodIntegration: { type: 'AWS_PROXY', uri: lambdaUri() },
    });
  });
});

describe('API Gateway deployments and stages (SDK)', () => {
  it('CreateDeployment with stageName answers 201 {id, createdDate} and creates the stage', async () => {
    const { apiId } = await ordersApi();
    const dep = await client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
    expect(dep.$metadata.httpStatusCode).toBe(201);
    expect(dep.id).toMatch(/^[a-z0-9]{6}$/);
    expect(dep.createdDate).toBeInstanceOf(Date);
    const stage = await client.send(new GetStageCommand({ restApiId: apiId, stageName: 'prod' }));
    expect(stage).toMatchObject({
      stageName: 'prod',
      deploymentId: dep.id,
      cacheClusterEnabled: false,
      cacheClusterStatus: 'NOT_AVAILABLE',
      methodSettings: {},
      tracingEnabled: false,
    });
    const deployments = await client.send(new GetDeploymentsCommand({ restApiId: apiId }));
    expect(deployments.items!.map((d) => d.id)).toEqual([dep.id]);
    const stages = await client.send(new GetStagesCommand({ restApiId: apiId }));
    expect(stages.item!.map((s) => s.stageName)).toEqual(['prod']);
  });

  it('CreateDeployment refuses an API without methods, or with a method without integration', async () => {
    const { apiId, rootId } = await newApi();
    expect(await failure(client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' })))).toEqual({
      name: 'BadRequestException',
      message: "The REST API doesn't contain any methods",
      status: 400,
    });
    await client.send(new PutMethodCommand({ restApiId: apiId, resourceId: rootId, httpMethod: 'GET', authorizationType: 'NONE' }));
    expect(await failure(client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' })))).toEqual({
      name: 'BadRequestException',
      message: 'No integration defined for method',
      status: 400,
    });
  });

  it('CreateStage for an existing deployment; a second one with the same name is a conflict; unknown stage is 404', async () => {
    const { apiId } = await ordersApi();
    const dep = await client.send(new CreateDeploymentCommand({ restApiId: apiId }));
    const stage = await client.send(
      new CreateStageCommand({ restApiId: apiId, stageName: 'dev', deploymentId: dep.id!, variables: { fn: 'intake' } }),
    );
    expect(stage.$metadata.httpStatusCode).toBe(201);
    expect(stage).toMatchObject({ stageName: 'dev', deploymentId: dep.id, variables: { fn: 'intake' } });
    expect(
      await failure(client.send(new CreateStageCommand({ restApiId: apiId, stageName: 'dev', deploymentId: dep.id! }))),
    ).toEqual({ name: 'ConflictException', message: 'Stage already exists', status: 409 });
    expect(
      await failure(client.send(new CreateStageCommand({ restApiId: apiId, stageName: 'qa', deploymentId: 'nosuch' }))),
    ).toEqual({ name: 'NotFoundException', message: 'Invalid Deployment identifier specified', status: 404 });
    expect(await failure(client.send(new GetStageCommand({ restApiId: apiId, stageName: 'nope' })))).toEqual({
      name: 'NotFoundException',
      message: 'Invalid Stage identifier specified',
      status: 404,
    });
  });

  it('UpdateStage sets stage-wide throttling under */* (with AWS defaults for the rest) and per-method overrides', async () => {
    const { apiId } = await ordersApi();
    await client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
    const out = await client.send(
      new UpdateStageCommand({
        restApiId: apiId,
        stageName: 'prod',
        patchOperations: [
          { op: 'replace', path: '/*/*/throttling/rateLimit', value: '10' },
          { op: 'replace', path: '/*/*/throttling/burstLimit', value: '20' },
          { op: 'replace', path: '/~1orders/POST/throttling/burstLimit', value: '5' },
          { op: 'replace', path: '/description', value: 'live' },
          { op: 'replace', path: '/variables/mode', value: 'strict' },
        ],
      }),
    );
    expect(out.methodSettings!['*/*']).toEqual({
      metricsEnabled: false,
      dataTraceEnabled: false,
      throttlingBurstLimit: 20,
      throttlingRateLimit: 10,
      cachingEnabled: false,
      cacheTtlInSeconds: 300,
      cacheDataEncrypted: false,
      requireAuthorizationForCacheControl: true,
      unauthorizedCacheControlHeaderStrategy: 'SUCCEED_WITH_RESPONSE_HEADER',
    });
    // A method's own settings start from the stage-wide ones.
    expect(out.methodSettings!['orders/POST']).toMatchObject({ throttlingRateLimit: 10, throttlingBurstLimit: 5 });
    expect(out).toMatchObject({ description: 'live', variables: { mode: 'strict' } });
    const again = await client.send(new GetStageCommand({ restApiId: apiId, stageName: 'prod' }));
    expect(again.methodSettings).toEqual(out.methodSettings);

    const removed = await client.send(
      new UpdateStageCommand({ restApiId: apiId, stageName: 'prod', patchOperations: [{ op: 'remove', path: '/*/*' }] }),
    );
    expect(Object.keys(removed.methodSettings!)).toEqual(['orders/POST']);
  });

  it('UpdateStage errors: unknown path (AWS lists the valid ones), removing absent settings, a bad op', async () => {
    const { apiId } = await ordersApi();
    await client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: 'prod' }));
    const update = (op: string, path: string, value?: string) =>
      failure(client.send(new UpdateStageCommand({ restApiId: apiId, stageName: 'prod', patchOperations: [{ op: op as 'replace', path, value }] })));
    const unknown = await update('replace', '/tags/tag1', 'v');
    expect(unknown).toMatchObject({ name: 'BadRequestException', status: 400 });
    expect(unknown.message).toMatch(/^Invalid method setting path: \/tags\/tag1\. Must be one of: \[\/deploymentId, \/description, /);
    expect(await update('remove', '/*/*')).toEqual({
      name: 'BadRequestException',
      message: 'Cannot remove method setting */* because there is no method setting for this method ',
      status: 400,
    });
    expect(await update('swap', '/description', 'x')).toMatchObject({ name: 'ValidationException', status: 400 });
  });
});

describe('API Gateway with the aws CLI', () => {
  it('apigateway get-rest-apis and get-resources', async () => {
    const { apiId, ordersId, rootId } = await ordersApi();
    const apis = await cloud.aws('apigateway', 'get-rest-apis');
    expect(apis.code, apis.stderr).toBe(0);
    const listed = apis.json.items.find((a: { id: string }) => a.id === apiId);
    expect(listed).toMatchObject({ id: apiId, name: 'orders-api', apiKeySource: 'HEADER', endpointConfiguration: { types: ['EDGE'] } });
    expect(listed.createdDate).toMatch(/^\d{4}-\d\d-\d\dT/);

    const resources = await cloud.aws('apigateway', 'get-resources', '--rest-api-id', apiId);
    expect(resources.code, resources.stderr).toBe(0);
    expect(resources.json.items).toEqual([
      { id: rootId, path: '/' },
      { id: ordersId, parentId: rootId, pathPart: 'orders', path: '/orders', resourceMethods: { POST: {} } },
    ]);

    const missing = await cloud.aws('apigateway', 'get-resources', '--rest-api-id', 'nosuchapi0');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(NotFoundException)');
    expect(missing.stderr).toContain('Invalid API identifier specified 000000000000:nosuchapi0');
  });
});

describe('API Gateway persistence', () => {
  it('APIs, resources, deployments and stages survive a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'apigw-restart-'));
    try {
      let local = await startTestCloud({ dataDir });
      let c = new APIGatewayClient(local.clientConfig);
      const api = await c.send(new CreateRestApiCommand({ name: 'kept' }));
      const orders = await c.send(new CreateResourceCommand({ restApiId: api.id!, parentId: api.rootResourceId!, pathPart: 'orders' }));
      const ids = { restApiId: api.id!, resourceId: orders.id!, httpMethod: 'POST' };
      await c.send(new PutMethodCommand({ ...ids, authorizationType: 'NONE' }));
      await c.send(new PutIntegrationCommand({ ...ids, type: 'AWS_PROXY', integrationHttpMethod: 'POST', uri: lambdaUri() }));
      const dep = await c.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'prod' }));
      await local.close();

      local = await startTestCloud({ dataDir });
      c = new APIGatewayClient(local.clientConfig);
      try {
        expect((await c.send(new GetRestApiCommand({ restApiId: api.id! }))).name).toBe('kept');
        const resources = await c.send(new GetResourcesCommand({ restApiId: api.id!, embed: ['methods'] }));
        expect(resources.items!.find((r) => r.path === '/orders')!.resourceMethods!.POST.methodIntegration!.uri).toBe(lambdaUri());
        expect((await c.send(new GetStageCommand({ restApiId: api.id!, stageName: 'prod' }))).deploymentId).toBe(dep.id);
        // The deployed route is still served (the fake-free cloud has no such function: 500, not 403).
        const res = await fetch(`${local.url}/restapis/${api.id}/prod/_user_request_/orders`, { method: 'POST', body: '{}' });
        expect(res.status).toBe(500);
      } finally {
        await local.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
