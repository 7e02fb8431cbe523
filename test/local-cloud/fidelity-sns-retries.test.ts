import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import { commonErrors } from '../../local-cloud/protocol/errors.ts';
import { AWS_MANAGED_RETRIES, retryDelayMs, retryPhase } from '../../local-cloud/sns/deliveries/retry-policy.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * SNS retries a delivery to Lambda or SQS that fails on the service's side by its policy for
 * AWS-managed endpoints (3 immediate, 2 at 1 s, 10 backing off from 1 s to 20 s, then every
 * 20 s: 100,015 retries); a client-side failure (no permission) is not retried and goes to the
 * subscription's dead-letter queue at once.
 */
describe('the delivery policy for AWS-managed endpoints', () => {
  it('has AWS documented phases and total', () => {
    expect(AWS_MANAGED_RETRIES).toBe(100_015);
    const delays = Array.from({ length: 16 }, (_, i) => retryDelayMs(i + 1));
    expect(delays.slice(0, 3)).toEqual([0, 0, 0]);
    expect(delays.slice(3, 5)).toEqual([1000, 1000]);
    expect(delays[5]).toBe(1000);
    expect(delays[14]).toBe(20_000);
    for (let i = 5; i < 14; i++) expect(delays[i + 1]!).toBeGreaterThan(delays[i]!);
    expect(delays[15]).toBe(20_000);
    expect(retryPhase(16)).toBe('post-backoff');
    expect(retryDelayMs(100_015)).toBe(20_000);
    expect(retryDelayMs(100_016)).toBeUndefined();
    expect(retryDelayMs(0)).toBeUndefined();
    expect(retryDelayMs(Number.NaN)).toBeUndefined();
    expect(retryDelayMs(4, 0.1)).toBe(100);
  });
});

describe('SNS → SQS retries over HTTP', () => {
  let cloud: TestCloud;
  let sns: SNSClient;
  let sqs: SQSClient;
  const events: CloudEvent[] = [];

  beforeAll(async () => {
    cloud = await startTestCloud();
    sns = new SNSClient(cloud.clientConfig);
    sqs = new SQSClient(cloud.clientConfig);
    cloud.cloud.events.on('event', (e: CloudEvent) => events.push(e));
  });
  afterAll(() => cloud?.close());

  async function setup(name: string, allowSns: boolean, subscriptionAttributes?: Record<string, string>) {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
    const arn = `arn:aws:sqs:us-east-1:000000000000:${name}-q`;
    const Policy = JSON.stringify({
      Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn }],
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-q`, Attributes: allowSns ? { Policy } : {} }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: arn, Attributes: subscriptionAttributes }));
    return { topicArn: TopicArn!, url: QueueUrl! };
  }

  async function receiveOne(url: string) {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
      if (Messages?.length) return Messages[0];
    }
    throw new Error('nothing arrived');
  }

  it('a server-side failure is retried: 3 at once, then 1 s later; the message arrives once', async () => {
    const { topicArn, url } = await setup('retry-server', true);
    const backend = cloud.cloud.sqs;
    const original = backend.sendMessage.bind(backend);
    let failures = 4;
    backend.sendMessage = (...args: Parameters<typeof original>) => {
      if (failures > 0) {
        failures--;
        throw commonErrors.internal('service unavailable for a moment');
      }
      return original(...args);
    };
    try {
      const started = Date.now();
      const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'retry me' }));
      const message = await receiveOne(url);
      const elapsed = Date.now() - started;
      expect(JSON.parse(message.Body!)).toMatchObject({ MessageId, Message: 'retry me' });
      expect(elapsed).toBeGreaterThanOrEqual(900); // the 4th retry waits the pre-backoff second
      const retries = events.filter((e) => e.action === 'Retry' && e.detail?.includes(MessageId!));
      expect(retries.map((e) => e.detail?.replace(/.*: /, ''))).toEqual([
        'attempt 1 failed; immediate retry in 0 ms',
        'attempt 2 failed; immediate retry in 0 ms',
        'attempt 3 failed; immediate retry in 0 ms',
        'attempt 4 failed; pre-backoff in 1000 ms',
      ]);
      expect(events.some((e) => e.action === 'Deliver' && e.detail?.includes(`${MessageId} →`) && e.detail.includes('(attempt 5)'))).toBe(true);
    } finally {
      backend.sendMessage = original;
    }
  });

  it('a client-side failure (the queue policy does not let SNS in) is not retried and goes to the dead-letter queue', async () => {
    const dlq = await setup('retry-dlq-target', true);
    const dlqArn = `arn:aws:sqs:us-east-1:000000000000:retry-dlq-target-q`;
    const { topicArn } = await setup('retry-client', false, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn }) });
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'no entry' }));
    const dead = await receiveOne(dlq.url);
    expect(JSON.parse(dead.Body!)).toMatchObject({ MessageId, Message: 'no entry' });
    expect(events.filter((e) => e.action === 'Retry' && e.detail?.includes(MessageId!))).toEqual([]);
  });
});
