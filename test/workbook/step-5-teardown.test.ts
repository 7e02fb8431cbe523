import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRoleCommand, IAMClient, ListRolesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { strToU8, zipSync } from 'fflate';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { queuePolicyForTopic } from '../../checks/topic-probe.ts';
import { captureOutput } from '../../lib/output.ts';
import { teardown } from '../../scripts/teardown.ts';
import { runScript } from './support.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * Teardown after steps 1–5: the monitor's mapping goes before the functions, the topic's
 * subscriptions before the topic, the topic after the functions that publish to it; a queue a
 * killed check left behind goes too (it carries the tag). Look-alikes stay.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let sns: SNSClient;
let sqs: SQSClient;
let iam: IAMClient;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:workbook-order-updates';
const trustLambda = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  process.env.NOTIFY_EMAIL = 'dee@example.com'; // a subscription still pending: it goes with the topic
  try {
    for (const step of [1, 2, 3, 4, 5]) await deploySolution(step);
  } finally {
    delete process.env.NOTIFY_EMAIL;
  }

  // What a check killed halfway leaves: its queue (named and tagged as ours), subscribed to the topic.
  const leftover = 'workbook-check-0badf00d';
  const leftoverArn = `arn:aws:sqs:us-east-1:000000000000:${leftover}`;
  await sqs.send(
    new CreateQueueCommand({ QueueName: leftover, Attributes: { Policy: JSON.stringify(queuePolicyForTopic(leftoverArn, TOPIC_ARN)) }, tags: { workbook: 'workbook' } }),
  );
  await sns.send(new SubscribeCommand({ TopicArn: TOPIC_ARN, Protocol: 'sqs', Endpoint: leftoverArn }));

  // Look-alikes: an untagged function of our prefix with a mapping from an untagged queue; another prefix's topic.
  const { Role } = await iam.send(new CreateRoleCommand({ RoleName: 'scratch-role', AssumeRolePolicyDocument: trustLambda }));
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'scratch-role',
      PolicyName: 'consume',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }),
    }),
  );
  await sqs.send(new CreateQueueCommand({ QueueName: 'workbook-scratch' }));
  const code = zipSync({ 'index.mjs': strToU8('export const handler = async () => ({});') });
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'workbook-scratch', Role: Role!.Arn, Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: code } }));
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'workbook-scratch' });
  await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'workbook-scratch', EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:workbook-scratch' }));
  await sns.send(new CreateTopicCommand({ Name: 'workbook-x-order-updates', Tags: [{ Key: 'workbook', Value: 'workbook-x' }] }));
});
afterAll(() => cloud.close());

const listed = (lines: string[]) => lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().replace(/\s{2,}/, ' | '));

describe('npm run teardown after steps 1–5', () => {
  it('--dry-run lists ours in dependency order, and removes nothing', async () => {
    const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'workbook-monitor' }))).EventSourceMappings!;
    const { result, lines } = await captureOutput(() => teardown({ dryRun: true }));
    expect(result).toBe(0);
    expect(listed(lines)).toEqual([
      'SNS subscription | workbook-order-updates → sqs workbook-check-0badf00d',
      `event source mapping | workbook-orders → workbook-monitor (${mapping.UUID})`,
      expect.stringMatching(/^REST API \| workbook-orders-api \(\w+\)$/),
      'Lambda permission | workbook-intake: apigateway-post-orders (apigateway.amazonaws.com)',
      'Lambda function | workbook-intake',
      'Lambda function | workbook-monitor',
      'log group | /aws/lambda/workbook-intake',
      'log group | /aws/lambda/workbook-monitor',
      'IAM role policy | workbook-intake-role: send-orders (inline)',
      'IAM role policy | workbook-intake-role: AWSLambdaBasicExecutionRole (attached)',
      'IAM role policy | workbook-monitor-role: consume-orders-publish-updates (inline)',
      'IAM role policy | workbook-monitor-role: AWSLambdaBasicExecutionRole (attached)',
      'IAM role | workbook-intake-role',
      'IAM role | workbook-monitor-role',
      'SNS topic | workbook-order-updates',
      'SQS queue | workbook-check-0badf00d',
      'SQS queue | workbook-orders',
      'SQS queue | workbook-orders-dlq',
    ]);
    expect((await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings).toHaveLength(2);
  });

  it('removes all of it and nothing else; again is a no-op', async () => {
    const result = await runScript('teardown', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('Removed 18 resources');
    expect(result.stdout).toMatch(/removed SNS subscription .*\n.*removed event source mapping .*\n.*removed REST API/);
    expect(result.stdout).toMatch(/removed IAM role workbook-monitor-role\n.*removed SNS topic workbook-order-updates\n.*removed SQS queue workbook-check-0badf00d/);

    const mappings = (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
    expect(mappings.map((m) => m.FunctionArn?.split(':').pop())).toEqual(['workbook-scratch']);
    expect(((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName)).toEqual(['workbook-scratch']);
    expect(((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn?.split(':').pop())).toEqual(['workbook-x-order-updates']);
    await expect(sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }))).rejects.toThrow('Topic does not exist');
    expect(((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).map((u) => u.split('/').pop())).toEqual(['workbook-scratch']);
    expect(((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName)).toEqual(['scratch-role']);
    const logs = new CloudWatchLogsClient(cloud.clientConfig);
    expect(((await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map((g) => g.logGroupName)).not.toContain('/aws/lambda/workbook-monitor');

    const { result: again, lines } = await captureOutput(() => teardown({ yes: true }));
    expect(again).toBe(0);
    expect(lines.join('\n')).toContain('Nothing to remove');
  });
});
