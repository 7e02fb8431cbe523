import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { captureOutput } from '../../lib/output.ts';
import { redrive } from '../../solutions/08-end-to-end/redrive.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * `npm run redrive`: a poison message reaches the DLQ through the real mapping and monitor (the
 * local cloud's fastRetry switch skips the 60 s visibility timeouts for messages carrying the
 * marker attribute, as the checks' poison probe does). Then the consumers are paused, as while the
 * fix is deployed, and the redrive moves it back to the orders queue as a new message.
 */
const MARKER = 'workbook-redrive-test';
let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
const counts = async (name: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
};
const fastRetry = (setting: unknown) => cloud.control('faults', { method: 'POST', body: JSON.stringify({ fastRetry: setting }) });

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  for (const step of [1, 2, 3, 4, 5, 6, 7]) await deploySolution(step);
});
afterAll(() => cloud.close());

describe('npm run redrive', () => {
  it('says so when the DLQ is empty, and starts no task', async () => {
    const { result, error, lines } = await captureOutput(() => redrive({}));
    expect(error, lines.join('\n')).toBeUndefined();
    expect(result).toEqual({ toMove: 0, moved: 0, status: 'NONE' });
    expect(lines.join('\n')).toContain('✔ workbook-orders-dlq is empty: nothing to redrive');
  });

  it('moves a dead-lettered poison message back to the orders queue, as a new message with its body and attributes', async () => {
    expect((await fastRetry({ messageAttribute: MARKER, visibilityTimeout: 0 })).ok).toBe(true);
    const body = JSON.stringify({ customerId: 'redrive-test', note: 'not an order' });
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl('workbook-orders'),
        MessageBody: body,
        MessageAttributes: { [MARKER]: { DataType: 'String', StringValue: 'yes' } },
      }),
    );
    // The monitor fails it maxReceiveCount (5) times; the next receive moves it to the DLQ.
    await expect.poll(async () => (await counts('workbook-orders-dlq')).visible, { interval: 50, timeout: 20_000 }).toBe(1);
    await fastRetry(null);

    // The consumers paused (the fix being deployed): the redriven message waits on the queue.
    const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'workbook-monitor' }))).EventSourceMappings ?? [];
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: false }));
    await expect
      .poll(async () => (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'workbook-monitor' }))).EventSourceMappings![0].State, { interval: 20 })
      .toBe('Disabled');

    const { result, error, lines } = await captureOutput(() => redrive({ rate: 5 }));
    const output = lines.join('\n');
    expect(error, output).toBeUndefined();
    expect(result).toEqual({ toMove: 1, moved: 1, status: 'COMPLETED', failureReason: undefined });
    expect(output).toContain('1 message(s) in workbook-orders-dlq');
    expect(output).toContain('✔ StartMessageMoveTask: task started at 5 messages/s');
    expect(output).toContain('COMPLETED: moved 1/1');
    expect(output).toContain('✔ 1 message(s) moved from workbook-orders-dlq back to their source queue');

    expect(await counts('workbook-orders-dlq')).toEqual({ visible: 0, inFlight: 0 });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: await queueUrl('workbook-orders'),
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    const [back] = Messages;
    expect(back.Body).toBe(body);
    expect(back.MessageAttributes?.[MARKER]?.StringValue).toBe('yes');
    expect(back.MessageId).not.toBe(sent.MessageId); // a new message, as on AWS
    expect(back.Attributes?.ApproximateReceiveCount).toBe('1'); // its receive count started again
    expect(back.Attributes?.DeadLetterQueueSourceArn).toBeUndefined();
  });
});
