import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, TagResourceCommand } from '@aws-sdk/client-dynamodb';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListSubscriptionsCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { captureOutput } from '../../lib/output.ts';
import { planTeardown, teardown } from '../../scripts/teardown.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deployPrerequisites, deploySolution } from './steps-6-7-support.ts';

/**
 * Teardown after steps 4, 6 and 7: the recorder's subscription goes first, then the function, its
 * log group and its role (with its policies), the topic, the table, and the failures queue.
 * Look-alikes without our tag, or with another prefix's, stay.
 */
let cloud: TestCloud;
let dynamodb: DynamoDBClient;
let sns: SNSClient;
let sqs: SQSClient;

const tag = (value: string) => [{ Key: 'workbook', Value: value }];

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  await deployPrerequisites();
  await deploySolution(7);

  // Bystanders: our prefix without our tag, a look-alike prefix (workbook-x) with its own tag.
  const table = (TableName: string) =>
    dynamodb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  await table('workbook-scratch-events');
  const { TableDescription } = await table('workbook-x-order-events');
  await dynamodb.send(new TagResourceCommand({ ResourceArn: TableDescription!.TableArn, Tags: tag('workbook-x') }));
  // Another prefix's topic, with a subscription of its own that must survive.
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'workbook-x-order-updates', Tags: tag('workbook-x') }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'workbook-recorder-failures-old' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
});
afterAll(() => cloud.close());

describe('npm run teardown after the recorder (step 7)', () => {
  it('--dry-run lists the subscription first and the table before the queue, and removes nothing', async () => {
    const { result, lines } = await captureOutput(() => teardown({ dryRun: true }));
    expect(result).toBe(0);
    const listed = lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().replace(/\s{2,}/, ' | '));
    expect(listed).toEqual([
      'SNS subscription | workbook-order-updates → lambda workbook-recorder',
      'Lambda permission | workbook-recorder: sns-order-updates (sns.amazonaws.com)',
      'Lambda function | workbook-recorder',
      'log group | /aws/lambda/workbook-recorder',
      'IAM role policy | workbook-recorder-role: record-order-events (inline)',
      'IAM role policy | workbook-recorder-role: report-failures (inline)',
      'IAM role policy | workbook-recorder-role: AWSLambdaBasicExecutionRole (attached)',
      'IAM role | workbook-recorder-role',
      'SNS topic | workbook-order-updates',
      'DynamoDB table | workbook-order-events',
      'SQS queue | workbook-recorder-failures',
    ]);
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toContain('workbook-order-events');
  });

  it('removes them all, spares the look-alikes, and a second run finds nothing', async () => {
    const { result, lines } = await captureOutput(() => teardown({ yes: true }));
    expect(result).toBe(0);
    expect(lines.join('\n')).toContain('Removed 11 resources');
    expect(await planTeardown()).toEqual([]);

    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual(['workbook-scratch-events', 'workbook-x-order-events']);
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsCommand({}));
    expect(Subscriptions.map((s) => `${s.TopicArn?.split(':').at(-1)} ${s.Protocol}`)).toEqual(['workbook-x-order-updates sqs']);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls?.map((u) => u.split('/').at(-1))).toEqual(['workbook-recorder-failures-old']);
    expect((await new LambdaClient(cloud.clientConfig).send(new ListFunctionsCommand({}))).Functions).toEqual([]);
    expect((await new IAMClient(cloud.clientConfig).send(new ListRolesCommand({}))).Roles).toEqual([]);
    expect((await new CloudWatchLogsClient(cloud.clientConfig).send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);

    const { result: again, lines: againLines } = await captureOutput(() => teardown({ yes: true }));
    expect(again).toBe(0);
    expect(againLines.join('\n')).toContain('Nothing to remove');
  });
});
