import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APIGatewayClient, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { AddPermissionCommand, LambdaClient, RemovePermissionCommand } from '@aws-sdk/client-lambda';
import { startTestCloud, type TestCloud, TEST_REGION } from '../support/cloud.ts';
import { invokeUrl } from '../../lib/api.ts';
import { retry } from '../../lib/wait.ts';
import { check } from '../../checks/step-3.ts';
import { failureBlock, failures, runScript } from './support.ts';
import { aimAt, checkInProcess, deploy } from './steps-2-3-support.ts';

/**
 * Planted mistakes in the function's permission for API Gateway: each test breaks it the way a
 * learner might, calls the API, runs the check, and puts the solution back.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let apiId: string;
let url: string;
const FUNCTION = 'workbook-intake';
const SID = 'apigateway-post-orders';
const arn = (tail: string) => `arn:aws:execute-api:${TEST_REGION}:000000000000:${tail}`;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  await deploy(1);
  await deploy(2);
  await deploy(3);
  apiId = (await new APIGatewayClient(cloud.clientConfig).send(new GetRestApisCommand({}))).items![0].id!;
  url = invokeUrl(apiId, 'v1', '/orders');
  const clean = await checkInProcess(check);
  if (!clean.passed) throw new Error(`the solution should pass before mistakes are planted:\n${clean.stdout}`);
});
afterAll(() => cloud.close());
afterEach(async () => {
  await deploy(3); // replaces the statement, as a learner's fixed step would
});

/** The permission statement as a learner might have written it (undefined: none at all). */
async function plantPermission(sourceArn: string | null | undefined) {
  await lambda.send(new RemovePermissionCommand({ FunctionName: FUNCTION, StatementId: SID }));
  if (sourceArn === undefined) return;
  await lambda.send(
    new AddPermissionCommand({
      FunctionName: FUNCTION,
      StatementId: SID,
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      ...(sourceArn ? { SourceArn: sourceArn } : {}),
    }),
  );
}

/** One order, as a shop sends it: again after a 429 (the stage allows 5 a second, and the checks just used some). */
const postOrder = () =>
  retry(
    async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ customerId: 'c-1', items: [{ sku: 'tea', quantity: 1 }] }),
      });
      const answer = { status: response.status, body: await response.json() };
      if (answer.status === 429) throw Object.assign(new Error('429 Too Many Requests'), { name: 'Throttled' });
      return answer;
    },
    { retryable: (err) => (err as Error).name === 'Throttled', deadlineMs: 10_000, initialDelayMs: 100, maxDelayMs: 1_000 },
  );

const blocks = (stdout: string) => failures(stdout).map((line) => failureBlock(stdout, line));
const RECOMMENDED = () => arn(`${apiId}/*/POST/orders`);

describe('check:step-3 catches a missing or wrong invoke permission, and names AddPermission and the SourceArn', () => {
  it('no permission: POST /orders answers 500, and the check names AddPermission and the SourceArn to use', async () => {
    await plantPermission(undefined);
    expect(await postOrder()).toEqual({ status: 500, body: { message: 'Internal server error' } });

    const result = await runScript('check:step-3', cloud.env);
    expect(result.code, result.output).toBe(1);
    const [permission, ...behaviour] = blocks(result.stdout);
    expect(permission).toContain(`✘ ${FUNCTION} lets API Gateway invoke it from this API's POST /orders only (AddPermission, SourceArn)`);
    expect(permission).toContain('has no permission for apigateway.amazonaws.com');
    expect(permission).toContain('answers 500 Internal server error');
    expect(permission).toContain(`fix: add it with AddPermission (Principal apigateway.amazonaws.com, Action lambda:InvokeFunction): in steps/03-api/deploy.ts the AddPermission call needs SourceArn ${RECOMMENDED()}`);
    // The calls themselves fail with 500, and say why.
    const good = behaviour.find((b) => b.includes('✘ a good order gets 202'))!;
    expect(good).toContain('POST /orders answered 500 {"message":"Internal server error"}');
    expect(good).toContain(`SourceArn ${RECOMMENDED()}`);
  });

  it.each([
    ['another method (GET)', () => arn(`${apiId}/*/GET/orders`)],
    ['another API', () => arn('0123456789/*/POST/orders')],
    ['the execute-api ARN without the method and path', () => arn(`${apiId}/v1`)],
  ])('a SourceArn for %s: 500, and the check shows the ARN API Gateway presents and the one to use', async (_label, wrong) => {
    await plantPermission(wrong());
    expect((await postOrder()).status).toBe(500);
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const [permission] = blocks(stdout);
    expect(permission).toContain(`the permission's SourceArn ${wrong()} does not match ${arn(`${apiId}/v1/POST/orders`)}`);
    expect(permission).toContain(`needs SourceArn ${RECOMMENDED()}`);
    expect(stdout).toContain('✘ a good order gets 202');
  });

  it('no SourceArn at all: the API works, but any API in any account could invoke the function', async () => {
    await plantPermission(null);
    expect((await postOrder()).status).toBe(202);
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('has no SourceArn: any API in any AWS account could invoke the function');
    expect(found[0]).toContain(`scope it: in steps/03-api/deploy.ts the AddPermission call needs SourceArn ${RECOMMENDED()}`);
  });

  it('a SourceArn broader than POST /orders (every method and path): works, and the check says to narrow it', async () => {
    await plantPermission(arn(`${apiId}/*`));
    expect((await postOrder()).status).toBe(202);
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain(`SourceArn ${arn(`${apiId}/*`)} lets more than this API's POST /orders invoke the function`);
    expect(found[0]).toContain(`narrow it: in steps/03-api/deploy.ts the AddPermission call needs SourceArn ${RECOMMENDED()}`);
  });
});
