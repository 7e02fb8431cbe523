import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/** Fault switches make the local cloud do on purpose what AWS does slowly or now and then. */
let cloud: TestCloud;
let sqs: SQSClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const setFaults = async (body: unknown) => {
  const res = await cloud.control('faults', { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

describe('fault switches', () => {
  it('rejects a malformed setting with 400 and a reason', async () => {
    const bad = await setFaults({ fastRetry: { messageAttribute: '', visibilityTimeout: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/messageAttribute/);
  });

  it('fastRetry: a marked message comes back at once and reaches the DLQ after exactly maxReceiveCount receives', async () => {
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'fast-dlq' }))).QueueUrl!;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
    const queue = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'fast',
          Attributes: {
            VisibilityTimeout: '60',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
          },
        }),
      )
    ).QueueUrl!;
    expect((await setFaults({ fastRetry: { messageAttribute: 'probe', visibilityTimeout: 0 } })).json.fastRetry).toEqual({
      messageAttribute: 'probe',
      visibilityTimeout: 0,
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'unmarked' }));
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue,
        MessageBody: 'poison',
        MessageAttributes: { probe: { DataType: 'String', StringValue: '1' } },
      }),
    );
    const bodies: string[] = [];
    for (let i = 0; i < 4; i++) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      bodies.push(...(got.Messages ?? []).map((m) => m.Body!));
    }
    // The unmarked message keeps the queue's 60 s timeout; the marked one is received 3 times, then moved.
    expect(bodies.filter((b) => b === 'unmarked')).toHaveLength(1);
    expect(bodies.filter((b) => b === 'poison')).toHaveLength(3);
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['poison']);

    expect((await setFaults({ fastRetry: null })).json.fastRetry).toBeNull();
  });
});
