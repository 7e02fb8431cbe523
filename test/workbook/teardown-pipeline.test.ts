import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListSubscriptionsCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { captureOutput } from '../../lib/output.ts';
import { planTeardown, teardown } from '../../scripts/teardown.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * Teardown of the whole pipeline (steps 1–7): every kind of resource, in dependency order,
 * including the functions' permissions and the roles' policies, which it lists and removes on
 * their own. Look-alikes of those two kinds, and of a mapping and a subscription, survive: on a
 * function or role with our prefix but without our tag, and on another prefix's.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let iam: IAMClient;
let sns: SNSClient;
let sqs: SQSClient;

const KIND_ORDER = [
  'SNS subscription',
  'event source mapping',
  'REST API',
  'Lambda permission',
  'Lambda function',
  'log group',
  'IAM role policy',
  'IAM role',
  'SNS topic',
  'DynamoDB table',
  'SQS queue',
];
const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const trustLambda = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const consumeAnything = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] });
const tags = (value: string) => [{ Key: 'workbook', Value: value }];

/** Look-alikes: our prefix without our tag ("workbook-scratch…"), and another prefix's ("other-…"). */
const lookAlikes = { roles: ['other-intake-role', 'workbook-scratch-role'], functions: ['other-intake', 'workbook-scratch'] };

const policiesOf = async (RoleName: string) => ({
  inline: (await iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames,
  attached: (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies?.map((p) => p.PolicyName),
});
const statementIds = async (FunctionName: string) =>
  (JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName }))).Policy!) as { Statement: { Sid: string }[] }).Statement.map((s) => s.Sid);

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  for (const step of [1, 2, 3, 4, 5, 6, 7]) await deploySolution(step);

  const code = zipSync({ 'index.mjs': strToU8('export const handler = async () => ({});') });
  for (const [i, RoleName] of lookAlikes.roles.entries()) {
    const tagged = RoleName.startsWith('other-') ? { Tags: tags('other') } : {};
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trustLambda, ...tagged }));
    await iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: 'consume', PolicyDocument: consumeAnything }));
    await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: BASIC_EXECUTION }));

    const FunctionName = lookAlikes.functions[i];
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName,
        Role: Role!.Arn,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Code: { ZipFile: code },
        ...(RoleName.startsWith('other-') ? { Tags: { workbook: 'other' } } : {}),
      }),
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName });
    await lambda.send(new AddPermissionCommand({ FunctionName, StatementId: 'keep-me', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com' }));
  }
  // Another prefix's queue feeding its function; our prefix's untagged topic with a subscription.
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'other-orders', tags: { workbook: 'other' } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'other-intake', EventSourceArn: Attributes!.QueueArn }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'workbook-scratch-updates' }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
});
afterAll(() => cloud.close());

describe('npm run teardown after the whole pipeline (steps 1–7)', () => {
  it('--dry-run lists every kind, in dependency order, permissions and role policies on their own; removes nothing', async () => {
    const { result, lines } = await captureOutput(() => teardown({ dryRun: true }));
    expect(result).toBe(0);
    const listed = lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s{2,}/) as [string, string]);
    const kinds = listed.map(([kind]) => kind);
    expect([...new Set(kinds)]).toEqual(KIND_ORDER);
    expect(kinds).toEqual([...kinds].sort((a, b) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b)));

    const named = (kind: string) => listed.filter(([k]) => k === kind).map(([, name]) => name);
    expect(named('Lambda permission')).toEqual([
      'workbook-intake: apigateway-post-orders (apigateway.amazonaws.com)',
      'workbook-recorder: sns-order-updates (sns.amazonaws.com)',
    ]);
    expect(named('IAM role policy').sort()).toEqual([
      'workbook-intake-role: AWSLambdaBasicExecutionRole (attached)',
      'workbook-intake-role: send-orders (inline)',
      'workbook-monitor-role: AWSLambdaBasicExecutionRole (attached)',
      'workbook-monitor-role: consume-orders-publish-updates (inline)',
      'workbook-recorder-role: AWSLambdaBasicExecutionRole (attached)',
      'workbook-recorder-role: record-order-events (inline)',
      'workbook-recorder-role: report-failures (inline)',
    ]);
    // A queue before the queue it dead-letters into.
    expect(named('SQS queue')).toEqual(['workbook-orders', 'workbook-recorder-failures', 'workbook-orders-dlq']);
    expect(listed.some(([, name]) => /other-|scratch/.test(name))).toBe(false);
    expect(await statementIds('workbook-intake')).toEqual(['apigateway-post-orders']);
  });

  it('a permission or a role policy already gone is reported as such, not as an error', async () => {
    const plan = await planTeardown();
    for (const kind of ['Lambda permission', 'IAM role policy']) {
      const first = plan.find((r) => r.kind === kind)!;
      expect(await first.remove(), first.name).toBe(true);
      expect(await first.remove(), first.name).toBe(false);
    }
  });

  it('removes everything of the workbook and nothing else; a second run finds nothing', async () => {
    const started = performance.now();
    const { result, lines } = await captureOutput(() => teardown({ yes: true }));
    const ms = performance.now() - started;
    expect(result, lines.join('\n')).toBe(0);
    // 1 subscription, 1 mapping, 1 API, 1 permission left (the other went above), 3 functions,
    // 3 log groups, 6 role policies left, 3 roles, the topic, the table, 3 queues.
    expect(lines.join('\n')).toContain('Removed 24 resources');
    expect(lines.filter((l) => l.startsWith('✔ removed Lambda permission'))).toHaveLength(1);
    expect(await planTeardown()).toEqual([]);
    expect(ms).toBeLessThan(10_000);

    // The look-alikes, with their policies, permissions, mapping and subscription, are all still there.
    expect(((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName).sort()).toEqual(lookAlikes.roles);
    for (const role of lookAlikes.roles) expect(await policiesOf(role), role).toEqual({ inline: ['consume'], attached: ['AWSLambdaBasicExecutionRole'] });
    expect(((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName).sort()).toEqual(lookAlikes.functions);
    for (const fn of lookAlikes.functions) expect(await statementIds(fn), fn).toEqual(['keep-me']);
    const mappings = (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
    expect(mappings.map((m) => m.FunctionArn?.split(':').pop())).toEqual(['other-intake']);
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsCommand({}));
    expect(Subscriptions.map((s) => s.TopicArn?.split(':').pop())).toEqual(['workbook-scratch-updates']);

    const again = await captureOutput(() => teardown({ yes: true }));
    expect(again.lines.join('\n')).toContain('Nothing to remove');
  });
});
