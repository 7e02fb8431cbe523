import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { failures, lineOf, runScript } from './support.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
let sns: SNSClient;
let iam: IAMClient;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:workbook-order-updates';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:workbook-orders';

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  delete process.env.NOTIFY_EMAIL;
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  for (const step of [1, 2, 3, 4]) await deploySolution(step);
});
afterAll(() => cloud.close());

const mappings = async () => (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
const functionNames = async () => ((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName).sort();
const roleNames = async () => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName).sort();
const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;

describe('step 5: the monitor function and its event source mapping', () => {
  it('the untouched step stops at its first blank, names file:line, and creates nothing', async () => {
    const result = await runScript('step:5', cloud.env);
    expect(result.code, result.output).toBe(1);
    const line = lineOf('steps/05-monitor-lambda/deploy.ts', "todo('step 5:");
    expect(line).toBeGreaterThan(0);
    expect(result.stdout).toContain(`✘ There is a blank to fill in at steps/05-monitor-lambda/deploy.ts:${line}`);
    expect(result.stdout).toContain('[FunctionResponseType.ReportBatchItemFailures]');
    expect(result.stdout).toContain('This step has 1 more blank(s) after this one.');
    expect(result.stdout).toContain('Nothing was created');
    expect(await functionNames()).toEqual(['workbook-intake']);
    expect(await roleNames()).toEqual(['workbook-intake-role']);
    expect(await mappings()).toEqual([]);
  });

  it('solution:5 deploys the role, the function and the mapping, and check:step-5 passes, leaving nothing behind', async () => {
    const result = await runScript('solution:5', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('✔ mapping Enabled: batches of up to 10, batching window 0 s, with ReportBatchItemFailures');

    const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: 'workbook-monitor-role', PolicyName: 'consume-orders-publish-updates' }));
    expect(JSON.parse(decodeURIComponent(PolicyDocument!)).Statement).toEqual([
      { Sid: 'ConsumeTheOrdersQueue', Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: QUEUE_ARN },
      { Sid: 'PublishStatusUpdates', Effect: 'Allow', Action: 'sns:Publish', Resource: TOPIC_ARN },
    ]);
    const { AttachedPolicies } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'workbook-monitor-role' }));
    expect(AttachedPolicies?.map((p) => p.PolicyName)).toEqual(['AWSLambdaBasicExecutionRole']);
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'workbook-monitor' }));
    expect(config).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 10, MemorySize: 256, Environment: { Variables: { TOPIC_ARN } } });
    const [mapping, ...more] = await mappings();
    expect(more).toEqual([]);
    expect(mapping).toMatchObject({
      EventSourceArn: QUEUE_ARN,
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:workbook-monitor',
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      State: 'Enabled',
    });
    const logs = new CloudWatchLogsClient(cloud.clientConfig);
    const { logGroups = [] } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/workbook-monitor' }));
    expect(logGroups.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([['/aws/lambda/workbook-monitor', 14]]);

    const check = await runScript('check:step-5', cloud.env);
    expect(check.code, check.output).toBe(0);
    expect(failures(check.stdout)).toEqual([]);
    expect(check.stdout).not.toContain('skipped');
    expect(check.stdout).toMatch(/\n {2}202 → status update out of the topic in \d+ ms \(order [0-9a-f-]{36}\)\n/);
    expect(check.stdout).toContain('✔ an order sent to POST /orders comes out of workbook-order-updates as a status update');
    expect(check.stdout).toContain('✔ a malformed message is reported as a batch item failure, and its batch-mate still goes through');
    // The whole way, for real: the mapping and the monitor fail a poison message 5 times, and it lands in the DLQ.
    expect(check.stdout).toContain(
      '✔ a poison message sent to workbook-orders reaches workbook-orders-dlq after 5 failed receives (the local cloud shortened the wait: no 60 s visibility timeout between receives)',
    );
    expect(check.stdout).toMatch(/\n {2}in workbook-orders-dlq \d+ ms after it was sent \(on AWS: about 5 minutes\), ApproximateReceiveCount 6 \(5 receives from workbook-orders, then this one\); the check deleted it\n/);
    // The fault switch is back as it was, and the DLQ is empty again.
    expect(await (await cloud.control('faults')).json()).toMatchObject({ fastRetry: null });
    // The check's queue and subscription are gone; the orders queue is empty (the mapping took the order).
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }))).Subscriptions).toEqual([]);
    expect(((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).map((u) => u.slice(u.lastIndexOf('/') + 1)).sort()).toEqual([
      'workbook-orders',
      'workbook-orders-dlq',
    ]);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl('workbook-orders'), AttributeNames: ['All'] }));
    expect([Attributes?.ApproximateNumberOfMessages, Attributes?.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '0']);
    const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl('workbook-orders-dlq'), AttributeNames: ['All'] }));
    expect([dlq.Attributes?.ApproximateNumberOfMessages, dlq.Attributes?.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '0']);
    // The monitor's log: Powertools' JSON lines, one per published update.
    const { events = [] } = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/workbook-monitor', filterPattern: '{ $.message = "status update published" }' }));
    expect(events.length).toBe(2); // the order through the API, and the good half of the poisoned batch
    expect(JSON.parse(events[0].message!)).toMatchObject({ level: 'INFO', service: 'order-monitor', function_name: 'workbook-monitor', orderId: expect.any(String) });
  });

  it('running it again is harmless: the same mapping, nothing changed; a disabled mapping is enabled again', async () => {
    const [before] = await mappings();
    const again = await deploySolution(5);
    expect(again).toContain('workbook-monitor: already up to date');
    expect(again).toContain(`✔ event source mapping ${before.UUID}: already up to date`);
    expect((await mappings()).map((m) => m.UUID)).toEqual([before.UUID]);

    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: before.UUID, Enabled: false }));
    const enabled = await deploySolution(5);
    expect(enabled).toContain(`✔ event source mapping ${before.UUID}: updated its settings`);
    expect((await mappings()).map((m) => [m.UUID, m.State])).toEqual([[before.UUID, 'Enabled']]);
  });
});
