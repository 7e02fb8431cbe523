import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { SERVICE_TIMING } from '../../local-cloud/realism/service-timing.ts';
import { waitFor } from '../../lib/wait.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * SNS under the realism profile: a new subscription receives nothing for a moment, and a changed
 * filter policy decides deliveries only once it has propagated (the old one decides meanwhile).
 * At scale 0.03 the subscription's moment is 0.3 s and the filter's propagation 1.8 s.
 */

const SCALE = 0.03;
const scaled = (awsMs: number) => Math.round(awsMs * SCALE);
const POLL = { deadlineMs: 15_000, initialDelayMs: 20, maxDelayMs: 100 };

type Outcome = 'delivered' | 'filtered out' | 'not receiving yet';

/** What happened to each published message, from the cloud's live log. */
class Outcomes {
  private readonly events: CloudEvent[] = [];
  private readonly listener = (e: CloudEvent) => {
    if (e.service === 'sns') this.events.push(e);
  };
  constructor(private readonly cloud: TestCloud) {
    cloud.cloud.events.on('event', this.listener);
  }
  stop(): void {
    this.cloud.cloud.events.off('event', this.listener);
  }
  of(messageId: string): Promise<Outcome> {
    return waitFor(`the outcome of message ${messageId}`, async () => {
      const event = this.events.find((e) => e.detail?.includes(messageId));
      if (!event) return undefined;
      if (event.action === 'Filter') return 'filtered out';
      if (event.detail!.includes('not receiving yet')) return 'not receiving yet';
      return event.action === 'Deliver' && !event.error ? 'delivered' : undefined;
    }, POLL);
  }
}

function queuePolicy(queueArn: string, topicArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  });
}

/** A topic with a queue subscribed to it (the queue's policy lets the topic send). */
async function topicWithQueue(
  sns: SNSClient,
  sqs: SQSClient,
  name: string,
  attributes?: Record<string, string>,
): Promise<{ topicArn: string; queueUrl: string; subscriptionArn: string; subscribedAt: number }> {
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
  const queueArn = `arn:aws:sqs:us-east-1:000000000000:${name}-q`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-q`, Attributes: { Policy: queuePolicy(queueArn, topicArn) } }),
  );
  const subscribedAt = Date.now();
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes, ReturnSubscriptionArn: true }),
  );
  return { topicArn, queueUrl: QueueUrl!, subscriptionArn: SubscriptionArn!, subscribedAt };
}

async function publish(sns: SNSClient, topicArn: string, message: string, status?: string): Promise<string> {
  const MessageAttributes = status ? { status: { DataType: 'String', StringValue: status } } : undefined;
  return (await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message, MessageAttributes }))).MessageId!;
}

describe('SNS under the realism profile', () => {
  let cloud: TestCloud;
  let sns: SNSClient;
  let sqs: SQSClient;
  let outcomes: Outcomes;

  beforeAll(async () => {
    cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
    sns = new SNSClient(cloud.clientConfig);
    sqs = new SQSClient(cloud.clientConfig);
    outcomes = new Outcomes(cloud);
  });
  afterAll(async () => {
    outcomes?.stop();
    sns?.destroy();
    sqs?.destroy();
    await cloud?.close();
  });

  it('a new subscription receives nothing for a moment, then every message', async () => {
    const { topicArn, queueUrl, subscribedAt } = await topicWithQueue(sns, sqs, 'realism-new-sub');
    const early = await publish(sns, topicArn, 'published right after Subscribe');
    expect(await outcomes.of(early)).toBe('not receiving yet');

    const first = await waitFor('a message to reach the new subscription', async () => {
      const id = await publish(sns, topicArn, 'probe');
      return (await outcomes.of(id)) === 'delivered' ? id : undefined;
    }, POLL);
    expect(Date.now() - subscribedAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.subscriptionActive));

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    const bodies = Messages.map((m) => JSON.parse(m.Body!) as { MessageId: string; Message: string });
    expect(bodies.map((b) => b.MessageId)).toContain(first);
    expect(bodies.map((b) => b.Message)).not.toContain('published right after Subscribe');
  });

  it('a changed filter policy decides only once it has propagated; the old one decides meanwhile', async () => {
    const accepted = JSON.stringify({ status: ['accepted'] });
    const shipped = JSON.stringify({ status: ['shipped'] });
    const { topicArn, subscriptionArn } = await topicWithQueue(sns, sqs, 'realism-filter', { FilterPolicy: accepted });
    await waitFor('the subscription to receive', async () => {
      const id = await publish(sns, topicArn, 'probe', 'accepted');
      return (await outcomes.of(id)) === 'delivered' ? true : undefined;
    }, POLL);

    const changedAt = Date.now();
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: shipped }));
    // The subscription reports its new policy at once; deliveries still follow the old one.
    const read = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
    expect(read.Attributes?.FilterPolicy).toBe(shipped);
    expect(await outcomes.of(await publish(sns, topicArn, 'accepted, early', 'accepted'))).toBe('delivered');
    expect(await outcomes.of(await publish(sns, topicArn, 'shipped, early', 'shipped'))).toBe('filtered out');

    await waitFor('the new filter policy to decide', async () => {
      const id = await publish(sns, topicArn, 'probe', 'shipped');
      return (await outcomes.of(id)) === 'delivered' ? true : undefined;
    }, POLL);
    expect(Date.now() - changedAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.filterPolicy));
    expect(await outcomes.of(await publish(sns, topicArn, 'accepted, late', 'accepted'))).toBe('filtered out');
  });

  it('changing another attribute leaves the filter in force at once', async () => {
    const { topicArn, subscriptionArn } = await topicWithQueue(sns, sqs, 'realism-raw', {
      FilterPolicy: JSON.stringify({ status: ['accepted'] }),
    });
    await waitFor('the subscription to receive', async () => {
      const id = await publish(sns, topicArn, 'probe', 'accepted');
      return (await outcomes.of(id)) === 'delivered' ? true : undefined;
    }, POLL);
    await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'true' }));
    expect(await outcomes.of(await publish(sns, topicArn, 'still accepted', 'accepted'))).toBe('delivered');
    expect(await outcomes.of(await publish(sns, topicArn, 'still filtered', 'shipped'))).toBe('filtered out');
  });
});

describe('SNS with realism off', () => {
  let cloud: TestCloud;
  let sns: SNSClient;
  let sqs: SQSClient;
  let outcomes: Outcomes;

  beforeAll(async () => {
    cloud = await startTestCloud();
    sns = new SNSClient(cloud.clientConfig);
    sqs = new SQSClient(cloud.clientConfig);
    outcomes = new Outcomes(cloud);
  });
  afterAll(async () => {
    outcomes?.stop();
    sns?.destroy();
    sqs?.destroy();
    await cloud?.close();
  });

  it('a new subscription and a changed filter policy are in force at once', async () => {
    const { topicArn, subscriptionArn } = await topicWithQueue(sns, sqs, 'instant', {
      FilterPolicy: JSON.stringify({ status: ['accepted'] }),
    });
    expect(await outcomes.of(await publish(sns, topicArn, 'first', 'accepted'))).toBe('delivered');
    await sns.send(new SetSubscriptionAttributesCommand({
      SubscriptionArn: subscriptionArn,
      AttributeName: 'FilterPolicy',
      AttributeValue: JSON.stringify({ status: ['shipped'] }),
    }));
    expect(await outcomes.of(await publish(sns, topicArn, 'shipped', 'shipped'))).toBe('delivered');
    expect(await outcomes.of(await publish(sns, topicArn, 'accepted', 'accepted'))).toBe('filtered out');
  });
});
