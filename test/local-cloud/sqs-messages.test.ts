import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
  type MessageAttributeValue,
  type ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/** SQS messages through SDK v3: send, receive, visibility, delete, batches, redrive. */

let cloud: TestCloud;
let sqs: SQSClient;
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(async () => {
  sqs?.destroy();
  await cloud?.close();
});

let queueCounter = 0;
async function newQueue(Attributes?: Record<string, string>, name = `messages-${++queueCounter}`): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes }))).QueueUrl!;
}

async function caught(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function receive(QueueUrl: string, input: Omit<ReceiveMessageCommandInput, 'QueueUrl'> = {}) {
  return (await sqs.send(new ReceiveMessageCommand({ QueueUrl, ...input }))).Messages ?? [];
}

async function counts(QueueUrl: string) {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(out.Attributes!.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(out.Attributes!.ApproximateNumberOfMessagesDelayed),
  };
}

describe('SendMessage / ReceiveMessage', () => {
  const attributes: Record<string, MessageAttributeValue> = {
    'SOME_Valid.attribute-Name': { DataType: 'Number', StringValue: '1493147359900' },
  };

  it('answers the MD5 digests AWS computes (body and message attributes)', async () => {
    const url = await newQueue();
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'derp', MessageAttributes: attributes }));
    expect(sent.MD5OfMessageBody).toBe('58fd9edd83341c29f1aebba81c31e257');
    expect(sent.MD5OfMessageAttributes).toBe('36655e7e9d7c0e8479fa3f3f42247ae7'); // the digest AWS gives for these attributes
    expect(sent.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const plain = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'no attributes' }));
    expect(plain.MD5OfMessageBody).toBe(md5('no attributes'));
    expect(plain.MD5OfMessageAttributes).toBeUndefined();
  });

  it('returns body, digests, and String/Number/Binary attributes with custom types', async () => {
    const url = await newQueue();
    const body = JSON.stringify({ orderId: 'o-1', note: 'ünïcødé ✓ <&>' });
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: {
          source: { DataType: 'String', StringValue: 'intake' },
          'source.region': { DataType: 'String.region', StringValue: 'eu-west-1' },
          quantity: { DataType: 'Number.int', StringValue: '42' },
          thumbnail: { DataType: 'Binary.png', BinaryValue: Uint8Array.from([0, 1, 2, 255]) },
        },
      }),
    );
    const [message] = await receive(url, { MessageAttributeNames: ['All'] });
    expect(message.MessageId).toBe(sent.MessageId);
    expect(message.Body).toBe(body);
    expect(message.MD5OfBody).toBe(md5(body));
    expect(message.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message.MessageAttributes).toEqual({
      source: { DataType: 'String', StringValue: 'intake' },
      'source.region': { DataType: 'String.region', StringValue: 'eu-west-1' },
      quantity: { DataType: 'Number.int', StringValue: '42' },
      thumbnail: { DataType: 'Binary.png', BinaryValue: Uint8Array.from([0, 1, 2, 255]) },
    });
    expect(message.ReceiptHandle).toBeTruthy();
    expect(message.Attributes).toBeUndefined(); // none asked for
  });

  it('selects message attributes by exact name, prefix.* and All; the digest covers what is returned', async () => {
    const url = await newQueue();
    const MessageAttributes: Record<string, MessageAttributeValue> = {
      'order.id': { DataType: 'String', StringValue: 'o-7' },
      'order.total': { DataType: 'Number', StringValue: '9.5' },
      trace: { DataType: 'String', StringValue: 't-1' },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes }));
    const pick = async (names?: string[]) => {
      const [m] = await receive(url, { MessageAttributeNames: names, VisibilityTimeout: 0 });
      return m;
    };
    expect((await pick()).MessageAttributes).toBeUndefined();
    expect(Object.keys((await pick(['All'])).MessageAttributes!).sort()).toEqual(['order.id', 'order.total', 'trace']);
    expect(Object.keys((await pick(['.*'])).MessageAttributes!).sort()).toEqual(['order.id', 'order.total', 'trace']);
    const prefixed = await pick(['order.*']);
    expect(Object.keys(prefixed.MessageAttributes!).sort()).toEqual(['order.id', 'order.total']);
    const exact = await pick(['trace', 'missing']);
    expect(exact.MessageAttributes).toEqual({ trace: MessageAttributes.trace });
    // Digest of just the returned attribute, as a fresh send of it alone would give.
    const alone = await sqs.send(
      new SendMessageCommand({ QueueUrl: await newQueue(), MessageBody: 'x', MessageAttributes: { trace: MessageAttributes.trace } }),
    );
    expect(exact.MD5OfMessageAttributes).toBe(alone.MD5OfMessageAttributes);
  });

  it('returns system attributes for All (AttributeNames or MessageSystemAttributeNames)', async () => {
    const url = await newQueue();
    const before = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'system' }));
    const [first] = await receive(url, { MessageSystemAttributeNames: ['All'], VisibilityTimeout: 0 });
    expect(Object.keys(first.Attributes!).sort()).toEqual([
      'ApproximateFirstReceiveTimestamp',
      'ApproximateReceiveCount',
      'SenderId',
      'SentTimestamp',
    ]);
    expect(first.Attributes!.SenderId).toBe(ACCOUNT);
    expect(first.Attributes!.ApproximateReceiveCount).toBe('1');
    const sentAt = Number(first.Attributes!.SentTimestamp);
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(Number(first.Attributes!.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(sentAt);

    const [second] = await receive(url, { AttributeNames: ['All'] });
    expect(second.Attributes!.ApproximateReceiveCount).toBe('2');
    expect(second.Attributes!.ApproximateFirstReceiveTimestamp).toBe(first.Attributes!.ApproximateFirstReceiveTimestamp);
    expect(second.ReceiptHandle).not.toBe(first.ReceiptHandle);

    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'only count' }));
    const [named] = (await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'], MaxNumberOfMessages: 10 })).filter(
      (m) => m.Body === 'only count',
    );
    expect(named.Attributes).toEqual({ ApproximateReceiveCount: '1' });
  });

  it('carries an AWSTraceHeader system attribute with its digest', async () => {
    const url = await newQueue();
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'traced',
        MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } },
      }),
    );
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);
    const [m] = await receive(url, { MessageSystemAttributeNames: ['AWSTraceHeader'] });
    expect(m.Attributes).toEqual({ AWSTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793' });
  });

  it('receives up to MaxNumberOfMessages, each message once per receive', async () => {
    const url = await newQueue();
    for (let i = 0; i < 15; i++) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    expect(await receive(url)).toHaveLength(1);
    const ten = await receive(url, { MaxNumberOfMessages: 10 });
    expect(ten).toHaveLength(10);
    expect(new Set(ten.map((m) => m.MessageId)).size).toBe(10);
    expect(await receive(url, { MaxNumberOfMessages: 10 })).toHaveLength(4);
    expect(await receive(url, { MaxNumberOfMessages: 10 })).toHaveLength(0);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 15, delayed: 0 });
  });

  it('counts visible, in-flight and delayed messages live', async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 600 }));
    expect(await counts(url)).toEqual({ visible: 2, inFlight: 0, delayed: 1 });
    const [m] = await receive(url);
    expect(m.Body).toBe('a');
    expect(await counts(url)).toEqual({ visible: 1, inFlight: 1, delayed: 1 });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    expect(await counts(url)).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
  });

  it('delays messages with the message DelaySeconds or the queue default', async () => {
    const url = await newQueue({ DelaySeconds: '300' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'queue default' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'no delay', DelaySeconds: 0 }));
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    expect(messages.map((m) => m.Body)).toEqual(['no delay']);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 1, delayed: 1 });
  });
});

describe('send validation', () => {
  it.each([
    [{ MessageBody: '' }, 'MissingParameter', 'The request must contain the parameter MessageBody.'],
    [
      { MessageBody: 'bad \u0001 char' },
      'InvalidMessageContents',
      "Invalid binary character '#x1' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    ],
    [{ MessageBody: 'x', DelaySeconds: 901 }, 'InvalidParameterValue', 'Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.'],
    [
      { MessageBody: 'x', MessageAttributes: { a: { DataType: 'String' } } },
      'InvalidParameterValue',
      "Message (user) attribute 'a' must contain a non-empty value of type 'String'.",
    ],
    [
      { MessageBody: 'x', MessageAttributes: { a: { DataType: 'Text', StringValue: 'v' } } },
      'InvalidParameterValue',
      "The type of message (user) attribute 'a' is invalid. You must use only the following supported type prefixes: Binary, Number, String.",
    ],
    [
      { MessageBody: 'x', MessageAttributes: { a: { DataType: 'Number', StringValue: 'twelve' } } },
      'InvalidParameterValue',
      "Can't cast the value of message (user) attribute 'a' to a number.",
    ],
    [
      { MessageBody: 'x', MessageAttributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }])) },
      'InvalidParameterValue',
      'Number of message attributes [11] exceeds the allowed maximum [10].',
    ],
  ] as const)('rejects %j with %s', async (input, name, message) => {
    const url = await newQueue();
    const err = await caught(sqs.send(new SendMessageCommand({ QueueUrl: url, ...(input as any) })));
    expect(err.name).toBe(name);
    expect(err.message).toBe(message);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("rejects a message larger than the queue's MaximumMessageSize (body plus attributes)", async () => {
    const url = await newQueue({ MaximumMessageSize: '1024' });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1024) }));
    const err = await caught(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(1025) })));
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toBe('One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.');
    const withAttribute = await caught(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'x'.repeat(1000),
          MessageAttributes: { note: { DataType: 'String', StringValue: 'y'.repeat(30) } },
        }),
      ),
    );
    expect(withAttribute.name).toBe('InvalidParameterValue');
  });

  it.each([
    [{ MaxNumberOfMessages: 11 }, 'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.'],
    [{ MaxNumberOfMessages: 0 }, 'Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.'],
    [{ WaitTimeSeconds: 21 }, 'Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.'],
    [{ VisibilityTimeout: 43201 }, 'Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.'],
  ])('ReceiveMessage rejects %j', async (input, message) => {
    const url = await newQueue();
    const err = await caught(receive(url, input));
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toBe(message);
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});

describe('visibility and deletion', () => {
  it('hides a received message for its visibility timeout; 0 leaves it visible', async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'v' }));
    const [a] = await receive(url, { VisibilityTimeout: 0 });
    const [b] = await receive(url, { VisibilityTimeout: 600 });
    expect(b.MessageId).toBe(a.MessageId);
    expect(await receive(url)).toHaveLength(0);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
  });

  it('ChangeMessageVisibility to 0 makes the message visible at once', async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'back' }));
    const [m] = await receive(url, { VisibilityTimeout: 600 });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    const [again] = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    expect(again.MessageId).toBe(m.MessageId);
    expect(again.Attributes!.ApproximateReceiveCount).toBe('2');
  });

  it('ChangeMessageVisibility errors: deleted message, out of range, bad handle', async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const [m] = await receive(url);
    const tooLong = await caught(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 43201 })),
    );
    expect(tooLong.name).toBe('InvalidParameterValue');
    expect(tooLong.message).toBe('Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.');

    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    const gone = await caught(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 10 })),
    );
    expect(gone.name).toBe('InvalidParameterValue');
    expect(gone.message).toBe(
      `Value ${m.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    );

    const bad = await caught(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle', VisibilityTimeout: 10 })),
    );
    expect(bad.name).toBe('ReceiptHandleIsInvalid');
  });

  it('DeleteMessage: invalid handles fail with ReceiptHandleIsInvalid', async () => {
    const url = await newQueue();
    const err = await caught(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })));
    expect(err.name).toBe('ReceiptHandleIsInvalid');
    expect(err.Code).toBe('ReceiptHandleIsInvalid');
    expect(err.message).toBe('The input receipt handle "garbage" is not a valid receipt handle.');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });

  it('DeleteMessage twice succeeds; an older handle of a re-received message does not delete it', async () => {
    const url = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'once' }));
    const [m] = await receive(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle })); // stale, like AWS: fine
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'twice' }));
    const [first] = await receive(url, { VisibilityTimeout: 0 });
    const [second] = await receive(url, { VisibilityTimeout: 600 });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 }); // still there
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle }));
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("a receipt handle of another queue is not valid for this one", async () => {
    const a = await newQueue();
    const b = await newQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: a, MessageBody: 'x' }));
    const [m] = await receive(a);
    const err = await caught(sqs.send(new DeleteMessageCommand({ QueueUrl: b, ReceiptHandle: m.ReceiptHandle })));
    expect(err.name).toBe('ReceiptHandleIsInvalid');
  });
});

describe('batches', () => {
  it('SendMessageBatch sends valid entries and reports failed ones', async () => {
    const url = await newQueue();
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'one', MessageBody: 'first', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
          { Id: 'two', MessageBody: 'second', DelaySeconds: 901 },
          { Id: 'three', MessageBody: 'third' },
        ],
      }),
    );
    expect(out.Successful!.map((s) => s.Id)).toEqual(['one', 'three']);
    expect(out.Successful![0].MD5OfMessageBody).toBe(md5('first'));
    expect(out.Successful![0].MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(out.Failed).toEqual([
      {
        Id: 'two',
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: 'Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.',
      },
    ]);
    const bodies = (await receive(url, { MaxNumberOfMessages: 10 })).map((m) => m.Body);
    expect(bodies).toEqual(['first', 'third']);
  });

  it.each([
    [[], 'EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.'],
    [
      Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' })),
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      'Maximum number of entries per request are 10. You have sent 11.',
    ],
    [
      [{ Id: 'same', MessageBody: 'a' }, { Id: 'same', MessageBody: 'b' }],
      'BatchEntryIdsNotDistinct',
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
      'Id same repeated.',
    ],
    [
      [{ Id: 'not valid!', MessageBody: 'a' }],
      'InvalidBatchEntryId',
      'AWS.SimpleQueueService.InvalidBatchEntryId',
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
    ],
    [
      [{ Id: 'a', MessageBody: 'x'.repeat(600_000) }, { Id: 'b', MessageBody: 'y'.repeat(600_000) }],
      'BatchRequestTooLong',
      'AWS.SimpleQueueService.BatchRequestTooLong',
      'Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.',
    ],
  ])('SendMessageBatch rejects the whole batch (%#: %s)', async (Entries, name, code, message) => {
    const url = await newQueue();
    const err = await caught(sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries })));
    expect(err.name).toBe(name);
    expect(err.Code).toBe(code);
    expect(err.message).toBe(message);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('DeleteMessageBatch and ChangeMessageVisibilityBatch report invalid handles per entry', async () => {
    const url = await newQueue();
    for (const body of ['a', 'b', 'c']) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const [a, b, c] = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 600 });

    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'c', ReceiptHandle: c.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'junk', ReceiptHandle: 'junk', VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(changed.Successful).toEqual([{ Id: 'c' }]);
    expect(changed.Failed).toEqual([
      { Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle "junk" is not a valid receipt handle.' },
    ]);
    expect(await counts(url)).toEqual({ visible: 1, inFlight: 2, delayed: 0 });

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: a.ReceiptHandle },
          { Id: 'b', ReceiptHandle: b.ReceiptHandle },
          { Id: 'junk', ReceiptHandle: 'junk' },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'a' }, { Id: 'b' }]);
    expect(deleted.Failed).toEqual([
      { Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle "junk" is not a valid receipt handle.' },
    ]);
    expect(await counts(url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });
});

describe('redrive to the dead-letter queue', () => {
  async function queueWithDeadLetter(maxReceiveCount: number) {
    const id = ++queueCounter;
    const dlq = await newQueue(undefined, `redrive-dlq-${id}`);
    const source = await newQueue(
      { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(`redrive-dlq-${id}`), maxReceiveCount }) },
      `redrive-src-${id}`,
    );
    return { source, dlq, sourceArn: arnOf(`redrive-src-${id}`) };
  }

  it.each([1, 3])('moves a message after exactly maxReceiveCount=%i receives, keeping id, body and attributes', async (max) => {
    const { source, dlq, sourceArn } = await queueWithDeadLetter(max);
    const events: CloudEvent[] = [];
    const listener = (e: CloudEvent) => events.push(e);
    cloud.cloud.events.on('event', listener);
    try {
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: source,
          MessageBody: 'poison',
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } },
        }),
      );
      for (let i = 1; i <= max; i++) {
        const [m] = await receive(source, { VisibilityTimeout: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
        expect(m?.MessageId, `receive ${i} of ${max}`).toBe(sent.MessageId);
        expect(m.Attributes!.ApproximateReceiveCount).toBe(String(i));
        expect(await receive(dlq)).toHaveLength(0); // not earlier
      }
      expect(await receive(source, { VisibilityTimeout: 0 })).toHaveLength(0); // the next receive moved it
      expect(await counts(source)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

      const [dead] = await receive(dlq, { AttributeNames: ['All'], MessageAttributeNames: ['All'] });
      expect(dead.MessageId).toBe(sent.MessageId);
      expect(dead.Body).toBe('poison');
      expect(dead.MD5OfBody).toBe(sent.MD5OfMessageBody);
      expect(dead.MessageAttributes).toEqual({ kind: { DataType: 'String', StringValue: 'order' } });
      expect(dead.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
      expect(dead.Attributes!.DeadLetterQueueSourceArn).toBe(sourceArn);
      // The count carries over from the source queue and goes on counting.
      expect(dead.Attributes!.ApproximateReceiveCount).toBe(String(max + 1));
      expect(events.some((e) => e.service === 'sqs' && e.action === 'Redrive' && e.detail?.includes(sent.MessageId!))).toBe(true);
    } finally {
      cloud.cloud.events.off('event', listener);
    }
  });

  it('leaves messages of a queue whose dead-letter queue was deleted where they are', async () => {
    const { source, dlq } = await queueWithDeadLetter(1);
    await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: 'stays' }));
    await receive(source, { VisibilityTimeout: 0 });
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlq }));
    const [again] = await receive(source, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    expect(again.Attributes!.ApproximateReceiveCount).toBe('2');
  });
});
