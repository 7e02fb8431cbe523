import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/** The real aws CLI (query protocol) against SNS: create-topic, subscribe, publish, list-subscriptions-by-topic, errors. */
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud.close());

describe('sns (aws CLI)', () => {
  it('create-topic, subscribe, publish and list-subscriptions-by-topic', async () => {
    const sqs = new SQSClient(cloud.clientConfig);
    const queueArn = 'arn:aws:sqs:us-east-1:000000000000:cli-q';
    const topicArn = 'arn:aws:sns:us-east-1:000000000000:cli-topic';
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': topicArn } } }],
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'cli-q', Attributes: { Policy: policy } }));

    const created = await cloud.aws('sns', 'create-topic', '--name', 'cli-topic', '--attributes', 'DisplayName=From the CLI', '--tags', 'Key=workbook,Value=test');
    expect(created.code, created.stderr).toBe(0);
    expect(created.json).toEqual({ TopicArn: topicArn });

    const subscribed = await cloud.aws(
      'sns', 'subscribe', '--topic-arn', topicArn, '--protocol', 'sqs', '--notification-endpoint', queueArn,
      '--attributes', '{"RawMessageDelivery":"true"}', '--return-subscription-arn',
    );
    expect(subscribed.code, subscribed.stderr).toBe(0);
    const subscriptionArn: string = subscribed.json.SubscriptionArn;
    expect(subscriptionArn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));

    const [published, listed, missing] = await Promise.all([
      cloud.aws(
        'sns', 'publish', '--topic-arn', topicArn, '--message', 'order 7 shipped', '--subject', 'Order 7',
        '--message-attributes', '{"status":{"DataType":"String","StringValue":"shipped"},"total":{"DataType":"Number","StringValue":"12.5"}}',
      ),
      cloud.aws('sns', 'list-subscriptions-by-topic', '--topic-arn', topicArn),
      cloud.aws('sns', 'get-topic-attributes', '--topic-arn', 'arn:aws:sns:us-east-1:000000000000:no-such-topic'),
    ]);
    expect(published.code, published.stderr).toBe(0);
    expect(published.json.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json).toEqual({
      Subscriptions: [{ SubscriptionArn: subscriptionArn, Owner: '000000000000', Protocol: 'sqs', Endpoint: queueArn, TopicArn: topicArn }],
    });
    expect(missing.code).toBe(254);
    expect(missing.stderr).toContain('An error occurred (NotFound) when calling the GetTopicAttributes operation: Topic does not exist');

    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }));
    expect(Messages?.[0].Body).toBe('order 7 shipped');
    expect(Messages?.[0].MessageAttributes).toEqual({
      status: { DataType: 'String', StringValue: 'shipped' },
      total: { DataType: 'Number', StringValue: '12.5' },
    });
  });
});
