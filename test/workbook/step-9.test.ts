import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIGatewayClient, GetResourcesCommand, GetRestApisCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetPolicyCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { check } from '../../checks/step-9.ts';
import { deleteRecordsOf } from '../../checks/probe-records.ts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { captureOutput } from '../../lib/output.ts';
import { planTeardown, teardown } from '../../scripts/teardown.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { failureBlock, failures, lineOf, repoRoot, runScript } from './support.ts';
import { aimAt, checkInProcess, withPrefix } from './steps-2-3-support.ts';
import { allItems, deploySolution, fastAsyncRetries } from './steps-6-7-support.ts';

/**
 * Step 9, order status: the untouched step stops at its blank; the solution deploys and its check
 * passes; a customer follows an order from POST /orders to its timeline; the learner's likely
 * mistakes (planted in a copy of the solution) fail the check with their fix, and after the fix
 * the check passes; teardown leaves nothing of it.
 */
let cloud: TestCloud;
let apigw: APIGatewayClient;
let lambda: LambdaClient;
let dynamodb: DynamoDBClient;
const FUNCTION = 'workbook-order-status';
const TABLE = 'workbook-order-events';
const scratch = join(repoRoot, 'test', 'workbook', `.planted-step-9-${process.pid}`);

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  fastAsyncRetries(cloud);
  delete process.env.NOTIFY_EMAIL;
  apigw = new APIGatewayClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
  // The pipeline the status function reads from: API, queue, functions, topic, table.
  for (const step of [1, 2, 3, 4, 5, 6, 7]) await deploySolution(step);
}, 60_000);
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await cloud?.close();
});

const blocks = (stdout: string) => failures(stdout).map((line) => failureBlock(stdout, line));

async function apiId(): Promise<string> {
  const { items = [] } = await apigw.send(new GetRestApisCommand({}));
  return items.find((a) => a.name === 'workbook-orders-api')!.id!;
}

/** A GET as a customer makes it; the stage's throttle (5 requests a second) is waited out. */
async function get(url: string): Promise<Response> {
  for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
    const response = await fetch(url);
    if (response.status !== 429) return response;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

const ordersUrl = async () => `${cloud.url}/restapis/${await apiId()}/v1/_user_request_/orders`;

/** A copy of solutions/09-order-status with each `from` replaced by its `to`; the path of its deploy.ts. */
function plantStep(replacements: [from: string, to: string][]): string {
  const target = join(scratch, randomUUID(), '09-order-status');
  mkdirSync(target, { recursive: true });
  cpSync(join(repoRoot, 'solutions', '09-order-status'), target, { recursive: true });
  const sources = readdirSync(target).filter((file) => file.endsWith('.ts'));
  const text = new Map(sources.map((file) => [file, readFileSync(join(target, file), 'utf8')]));
  for (const [from, to] of replacements) {
    const file = sources.find((f) => text.get(f)!.includes(from));
    expect(file, `no file of solutions/09-order-status contains ${from}`).toBeDefined();
    text.set(file!, text.get(file!)!.replace(from, to));
  }
  for (const [file, source] of text) writeFileSync(join(target, file), source.replaceAll("'../../lib/", `'${repoRoot}/lib/`));
  return join(target, 'deploy.ts');
}

/** Runs a planted step's deploy() in this process, as `npm run step:9` runs the learner's. */
async function runPlanted(deployFile: string): Promise<string> {
  const module = (await import(pathToFileURL(deployFile).href)) as { deploy: () => Promise<unknown> };
  const { error, lines } = await withPrefix(undefined, () => captureOutput(module.deploy));
  if (error) throw Object.assign(error as Error, { output: lines.join('\n') });
  return lines.join('\n');
}

/** The fix applied (the step as it should be), then the check the message pointed to passes. */
async function fixAndCheck(): Promise<void> {
  await deploySolution(9);
  const { passed, stdout } = await checkInProcess(check);
  expect(failures(stdout), stdout).toEqual([]);
  expect(passed, stdout).toBe(true);
  expect(await allItems(dynamodb, TABLE)).toEqual([]);
}

describe('step 9: order status for customers', () => {
  it('the untouched step stops at its first blank, names file:line, and creates nothing', async () => {
    const result = await runScript('step:9', cloud.env);
    expect(result.code, result.output).toBe(1);
    const line = lineOf('steps/09-order-status/deploy.ts', "todo('step 9: the path part");
    expect(result.stdout).toContain(`steps/09-order-status/deploy.ts:${line}`);
    expect(result.stdout).toContain('a path parameter, the name the handler reads (event.pathParameters.orderId) in curly braces');
    expect(result.stdout).toContain('This step has 1 more blank(s)');
    expect(result.stdout).toContain('Nothing was created');
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('the solution deploys; check:step-9 passes and leaves no probe behind', async () => {
    const output = await deploySolution(9);
    expect(output).toContain(`${FUNCTION}: created (nodejs22.x, 256 MB, 5 s timeout)`);
    expect(output).toMatch(/✔ resource \/orders\/\{orderId\} \(id \w+\)/);
    expect(output).toContain(`GET /orders/{orderId} → ${FUNCTION} (AWS_PROXY, no authorization)`);
    expect(output).toContain(`lets API Gateway invoke it, from arn:aws:execute-api:us-east-1:000000000000:${await apiId()}/*/GET/orders/* only`);

    const result = await runScript('check:step-9', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(failures(result.stdout)).toEqual([]);
    expect(result.stdout).toContain('✔ the role allows nothing more (no Scan, no GetItem, no writes, no other table)');
    expect(result.stdout).toContain("✔ POST /orders answers 202, naming the order's status URL in Location");
    expect(result.stdout).toContain("✔ the order's status URL answers its timeline, once the pipeline has recorded it");
    expect(result.stdout).toMatch(/Step 9 passes: \d+ verifications/);
    expect(await allItems(dynamodb, TABLE)).toEqual([]);
  });

  it('a customer follows the Location of a new order to its timeline; unknown ids get 404, garbage 400', async () => {
    const url = await ordersUrl();
    const placed = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customerId: 'c-9', items: [{ sku: 'tea', quantity: 1 }] }) });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    const location = placed.headers.get('location')!;
    expect(location).toBe(`orders/${orderId}`);
    const statusUrl = new URL(location, url).href;
    expect(statusUrl).toBe(`${url}/${orderId}`);

    // Recorded a moment later: the pipeline runs on its own. Poll with backoff until it is.
    let answer: Response;
    for (let pause = 20, giveUpAt = Date.now() + 10_000; ; pause = Math.min(pause * 2, 200)) {
      answer = await get(statusUrl);
      if (answer.status !== 404 || Date.now() > giveUpAt) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await answer.json()) as { timeline: { times: unknown }[] };
    expect(body).toMatchObject({ orderId, status: 'confirmed', timeline: [{ status: 'confirmed', eventTime: expect.any(String) }] });
    expect(body.timeline[0].times).toMatchObject({ acceptedAt: expect.any(Number), recordedAt: expect.any(Number) });
    expect(await deleteRecordsOf(DynamoDBDocumentClient.from(dynamodb), TABLE, orderId)).toBe(1); // the checks below start from an empty table

    const unknown = await get(`${url}/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'OrderNotFound', message: expect.stringContaining('there is no order') });
    for (const garbage of ['42', 'DROP%20TABLE', '__proto__', '%00', 'x'.repeat(1000)]) {
      const bad = await get(`${url}/${garbage}`);
      expect(bad.status, garbage.slice(0, 20)).toBe(400);
      expect(await bad.json()).toMatchObject({ error: 'InvalidOrderId' });
    }
  });

  it('running the solution again is harmless: one resource under /orders, one permission statement', async () => {
    const output = await deploySolution(9);
    expect(output).toContain(`${FUNCTION}: already up to date`);
    expect(output).toContain('(unchanged)');
    const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId: await apiId() }));
    expect(items.map((r) => r.path).sort()).toEqual(['/', '/orders', '/orders/{orderId}']);
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: FUNCTION }))).Policy!);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['apigateway-get-order']);
  });
});

describe('check:step-9 catches planted mistakes, each with its fix', () => {
  it('a Scan instead of a Query: the role refuses it (AccessDeniedException), and the check says to Query', async () => {
    await runPlanted(
      plantStep([
        ['import { DynamoDBDocumentClient, QueryCommand }', 'import { DynamoDBDocumentClient, QueryCommand, ScanCommand }'],
        [
          `      new QueryCommand({
        TableName: tableName,`,
          `      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'orderId = :orderId',`,
        ],
        ["        KeyConditionExpression: 'orderId = :orderId',\n", ''],
      ]),
    );
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    // Garbage still gets its 400 (refused before reading); the unknown id and the probe order hit the Scan.
    expect(found.map((b) => b.split('\n')[0])).toEqual([
      '✘ an order id nobody was given answers 404 (OrderNotFound) with a message',
      "✘ the order's status URL answers its timeline, once the pipeline has recorded it",
    ]);
    for (const block of found) {
      expect(block).toContain('the function calls dynamodb:Scan, which its role does not allow (AccessDeniedException) — the role may only Query');
      expect(block).toContain("fix: in steps/09-order-status/handler.ts read with a QueryCommand whose KeyConditionExpression is the partition key equal to :orderId ('orderId = :orderId'), then run `npm run step:9`");
    }
    expect(await allItems(dynamodb, TABLE)).toEqual([]);
    await fixAndCheck();
  });

  it('the path parameter named {id}: the check names the resource and the name the handler reads', async () => {
    await runPlanted(plantStep([["const pathPart: string = '{orderId}';", "const pathPart: string = '{id}';"]]));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const [resource, ...behaviour] = blocks(stdout);
    expect(resource).toContain('✘ the API has the resource /orders/{orderId}, with a GET open to customers');
    expect(resource).toContain('the resource under /orders is /orders/{id}: its path parameter is named id, but the function reads event.pathParameters.orderId');
    expect(resource).toContain("fix: in steps/09-order-status/deploy.ts the resource's path part is '{orderId}'");
    expect(behaviour.length).toBeGreaterThan(0);
    for (const block of behaviour) expect(block).toContain('the function found no orderId in the request\'s path parameters');
    expect(await allItems(dynamodb, TABLE)).toEqual([]);
    await fixAndCheck(); // the step replaces /orders/{id} with /orders/{orderId}
    const { items = [] } = await apigw.send(new GetResourcesCommand({ restApiId: await apiId() }));
    expect(items.map((r) => r.path).sort()).toEqual(['/', '/orders', '/orders/{orderId}']);
  });

  it('the path part without braces: a literal that matches only /orders/orderId', async () => {
    await runPlanted(plantStep([["const pathPart: string = '{orderId}';", "const pathPart: string = 'orderId';"]]));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const [resource, ...behaviour] = blocks(stdout);
    expect(resource).toContain('the resource under /orders is /orders/orderId, a literal path part: it matches only the URL /orders/orderId itself');
    for (const block of behaviour) expect(block).toContain('answered 403');
    await fixAndCheck();
  });

  it("the permission's SourceArn with the literal {orderId}: API Gateway is refused, and the check explains the *", async () => {
    await runPlanted(plantStep([["path: `${PARENT_PATH}/*` });", "path: `${PARENT_PATH}/{orderId}` });"]]));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const [permission, ...behaviour] = blocks(stdout);
    expect(permission).toContain("✘ workbook-order-status lets API Gateway invoke it from this API's GET /orders/* only");
    expect(permission).toContain('/*/GET/orders/{orderId} does not match');
    expect(permission).toContain('Its path holds {orderId} literally: API Gateway presents the path as called');
    expect(permission).toContain(`the AddPermission call needs SourceArn arn:aws:execute-api:us-east-1:000000000000:${await apiId()}/*/GET/orders/*`);
    expect(behaviour.length).toBe(3);
    for (const block of behaviour) expect(block).toContain('API Gateway may not invoke workbook-order-status (the permission ✘ above says why)');
    await fixAndCheck();
  });
});

describe('teardown after step 9', () => {
  it('removes the status function, its role and log group, and the API with its route; nothing is left', async () => {
    const { result, error } = await captureOutput(() => teardown({ yes: true }));
    expect(error).toBeUndefined();
    expect(result).toBe(0);
    expect(await planTeardown()).toEqual([]);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: FUNCTION }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(new IAMClient(cloud.clientConfig).send(new GetRoleCommand({ RoleName: 'workbook-order-status-role' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    const { logGroups = [] } = await new CloudWatchLogsClient(cloud.clientConfig).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/workbook-order-status' }));
    expect(logGroups).toEqual([]);
    expect((await apigw.send(new GetRestApisCommand({}))).items ?? []).toEqual([]);
  });
});
