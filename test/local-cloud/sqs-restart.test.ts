import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { TEST_CREDENTIALS, TEST_REGION } from '../support/cloud.ts';
import { expectCloudProcessToFail, startCloudProcess, type CloudProcess } from '../support/process.ts';

/**
 * The local cloud as its own process, killed without warning (SIGKILL) and started again on the
 * same data folder: every acknowledged message is still there.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'local-cloud-restart-'));
const running: CloudProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<{ cloud: CloudProcess; sqs: SQSClient }> {
  const cloud = await startCloudProcess(dataDir);
  running.push(cloud);
  return { cloud, sqs: new SQSClient({ endpoint: cloud.url, region: TEST_REGION, credentials: TEST_CREDENTIALS }) };
}

async function attributes(sqs: SQSClient, QueueUrl: string) {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
}

describe('restart', () => {
  it('keeps queues and messages across a SIGKILL; in-flight messages stay hidden until their deadline', async () => {
    const first = await start();
    await first.sqs.send(new CreateQueueCommand({ QueueName: 'restart-dlq' }));
    const url = (
      await first.sqs.send(
        new CreateQueueCommand({
          QueueName: 'restart-orders',
          Attributes: {
            VisibilityTimeout: '300',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:restart-dlq', maxReceiveCount: 5 }),
          },
          tags: { workbook: 'restart' },
        }),
      )
    ).QueueUrl!;
    const sentIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await first.sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: `order ${i}`,
          MessageAttributes: { index: { DataType: 'Number', StringValue: String(i) } },
        }),
      );
      sentIds.push(out.MessageId!);
    }
    const batch = await first.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `b${i}`, MessageBody: `batch ${i}` })),
      }),
    );
    sentIds.push(...batch.Successful!.map((s) => s.MessageId!));
    await first.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'delayed', DelaySeconds: 900 }));
    // Two in flight (one for 300 s, one for 2 s), one received and deleted.
    const inFlight = (await first.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 3 }))).Messages!;
    expect(inFlight).toHaveLength(3);
    await first.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: inFlight[1].ReceiptHandle, VisibilityTimeout: 6 }));
    const shortDeadline = Date.now() + 6_000;
    await first.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: inFlight[2].ReceiptHandle }));
    const deletedId = inFlight[2].MessageId!;
    const before = await attributes(first.sqs, url);
    expect(before).toMatchObject({
      ApproximateNumberOfMessages: '10',
      ApproximateNumberOfMessagesNotVisible: '2',
      ApproximateNumberOfMessagesDelayed: '1',
    });

    expect(await first.cloud.kill('SIGKILL')).toBe('SIGKILL');
    first.sqs.destroy();

    const second = await start();
    let exitCode: number | string | undefined;
    try {
      expect(second.cloud.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // Queue URLs follow the new port.
      const { QueueUrl } = await second.sqs.send(new GetQueueUrlCommand({ QueueName: 'restart-orders' }));
      expect(QueueUrl).toBe(`${second.cloud.url}/000000000000/restart-orders`);
      const readAt = Date.now();
      const after = await attributes(second.sqs, QueueUrl!);
      // On a slow machine the restart may outlast the short deadline: then that message is back.
      const shortOver = readAt >= shortDeadline;
      expect(after).toMatchObject({
        ApproximateNumberOfMessages: shortOver ? '11' : '10', // the 10 never received
        ApproximateNumberOfMessagesNotVisible: shortOver ? '1' : '2', // still in flight: their deadlines survive the restart
        ApproximateNumberOfMessagesDelayed: '1',
        VisibilityTimeout: '300',
        RedrivePolicy: before.RedrivePolicy,
        CreatedTimestamp: before.CreatedTimestamp,
        QueueArn: before.QueueArn,
      });

      // A receipt handle from before the restart still deletes its message.
      await second.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: inFlight[0].ReceiptHandle }));
      const shortOverNow = Date.now() >= shortDeadline;
      expect(await attributes(second.sqs, QueueUrl!)).toMatchObject({ ApproximateNumberOfMessagesNotVisible: shortOverNow ? '0' : '1' });
      // The other comes back at its own deadline.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, shortDeadline - Date.now() + 50)));
      expect(await attributes(second.sqs, QueueUrl!)).toMatchObject({ ApproximateNumberOfMessages: '11', ApproximateNumberOfMessagesNotVisible: '0' });

      const received = [];
      for (;;) {
        const out = await second.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        );
        if (!out.Messages) break;
        received.push(...out.Messages);
      }
      expect(received.map((m) => m.MessageId).sort()).toEqual(sentIds.filter((id) => id !== deletedId && id !== inFlight[0].MessageId).sort());
      const byId = new Map(received.map((m) => [m.MessageId, m]));
      expect(byId.get(sentIds[1])).toMatchObject({
        Body: 'order 1',
        MessageAttributes: { index: { DataType: 'Number', StringValue: '1' } },
      });
      expect(byId.get(inFlight[1].MessageId)!.Attributes!.ApproximateReceiveCount).toBe('2');
    } finally {
      second.sqs.destroy();
      exitCode = await second.cloud.kill('SIGTERM');
    }
    expect(exitCode).toBe(0); // a clean stop
  }, 60_000);

  it('a second local cloud on the same data folder refuses to start, saying why', async () => {
    const first = await start();
    try {
      const refused = await expectCloudProcessToFail(dataDir);
      expect(refused.code).toBe(1);
      expect(refused.output.join('\n')).toContain(
        `Another local cloud (pid ${first.cloud.child.pid}) is already using ${dataDir}. ` +
          `Use that one, stop it (kill ${first.cloud.child.pid}), or give this one its own folder with LOCAL_CLOUD_DATA.`,
      );
      // The first one is unharmed.
      const listed = await first.sqs.send(new GetQueueUrlCommand({ QueueName: 'restart-orders' }));
      expect(listed.QueueUrl).toBe(`${first.cloud.url}/000000000000/restart-orders`);
    } finally {
      first.sqs.destroy();
      await first.cloud.kill('SIGTERM');
    }
  }, 60_000);
});
