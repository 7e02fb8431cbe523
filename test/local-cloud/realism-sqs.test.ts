import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { SERVICE_TIMING } from '../../local-cloud/realism/service-timing.ts';
import { waitFor } from '../../lib/wait.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * SQS under the realism profile: SetQueueAttributes propagates (reads and behaviour follow the old
 * values meanwhile), the approximate counts lag, and a deleted queue's name is blocked
 * (QueueDeletedRecently, in both wire protocols). At scale 0.02 AWS's 60 s are 1.2 s.
 */

const SCALE = 0.02;
const scaled = (awsMs: number) => Math.round(awsMs * SCALE);
const POLL = { deadlineMs: 15_000, initialDelayMs: 20, maxDelayMs: 100 };
const DELETED_RECENTLY =
  'You must wait 60 seconds after deleting a queue before you can create another with the same name.';

let cloud: TestCloud;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(async () => {
  sqs?.destroy();
  await cloud?.close();
});

async function attributes(QueueUrl: string): Promise<Record<string, string>> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  return out.Attributes ?? {};
}

describe('SQS under the realism profile', () => {
  it('SetQueueAttributes takes effect after it propagates: reads and behaviour follow the old values meanwhile', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'realism-attributes' }));
    const before = await attributes(QueueUrl!);
    expect(before.DelaySeconds).toBe('0');

    const setAt = Date.now();
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: '900' } }));
    const meanwhile = await attributes(QueueUrl!);
    expect(meanwhile.DelaySeconds).toBe('0');
    expect(meanwhile.LastModifiedTimestamp).toBe(before.LastModifiedTimestamp);
    // The old delay (none) still decides: a message sent now is visible at once.
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'sent before the change arrived' }));
    const early = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(early.Messages?.map((m) => m.Body)).toEqual(['sent before the change arrived']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: early.Messages![0].ReceiptHandle }));

    const after = await waitFor('DelaySeconds 900 read back', async () => {
      const now = await attributes(QueueUrl!);
      return now.DelaySeconds === '900' ? now : undefined;
    }, POLL);
    expect(Date.now() - setAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.queueAttributes));
    expect(Number(after.LastModifiedTimestamp)).toBeGreaterThanOrEqual(Math.floor(setAt / 1000));
    // Now the new delay decides: a message sent now is held back.
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'sent after the change arrived' }));
    const late = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(late.Messages ?? []).toEqual([]);
  });

  it('CreateQueue compares with the latest attributes, propagated or not', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'realism-idempotent' }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '60' } }));
    const again = await sqs.send(
      new CreateQueueCommand({ QueueName: 'realism-idempotent', Attributes: { VisibilityTimeout: '60' } }),
    );
    expect(again.QueueUrl).toBe(QueueUrl);
    expect((await attributes(QueueUrl!)).VisibilityTimeout).toBe('30');
  });

  it('ApproximateNumberOfMessages and …NotVisible lag behind the messages, then catch up', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'realism-counts' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    const sentAt = Date.now();
    expect((await attributes(QueueUrl!)).ApproximateNumberOfMessages).toBe('0');

    await waitFor('the count to show the message', async () =>
      (await attributes(QueueUrl!)).ApproximateNumberOfMessages === '1' ? true : undefined, POLL);
    expect(Date.now() - sentAt).toBeLessThanOrEqual(scaled(SERVICE_TIMING.queueCounts) + 2_000);

    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received.Messages![0].ReceiptHandle }));
    const goneAt = Date.now();
    // The message is gone; the counts still show it for a while.
    expect((await attributes(QueueUrl!)).ApproximateNumberOfMessages).toBe('1');
    const settled = await waitFor('the counts to reach zero', async () => {
      const now = await attributes(QueueUrl!);
      return now.ApproximateNumberOfMessages === '0' ? now : undefined;
    }, POLL);
    expect(settled.ApproximateNumberOfMessagesNotVisible).toBe('0');
    expect(settled.ApproximateNumberOfMessagesDelayed).toBe('0');
    expect(Date.now() - goneAt).toBeLessThanOrEqual(scaled(SERVICE_TIMING.queueCounts) + 2_000);
  });

  it('CreateQueue right after DeleteQueue → QueueDeletedRecently (SDK JSON), free again after 60 s scaled', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'realism-reused' }));
    const deletingAt = Date.now();
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));

    const refused = await sqs.send(new CreateQueueCommand({ QueueName: 'realism-reused' })).catch((err: unknown) => err);
    expect(refused).toMatchObject({
      name: 'QueueDeletedRecently',
      message: DELETED_RECENTLY,
      $metadata: { httpStatusCode: 400 },
    });
    // Another name is not blocked.
    await sqs.send(new CreateQueueCommand({ QueueName: 'realism-other-name' }));

    const url = await waitFor('the name to be free again', async () =>
      sqs.send(new CreateQueueCommand({ QueueName: 'realism-reused' })).then(
        (out) => out.QueueUrl,
        (err: { name?: string }) => {
          if (err.name !== 'QueueDeletedRecently') throw err;
          return undefined;
        },
      ), POLL);
    expect(url).toBe(QueueUrl);
    expect(Date.now() - deletingAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.queueNameReuse));
  });
});

describe('SQS attribute changes across a restart', () => {
  it('a change still propagating is kept, and takes effect on time after the restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'realism-sqs-'));
    try {
      const first = await startTestCloud({ dataDir, realism: RealismProfile.aws(SCALE) });
      let client = new SQSClient(first.clientConfig);
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'realism-restart' }));
      const setAt = Date.now();
      await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: '120' } }));
      client.destroy();
      await first.close();

      const second = await startTestCloud({ dataDir, realism: RealismProfile.aws(SCALE) });
      client = new SQSClient(second.clientConfig);
      try {
        const url = second.url + new URL(QueueUrl!).pathname;
        const read = async () =>
          (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] })))
            .Attributes?.VisibilityTimeout;
        if (Date.now() - setAt < scaled(SERVICE_TIMING.queueAttributes)) expect(await read()).toBe('30');
        await waitFor('VisibilityTimeout 120 after the restart', async () => ((await read()) === '120' ? true : undefined), POLL);
        expect(Date.now() - setAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.queueAttributes));
      } finally {
        client.destroy();
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('SQS QueueDeletedRecently through the aws CLI (query protocol)', () => {
  // A slower scale (30 s), so the block outlasts the CLI's own start-up of a second or more.
  let slow: TestCloud;
  beforeAll(async () => {
    slow = await startTestCloud({ realism: RealismProfile.aws(0.5) });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('create-queue with a name deleted a moment ago is refused with the query code', async () => {
    const client = new SQSClient(slow.clientConfig);
    try {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'realism-cli' }));
      await client.send(new DeleteQueueCommand({ QueueUrl }));
    } finally {
      client.destroy();
    }
    const out = await slow.aws('sqs', 'create-queue', '--queue-name', 'realism-cli');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(
      `An error occurred (AWS.SimpleQueueService.QueueDeletedRecently) when calling the CreateQueue operation: ${DELETED_RECENTLY}`,
    );
  }, 60_000);
});

describe('SQS with realism off', () => {
  let instant: TestCloud;
  let client: SQSClient;
  beforeAll(async () => {
    instant = await startTestCloud();
    client = new SQSClient(instant.clientConfig);
  });
  afterAll(async () => {
    client?.destroy();
    await instant?.close();
  });

  it('attributes, counts and names change at once', async () => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'instant' }));
    await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: '900' } }));
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'held back' }));
    const read = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(read.Attributes).toMatchObject({ DelaySeconds: '900', ApproximateNumberOfMessagesDelayed: '1' });

    await client.send(new DeleteQueueCommand({ QueueUrl }));
    const again = await client.send(new CreateQueueCommand({ QueueName: 'instant' }));
    expect(again.QueueUrl).toBe(QueueUrl);
  });
});
