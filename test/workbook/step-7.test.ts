import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetFunctionEventInvokeConfigCommand, GetPolicyCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ListSubscriptionsByTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, GetQueueUrlCommand, ListQueuesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud, TEST_REGION } from '../support/cloud.ts';
import { check } from '../../checks/step-7.ts';
import { probeUpdate, snsEvent, updateAttributes } from '../../checks/recorder-probes.ts';
import { readTimeline } from '../../lib/order-events.ts';
import { failures, lineOf, runScript } from './support.ts';
import { aimAt, checkInProcess } from './steps-2-3-support.ts';
import { allItems, deployPrerequisites, deploySolution, fastAsyncRetries } from './steps-6-7-support.ts';

let cloud: TestCloud;
let lambda: LambdaClient;
let sns: SNSClient;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;
let db: DynamoDBDocumentClient;
const TABLE = 'workbook-order-events';
const FUNCTION = 'workbook-recorder';
const TOPIC_ARN = `arn:aws:sns:${TEST_REGION}:000000000000:workbook-order-updates`;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  fastAsyncRetries(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
  db = DynamoDBDocumentClient.from(dynamodb);
  await deployPrerequisites();
});
afterAll(() => cloud.close());

const failuresQueueUrl = async () => (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-recorder-failures' }))).QueueUrl!;

/** Polls the table for an order's items until `count` are there (nothing better exists for DynamoDB). */
async function itemsOf(orderId: string, count = 1, deadlineMs = 5000) {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    const items = await readTimeline(db, TABLE, orderId, true);
    if (items.length >= count || Date.now() > giveUpAt) return items;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('step 7: the recorder function', () => {
  it('the untouched step stops at its first blank, names file:line, and creates nothing', async () => {
    const result = await runScript('step:7', cloud.env);
    expect(result.code, result.output).toBe(1);
    const line = lineOf('steps/07-recorder-lambda/deploy.ts', "todo('step 7: the permission");
    expect(result.stdout).toContain(`steps/07-recorder-lambda/deploy.ts:${line}`);
    expect(result.stdout).toContain('Principal sns.amazonaws.com, SourceArn topicArn');
    expect(result.stdout).toContain('This step has 2 more blank(s)');
    expect(result.stdout).toContain('Nothing was created');
    expect((await lambda.send(new ListFunctionsCommand({}))).Functions).toEqual([]);
    expect(((await new IAMClient(cloud.clientConfig).send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName)).toEqual([]);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
  });

  it('the solution deploys; check:step-7 passes and leaves no probe behind', async () => {
    const output = await deploySolution(7);
    expect(output).toContain(`${FUNCTION}: created (nodejs22.x, 256 MB, 10 s timeout)`);
    expect(output).toContain("workbook-recorder lets sns.amazonaws.com invoke it, from workbook-order-updates only");
    expect(output).toContain("workbook-recorder subscribed to workbook-order-updates (protocol lambda)");
    // The failures queue's URL, which the lesson's receive-message command asks for.
    expect(output).toContain(await failuresQueueUrl());

    const result = await runScript('check:step-7', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(failures(result.stdout)).toEqual([]);
    expect(result.stdout).toContain('✔ a probe update published to the topic is recorded, exactly once, with its ids and times');
    expect(result.stdout).toContain('✔ the same update delivered twice is stored once, even as two SNS messages (the function invoked twice)');
    expect(result.stdout).toContain('Step 7 passes: 18 verifications');
    expect(await allItems(dynamodb, TABLE)).toEqual([]);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: await failuresQueueUrl(), WaitTimeSeconds: 0 }));
    expect(Messages ?? []).toEqual([]);
  });

  it('a status update published to the topic becomes one item, with its ids, times and keys', async () => {
    const orderId = `o-${randomUUID()}`;
    const update = { ...probeUpdate(orderId), status: 'confirmed' };
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: JSON.stringify(update), MessageAttributes: updateAttributes(update) }));
    const [item, ...more] = await itemsOf(orderId);
    expect(more).toEqual([]);
    expect(item).toMatchObject({ orderId, status: 'confirmed', messageId: MessageId, customerId: 'check', times: update.times });
    const orderTime = new Date(update.times.acceptedAt).toISOString();
    expect(item.eventKey).toBe(`${orderTime}#confirmed`);
    expect(item.timeBucket).toMatch(new RegExp(`^${orderTime.slice(0, 13)}#[0-3]$`));
    expect(item.eventEpochMs).toBe(Date.parse(item.eventTime));
    expect(item.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(item.times.recordedAt).toBeGreaterThanOrEqual(update.times.publishedAt);
  });

  it('the same SNS message delivered twice, as SNS delivers (asynchronously), is stored once', async () => {
    const orderId = `o-${randomUUID()}`;
    const update = probeUpdate(orderId);
    const messageId = randomUUID();
    const event = snsEvent({ topicArn: TOPIC_ARN, messageId, message: JSON.stringify(update), attributes: { orderId, status: update.status } });
    const started = Date.now();
    for (let i = 0; i < 2; i++) {
      const { StatusCode } = await lambda.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }));
      expect(StatusCode).toBe(202);
    }
    // The second delivery is done when the function says so in its log.
    const logs = new CloudWatchLogsClient(cloud.clientConfig);
    const giveUpAt = Date.now() + 5000;
    let redelivery: string | undefined;
    while (!redelivery && Date.now() < giveUpAt) {
      const { events = [] } = await logs.send(
        new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${FUNCTION}`, filterPattern: `"already recorded" "${messageId}"`, startTime: started - 1000 }),
      );
      redelivery = events[0]?.message;
      if (!redelivery) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(redelivery).toContain('already recorded (a redelivery)');
    const items = await readTimeline(db, TABLE, orderId, true);
    expect(items.map((i) => i.messageId)).toEqual([messageId]);
  });

  it('the same update published twice (two SNS messages, as after a monitor retry) is stored once, by its first message', async () => {
    const orderId = `o-${randomUUID()}`;
    const update = { ...probeUpdate(orderId), status: 'confirmed' };
    const started = Date.now();
    const messageIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { MessageId } = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: JSON.stringify(update), MessageAttributes: updateAttributes(update) }));
      messageIds.push(MessageId!);
    }
    const logs = new CloudWatchLogsClient(cloud.clientConfig);
    const giveUpAt = Date.now() + 5000;
    let republished: string | undefined;
    while (!republished && Date.now() < giveUpAt) {
      const { events = [] } = await logs.send(
        new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${FUNCTION}`, filterPattern: `"already recorded" "${orderId}"`, startTime: started - 1000 }),
      );
      republished = events[0]?.message;
      if (!republished) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(republished).toContain('already recorded (a redelivery)');
    const items = await readTimeline(db, TABLE, orderId, true);
    expect(items).toHaveLength(1);
    expect(messageIds).toContain(items[0].messageId);
    expect(items[0].eventKey).toBe(`${new Date(update.times.acceptedAt).toISOString()}#confirmed`);
  });

  it('a message that is not a status update is retried, then kept in the failures queue with its error', async () => {
    const marker = randomUUID();
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: TOPIC_ARN, Message: `not a status update ${marker}` }));
    const QueueUrl = await failuresQueueUrl();
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    expect(Messages).toHaveLength(1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
    const record = JSON.parse(Messages[0].Body!);
    expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(record.requestPayload.Records[0].Sns).toMatchObject({ MessageId, Message: `not a status update ${marker}` });
    expect(record.responsePayload).toMatchObject({ errorType: 'BadStatusUpdate', errorMessage: `message ${MessageId} is not a status update: its body is not JSON: not a status update ${marker}` });
  });

  it('running the solution again is harmless: one subscription, one permission statement, the same settings', async () => {
    const output = await deploySolution(7);
    expect(output).toContain(`${FUNCTION}: already up to date`);
    expect(output).toContain('(unchanged)');
    const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC_ARN }));
    expect(Subscriptions.filter((s) => s.Protocol === 'lambda').map((s) => s.Endpoint)).toEqual([
      `arn:aws:lambda:${TEST_REGION}:000000000000:function:${FUNCTION}`,
    ]);
    const policy = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: FUNCTION }))).Policy!);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['sns-order-updates']);
    const config = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: FUNCTION }));
    expect(config).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: expect.stringMatching(/:workbook-recorder-failures$/) } } });
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(true);
  });
});
