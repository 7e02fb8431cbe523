import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * SQS through the real aws CLI (/usr/bin/aws 2.9), which speaks the query protocol (form in,
 * XML out) rather than SDK v3's JSON. Both reach the same queues.
 */

let cloud: TestCloud;
let sqs: SQSClient;
const ACCOUNT = '000000000000';
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(async () => {
  sqs?.destroy();
  await cloud?.close();
});

// Each CLI call starts a Python process (~1 s on an idle machine), hence the longer timeouts.
const CLI_TIMEOUT = 60_000;

describe('aws sqs (query protocol)', () => {
  it('create-queue, send-message, receive-message, get-queue-attributes, list-queues, delete-queue', async () => {
    const created = await cloud.aws(
      'sqs', 'create-queue', '--queue-name', 'cli-orders',
      '--attributes', 'VisibilityTimeout=45,DelaySeconds=0',
      '--tags', 'workbook=cli',
    );
    expect(created.code, created.stderr).toBe(0);
    const url = `${cloud.url}/${ACCOUNT}/cli-orders`;
    expect(created.json).toEqual({ QueueUrl: url });

    const body = '{"orderId":"o-42","note":"<fragile> & \\"quoted\\""}';
    const sent = await cloud.aws(
      'sqs', 'send-message', '--queue-url', url, '--message-body', body,
      '--message-attributes', JSON.stringify({
        source: { DataType: 'String', StringValue: 'cli' },
        count: { DataType: 'Number', StringValue: '3' },
        blob: { DataType: 'Binary', BinaryValue: Buffer.from('bytes').toString('base64') },
      }),
    );
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.json.MD5OfMessageBody).toBe(md5(body));
    expect(sent.json.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.json.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const received = await cloud.aws(
      'sqs', 'receive-message', '--queue-url', url, '--attribute-names', 'All', '--message-attribute-names', 'All',
    );
    expect(received.code, received.stderr).toBe(0);
    expect(received.json.Messages).toHaveLength(1);
    const [message] = received.json.Messages;
    expect(message).toMatchObject({
      MessageId: sent.json.MessageId,
      Body: body,
      MD5OfBody: md5(body),
      MD5OfMessageAttributes: sent.json.MD5OfMessageAttributes,
      MessageAttributes: {
        source: { DataType: 'String', StringValue: 'cli' },
        count: { DataType: 'Number', StringValue: '3' },
        blob: { DataType: 'Binary', BinaryValue: Buffer.from('bytes').toString('base64') },
      },
    });
    expect(Object.keys(message.Attributes).sort()).toEqual([
      'ApproximateFirstReceiveTimestamp',
      'ApproximateReceiveCount',
      'SenderId',
      'SentTimestamp',
    ]);
    expect(message.Attributes.ApproximateReceiveCount).toBe('1');
    expect(message.ReceiptHandle).toBeTruthy();

    const attributes = await cloud.aws('sqs', 'get-queue-attributes', '--queue-url', url, '--attribute-names', 'All');
    expect(attributes.code, attributes.stderr).toBe(0);
    expect(attributes.json.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '0',
      VisibilityTimeout: '45',
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
      QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:cli-orders`,
    });

    const listed = await cloud.aws('sqs', 'list-queues', '--queue-name-prefix', 'cli-o');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json).toEqual({ QueueUrls: [url] });

    const deleted = await cloud.aws('sqs', 'delete-queue', '--queue-url', url);
    expect(deleted.code, deleted.stderr).toBe(0);
    const after = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'cli-orders' }));
    expect(after.QueueUrls).toBeUndefined();
  }, CLI_TIMEOUT);

  it('reports a missing queue as AWS does for the query protocol', async () => {
    const out = await cloud.aws('sqs', 'get-queue-url', '--queue-name', 'no-such-queue');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(
      'An error occurred (AWS.SimpleQueueService.NonExistentQueue) when calling the GetQueueUrl operation: ' +
        'The specified queue does not exist for this wsdl version.',
    );
  }, CLI_TIMEOUT);

  it('shares queues with SDK v3: a redrive policy set by the CLI, a message sent by the SDK and read by the CLI', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'cli-dlq' }));
    const source = await cloud.aws(
      'sqs', 'create-queue', '--queue-name', 'cli-source', '--attributes',
      JSON.stringify({
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:cli-dlq`, maxReceiveCount: '4' }),
      }),
    );
    expect(source.code, source.stderr).toBe(0);
    const url = source.json.QueueUrl;
    const policy = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(policy.Attributes!.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:cli-dlq`,
      maxReceiveCount: 4,
    });

    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'from the SDK',
        MessageAttributes: { 'order.id': { DataType: 'String.id', StringValue: 'o-1' } },
      }),
    );
    const read = await cloud.aws(
      'sqs', 'receive-message', '--queue-url', url, '--message-attribute-names', 'order.*', '--visibility-timeout', '0',
    );
    expect(read.json.Messages[0]).toMatchObject({
      MessageId: sent.MessageId,
      Body: 'from the SDK',
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      MessageAttributes: { 'order.id': { DataType: 'String.id', StringValue: 'o-1' } },
    });
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
    expect(again.Messages![0].Attributes!.ApproximateReceiveCount).toBe('2');
  }, CLI_TIMEOUT);
  it('keeps a carriage return in a body read back through the query protocol', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'cli-crlf' }));
    const body = 'line one\r\nline two';
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const received = await cloud.aws('sqs', 'receive-message', '--queue-url', QueueUrl!);
    expect(received.code, received.stderr).toBe(0);
    expect(received.json.Messages[0].Body).toBe(body);
    expect(received.json.Messages[0].MD5OfBody).toBe(md5(body));
  }, CLI_TIMEOUT);
});
