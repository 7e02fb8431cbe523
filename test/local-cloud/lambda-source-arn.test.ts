import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddPermissionCommand, GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { signedFetch } from '../support/signed-fetch.ts';
import { createLambdaRole, deployFunction } from '../fixtures/lambda/helpers.ts';

/**
 * AddPermission's SourceArn is an ARN by the API model's pattern: Lambda refuses a URL, a bare
 * id or anything else with ValidationException, before it writes a statement.
 */
const PATTERN = 'arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';
const FUNCTION = 'source-arn-guarded';

let cloud: TestCloud;
let lambda: LambdaClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  lambda = new LambdaClient(cloud.clientConfig);
  const role = await createLambdaRole(cloud, 'source-arn-role');
  await deployFunction(lambda, {
    FunctionName: FUNCTION,
    Role: role,
    Handler: 'index.handler',
    files: { 'index.mjs': 'export const handler = async () => "ok";' },
  });
});
afterAll(() => cloud?.close());

const permission = (sourceArn: string, sid: string) =>
  lambda.send(
    new AddPermissionCommand({
      FunctionName: FUNCTION,
      StatementId: sid,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sourceArn,
    }),
  );

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
}

describe('AddPermission SourceArn', () => {
  it.each([
    ['an invoke URL', 'https://abc123.execute-api.us-east-1.amazonaws.com/v1/orders'],
    ['a bare API id', 'abc123'],
    ['"__proto__"', '__proto__'],
    ['an ARN without its partition', 'arn::execute-api:us-east-1:000000000000:abc123/*/POST/orders'],
    ['an ARN with a malformed account', 'arn:aws:execute-api:us-east-1:undefined:abc123/*/POST/orders'],
  ])('refuses %s with ValidationException and the pattern, and writes no statement', async (_label, sourceArn) => {
    const err = await failure(permission(sourceArn, 'refused'));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe(
      `1 validation error detected: Value '${sourceArn}' at 'sourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${PATTERN}`,
    );
    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: FUNCTION })).catch((e: Error) => e);
    if (!(policy instanceof Error)) expect(policy.Policy).not.toContain('"refused"');
  });

  it('refuses a SourceArn that is not a string (raw request) with ValidationException, not a 5xx', async () => {
    const response = await signedFetch(`${cloud.url}/2015-03-31/functions/${FUNCTION}/policy`, {
      service: 'lambda',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ StatementId: 'numeric', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: 12 }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^ValidationException/);
  });

  it('accepts an execute-api ARN, and another service\'s ARN (the pattern says nothing of the service)', async () => {
    const api = await permission('arn:aws:execute-api:us-east-1:000000000000:abc123/*/POST/orders', 'api');
    expect(api.$metadata.httpStatusCode).toBe(201);
    const other = await permission('arn:aws:lambda:us-east-1:000000000000:function:other', 'other');
    expect(other.$metadata.httpStatusCode).toBe(201);
  });
});
