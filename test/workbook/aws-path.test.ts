import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipSync, strToU8 } from 'fflate';
import { APIGatewayClient, CreateRestApiCommand, GetRestApisCommand, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { CreateTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, GetRoleCommand, IAMClient, ListRolePoliciesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, GetTopicAttributesCommand, ListTagsForResourceCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { captureOutput } from '../../lib/output.ts';
import { EVENT_KEY, ORDER_ID, TIME_BUCKET, TIME_INDEX } from '../../lib/order-events.ts';
import { planTeardown } from '../../scripts/teardown.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { aimAt, withPrefix } from './steps-2-3-support.ts';

/**
 * What a learner meets on AWS and not on an instant local cloud: resources of the workbook's
 * names that are not the workbook's (two people in one account), and changes that take time
 * (a function Pending or mid-update, CreateDeployment's quota) under the realism profile.
 */

const SOLUTIONS = {
  1: () => import('../../solutions/01-queue/deploy.ts'),
  2: () => import('../../solutions/02-intake-lambda/deploy.ts'),
  3: () => import('../../solutions/03-api/deploy.ts'),
  4: () => import('../../solutions/04-topic/deploy.ts'),
  5: () => import('../../solutions/05-monitor-lambda/deploy.ts'),
  6: () => import('../../solutions/06-table/deploy.ts'),
  7: () => import('../../solutions/07-recorder-lambda/deploy.ts'),
} as const;

/** Runs a solution's deploy() in this process under WORKBOOK_PREFIX=prefix: its output, and what it threw. */
async function runSolution(step: keyof typeof SOLUTIONS, prefix: string): Promise<{ output: string; error?: unknown }> {
  const { deploy } = (await SOLUTIONS[step]()) as { deploy: () => Promise<unknown> };
  const { error, lines } = await withPrefix(prefix, () => captureOutput(deploy));
  return { output: lines.join('\n'), error };
}

async function deployed(step: keyof typeof SOLUTIONS, prefix: string): Promise<string> {
  const { output, error } = await runSolution(step, prefix);
  if (error) throw Object.assign(error as Error, { message: `${(error as Error).message}\n${output}` });
  return output;
}

/** The step refused someone else's resource: a WorkbookError naming it, saying whose it seems to be and what to do. */
function expectRefusal(error: unknown, name: string, whose = /no "workbook" tag/) {
  expect(error).toBeInstanceOf(WorkbookError);
  const refusal = error as WorkbookError;
  expect(refusal.message).toContain(`named ${name}, and it is not this workbook's`);
  expect(refusal.message).toMatch(whose);
  expect(refusal.message).toContain('Nothing was changed on it');
  expect(refusal.hint).toContain('WORKBOOK_PREFIX');
}

const TRUST_LAMBDA = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const SOMEONE_ELSES_CODE = zipSync({ 'index.mjs': strToU8('export const handler = async () => ({ someone: "else" });\n') });

describe("a resource with the workbook's name that the workbook did not make is refused, left untagged, and never torn down", () => {
  let cloud: TestCloud;
  let sqs: SQSClient;
  let iam: IAMClient;
  let lambda: LambdaClient;
  let apigw: APIGatewayClient;
  let sns: SNSClient;
  let dynamodb: DynamoDBClient;
  beforeAll(async () => {
    cloud = await startTestCloud();
    aimAt(cloud);
    delete process.env.NOTIFY_EMAIL;
    sqs = new SQSClient(cloud.clientConfig);
    iam = new IAMClient(cloud.clientConfig);
    lambda = new LambdaClient(cloud.clientConfig);
    apigw = new APIGatewayClient(cloud.clientConfig);
    sns = new SNSClient(cloud.clientConfig);
    dynamodb = new DynamoDBClient(cloud.clientConfig);
  });
  afterAll(() => cloud.close());

  const teardownList = (prefix: string) => withPrefix(prefix, async () => (await planTeardown()).map((r) => r.name));

  it('step 1: an untagged queue named <prefix>-orders-dlq is neither changed nor tagged', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'q-orders-dlq' }));
    const { error } = await runSolution(1, 'q');
    expectRefusal(error, 'q-orders-dlq');
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags ?? {}).toEqual({});
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['MessageRetentionPeriod'] }));
    expect(Attributes?.MessageRetentionPeriod).toBe('345600'); // SQS's default, not the step's 14 days
    expect(await teardownList('q')).toEqual([]);
  });

  it("step 1: a queue tagged for another prefix is refused, naming that copy's WORKBOOK_PREFIX", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'qa-orders-dlq', tags: { workbook: 'ana' } }));
    const { error } = await runSolution(1, 'qa');
    expectRefusal(error, 'qa-orders-dlq', /tagged workbook=ana: it seems to belong to a copy of the workbook run with WORKBOOK_PREFIX=ana/);
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ workbook: 'ana' });
  });

  it('step 2: an untagged role named <prefix>-intake-role keeps its trust policy, no inline policy and no tag', async () => {
    await deployed(1, 'r');
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    await iam.send(new CreateRoleCommand({ RoleName: 'r-intake-role', AssumeRolePolicyDocument: trust }));
    const { error } = await runSolution(2, 'r');
    expectRefusal(error, 'r-intake-role');
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'r-intake-role' }))).Tags).toEqual([]);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'r-intake-role' }))).PolicyNames).toEqual([]);
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'r-intake-role' }));
    expect(JSON.parse(decodeURIComponent(Role!.AssumeRolePolicyDocument!)).Statement[0].Principal.Service).toBe('ec2.amazonaws.com');
    expect(await teardownList('r')).not.toContain('r-intake-role');
  });

  it('step 2: an untagged function named <prefix>-intake keeps its code and configuration, and gets no tag', async () => {
    await deployed(1, 'f');
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: 'someone-elses-role', AssumeRolePolicyDocument: TRUST_LAMBDA }));
    const planted = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'f-intake',
        Role: Role!.Arn,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: SOMEONE_ELSES_CODE },
        Description: 'someone else’s',
      }),
    );
    const { error } = await runSolution(2, 'f');
    expectRefusal(error, 'f-intake');
    const now = await lambda.send(new GetFunctionCommand({ FunctionName: 'f-intake' }));
    expect(now.Tags ?? {}).toEqual({});
    expect(now.Configuration).toMatchObject({ CodeSha256: planted.CodeSha256, Role: Role!.Arn, Description: 'someone else’s' });
    expect(await teardownList('f')).not.toContain('f-intake');
  });

  it('step 3: with an untagged REST API named <prefix>-orders-api, no second API of that name is made', async () => {
    await deployed(1, 'a');
    await deployed(2, 'a');
    const planted = await apigw.send(new CreateRestApiCommand({ name: 'a-orders-api' }));
    const { error } = await runSolution(3, 'a');
    expectRefusal(error, `a-orders-api (id ${planted.id})`);
    const sameName = ((await apigw.send(new GetRestApisCommand({}))).items ?? []).filter((api) => api.name === 'a-orders-api');
    expect(sameName.map((api) => [api.id, api.tags ?? {}])).toEqual([[planted.id, {}]]);
  });

  it('step 4: an untagged topic named <prefix>-order-updates keeps its attributes and gets no tag', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 't-order-updates' }));
    const { error } = await runSolution(4, 't');
    expectRefusal(error, 't-order-updates');
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags).toEqual([]);
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(Attributes?.DisplayName ?? '').toBe('');
    expect(await teardownList('t')).toEqual([]);
  });

  it('step 5: an untagged role named <prefix>-monitor-role is refused', async () => {
    await deployed(1, 'm');
    await deployed(4, 'm');
    await iam.send(new CreateRoleCommand({ RoleName: 'm-monitor-role', AssumeRolePolicyDocument: TRUST_LAMBDA }));
    const { error } = await runSolution(5, 'm');
    expectRefusal(error, 'm-monitor-role');
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'm-monitor-role' }))).Tags).toEqual([]);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'm-monitor-role' }))).PolicyNames).toEqual([]);
  });

  it('step 6: an untagged table named <prefix>-order-events, keyed just as the step wants, gets no tag', async () => {
    const { TableDescription } = await dynamodb.send(
      new CreateTableCommand({
        TableName: 'd-order-events',
        AttributeDefinitions: [ORDER_ID, EVENT_KEY, TIME_BUCKET].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
        KeySchema: [
          { AttributeName: ORDER_ID, KeyType: 'HASH' },
          { AttributeName: EVENT_KEY, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: TIME_INDEX,
            KeySchema: [
              { AttributeName: TIME_BUCKET, KeyType: 'HASH' },
              { AttributeName: EVENT_KEY, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const { error } = await runSolution(6, 'd');
    expectRefusal(error, 'd-order-events');
    expect((await dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: TableDescription!.TableArn }))).Tags ?? []).toEqual([]);
    expect(await teardownList('d')).toEqual([]);
  });

  it('step 7: an untagged queue named <prefix>-recorder-failures is refused', async () => {
    await deployed(4, 'x');
    await deployed(6, 'x');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'x-recorder-failures' }));
    const { error } = await runSolution(7, 'x');
    expectRefusal(error, 'x-recorder-failures');
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags ?? {}).toEqual({});
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }));
    expect(Attributes?.Policy).toBeUndefined();
  });

  it('what the steps made themselves they still find and update on a second run', async () => {
    for (const step of [1, 2, 3] as const) await deployed(step, 'own');
    for (const step of [1, 2, 3] as const) expect((await runSolution(step, 'own')).error).toBeUndefined();
  });
});

describe('the stage throttle bounds what strangers can spend', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud();
    aimAt(cloud);
  });
  afterAll(() => cloud.close());

  it("step 3 throttles a learner's stage to 5 requests/s, bursts of 10 (not 100/200: about $80 a day at full rate)", async () => {
    await deployed(1, 'workbook');
    await deployed(2, 'workbook');
    const output = await deployed(3, 'workbook');
    expect(output).toContain('throttled to 5 requests/s (bursts of 10)');
    const apigw = new APIGatewayClient(cloud.clientConfig);
    const [api] = (await apigw.send(new GetRestApisCommand({}))).items ?? [];
    const stage = await apigw.send(new GetStageCommand({ restApiId: api.id, stageName: 'v1' }));
    expect(stage.methodSettings?.['*/*']).toMatchObject({ throttlingRateLimit: 5, throttlingBurstLimit: 10 });
  });
});

/**
 * Under the realism profile at half AWS's time: a new function stays Pending 2.5 s, an update
 * InProgress 1.5 s, and CreateDeployment takes one request every 2.5 s.
 */
describe('on AWS time (realism profile): re-running a step while AWS is still busy', () => {
  let cloud: TestCloud;
  let lambda: LambdaClient;
  beforeAll(async () => {
    cloud = await startTestCloud({ realism: RealismProfile.aws(0.5) });
    aimAt(cloud);
    lambda = new LambdaClient(cloud.clientConfig);
    await deployed(1, 'workbook');
    await deployed(2, 'workbook');
  }, 60_000);
  afterAll(() => cloud.close());

  const settled = async (name: string) => (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration!;

  it('step 2 while an update is InProgress: it waits for the update, then makes its own (no ResourceConflictException)', async () => {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'workbook-intake', Description: 'changed by hand' }));
    expect((await settled('workbook-intake')).LastUpdateStatus).toBe('InProgress');
    const output = await deployed(2, 'workbook');
    expect(output).toContain('workbook-intake: updated its configuration');
    const after = await settled('workbook-intake');
    expect(after.Description).toBe('Validates orders from POST /orders and puts them on the orders queue');
  }, 60_000);

  it('step 2 while the function is still Pending (an earlier run just created it): it waits until Active, then updates it', async () => {
    const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: 'workbook-intake' }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'workbook-intake' }));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'workbook-intake',
        Role: Configuration!.Role,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: SOMEONE_ELSES_CODE },
        Tags: { workbook: 'workbook' },
      }),
    );
    expect((await settled('workbook-intake')).State).toBe('Pending');
    const output = await deployed(2, 'workbook');
    expect(output).toContain('workbook-intake: updated its code and configuration');
    expect(await settled('workbook-intake')).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful' });
  }, 60_000);

  it("step 3 twice within CreateDeployment's quota: the second run waits its turn (Retry-After) instead of failing", async () => {
    await deployed(3, 'workbook');
    // The SDK's own retries (3 attempts) may cover one short wait; a busy account needs more, so
    // they are turned off here: the step's own handling is what is tested.
    process.env.AWS_MAX_ATTEMPTS = '1';
    try {
      const output = await deployed(3, 'workbook');
      expect(output).toContain('API Gateway takes one deployment every 5 seconds per account. Waiting our turn…');
      expect(output).toMatch(/stage v1: deployment \w+, throttled to 5 requests\/s/);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  }, 60_000);
});
