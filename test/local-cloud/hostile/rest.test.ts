import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLambdaRole, zipOf } from '../../fixtures/lambda/helpers.ts';
import {
  batches, expectHealthy, expectRefused, expectUnharmed, send, startWatchedCloud,
  type HostileCase, type HostileContext, type HostileRequest, type Watch,
} from './support.ts';

/** REST-JSON: Lambda and API Gateway's control plane; and API Gateway's public data plane (execute-api). */

const JSON_TYPE = { 'content-type': 'application/json' };
const lambda = (method: string, path: string, body?: unknown): HostileRequest => ({
  service: 'lambda', method, path, headers: JSON_TYPE,
  body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
});
const apigw = (method: string, path: string, body?: unknown): HostileRequest => ({
  service: 'apigateway', method, path, headers: JSON_TYPE,
  body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
});
const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string): HostileRequest => ({ method, path, headers, body });
const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

let apiId = '';
let rootId = '';
let functionArn = '';
const api = (suffix: string) => `/restapis/${apiId}${suffix}`;
const root = (suffix: string) => `/restapis/${apiId}/resources/${rootId}${suffix}`;
const patchStage = (operations: unknown) => () => apigw('PATCH', api('/stages/prod'), { patchOperations: operations });

const lambdaCases: HostileCase[] = [
  { name: 'a function name with malformed percent-encoding', request: lambda('GET', '/2015-03-31/functions/%E0%A4%A'), shape: 'lambda', code: 'InvalidParameterValueException', status: 400 },
  { name: 'a lone "%" in a function name (invoke)', request: lambda('POST', '/2015-03-31/functions/a%/invocations', '{}'), shape: 'lambda', code: 'InvalidParameterValueException', status: 400 },
  { name: 'malformed encoding in a policy statement id', request: lambda('DELETE', '/2015-03-31/functions/f/policy/%ZZ'), shape: 'lambda', code: 'InvalidParameterValueException', status: 400 },
  ...['__proto__', 'constructor', 'toString', 'prototype'].map((name): HostileCase => ({
    name: `function "${name}" that does not exist`, request: lambda('GET', `/2015-03-31/functions/${name}`), shape: 'lambda', code: 'ResourceNotFoundException', status: 404,
  })),
  { name: 'configuration of "constructor"', request: lambda('GET', '/2015-03-31/functions/constructor/configuration'), shape: 'lambda', code: 'ResourceNotFoundException', status: 404 },
  { name: 'invoking "toString"', request: lambda('POST', '/2015-03-31/functions/toString/invocations', '{}'), shape: 'lambda', code: 'ResourceNotFoundException', status: 404 },
  { name: 'deleting "__proto__"', request: lambda('DELETE', '/2015-03-31/functions/__proto__'), shape: 'lambda', code: 'ResourceNotFoundException', status: 404 },
  { name: 'a function name "..%2F..%2Fetc"', request: lambda('GET', '/2015-03-31/functions/..%2F..%2Fetc%2Fpasswd'), shape: 'lambda', code: ['ResourceNotFoundException', 'ValidationException', 'InvalidParameterValueException'] },
  { name: 'CreateFunction body not JSON', request: lambda('POST', '/2015-03-31/functions', '{"FunctionName":'), shape: 'lambda', code: 'SerializationException' },
  { name: 'CreateFunction body a list', request: lambda('POST', '/2015-03-31/functions', '[]'), shape: 'lambda', code: 'SerializationException' },
  { name: 'CreateFunction body nested 100k deep', request: lambda('POST', '/2015-03-31/functions', `{"FunctionName":${deep(100_000)}}`), shape: 'lambda', code: ['SerializationException', 'ValidationException', 'InvalidParameterValueException'] },
  { name: 'CreateFunction named "../x"', request: () => lambda('POST', '/2015-03-31/functions', { FunctionName: '../x', Runtime: 'nodejs22.x', Role: functionArn, Handler: 'index.h', Code: { ZipFile: '' } }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'CreateFunction named with NUL', request: () => lambda('POST', '/2015-03-31/functions', { FunctionName: 'a\u0000b', Runtime: 'nodejs22.x', Role: functionArn, Handler: 'index.h', Code: { ZipFile: '' } }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'an environment variable "__proto__"', request: () => lambda('PUT', '/2015-03-31/functions/hostile/configuration', { Environment: { Variables: JSON.parse('{"__proto__":"x"}') } }), shape: 'lambda', code: 'ValidationException' },
  { name: 'environment variables a list', request: () => lambda('PUT', '/2015-03-31/functions/hostile/configuration', { Environment: { Variables: ['a'] } }), shape: 'lambda', code: ['InvalidParameterValueException', 'ValidationException'] },
  { name: 'a reserved environment variable', request: () => lambda('PUT', '/2015-03-31/functions/hostile/configuration', { Environment: { Variables: { AWS_REGION: 'x' } } }), shape: 'lambda', code: 'InvalidParameterValueException' },
  { name: 'a Timeout of -1', request: () => lambda('PUT', '/2015-03-31/functions/hostile/configuration', { Timeout: -1 }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'a MemorySize of 1e20', request: () => lambda('PUT', '/2015-03-31/functions/hostile/configuration', { MemorySize: 1e20 }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'tags on "__proto__"', request: lambda('POST', '/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:__proto__', { Tags: { a: 'b' } }), shape: 'lambda', code: 'ResourceNotFoundException' },
  { name: 'a permission with statement id "__proto__" for "constructor"', request: lambda('POST', '/2015-03-31/functions/constructor/policy', { StatementId: '__proto__', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' }), shape: 'lambda', code: ['ResourceNotFoundException', 'ValidationException'] },
  { name: 'a statement id "x y!"', request: () => lambda('POST', '/2015-03-31/functions/hostile/policy', { StatementId: 'x y!', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'an invocation type "constructor"', request: () => ({ ...lambda('POST', '/2015-03-31/functions/hostile/invocations', '{}'), headers: { ...JSON_TYPE, 'x-amz-invocation-type': 'constructor' } }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'a log type "__proto__"', request: () => ({ ...lambda('POST', '/2015-03-31/functions/hostile/invocations', '{}'), headers: { ...JSON_TYPE, 'x-amz-log-type': '__proto__' } }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'MaxItems -1', request: lambda('GET', '/2015-03-31/functions?MaxItems=-1'), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'MaxItems "lots"', request: lambda('GET', '/2015-03-31/functions?MaxItems=lots'), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'an event source mapping from "__proto__"', request: () => lambda('POST', '/2015-03-31/event-source-mappings/', { EventSourceArn: '__proto__', FunctionName: 'hostile' }), shape: 'lambda', code: ['ValidationException', 'InvalidParameterValueException'] },
  { name: 'an event source mapping uuid "constructor"', request: lambda('GET', '/2015-03-31/event-source-mappings/constructor'), shape: 'lambda', code: 'ResourceNotFoundException' },
];

const apigwCases: HostileCase[] = [
  { name: 'PutIntegration on method "__proto__"', request: () => apigw('PUT', root('/methods/__proto__/integration'), { type: 'MOCK' }), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'PutIntegration on method "constructor"', request: () => apigw('PUT', root('/methods/constructor/integration'), { type: 'MOCK' }), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'PutMethodResponse on method "toString"', request: () => apigw('PUT', root('/methods/toString/responses/200'), {}), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'GetMethod "__proto__"', request: () => apigw('GET', root('/methods/__proto__')), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'DeleteMethod "hasOwnProperty"', request: () => apigw('DELETE', root('/methods/hasOwnProperty')), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'PutMethod "__proto__"', request: () => apigw('PUT', root('/methods/__proto__'), { authorizationType: 'NONE' }), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'PutMethod "constructor"', request: () => apigw('PUT', root('/methods/constructor'), { authorizationType: 'NONE' }), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'an API "__proto__"', request: apigw('GET', '/restapis/__proto__'), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'a resource "constructor"', request: () => apigw('GET', api('/resources/constructor')), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'an API id with malformed percent-encoding', request: apigw('GET', '/restapis/%E0%A4%A'), shape: 'apigateway', code: 'BadRequestException', status: 400 },
  { name: 'a resource id with a lone "%"', request: () => apigw('GET', api('/resources/%')), shape: 'apigateway', code: 'BadRequestException', status: 400 },
  { name: 'a stage name with "%G0"', request: () => apigw('GET', api('/stages/%G0')), shape: 'apigateway', code: 'BadRequestException', status: 400 },
  { name: 'CreateRestApi body not JSON', request: apigw('POST', '/restapis', '{"name":'), shape: 'apigateway', code: ['SerializationException', 'BadRequestException'] },
  { name: 'CreateRestApi body nested 100k deep', request: apigw('POST', '/restapis', `{"name":${deep(100_000)}}`), shape: 'apigateway', code: ['SerializationException', 'BadRequestException'] },
  { name: 'CreateRestApi with an empty name', request: apigw('POST', '/restapis', { name: '' }), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a path part "../x"', request: () => apigw('POST', root(''), { pathPart: '../x' }), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a path part with NUL', request: () => apigw('POST', root(''), { pathPart: 'a\u0000' }), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a stage variable "a-b"', request: patchStage([{ op: 'replace', path: '/variables/a-b', value: 'x' }]), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a stage variable "../x"', request: patchStage([{ op: 'replace', path: '/variables/../x', value: 'x' }]), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a patch op "__proto__"', request: patchStage([{ op: '__proto__', path: '/description', value: 'x' }]), shape: 'apigateway', code: 'ValidationException' },
  { name: 'a patch path "/__proto__/x"', request: patchStage([{ op: 'replace', path: '/__proto__/x', value: 'x' }]), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a method setting "constructor/GET/throttling/rateLimit" of "lots"', request: patchStage([{ op: 'replace', path: '/constructor/GET/throttling/rateLimit', value: 'lots' }]), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'removing settings of "__proto__/GET"', request: patchStage([{ op: 'remove', path: '/__proto__/GET' }]), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a deployment with variable "x y"', request: () => apigw('POST', api('/deployments'), { stageName: 'prod', variables: { 'x y': '1' } }), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'a stage "__proto__" that does not exist', request: () => apigw('GET', api('/stages/__proto__')), shape: 'apigateway', code: 'NotFoundException', status: 404 },
  { name: 'tags for an ARN of garbage', request: apigw('GET', '/tags/__proto__'), shape: 'apigateway', code: 'BadRequestException' },
  { name: 'an integration status code "__proto__"', request: () => apigw('PUT', root('/methods/GET/integration/responses/__proto__'), {}), shape: 'apigateway', code: 'ValidationException' },
  { name: 'an unknown REST path', request: apigw('GET', '/restapis/x/__proto__/y/z'), shape: 'apigateway', code: 'UnknownOperationException', status: 404 },
];

const executeApiCases: HostileCase[] = [
  { name: 'an API "__proto__"', request: call('GET', '/restapis/__proto__/prod/_user_request_/'), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a stage "constructor"', request: () => call('GET', api('/constructor/_user_request_/')), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a path with malformed percent-encoding', request: () => call('GET', api('/prod/_user_request_/%E0%A4%A')), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'an API id with a lone "%"', request: call('GET', '/restapis/%/prod/_user_request_/'), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a path "/../../etc/passwd"', request: () => call('GET', api('/prod/_user_request_/../../etc/passwd')), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a path "/__proto__/constructor"', request: () => call('GET', api('/prod/_user_request_/__proto__/constructor')), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a method DELETE with no such method', request: () => call('DELETE', api('/prod/_user_request_/')), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a query "__proto__[x]=1&constructor=2"', request: () => call('GET', api('/prod/_user_request_/nothing?__proto__[x]=1&constructor=2&a=%zz')), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a header "__proto__"', request: () => call('GET', api('/prod/_user_request_/nothing'), { __proto__: 'x', constructor: 'y' }), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
  { name: 'a body of invalid UTF-8', request: () => ({ ...call('POST', api('/prod/_user_request_/nothing')), body: Buffer.from([0xff, 0xfe, 0x00]) }), shape: 'execute-api', code: 'MissingAuthenticationTokenException', status: 403 },
];

describe('hostile REST requests', () => {
  let watch: Watch;
  const ctx = {} as HostileContext;

  beforeAll(async () => {
    watch = await startWatchedCloud();
    ctx.cloud = watch.cloud;
    const created = await send(ctx.cloud, apigw('POST', '/restapis', { name: 'hostile' }));
    expect(created.status, created.text).toBe(201);
    ({ id: apiId, rootResourceId: rootId } = JSON.parse(created.text) as { id: string; rootResourceId: string });
    expect((await send(ctx.cloud, apigw('PUT', root('/methods/GET'), { authorizationType: 'NONE' }))).status).toBe(201);
    expect((await send(ctx.cloud, apigw('PUT', root('/methods/GET/integration'), { type: 'MOCK' }))).status).toBe(201);
    const deployed = await send(ctx.cloud, apigw('POST', api('/deployments'), { stageName: 'prod' }));
    expect(deployed.status, deployed.text).toBe(201);
    const role = await createLambdaRole(ctx.cloud, 'hostile-role');
    const fn = await send(ctx.cloud, lambda('POST', '/2015-03-31/functions', {
      FunctionName: 'hostile', Runtime: 'nodejs22.x', Role: role, Handler: 'index.handler',
      Code: { ZipFile: Buffer.from(zipOf({ 'index.mjs': 'export const handler = async (e) => e;' })).toString('base64') },
    }));
    expect(fn.status, fn.text).toBe(201);
    functionArn = (JSON.parse(fn.text) as { FunctionArn: string }).FunctionArn;
  });
  afterAll(async () => {
    await expectUnharmed(watch);
    await watch.stop();
  });

  for (const [service, rows] of [['lambda', lambdaCases], ['apigateway', apigwCases], ['execute-api', executeApiCases]] as const) {
    batches(rows, 12).forEach((batch, i) => {
      describe(`${service}, batch ${i + 1}`, () => {
        for (const row of batch) it(row.name, () => expectRefused(ctx, row));
        it('the cloud still answers', () => expectHealthy(ctx.cloud));
      });
    });
  }

  describe('names AWS allows work as ordinary names', () => {
    it('API Gateway: a resource "__proto__", a stage variable "__proto__", a tag "__proto__"', async () => {
      const resource = await send(ctx.cloud, apigw('POST', root(''), { pathPart: '__proto__' }));
      expect(resource.status, resource.text).toBe(201);
      const patched = await send(ctx.cloud, apigw('PATCH', api('/stages/prod'), {
        patchOperations: [{ op: 'replace', path: '/variables/__proto__', value: 'p' }, { op: 'replace', path: '/variables/constructor', value: 'c' }],
      }));
      expect(patched.status, patched.text).toBe(200);
      expect(JSON.parse(patched.text).variables).toEqual(JSON.parse('{"__proto__":"p","constructor":"c"}'));
      const stageArn = encodeURIComponent(`arn:aws:apigateway:us-east-1::/restapis/${apiId}/stages/prod`);
      const tagged = await send(ctx.cloud, apigw('PUT', `/tags/${stageArn}`, { tags: JSON.parse('{"__proto__":"t"}') }));
      expect(tagged.status, tagged.text).toBe(204);
      const tags = await send(ctx.cloud, apigw('GET', `/tags/${stageArn}`));
      expect(JSON.parse(tags.text).tags).toEqual(JSON.parse('{"__proto__":"t"}'));
    });
    it('Lambda: a tag "__proto__" and an environment variable "constructor" are kept', async () => {
      const tagged = await send(ctx.cloud, lambda('POST', `/2017-03-31/tags/${encodeURIComponent(functionArn)}`, { Tags: JSON.parse('{"__proto__":"t","constructor":"c"}') }));
      expect(tagged.status, tagged.text).toBe(204);
      const tags = await send(ctx.cloud, lambda('GET', `/2017-03-31/tags/${encodeURIComponent(functionArn)}`));
      expect(JSON.parse(tags.text).Tags).toEqual(JSON.parse('{"__proto__":"t","constructor":"c"}'));
      const updated = await send(ctx.cloud, lambda('PUT', '/2015-03-31/functions/hostile/configuration', { Environment: { Variables: { constructor: 'c', toString: 's' } } }));
      expect(updated.status, updated.text).toBe(200);
      expect(JSON.parse(updated.text).Environment.Variables).toEqual({ constructor: 'c', toString: 's' });
    });
  });
});
