import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APIGatewayClient,
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStageCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { invokeUrl } from '../../lib/api.ts';
import { resolveTarget } from '../../lib/config.ts';
import { captureOutput } from '../../lib/output.ts';
import { runStep } from '../../lib/steps.ts';
import { failures, lineOf, runScript } from './support.ts';
import { aimAt, deploy } from './steps-2-3-support.ts';

let cloud: TestCloud;
let apigw: APIGatewayClient;
let lambda: LambdaClient;
let sqs: SQSClient;
let queueUrl: string;
beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  apigw = new APIGatewayClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  await deploy(1);
  await deploy(2);
  queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders' }))).QueueUrl!;
});
afterAll(() => cloud.close());

const apis = async () => (await apigw.send(new GetRestApisCommand({}))).items ?? [];
const policyStatements = async () =>
  JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: 'workbook-intake' }))).Policy!).Statement as Record<string, any>[];

/** Everything on the orders queue, received and deleted. */
async function drainQueue() {
  const all = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return all;
    for (const m of Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    all.push(...Messages);
  }
}

describe('step 3: the REST API', () => {
  it('the untouched step stops at its blank, names file:line, and creates no API', async () => {
    const result = await runScript('step:3', cloud.env);
    expect(result.code, result.output).toBe(1);
    const line = lineOf('steps/03-api/deploy.ts', "todo('step 3:");
    expect(line).toBeGreaterThan(0);
    expect(result.stdout).toContain(`steps/03-api/deploy.ts:${line}`);
    expect(result.stdout).toContain('arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/*/POST/orders');
    expect(result.stdout).toContain('Nothing was created');
    expect(await apis()).toEqual([]);
    await expect(policyStatements()).rejects.toThrow('The resource you requested does not exist.');
  });

  it('solution:3 publishes POST /orders, and check:step-3 passes', async () => {
    // What `npm run solution:3` runs (scripts/step.ts), in this process.
    const { result: code, lines } = await captureOutput(() => runStep('solutions', 3));
    const result = { stdout: lines.join('\n') };
    expect(code, result.stdout).toBe(0);
    const [api, ...more] = await apis();
    expect(more).toEqual([]);
    expect(api).toMatchObject({ name: 'workbook-orders-api', tags: { workbook: 'workbook' }, endpointConfiguration: { types: ['REGIONAL'] } });
    const url = invokeUrl(api.id!, 'v1', '/orders');
    expect(url).toBe(`${cloud.url}/restapis/${api.id}/v1/_user_request_/orders`);
    expect(result.stdout).toContain(`POST ${url}`);
    expect(result.stdout).toContain('curl -i -X POST');

    const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId: api.id }));
    const orders = items.find((r) => r.path === '/orders')!;
    const ids = { restApiId: api.id, resourceId: orders.id, httpMethod: 'POST' };
    expect(await apigw.send(new GetMethodCommand(ids))).toMatchObject({ authorizationType: 'NONE', apiKeyRequired: false });
    const integration = await apigw.send(new GetIntegrationCommand(ids));
    expect(integration).toMatchObject({
      type: 'AWS_PROXY',
      httpMethod: 'POST',
      uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:workbook-intake/invocations',
    });
    const stage = await apigw.send(new GetStageCommand({ restApiId: api.id, stageName: 'v1' }));
    // A learner's public, unauthenticated stage: a few requests a second bounds what strangers can spend (README.md).
    expect(stage.methodSettings?.['*/*']).toMatchObject({ throttlingRateLimit: 5, throttlingBurstLimit: 10 });
    expect(await policyStatements()).toEqual([
      {
        Sid: 'apigateway-post-orders',
        Effect: 'Allow',
        Principal: { Service: 'apigateway.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:workbook-intake',
        Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:execute-api:us-east-1:000000000000:${api.id}/*/POST/orders` } },
      },
    ]);

    const check = await runScript('check:step-3', cloud.env);
    expect(check.code, check.output).toBe(0);
    expect(failures(check.stdout)).toEqual([]);
    expect(check.stdout).not.toContain('skipped');
    expect(check.stdout).toContain('✔ a good order gets 202');
    expect(await drainQueue()).toEqual([]); // the check took its probes back
  });

  it("check:step-3 spends five requests of the stage's burst: it passes on a stage that allows five and no more", async () => {
    const [api] = await apis();
    const throttle = (rate: number, burst: number) =>
      apigw.send(
        new UpdateStageCommand({
          restApiId: api.id,
          stageName: 'v1',
          patchOperations: [
            { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(rate) },
            { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(burst) },
          ],
        }),
      );
    // A full bucket of five tokens that refills once in 1,000 s: a sixth POST would wait (and time the test out).
    await throttle(0.001, 5);
    try {
      const check = await runScript('check:step-3', cloud.env);
      expect(check.code, check.output).toBe(0);
      expect(failures(check.stdout)).toEqual([]);
      expect(check.stdout).not.toContain('429');
      // The bucket is empty now: the check took exactly the five.
      const [apiNow] = await apis();
      const after = await fetch(invokeUrl(apiNow.id!, 'v1', '/orders'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(after.status).toBe(429);
    } finally {
      await throttle(5, 10);
    }
    expect(await drainQueue()).toEqual([]);
  });

  it('running it again is harmless: the same API, one permission statement, a new deployment', async () => {
    const [before] = await apis();
    const output = await deploy(3);
    expect(output).toContain(`workbook-orders-api: found (id ${before.id})`);
    expect(output).toContain('(unchanged)');
    const after = await apis();
    expect(after.map((a) => a.id)).toEqual([before.id]);
    expect(await policyStatements()).toHaveLength(1);
    const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId: before.id }));
    expect(items.map((r) => r.path).sort()).toEqual(['/', '/orders']);
  });
});

describe('POST /orders over HTTP, as a shop calls it', () => {
  // Step 3 throttles the stage to a learner's 5 requests/s; these requests test validation, not the throttle.
  beforeAll(async () => {
    const [api] = await apis();
    await apigw.send(
      new UpdateStageCommand({
        restApiId: api.id,
        stageName: 'v1',
        patchOperations: [
          { op: 'replace', path: '/*/*/throttling/rateLimit', value: '10000' },
          { op: 'replace', path: '/*/*/throttling/burstLimit', value: '10000' },
        ],
      }),
    );
  });
  const post = async (path: string, body: string, contentType = 'application/json', method = 'POST') => {
    const [api] = await apis();
    const response = await fetch(invokeUrl(api.id!, 'v1', path), { method, headers: { 'Content-Type': contentType }, body: method === 'GET' ? undefined : body });
    return { status: response.status, body: (await response.json()) as Record<string, any>, type: response.headers.get('content-type') };
  };
  const order = { customerId: 'c-1042', items: [{ sku: 'tea-earl-grey', quantity: 2 }] };

  it('a good order: 202 {orderId}, and the order is on the queue', async () => {
    await drainQueue();
    const answer = await post('/orders', JSON.stringify(order));
    expect(answer.status).toBe(202);
    expect(answer.type).toMatch(/^application\/json/);
    expect(answer.body).toMatchObject({ orderId: expect.any(String), status: 'accepted' });
    const [message, ...rest] = await drainQueue();
    expect(rest).toEqual([]);
    expect(JSON.parse(message.Body!)).toMatchObject({ orderId: answer.body.orderId, ...order });
    expect(message.MessageAttributes?.orderId?.StringValue).toBe(answer.body.orderId);
  });

  const bad: [string, string, string, string][] = [
    ['bad JSON', '{"customerId":', 'application/json', 'InvalidJson'],
    ['the wrong content type', JSON.stringify(order), 'text/plain', 'UnsupportedContentType'],
    ['an oversized body', JSON.stringify({ ...order, note: 'x'.repeat(20_000) }), 'application/json', 'BodyTooLarge'],
    ['a missing field', JSON.stringify({ items: order.items }), 'application/json', 'InvalidOrder'],
    ['an invalid field', JSON.stringify({ ...order, items: [{ sku: 'tea', quantity: -1 }] }), 'application/json', 'InvalidOrder'],
  ];
  it.each(bad)('%s: 400 with the reason, and nothing on the queue', async (_label, body, contentType, error) => {
    const answer = await post('/orders', body, contentType);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(error);
    expect(answer.body.message).toEqual(expect.any(String));
    expect(await drainQueue()).toEqual([]);
  });

  it('a path or method the API does not have: 403 Missing Authentication Token', async () => {
    expect(await post('/nowhere', '{}')).toMatchObject({ status: 403, body: { message: 'Missing Authentication Token' } });
    expect(await post('/orders', '', 'application/json', 'GET')).toMatchObject({ status: 403, body: { message: 'Missing Authentication Token' } });
    expect(await drainQueue()).toEqual([]);
  });
});

describe('invokeUrl (lib/api.ts)', () => {
  it('builds the URL a shop calls, for each target', () => {
    const aws = resolveTarget({ WORKBOOK_TARGET: 'aws', AWS_REGION: 'eu-west-1' });
    expect(invokeUrl('a1b2c3', 'v1', '/orders', aws)).toBe('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/v1/orders');
    const local = resolveTarget({ WORKBOOK_TARGET: 'local', LOCAL_CLOUD_PORT: '4566' });
    expect(invokeUrl('a1b2c3', 'v1', 'orders', local)).toBe('http://127.0.0.1:4566/restapis/a1b2c3/v1/_user_request_/orders');
    const localstack = resolveTarget({ AWS_ENDPOINT_URL: 'http://localhost:4566/' });
    expect(invokeUrl('a1b2c3', 'v1', '/orders', localstack)).toBe('http://localhost:4566/restapis/a1b2c3/v1/_user_request_/orders');
  });
});
