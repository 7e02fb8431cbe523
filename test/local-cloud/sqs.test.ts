import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  SQSClient,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/** SQS queue operations through SDK v3 (awsJson 1.0): what the SDK user sees, errors included. */

let cloud: TestCloud;
let sqs: SQSClient;
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(async () => {
  sqs?.destroy();
  await cloud?.close();
});

async function createQueue(name: string, Attributes?: Record<string, string>): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes }));
  return out.QueueUrl!;
}

/** The error a call rejects with (fails the test if it succeeds). */
async function caught(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function attributesOf(url: string, names: string[] = ['All']): Promise<Record<string, string> | undefined> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as any }))).Attributes;
}

describe('CreateQueue / GetQueueUrl', () => {
  it('answers the queue URL built from the endpoint, account and name', async () => {
    const url = await createQueue('orders');
    expect(url).toBe(`${cloud.url}/${ACCOUNT}/orders`);
    const got = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }));
    expect(got.QueueUrl).toBe(url);
  });

  it('has the AWS defaults (GetQueueAttributes All)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const url = await createQueue('defaults');
    const attributes = await attributesOf(url);
    const { CreatedTimestamp, LastModifiedTimestamp, ...rest } = attributes!;
    expect(rest).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      QueueArn: arnOf('defaults'),
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
      VisibilityTimeout: '30',
    });
    expect(Number(CreatedTimestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(CreatedTimestamp)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(LastModifiedTimestamp).toBe(CreatedTimestamp);
  });

  it('is idempotent for the same name and attributes; other values fail with QueueNameExists', async () => {
    const url = await createQueue('idempotent', { VisibilityTimeout: '60', DelaySeconds: '5' });
    expect(await createQueue('idempotent', { VisibilityTimeout: '60', DelaySeconds: '5' })).toBe(url);
    expect(await createQueue('idempotent', { VisibilityTimeout: '060' })).toBe(url); // same value, other spelling
    expect(await createQueue('idempotent')).toBe(url); // no attributes given: nothing differs

    const err = await caught(createQueue('idempotent', { VisibilityTimeout: '60', DelaySeconds: '0' }));
    expect(err.name).toBe('QueueNameExists');
    expect(err.Code).toBe('QueueAlreadyExists');
    expect(err.message).toBe(
      'A queue already exists with the same name and a different value for attribute DelaySeconds',
    );
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('applies the attributes and tags it is given', async () => {
    const url = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'configured',
          Attributes: { VisibilityTimeout: '120', ReceiveMessageWaitTimeSeconds: '20', MessageRetentionPeriod: '86400' },
          tags: { workbook: 'test', team: 'orders' },
        }),
      )
    ).QueueUrl!;
    expect(await attributesOf(url, ['VisibilityTimeout', 'ReceiveMessageWaitTimeSeconds', 'MessageRetentionPeriod'])).toEqual({
      VisibilityTimeout: '120',
      ReceiveMessageWaitTimeSeconds: '20',
      MessageRetentionPeriod: '86400',
    });
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ workbook: 'test', team: 'orders' });
  });

  it('rejects invalid names, FIFO queues and unknown attributes', async () => {
    for (const name of ['has space', 'a'.repeat(81), 'dots.not.allowed', '']) {
      const err = await caught(createQueue(name));
      if (name === '') {
        expect(err.name).toBe('MissingParameter');
        continue;
      }
      expect(err.name, name).toBe('InvalidParameterValue');
      expect(err.message).toBe('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    expect(await createQueue('a'.repeat(80))).toMatch(/\/a{80}$/);

    const fifo = await caught(createQueue('orders.fifo', { FifoQueue: 'true' }));
    expect(fifo.name).toBe('UnsupportedOperation');
    expect(fifo.message).toMatch(/FIFO queues are not supported by the local cloud/);

    const unknown = await caught(createQueue('unknown-attribute', { Colour: 'blue' }));
    expect(unknown.name).toBe('InvalidAttributeName');
    expect(unknown.message).toBe('Unknown Attribute Colour.');
    const readOnly = await caught(createQueue('read-only-attribute', { QueueArn: 'arn:x' }));
    expect(readOnly.name).toBe('InvalidAttributeName');
  });

  it('GetQueueUrl of a missing queue fails with QueueDoesNotExist', async () => {
    const err = await caught(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue' })));
    expect(err.name).toBe('QueueDoesNotExist');
    expect(err.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(err.message).toBe('The specified queue does not exist.');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('operations on a missing queue URL fail the same way', async () => {
    const missing = `${cloud.url}/${ACCOUNT}/no-such-queue`;
    for (const call of [
      sqs.send(new SendMessageCommand({ QueueUrl: missing, MessageBody: 'x' })),
      sqs.send(new GetQueueAttributesCommand({ QueueUrl: missing, AttributeNames: ['All'] })),
      sqs.send(new DeleteQueueCommand({ QueueUrl: missing })),
    ]) {
      const err = await caught(call);
      expect(err.name).toBe('QueueDoesNotExist');
      expect(err.message).toBe('The specified queue does not exist.');
    }
  });

  it('finds queues by the URL path whatever the host (localhost, 127.0.0.1, another port)', async () => {
    await createQueue('any-host');
    for (const host of ['http://localhost:4566', 'http://127.0.0.1:1', 'https://sqs.us-east-1.amazonaws.com']) {
      const out = await sqs.send(new SendMessageCommand({ QueueUrl: `${host}/${ACCOUNT}/any-host`, MessageBody: host }));
      expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    }
    const err = await caught(sqs.send(new SendMessageCommand({ QueueUrl: 'not a url', MessageBody: 'x' })));
    expect(err.name).toBe('InvalidAddress');
    expect(err.message).toBe('The address not a url is not valid for this endpoint.');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });
});

describe('ListQueues', () => {
  it('filters by prefix and pages with MaxResults / NextToken', async () => {
    for (const name of ['list-a', 'list-b', 'list-c', 'other-list']) await createQueue(name);
    const all = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    expect(all.QueueUrls).toEqual(['list-a', 'list-b', 'list-c'].map((n) => `${cloud.url}/${ACCOUNT}/${n}`));
    expect(all.NextToken).toBeUndefined();

    const first = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2 }));
    expect(first.QueueUrls).toHaveLength(2);
    expect(first.NextToken).toBeTruthy();
    const second = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.QueueUrls).toEqual([`${cloud.url}/${ACCOUNT}/list-c`]);
    expect(second.NextToken).toBeUndefined();

    const none = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'nothing-matches' }));
    expect(none.QueueUrls).toBeUndefined();
  });
});

describe('GetQueueAttributes / SetQueueAttributes', () => {
  it('returns only the attributes asked for; unknown names fail with InvalidAttributeName', async () => {
    const url = await createQueue('named-attributes');
    expect(await attributesOf(url, ['VisibilityTimeout', 'QueueArn'])).toEqual({
      QueueArn: arnOf('named-attributes'),
      VisibilityTimeout: '30',
    });
    expect(await attributesOf(url, ['RedrivePolicy'])).toBeUndefined(); // not set: not returned
    const err = await caught(attributesOf(url, ['Colour']));
    expect(err.name).toBe('InvalidAttributeName');
    expect(err.message).toBe('Unknown Attribute Colour.');
  });

  it('changes attributes and LastModifiedTimestamp', async () => {
    const url = await createQueue('settable');
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { VisibilityTimeout: '0', DelaySeconds: '900', MaximumMessageSize: '1024', MessageRetentionPeriod: '60' },
      }),
    );
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { ReceiveMessageWaitTimeSeconds: '20', MaximumMessageSize: '1048576', MessageRetentionPeriod: '1209600' },
      }),
    );
    const attributes = await attributesOf(url);
    expect(attributes).toMatchObject({
      VisibilityTimeout: '0',
      DelaySeconds: '900',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '1209600',
      ReceiveMessageWaitTimeSeconds: '20',
    });
    expect(Number(attributes!.LastModifiedTimestamp)).toBeGreaterThanOrEqual(Number(attributes!.CreatedTimestamp));
  });

  it.each([
    ['VisibilityTimeout', '43201'],
    ['VisibilityTimeout', '-1'],
    ['VisibilityTimeout', 'thirty'],
    ['MessageRetentionPeriod', '59'],
    ['MessageRetentionPeriod', '1209601'],
    ['DelaySeconds', '901'],
    ['ReceiveMessageWaitTimeSeconds', '21'],
    ['MaximumMessageSize', '1023'],
    ['MaximumMessageSize', '1048577'],
    ['SqsManagedSseEnabled', 'maybe'],
    ['Policy', 'not json'],
  ])('rejects %s=%s with InvalidAttributeValue', async (name, value) => {
    const url = await createQueue('range-checks');
    const err = await caught(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { [name]: value } })));
    expect(err.name).toBe('InvalidAttributeValue');
    expect(err.message).toBe(`Invalid value for the parameter ${name}.`);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect((await attributesOf(url, [name]))?.[name]).not.toBe(value); // nothing changed
  });

  it('keeps a RedrivePolicy as a JSON string, and removes it when set to ""', async () => {
    const dlqUrl = await createQueue('redrive-dlq');
    const url = await createQueue('redrive-source');
    const policy = JSON.stringify({ deadLetterTargetArn: arnOf('redrive-dlq'), maxReceiveCount: '5' });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: policy } }));
    const stored = (await attributesOf(url, ['RedrivePolicy']))!.RedrivePolicy;
    expect(stored).toBe(`{"deadLetterTargetArn":"${arnOf('redrive-dlq')}","maxReceiveCount":5}`);
    expect(JSON.parse(stored)).toEqual({ deadLetterTargetArn: arnOf('redrive-dlq'), maxReceiveCount: 5 });
    expect(dlqUrl).toBeTruthy();

    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: '' } }));
    expect(await attributesOf(url, ['RedrivePolicy'])).toBeUndefined();
  });

  it.each([
    [{ deadLetterTargetArn: arnOf('redrive-dlq2'), maxReceiveCount: 0 }, 'Invalid value for maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.'],
    [{ deadLetterTargetArn: arnOf('redrive-dlq2'), maxReceiveCount: 1001 }, 'Invalid value for maxReceiveCount: 1001, valid values are from 1 to 1000 both inclusive.'],
    [{ maxReceiveCount: 3 }, 'Redrive policy does not contain mandatory attribute: deadLetterTargetArn.'],
    [{ deadLetterTargetArn: arnOf('redrive-dlq2') }, 'Redrive policy does not contain mandatory attribute: maxReceiveCount.'],
    [{ deadLetterTargetArn: arnOf('no-such-dlq'), maxReceiveCount: 3 }, 'Dead letter target does not exist.'],
  ])('rejects RedrivePolicy %j', async (policy, reason) => {
    await createQueue('redrive-dlq2');
    const url = await createQueue('redrive-invalid');
    const value = JSON.stringify(policy);
    const err = await caught(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: value } })));
    expect(err.name).toBe('InvalidAttributeValue');
    expect(err.message).toBe(`Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`);
  });

  it('rejects a RedrivePolicy that is not JSON', async () => {
    const url = await createQueue('redrive-not-json');
    const err = await caught(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: '{oops' } })));
    expect(err.name).toBe('InvalidAttributeValue');
    expect(err.message).toBe('Value {oops for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map.');
  });
});

describe('tags', () => {
  it('TagQueue, UntagQueue and ListQueueTags', async () => {
    const url = await createQueue('tagged');
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toBeUndefined();
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { workbook: 'w', stage: '1' } }));
    await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { stage: '2' } }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ workbook: 'w', stage: '2' });
    await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['stage', 'not-there'] }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({ workbook: 'w' });
  });
});

describe('PurgeQueue / DeleteQueue', () => {
  it('PurgeQueue empties the queue, and refuses a second purge within 60 seconds', async () => {
    const url = await createQueue('purged');
    for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 60 }));
    expect(await attributesOf(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'])).toEqual({
      ApproximateNumberOfMessages: '3',
      ApproximateNumberOfMessagesDelayed: '1',
    });
    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await attributesOf(url, ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'])).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    const err = await caught(sqs.send(new PurgeQueueCommand({ QueueUrl: url })));
    expect(err.name).toBe('PurgeQueueInProgress');
    expect(err.Code).toBe('AWS.SimpleQueueService.PurgeQueueInProgress');
    expect(err.message).toBe('Only one PurgeQueue operation on purged is allowed every 60 seconds.');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('DeleteQueue removes the queue', async () => {
    const url = await createQueue('deleted');
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'gone with the queue' }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    const err = await caught(sqs.send(new GetQueueUrlCommand({ QueueName: 'deleted' })));
    expect(err.name).toBe('QueueDoesNotExist');
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'deleted' }));
    expect(listed.QueueUrls).toBeUndefined();
    // A new queue of that name starts empty.
    const again = await createQueue('deleted');
    expect(await attributesOf(again, ['ApproximateNumberOfMessages'])).toEqual({ ApproximateNumberOfMessages: '0' });
  });
});
