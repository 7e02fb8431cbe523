import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, SendMessageBatchCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { TemporarySubscription, messageJson } from '../../checks/topic-probe.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * The slice's end-to-end proof of the lesson's promise: a poison message sent to the orders
 * queue is retried alone and ends in the DLQ, while its batch-mates are processed once.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
let sns: SNSClient;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:workbook-order-updates';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:workbook-orders';

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  sns = new SNSClient(cloud.clientConfig);
  await deploySolution(1);
  await deploySolution(4);
  await deploySolution(5);
});
afterAll(() => cloud.close());

const mappings = async () => (await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [];
const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;

describe('the monitor and its mapping, end to end', () => {
  it('end to end, a malformed message ends in the DLQ after maxReceiveCount receives while its batch-mates go through', async () => {
    // The lesson's timings (60 s visibility, 5 receives) would take 5 minutes: the test shortens
    // them (a 1 s function timeout and visibility timeout; no batching window, which a visibility
    // timeout must also cover), then restarts the mapping's pollers so they receive with the new
    // timeout.
    const ordersUrl = await queueUrl('workbook-orders');
    const dlqUrl = await queueUrl('workbook-orders-dlq');
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'workbook-monitor', Timeout: 1 }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'workbook-monitor' });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: ordersUrl, Attributes: { VisibilityTimeout: '1' } }));
    const [mapping] = await mappings();
    for (const Enabled of [false, true]) {
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled }));
      await expect.poll(async () => (await mappings())[0].State, { interval: 20 }).toBe(Enabled ? 'Enabled' : 'Disabled');
    }

    const watcher = await TemporarySubscription.open(sqs, sns, TOPIC_ARN, 'workbook');
    try {
      const now = Date.now();
      const order = (orderId: string) => JSON.stringify({ orderId, customerId: 'c-1', items: [], times: { acceptedAt: now, queuedAt: now } });
      const { Successful = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: ordersUrl,
          Entries: [
            { Id: 'good1', MessageBody: order('o-1') },
            { Id: 'poison', MessageBody: '{"customerId":"c-1","note":"no orderId"}' },
            { Id: 'good2', MessageBody: order('o-2') },
          ],
        }),
      );
      const poisonId = Successful.find((s) => s.Id === 'poison')!.MessageId;
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 20, MessageSystemAttributeNames: ['All'] }),
      );
      expect(Messages.map((m) => [m.MessageId, m.Attributes?.DeadLetterQueueSourceArn])).toEqual([[poisonId, QUEUE_ARN]]);
      // Each good order published exactly one update, however often the poison was retried.
      await watcher.waitFor(() => undefined, 200);
      const updates = watcher.received.map((r) => messageJson(r.notification)?.orderId).sort();
      expect(updates).toEqual(['o-1', 'o-2']);
      const logs = new CloudWatchLogsClient(cloud.clientConfig);
      const { events = [] } = await logs.send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/workbook-monitor', filterPattern: `{ $.messageId = "${poisonId}" }` }),
      );
      expect(events.map((e) => JSON.parse(e.message!).receiveCount)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await watcher.close();
    }
  });
});
