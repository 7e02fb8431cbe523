import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-sns';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * SNS control plane and Publish through SDK v3: shapes, defaults and AWS's errors (name,
 * message, HTTP status). Deliveries are in sns-delivery.test.ts and sns-lambda.test.ts.
 */
let cloud: TestCloud;
let sns: SNSClient;
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:sns:us-east-1:${ACCOUNT}:${name}`;
const queueArn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const lambdaArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

beforeAll(async () => {
  cloud = await startTestCloud();
  sns = new SNSClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

const invalid = (message: string) => ({ name: 'InvalidParameterException', message, status: 400 });
const createTopic = async (Name: string, extra: Partial<ConstructorParameters<typeof CreateTopicCommand>[0]> = {}) =>
  (await sns.send(new CreateTopicCommand({ Name, ...extra }))).TopicArn!;

describe('topics', () => {
  it('CreateTopic answers the ARN; GetTopicAttributes shows the defaults, the default policy and live counts', async () => {
    const arn = await createTopic('orders');
    expect(arn).toBe(arnOf('orders'));
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
    expect(Object.keys(Attributes!)).toEqual([
      'DisplayName',
      'EffectiveDeliveryPolicy',
      'Owner',
      'Policy',
      'SubscriptionsConfirmed',
      'SubscriptionsDeleted',
      'SubscriptionsPending',
      'TopicArn',
    ]);
    expect(Attributes).toMatchObject({
      DisplayName: '',
      Owner: ACCOUNT,
      SubscriptionsConfirmed: '0',
      SubscriptionsDeleted: '0',
      SubscriptionsPending: '0',
      TopicArn: arn,
    });
    expect(JSON.parse(Attributes!.Policy!)).toEqual({
      Version: '2008-10-17',
      Id: '__default_policy_ID',
      Statement: [
        {
          Sid: '__default_statement_ID',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: [
            'SNS:GetTopicAttributes',
            'SNS:SetTopicAttributes',
            'SNS:AddPermission',
            'SNS:RemovePermission',
            'SNS:DeleteTopic',
            'SNS:Subscribe',
            'SNS:ListSubscriptionsByTopic',
            'SNS:Publish',
          ],
          Resource: arn,
          Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT } },
        },
      ],
    });
    expect(JSON.parse(Attributes!.EffectiveDeliveryPolicy!)).toEqual({
      http: {
        defaultHealthyRetryPolicy: {
          minDelayTarget: 20,
          maxDelayTarget: 20,
          numRetries: 3,
          numMaxDelayRetries: 0,
          numNoDelayRetries: 0,
          numMinDelayRetries: 0,
          backoffFunction: 'linear',
        },
        disableSubscriptionOverrides: false,
        defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
      },
    });
  });

  it('CreateTopic is idempotent for the same name and attributes, and refuses different ones', async () => {
    const arn = await createTopic('idem', { Attributes: { DisplayName: 'Value1' }, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] });
    expect(await createTopic('idem')).toBe(arn);
    expect(await createTopic('idem', { Attributes: { DisplayName: 'Value1' } })).toBe(arn);
    expect(await createTopic('idem', { Attributes: { FifoTopic: 'false' } })).toBe(arn);
    expect(await createTopic('idem', { Tags: [{ Key: 'a', Value: '1' }] })).toBe(arn);
    expect(await failure(createTopic('idem', { Attributes: { DisplayName: 'Value2' } }))).toEqual(
      invalid('Invalid parameter: Attributes Reason: Topic already exists with different attributes'),
    );
    expect(await failure(createTopic('idem', { Attributes: { SignatureVersion: '2' } }))).toEqual(
      invalid('Invalid parameter: Attributes Reason: Topic already exists with different attributes'),
    );
    expect(await failure(createTopic('idem', { Tags: [{ Key: 'c', Value: '3' }] }))).toEqual(
      invalid('Invalid parameter: Tags Reason: Topic already exists with different tags'),
    );
  });

  it('CreateTopic checks the name', async () => {
    expect(await createTopic('a'.repeat(256))).toBe(arnOf('a'.repeat(256)));
    for (const name of ['', 'a'.repeat(257), 'test.fifo', 'bad:name', 'bad name', 'bad!name']) {
      expect(await failure(createTopic(name)), name).toEqual(invalid('Invalid parameter: Topic Name'));
    }
    expect(await failure(createTopic('test', { Attributes: { FifoTopic: 'true' } }))).toEqual(invalid('Invalid parameter: Topic Name'));
    expect(await failure(createTopic('nope', { Attributes: { Colour: 'red' } }))).toEqual(
      invalid('Invalid parameter: Attributes Reason: Invalid attribute name: Colour'),
    );
  });

  it('SetTopicAttributes changes DisplayName, Policy and DeliveryPolicy; FifoTopic and unknown names are refused', async () => {
    const arn = await createTopic('settable');
    await sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'DisplayName', AttributeValue: 'Order updates' }));
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: arn }] });
    await sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: policy }));
    await sns.send(
      new SetTopicAttributesCommand({
        TopicArn: arn,
        AttributeName: 'DeliveryPolicy',
        AttributeValue: JSON.stringify({ http: { defaultHealthyRetryPolicy: { minDelayTarget: 5, maxDelayTarget: 6, numRetries: 1 } } }),
      }),
    );
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
    expect(Attributes!.DisplayName).toBe('Order updates');
    expect(Attributes!.Policy).toBe(policy);
    expect(JSON.parse(Attributes!.EffectiveDeliveryPolicy!).http.defaultHealthyRetryPolicy).toEqual({
      minDelayTarget: 5,
      maxDelayTarget: 6,
      numRetries: 1,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: 'linear',
    });
    expect(await failure(sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'FifoTopic', AttributeValue: 'false' })))).toEqual(
      invalid('Invalid parameter: AttributeName'),
    );
    expect(await failure(sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'Policy', AttributeValue: '{nope' })))).toEqual(
      invalid('Invalid parameter: Policy Error: null'),
    );
  });

  it('a missing or malformed topic ARN fails as on AWS', async () => {
    expect(await failure(sns.send(new GetTopicAttributesCommand({ TopicArn: arnOf('missing') })))).toEqual({
      name: 'NotFoundException',
      message: 'Topic does not exist',
      status: 404,
    });
    expect(await failure(sns.send(new GetTopicAttributesCommand({ TopicArn: 'test-topic' })))).toEqual(
      invalid('Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1'),
    );
    expect(await failure(sns.send(new GetTopicAttributesCommand({ TopicArn: 'arn:aws:sns:us-east-1:random' })))).toEqual(
      invalid('Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 5'),
    );
    expect(await failure(sns.send(new GetTopicAttributesCommand({ TopicArn: 'arn:aws:sns:eu-west-1:000000000000:orders' })))).toEqual(
      invalid('Invalid parameter: TopicArn'),
    );
  });

  it('ListTopics pages by 100; DeleteTopic removes the topic, its subscriptions and its tags, and is idempotent', async () => {
    const names = Array.from({ length: 105 }, (_, i) => `many-${String(i).padStart(3, '0')}`);
    await Promise.all(names.map((n) => createTopic(n)));
    const first = await sns.send(new ListTopicsCommand({}));
    expect(first.Topics).toHaveLength(100);
    expect(first.NextToken).toBeTruthy();
    const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
    const all = [...first.Topics!, ...second.Topics!].map((t) => t.TopicArn);
    expect(second.NextToken).toBeUndefined();
    for (const n of names) expect(all).toContain(arnOf(n));

    const arn = await createTopic('doomed', { Tags: [{ Key: 'k', Value: 'v' }] });
    const sub = await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: queueArn('doomed-q') }));
    await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
    expect((await failure(sns.send(new GetTopicAttributesCommand({ TopicArn: arn })))).name).toBe('NotFoundException');
    expect(await failure(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn })))).toEqual({
      name: 'NotFoundException',
      message: 'Subscription does not exist',
      status: 404,
    });
    await sns.send(new DeleteTopicCommand({ TopicArn: arn })); // again: fine
    await createTopic('doomed');
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([]);
  });

  it('TagResource / UntagResource / ListTagsForResource', async () => {
    const arn = await createTopic('tagged');
    expect(
      await failure(
        sns.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k1', Value: 'v1' }, { Key: 'k2', Value: 'v2' }, { Key: 'k2', Value: 'v2' }] })),
      ),
    ).toEqual(invalid('Invalid parameter: Duplicated keys are not allowed.'));
    await sns.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k1', Value: 'v1' }, { Key: 'k2', Value: 'v2' }] }));
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: 'k1', Value: 'v1' },
      { Key: 'k2', Value: 'v2' },
    ]);
    await sns.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['k1'] }));
    await sns.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k2', Value: 'v2b' }] }));
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'k2', Value: 'v2b' }]);
    expect(await failure(sns.send(new ListTagsForResourceCommand({ ResourceArn: arnOf('no-such-topic') })))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Resource does not exist',
      status: 404,
    });
  });
});

describe('subscriptions', () => {
  let topic: string;
  beforeAll(async () => {
    topic = await createTopic('subs');
  });

  it('lambda and sqs subscriptions are confirmed at once with a full ARN; GetSubscriptionAttributes as on AWS', async () => {
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'lambda', Endpoint: lambdaArn('recorder') }));
    expect(SubscriptionArn).toMatch(new RegExp(`^${topic}:[0-9a-f-]{36}$`));
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }))).Attributes).toEqual({
      ConfirmationWasAuthenticated: 'true',
      Endpoint: lambdaArn('recorder'),
      Owner: ACCOUNT,
      PendingConfirmation: 'false',
      Protocol: 'lambda',
      RawMessageDelivery: 'false',
      SubscriptionArn,
      SubscriptionPrincipal: `arn:aws:iam::${ACCOUNT}:root`,
      TopicArn: topic,
    });
    const sqs = await sns.send(
      new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: queueArn('subs-q'), Attributes: { RawMessageDelivery: 'True' } }),
    );
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sqs.SubscriptionArn }))).Attributes).toMatchObject({
      Protocol: 'sqs',
      RawMessageDelivery: 'true',
      PendingConfirmation: 'false',
    });
  });

  it('a duplicate Subscribe answers the existing subscription; different attributes are refused', async () => {
    const endpoint = queueArn('dup-q');
    const first = await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: endpoint, Attributes: { RawMessageDelivery: 'true' } }));
    const variants: Array<Record<string, string> | undefined> = [undefined, {}, { RawMessageDelivery: 'true' }, { RawMessageDelivery: 'true', FilterPolicyScope: 'MessageAttributes' }];
    for (const Attributes of variants) {
      const again = await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: endpoint, Attributes, ReturnSubscriptionArn: true }));
      expect(again.SubscriptionArn).toBe(first.SubscriptionArn);
    }
    expect(
      await failure(
        sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: endpoint, Attributes: { RawMessageDelivery: 'false', FilterPolicyScope: 'MessageBody' } })),
      ),
    ).toEqual(invalid('Invalid parameter: Attributes Reason: Subscription already exists with different attributes'));
  });

  it('email is "pending confirmation" (the ARN only with ReturnSubscriptionArn) and lists as PendingConfirmation', async () => {
    const pendingTopic = await createTopic('pending');
    const plain = await sns.send(new SubscribeCommand({ TopicArn: pendingTopic, Protocol: 'email', Endpoint: 'ops@example.com' }));
    expect(plain.SubscriptionArn).toBe('pending confirmation');
    const withArn = await sns.send(
      new SubscribeCommand({ TopicArn: pendingTopic, Protocol: 'email-json', Endpoint: 'bots@example.com', ReturnSubscriptionArn: true }),
    );
    expect(withArn.SubscriptionArn).toMatch(new RegExp(`^${pendingTopic}:`));
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: withArn.SubscriptionArn }))).Attributes).toMatchObject({
      PendingConfirmation: 'true',
      ConfirmationWasAuthenticated: 'false',
      Protocol: 'email-json',
    });
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: pendingTopic }));
    expect(listed.Subscriptions).toEqual([
      { SubscriptionArn: 'PendingConfirmation', Owner: ACCOUNT, Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: pendingTopic },
      { SubscriptionArn: 'PendingConfirmation', Owner: ACCOUNT, Protocol: 'email-json', Endpoint: 'bots@example.com', TopicArn: pendingTopic },
    ]);
    const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn: pendingTopic }));
    expect(Attributes).toMatchObject({ SubscriptionsPending: '2', SubscriptionsConfirmed: '0' });
  });

  it('Subscribe checks the protocol, the endpoint and the attributes', async () => {
    const subscribe = (Protocol: string, Endpoint?: string, Attributes?: Record<string, string>) =>
      failure(sns.send(new SubscribeCommand({ TopicArn: topic, Protocol, Endpoint, Attributes })));
    expect(await subscribe('test-protocol', 'x')).toEqual(invalid('Invalid parameter: Amazon SNS does not support this protocol string: test-protocol'));
    expect(await subscribe('sqs', 'https://sqs.us-east-1.amazonaws.com/000000000000/q')).toEqual(invalid('Invalid parameter: SQS endpoint ARN'));
    expect(await subscribe('lambda', 'recorder')).toEqual(invalid('Invalid parameter: Lambda endpoint ARN'));
    expect(await subscribe('email', 'not an email')).toEqual(invalid('Invalid parameter: Email address'));
    expect(await subscribe('https', 'http://example.com')).toEqual(invalid('Invalid parameter: Endpoint must match the specified protocol'));
    expect(await subscribe('email', '')).toEqual(invalid('Invalid parameter: Endpoint'));
    expect(await subscribe('sqs', queueArn('x'), { RawMessageDelivery: 'wrongvalue' })).toEqual(
      invalid('Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.'),
    );
    expect(await subscribe('lambda', lambdaArn('x'), { RawMessageDelivery: 'true' })).toEqual(
      invalid('Invalid parameter: Attributes Reason: Delivery protocol [lambda] does not support raw message delivery.'),
    );
    expect(await subscribe('sqs', queueArn('x'), { FilterPolicy: 'invalid-json' })).toEqual(
      invalid(
        "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 8]",
      ),
    );
    expect(await subscribe('sqs', queueArn('x'), { FilterPolicy: JSON.stringify({ key: [{ suffix: 100 }] }) })).toEqual(
      invalid(
        'Invalid parameter: Attributes Reason: FilterPolicy: suffix match pattern must be a string\n at [Source: (String)"{"key":[{"suffix":100}]}"; line: 1, column: 22]',
      ),
    );
    expect(await failure(sns.send(new SubscribeCommand({ TopicArn: arnOf('nope'), Protocol: 'sqs', Endpoint: queueArn('x') })))).toEqual({
      name: 'NotFoundException',
      message: 'Topic does not exist',
      status: 404,
    });
  });

  it('SetSubscriptionAttributes: RawMessageDelivery, FilterPolicy(+Scope), RedrivePolicy, with AWS\'s messages', async () => {
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn: topic, Protocol: 'sqs', Endpoint: queueArn('attrs-q') }));
    const set = (AttributeName: string, AttributeValue: string) =>
      sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName, AttributeValue }));
    await set('RawMessageDelivery', 'TRUE');
    await set('FilterPolicy', JSON.stringify({ attr1: [{ numeric: ['>', 0, '<=', 100] }] }));
    await set('RedrivePolicy', JSON.stringify({ deadLetterTargetArn: queueArn('attrs-dlq') }));
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }))).Attributes).toMatchObject({
      RawMessageDelivery: 'true',
      FilterPolicy: JSON.stringify({ attr1: [{ numeric: ['>', 0, '<=', 100] }] }),
      FilterPolicyScope: 'MessageAttributes',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn('attrs-dlq') }),
    });

    expect(await failure(set('FakeAttribute', 'x'))).toEqual(invalid('Invalid parameter: AttributeName'));
    expect(await failure(set('RawMessageDelivery', 'test-ValUe'))).toEqual(
      invalid('Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false.'),
    );
    expect(await failure(set('RedrivePolicy', JSON.stringify({ deadLetterTargetArn: 'fake-arn' })))).toEqual(
      invalid('Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn'),
    );
    expect(await failure(set('RedrivePolicy', '{invalidjson}'))).toEqual(
      invalid(
        "Invalid parameter: RedrivePolicy: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to start field name\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]",
      ),
    );
    expect(await failure(set('FilterPolicy', '{invalidjson}'))).toEqual(
      invalid(
        "Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to start field name\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]",
      ),
    );
    expect(await failure(set('FilterPolicyScope', 'RandomValue'))).toEqual(
      invalid('Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes'),
    );
    const nested = JSON.stringify({ object: { key: [{ prefix: 'auto-' }] } });
    expect(await failure(set('FilterPolicy', nested))).toEqual(
      invalid('Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy'),
    );
    await set('FilterPolicyScope', 'MessageBody');
    await set('FilterPolicy', nested);
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }))).Attributes).toMatchObject({
      FilterPolicy: nested,
      FilterPolicyScope: 'MessageBody',
    });
  });

  it('Unsubscribe removes the subscription (idempotently) and counts it as deleted; ARN errors as on AWS', async () => {
    const own = await createTopic('unsub');
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({ TopicArn: own, Protocol: 'sqs', Endpoint: queueArn('unsub-q') }));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: own }))).Subscriptions).toHaveLength(1);
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: own }))).Subscriptions).toEqual([]);
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn: own }))).Attributes).toMatchObject({
      SubscriptionsConfirmed: '0',
      SubscriptionsDeleted: '1',
    });
    expect(await failure(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn })))).toEqual({
      name: 'NotFoundException',
      message: 'Subscription does not exist',
      status: 404,
    });
    expect(await failure(sns.send(new UnsubscribeCommand({ SubscriptionArn: 'randomstring' })))).toEqual(
      invalid('Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1'),
    );
    expect(await failure(sns.send(new UnsubscribeCommand({ SubscriptionArn: 'arn:aws:sns:us-east-1:random' })))).toEqual(
      invalid('Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5'),
    );
    expect(await failure(sns.send(new UnsubscribeCommand({ SubscriptionArn: own })))).toEqual(invalid('Invalid parameter: SubscriptionId'));
    expect(await failure(sns.send(new UnsubscribeCommand({ SubscriptionArn: 'pending confirmation' })))).toEqual(
      invalid('Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1'),
    );
  });

  it('ConfirmSubscription rejects a bad topic or token with AWS\'s messages', async () => {
    const token = 'ab'.repeat(144);
    expect(await failure(sns.send(new ConfirmSubscriptionCommand({ TopicArn: topic, Token: 'randomtoken' })))).toEqual(invalid('Invalid token'));
    expect(await failure(sns.send(new ConfirmSubscriptionCommand({ TopicArn: topic, Token: token })))).toEqual(invalid('Invalid parameter: Token'));
    expect(await failure(sns.send(new ConfirmSubscriptionCommand({ TopicArn: 'not-an-arn', Token: token })))).toEqual(invalid('Invalid parameter: Topic'));
  });

  it('ListSubscriptions lists every topic\'s subscriptions, oldest first', async () => {
    const { Subscriptions } = await sns.send(new ListSubscriptionsCommand({}));
    const endpoints = Subscriptions!.map((s) => s.Endpoint);
    expect(endpoints.indexOf(lambdaArn('recorder'))).toBeLessThan(endpoints.indexOf(queueArn('attrs-q')));
    expect(endpoints).toContain('ops@example.com');
    expect(Subscriptions!.every((s) => s.Owner === ACCOUNT && s.TopicArn?.startsWith('arn:aws:sns:'))).toBe(true);
  });
});

describe('publish', () => {
  let topic: string;
  beforeAll(async () => {
    topic = await createTopic('publish');
  });

  it('Publish answers a MessageId (TopicArn or TargetArn, with a Subject and every attribute type)', async () => {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: topic,
        Message: 'hello',
        Subject: 'Order update',
        MessageAttributes: {
          s: { DataType: 'String', StringValue: 'x' },
          n: { DataType: 'Number', StringValue: '1.5' },
          b: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
          a: { DataType: 'String.Array', StringValue: '["a", 1, true]' },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await sns.send(new PublishCommand({ TargetArn: topic, Message: 'by target' }))).MessageId).toBeTruthy();
  });

  it('Publish errors: missing topic, malformed ARN, empty message, bad subject, too long, bad JSON structure', async () => {
    const publish = (input: ConstructorParameters<typeof PublishCommand>[0]) => failure(sns.send(new PublishCommand(input)));
    expect(await publish({ TopicArn: arnOf('gone'), Message: 'x' })).toEqual({ name: 'NotFoundException', message: 'Topic does not exist', status: 404 });
    expect(await publish({ TopicArn: 'arn:aws:sns:us-east-1:000000000000', Message: 'x' })).toEqual(
      invalid('Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 5'),
    );
    expect(await publish({ Message: 'x' })).toEqual(invalid('Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter'));
    expect(await publish({ TopicArn: topic, Message: '' })).toEqual(invalid('Invalid parameter: Empty message'));
    expect(await publish({ TopicArn: topic, Message: 'x', Subject: '' })).toEqual(invalid('Invalid parameter: Subject'));
    expect(await publish({ TopicArn: topic, Message: 'x', Subject: 'line\nbreak' })).toEqual(invalid('Invalid parameter: Subject'));
    expect(await publish({ TopicArn: topic, Message: 'x'.repeat(262_145) })).toEqual(invalid('Invalid parameter: Message too long'));
    expect(
      await publish({ TopicArn: topic, Message: 'x'.repeat(262_140), MessageAttributes: { attr: { DataType: 'String', StringValue: 'abc' } } }),
    ).toEqual(invalid('Invalid parameter: Message too long'));
    expect((await sns.send(new PublishCommand({ TopicArn: topic, Message: 'x'.repeat(262_144) }))).MessageId).toBeTruthy();
    expect(await publish({ TopicArn: topic, Message: '{"sqs": "only"}', MessageStructure: 'json' })).toEqual(
      invalid('Invalid parameter: Message Structure - No default entry in JSON message body'),
    );
    expect(await publish({ TopicArn: topic, Message: 'not json', MessageStructure: 'json' })).toEqual(
      invalid('Invalid parameter: Message Structure - JSON message body failed to parse'),
    );
    expect(await publish({ TargetArn: 'arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/abc', Message: 'x' })).toEqual(
      invalid('Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified'),
    );
  });

  it('message attribute errors use ParameterValueInvalid and a ValidationError for a missing DataType', async () => {
    const publish = (MessageAttributes: Record<string, any>) => failure(sns.send(new PublishCommand({ TopicArn: topic, Message: 'x', MessageAttributes })));
    const valueInvalid = (message: string) => ({ name: 'InvalidParameterValueException', message, status: 400 });
    expect(await publish({ attr1: { DataType: 'String', StringValue: '' } })).toEqual(
      valueInvalid("The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'."),
    );
    expect(await publish({ attr1: { DataType: 'Binary' } })).toEqual(
      valueInvalid("The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'Binary'."),
    );
    expect(await publish({ attr1: { DataType: 'String', BinaryValue: Buffer.from('x') } })).toEqual(
      valueInvalid("The message attribute 'attr1' with type 'String' must use field 'String'."),
    );
    expect(await publish({ attr1: { DataType: 'Number', BinaryValue: Buffer.from('x') } })).toEqual(
      valueInvalid("The message attribute 'attr1' with type 'Number' must use field 'String'."),
    );
    expect(await publish({ attr1: { DataType: 'Binary', StringValue: 'x' } })).toEqual(
      valueInvalid("The message attribute 'attr1' with type 'Binary' must use field 'Binary'."),
    );
    expect(await publish({ attr1: { DataType: 'Integer', StringValue: '1' } })).toEqual(
      valueInvalid("The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."),
    );
    expect(await publish({ 'a^b': { DataType: 'String', StringValue: 'x' } })).toEqual(
      valueInvalid(
        "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
      ),
    );
    expect(await publish({ '.a': { DataType: 'String', StringValue: 'x' } })).toEqual(
      valueInvalid("Invalid message attribute name starting with character '.' was found."),
    );
    expect(await publish({ 'a..b': { DataType: 'String', StringValue: 'x' } })).toEqual(
      valueInvalid("Message attribute name can not have successive '.' character."),
    );
    expect(await publish({ ['a'.repeat(256)]: { DataType: 'String', StringValue: 'x' } })).toEqual(
      valueInvalid('Length of message attribute name must be less than 256 bytes.'),
    );
    expect(await publish({ attr1: { StringValue: 'x' } })).toEqual({
      name: 'ValidationError',
      message: "1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not be null",
      status: 400,
    });
  });

  it('PublishBatch answers per entry, with partial failures; request-level errors as on AWS', async () => {
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn: topic,
        PublishBatchRequestEntries: [
          { Id: '1', Message: 'one' },
          { Id: 'two_2', Message: '' },
          { Id: 'three-3', Message: 'three', Subject: 'S', MessageAttributes: { n: { DataType: 'Number', StringValue: '3' } } },
        ],
      }),
    );
    expect(out.Successful!.map((s) => s.Id)).toEqual(['1', 'three-3']);
    expect(out.Successful!.every((s) => /^[0-9a-f-]{36}$/.test(s.MessageId!))).toBe(true);
    expect(out.Failed).toEqual([{ Id: 'two_2', Code: 'InvalidParameter', Message: 'Invalid parameter: Empty message', SenderFault: true }]);

    const batch = (entries: Array<{ Id: string; Message: string; MessageAttributes?: any }>, TopicArn = topic) =>
      failure(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: entries })));
    expect(await batch(Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, Message: 'x' })))).toEqual({
      name: 'TooManyEntriesInBatchRequestException',
      message: 'The batch request contains more entries than permissible.',
      status: 400,
    });
    expect(await batch([{ Id: 'same', Message: 'a' }, { Id: 'same', Message: 'b' }])).toEqual({
      name: 'BatchEntryIdsNotDistinctException',
      message: 'Two or more batch entries in the request have the same Id.',
      status: 400,
    });
    expect(await batch([{ Id: 'message.id', Message: 'a' }])).toEqual({
      name: 'InvalidBatchEntryIdException',
      message: 'The Id of a batch entry in the batch request contains an impermissible character: message.id',
      status: 400,
    });
    expect(await batch([{ Id: 'a'.repeat(81), Message: 'a' }])).toEqual({
      name: 'InvalidBatchEntryIdException',
      message: `The Id of a batch entry in the batch request is too long: ${'a'.repeat(81)}`,
      status: 400,
    });
    expect(await batch([{ Id: '1', Message: 'x'.repeat(200_000) }, { Id: '2', Message: 'x'.repeat(100_000) }])).toEqual({
      name: 'BatchRequestTooLongException',
      message: 'The length of all the messages put together is more than the limit.',
      status: 400,
    });
    expect(await batch([{ Id: '1', Message: 'a', MessageAttributes: { attr1: { StringValue: 'x' } } }])).toEqual({
      name: 'ValidationError',
      message:
        "1 validation error detected: Value null at 'publishBatchRequestEntries.1.member.messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not be null",
      status: 400,
    });
    expect(await batch([{ Id: '1', Message: 'a' }], arnOf('gone'))).toEqual({ name: 'NotFoundException', message: 'Topic does not exist', status: 404 });
  });
});

describe('persistence', () => {
  it('topics and subscriptions survive a restart on the same data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sns-restart-'));
    const local = await startTestCloud({ dataDir });
    const client = new SNSClient(local.clientConfig);
    const topicArn = (await client.send(new CreateTopicCommand({ Name: 'durable', Attributes: { DisplayName: 'Kept' }, Tags: [{ Key: 'k', Value: 'v' }] }))).TopicArn!;
    const sub = await client.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn('durable-q'), Attributes: { FilterPolicy: '{"k":["v"]}' } }),
    );
    await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'later@example.com' }));
    await local.close();

    const again = await startTestCloud({ dataDir });
    try {
      const c2 = new SNSClient(again.clientConfig);
      expect((await c2.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes).toMatchObject({
        DisplayName: 'Kept',
        SubscriptionsConfirmed: '1',
        SubscriptionsPending: '1',
      });
      expect((await c2.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes).toMatchObject({
        FilterPolicy: '{"k":["v"]}',
      });
      expect((await c2.send(new ListTagsForResourceCommand({ ResourceArn: topicArn }))).Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    } finally {
      await again.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
