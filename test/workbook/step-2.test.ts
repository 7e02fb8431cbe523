import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { captureOutput } from '../../lib/output.ts';
import { runStep } from '../../lib/steps.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { bundleHandler, whenRoleAssumable } from '../../lib/lambda.ts';
import { failures, lineOf, repoRoot, runScript } from './support.ts';
import { aimAt, deploy, faults, setFaults } from './steps-2-3-support.ts';

let cloud: TestCloud;
let iam: IAMClient;
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
let sqs: SQSClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  iam = new IAMClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  logs = new CloudWatchLogsClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const roleNames = async () => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName);
const functionNames = async () => ((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName);
const logGroupNames = async () => ((await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map((g) => g.logGroupName);
const ordersQueueUrl = async (prefix = 'workbook') => (await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}-orders` }))).QueueUrl!;

describe('step 2: the intake function', () => {
  it('the untouched step stops at its first blank, names file:line, and creates nothing', async () => {
    await deploy(1); // even with step 1 done
    const result = await runScript('step:2', cloud.env);
    expect(result.code, result.output).toBe(1);
    const line = lineOf('steps/02-intake-lambda/deploy.ts', "todo('step 2:");
    expect(line).toBeGreaterThan(0);
    expect(result.stdout).toContain(`steps/02-intake-lambda/deploy.ts:${line}`);
    expect(result.stdout).toContain('sqs:SendMessage');
    expect(result.stdout).toContain('This step has 1 more blank(s)'); // the quantity rule in order.ts
    expect(result.stdout).toContain('Nothing was created');
    expect(await roleNames()).toEqual([]);
    expect(await functionNames()).toEqual([]);
    expect(await logGroupNames()).toEqual([]);
  });

  it('status: step 1 deployed and passing (its blank still left here), step 2 not deployed', async () => {
    const result = await runScript('status', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/step 1 .*\n {4}blanks: 1 left, .* · deployed: yes · check: passes/);
    expect(result.stdout).toMatch(/○ step 2 .*\n {4}blanks: \d+ left, the first at steps\/02-intake-lambda\/.* · deployed: no · check: fails/);
  });

  it('solution:2 builds the role, the log group and the function; check:step-2 passes and leaves no probe behind', async () => {
    // What `npm run solution:2` runs (scripts/step.ts), in this process.
    const { result, lines } = await captureOutput(() => runStep('solutions', 2));
    const stdout = lines.join('\n');
    expect(result, stdout).toBe(0);
    expect(stdout).toContain('workbook-intake: created (nodejs22.x, 256 MB, 5 s timeout');
    expect(stdout).toContain('npm run check:step-2');

    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'workbook-intake' }));
    expect(fn.Configuration).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 5,
      MemorySize: 256,
      State: 'Active',
      Role: 'arn:aws:iam::000000000000:role/workbook-intake-role',
      Environment: { Variables: { QUEUE_URL: await ordersQueueUrl() } },
    });
    expect(fn.Tags).toEqual({ workbook: 'workbook' });
    const { PolicyNames } = await iam.send(new ListRolePoliciesCommand({ RoleName: 'workbook-intake-role' }));
    expect(PolicyNames).toEqual(['send-orders']);
    const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: 'workbook-intake-role', PolicyName: 'send-orders' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await ordersQueueUrl(), AttributeNames: ['QueueArn'] }));
    expect(JSON.parse(decodeURIComponent(PolicyDocument!)).Statement).toEqual([
      { Sid: 'SendOrdersToTheQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: Attributes!.QueueArn },
    ]);
    const { AttachedPolicies } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'workbook-intake-role' }));
    expect(AttachedPolicies?.map((p) => p.PolicyName)).toEqual(['AWSLambdaBasicExecutionRole']);
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: 'workbook-intake-role' }))).Tags).toEqual([{ Key: 'workbook', Value: 'workbook' }]);
    const [group] = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/workbook-intake' }))).logGroups ?? [];
    expect(group).toMatchObject({ logGroupName: '/aws/lambda/workbook-intake', retentionInDays: 14 });

    const check = await runScript('check:step-2', cloud.env);
    expect(check.code, check.output).toBe(0);
    expect(failures(check.stdout)).toEqual([]);
    expect(check.stdout).not.toContain('skipped');
    expect(check.stdout).toContain('a good order gets 202');
    const queue = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await ordersQueueUrl(), AttributeNames: ['All'] }));
    expect(queue.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });

    // The function's own lines reached its log group (the one the step made, with its tag and retention).
    const { events = [] } = await logs.send(
      new FilterLogEventsCommand({ logGroupName: '/aws/lambda/workbook-intake', filterPattern: '"order accepted"' }),
    );
    expect(events.length).toBe(1);
  });

  it('running it again is harmless: nothing changes, nothing is duplicated', async () => {
    const before = (await lambda.send(new GetFunctionCommand({ FunctionName: 'workbook-intake' }))).Configuration!;
    const output = await deploy(2);
    expect(output).toContain('workbook-intake: already up to date');
    const after = (await lambda.send(new GetFunctionCommand({ FunctionName: 'workbook-intake' }))).Configuration!;
    expect(after.RevisionId).toBe(before.RevisionId);
    expect(after.CodeSha256).toBe(before.CodeSha256);
    expect(await roleNames()).toEqual(['workbook-intake-role']);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'workbook-intake-role' }))).PolicyNames).toEqual(['send-orders']);
    expect(await functionNames()).toEqual(['workbook-intake']);
  });

  it('after a setting was changed by hand, running it again puts it back (UpdateFunctionConfiguration)', async () => {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'workbook-intake', Timeout: 20 }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'workbook-intake' });
    const output = await deploy(2);
    expect(output).toContain('workbook-intake: updated its configuration');
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'workbook-intake' }))).Configuration?.Timeout).toBe(5);
  });

  it('without step 1, it says to run step 1 first', async () => {
    process.env.WORKBOOK_PREFIX = 'nostep1';
    try {
      const { result, lines } = await captureOutput(() => runStep('solutions', 2));
      expect(result).toBe(1);
      expect(lines.join('\n')).toContain('There is no queue named nostep1-orders');
      expect(lines.join('\n')).toContain('npm run step:1');
    } finally {
      delete process.env.WORKBOOK_PREFIX;
    }
    expect(await roleNames()).not.toContain('nostep1-intake-role');
  });
});

describe('a new role that Lambda cannot assume yet (as on AWS for a few seconds after CreateRole)', () => {
  it('CreateFunction is retried with backoff until the role is assumable', async () => {
    await deploy(1, 'fresh');
    expect(await setFaults(cloud, { roleNotAssumableFor: 3 })).toMatchObject({ roleNotAssumableFor: 3 });
    const started = performance.now();
    const output = await deploy(2, 'fresh');
    const ms = performance.now() - started;
    expect(output).toContain('Lambda cannot assume fresh-intake-role yet: IAM takes a few seconds');
    expect(output).toContain('fresh-intake: created');
    expect(await faults(cloud)).toMatchObject({ roleNotAssumableFor: 0 }); // all three failures were met, and retried
    expect(ms).toBeLessThan(5000); // backoff starts at 100 ms: no fixed multi-second sleeps
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: 'fresh-intake' }))).Configuration?.State).toBe('Active');
  });

  it('gives up after the deadline, saying what else it may be (a trust policy without lambda.amazonaws.com)', async () => {
    // A role that really is not assumable by Lambda: it trusts EC2 only.
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'ec2-only',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const code = await bundleHandler(`${repoRoot}/solutions/02-intake-lambda/handler.ts`);
    let attempts = 0;
    const error = await whenRoleAssumable(
      () => {
        attempts++;
        return lambda.send(
          new CreateFunctionCommand({ FunctionName: 'never', Role: Role!.Arn, Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: code.zip } }),
        );
      },
      'ec2-only',
      { deadlineMs: 1000 },
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkbookError);
    expect((error as WorkbookError).message).toBe('Lambda still cannot assume the role ec2-only after 1 s.');
    expect((error as WorkbookError).hint).toContain('lambda.amazonaws.com');
    expect(attempts).toBeGreaterThan(2);
    expect(await functionNames()).not.toContain('never');
  });
});
