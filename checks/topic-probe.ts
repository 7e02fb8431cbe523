/**
 * Watching the order-updates topic from a check (steps 4 and 5): a temporary SQS queue of the
 * check's own, subscribed to the topic, with the queue policy SNS needs to deliver into it.
 * Everything it makes is named `<prefix>-check-…` and tagged, so that even a check killed
 * halfway leaves nothing `npm run teardown` would not find; close() removes it all.
 */
import { randomBytes } from 'node:crypto';
import { GetTopicAttributesCommand, NotFoundException, SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { resolveTarget } from '../lib/config.ts';
import { arnInAccount } from '../lib/identity.ts';
import { workbookTags } from '../lib/names.ts';
import { problem } from './kit.ts';

/** An SNS notification as a subscribed queue receives it (the JSON envelope, RawMessageDelivery off). */
export interface Notification {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/** A received notification, and when this process received it (epoch ms). */
export interface Received {
  notification: Notification;
  receivedAt: number;
}

/** The topic's ARN, arn:PARTITION:sns:REGION:ACCOUNT:NAME, once GetTopicAttributes has shown that it exists. */
export async function findTopic(sns: SNSClient, name: string): Promise<string> {
  const topicArn = await arnInAccount('sns', name);
  try {
    await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    return topicArn;
  } catch (err) {
    if (err instanceof NotFoundException) problem(`there is no topic named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:4`.');
    throw err;
  }
}

/**
 * The policy a queue needs before SNS may deliver into it: SNS sends as the service principal
 * sns.amazonaws.com, and only for this topic (aws:SourceArn), as on AWS.
 */
export function queuePolicyForTopic(queueArn: string, topicArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TopicMayDeliver',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  };
}

/** Longer than any check runs: a received notification is not received again. */
const RECEIVED_STAYS_HIDDEN_SECONDS = 3600;

export class TemporarySubscription {
  /** Every notification received so far, oldest first. */
  readonly received: Received[] = [];

  private constructor(
    private readonly sqs: SQSClient,
    private readonly sns: SNSClient,
    readonly queueUrl: string,
    readonly subscriptionArn: string,
  ) {}

  /** Creates the queue (policy included, so nothing is delivered before SNS may) and subscribes it. */
  static async open(sqs: SQSClient, sns: SNSClient, topicArn: string, prefix: string): Promise<TemporarySubscription> {
    const name = `${prefix}-check-${randomBytes(4).toString('hex')}`;
    // The queue's ARN, for its policy before it exists: the topic's partition, region and account.
    const [, partition, , region, account] = topicArn.split(':');
    const queueArn = `arn:${partition}:sqs:${region}:${account}:${name}`;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { Policy: JSON.stringify(queuePolicyForTopic(queueArn, topicArn)), MessageRetentionPeriod: '600' },
        tags: workbookTags(),
      }),
    );
    try {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      // An SQS subscription in the same account is confirmed at once: the answer is its ARN.
      const { SubscriptionArn } = await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, ReturnSubscriptionArn: true }),
      );
      return new TemporarySubscription(sqs, sns, QueueUrl!, SubscriptionArn!);
    } catch (err) {
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => {});
      throw err;
    }
  }

  /**
   * Long-polls until `match` accepts a notification (looking at those already received first),
   * or the deadline passes. Messages are not deleted one by one: each is received with a
   * visibility timeout that outlasts the check, and close() deletes the queue with them all.
   */
  async waitFor<T>(match: (received: Received) => T | undefined, deadlineMs: number): Promise<T | undefined> {
    for (const seen of this.received) {
      const found = match(seen);
      if (found !== undefined) return found;
    }
    const giveUpAt = Date.now() + deadlineMs;
    while (Date.now() < giveUpAt) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: Math.max(1, Math.min(20, Math.ceil((giveUpAt - Date.now()) / 1000))),
          VisibilityTimeout: RECEIVED_STAYS_HIDDEN_SECONDS,
        }),
      );
      const receivedAt = Date.now();
      let found: T | undefined;
      for (const message of Messages) {
        const received = { notification: parseNotification(message.Body), receivedAt };
        this.received.push(received);
        found ??= match(received);
      }
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Unsubscribes and deletes the queue (with anything still in it). */
  async close(): Promise<void> {
    await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: this.subscriptionArn })).catch(() => {});
    await this.sqs.send(new DeleteQueueCommand({ QueueUrl: this.queueUrl })).catch(() => {});
  }
}

function parseNotification(body: string | undefined): Notification {
  try {
    return JSON.parse(body ?? '') as Notification;
  } catch {
    return { Type: 'Unreadable', MessageId: '', TopicArn: '', Message: body ?? '', Timestamp: '' };
  }
}

/** The body of a notification as JSON, or undefined. */
export function messageJson(notification: Notification): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(notification.Message) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
