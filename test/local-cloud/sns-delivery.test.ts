import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  type MessageAttributeValue,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';

/**
 * SNS deliveries to SQS (envelope and raw, the queue policy SNS needs, filter policies,
 * dead-letter queues) and to email (confirmation, then notifications in the outbox). Waits are
 * on events: long polls, and the live-log line each delivery writes.
 */
let cloud: TestCloud;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

/** Resolves with the first live-log event that matches (register before acting). */
function nextEvent(match: (e: CloudEvent) => boolean, timeoutMs = 5000): Promise<CloudEvent> {
  return new Promise((resolve, reject) => {
    const onEvent = (e: CloudEvent) => {
      if (!match(e)) return;
      stop();
      resolve(e);
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error('no matching event'));
    }, timeoutMs);
    const stop = () => {
      clearTimeout(timer);
      cloud.cloud.events.off('event', onEvent);
    };
    cloud.cloud.events.on('event', onEvent);
  });
}

/** Resolves once every subscription of the topic has dealt with the message (delivered, filtered out or failed). */
function settled(messageCount: number, subscriptionCount: number): Promise<void> {
  let seen = 0;
  const wanted = messageCount * subscriptionCount;
  return new Promise((resolve, reject) => {
    const onEvent = (e: CloudEvent) => {
      if (e.service !== 'sns' || (e.action !== 'Deliver' && e.action !== 'Filter') || ++seen < wanted) return;
      stop();
      resolve();
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`only ${seen} of ${wanted} deliveries settled`));
    }, 5000);
    const stop = () => {
      clearTimeout(timer);
      cloud.cloud.events.off('event', onEvent);
    };
    cloud.cloud.events.on('event', onEvent);
  });
}

const topic = async (Name: string, Attributes?: Record<string, string>) => (await sns.send(new CreateTopicCommand({ Name, Attributes }))).TopicArn!;

/** A queue whose policy lets SNS deliver from `topicArn` (as AWS requires), unless `allowFrom` is null. */
async function queue(name: string, allowFrom: string | null): Promise<{ url: string; arn: string }> {
  const arn = `arn:aws:sqs:us-east-1:000000000000:${name}`;
  const Attributes: Record<string, string> = {};
  if (allowFrom) {
    Attributes.Policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: arn,
          Condition: { ArnEquals: { 'aws:SourceArn': allowFrom } },
        },
      ],
    });
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes }));
  return { url: QueueUrl!, arn };
}

async function receive(url: string, max = 10, wait = 5): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: max, WaitTimeSeconds: wait, MessageAttributeNames: ['All'], AttributeNames: ['All'] }),
  );
  return out.Messages ?? [];
}

async function subscribe(TopicArn: string, Protocol: string, Endpoint: string, Attributes?: Record<string, string>): Promise<string> {
  return (await sns.send(new SubscribeCommand({ TopicArn, Protocol, Endpoint, Attributes, ReturnSubscriptionArn: true }))).SubscriptionArn!;
}

describe('SNS → SQS', () => {
  it('delivers the JSON envelope, with the Subject and the message attributes, signed and unsubscribable', async () => {
    const topicArn = await topic('envelope');
    const q = await queue('envelope-q', topicArn);
    const subArn = await subscribe(topicArn, 'sqs', q.arn);
    const attributes: Record<string, MessageAttributeValue> = {
      status: { DataType: 'String', StringValue: 'shipped' },
      total: { DataType: 'Number', StringValue: '99.12' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from([2, 3, 4]) },
    };
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'order 42 shipped', Subject: 'Order update', MessageAttributes: attributes }));
    const [message] = await receive(q.url);
    const body = JSON.parse(message.Body!);
    expect(Object.keys(body)).toEqual([
      'Type',
      'MessageId',
      'TopicArn',
      'Subject',
      'Message',
      'Timestamp',
      'SignatureVersion',
      'Signature',
      'SigningCertURL',
      'UnsubscribeURL',
      'MessageAttributes',
    ]);
    expect(body).toMatchObject({
      Type: 'Notification',
      MessageId,
      TopicArn: topicArn,
      Subject: 'Order update',
      Message: 'order 42 shipped',
      SignatureVersion: '1',
      UnsubscribeURL: `${cloud.url}/?Action=Unsubscribe&SubscriptionArn=${subArn}`,
      MessageAttributes: {
        status: { Type: 'String', Value: 'shipped' },
        total: { Type: 'Number', Value: '99.12' },
        blob: { Type: 'Binary', Value: 'AgME' },
      },
    });
    expect(body.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(body.Signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(message.MessageId).not.toBe(MessageId); // SQS gives the copy its own id
    expect(message.MessageAttributes).toBeUndefined(); // attributes travel inside the envelope
    expect(message.Attributes?.SenderId).toBe('AIDAIT2UOQQY3AUEKVGXU');

    // Without a Subject or attributes the envelope has neither key.
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'plain' }));
    const [plain] = await receive(q.url);
    expect(Object.keys(JSON.parse(plain.Body!))).not.toContain('Subject');
    expect(Object.keys(JSON.parse(plain.Body!))).not.toContain('MessageAttributes');
  });

  it('with RawMessageDelivery delivers the bare message, its attributes as SQS message attributes', async () => {
    const topicArn = await topic('raw');
    const q = await queue('raw-q', topicArn);
    await subscribe(topicArn, 'sqs', q.arn, { RawMessageDelivery: 'true' });
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'Test msg',
        MessageAttributes: {
          attr1: { DataType: 'Number', StringValue: '99.12' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([2, 3, 4]) },
        },
      }),
    );
    const [message] = await receive(q.url);
    expect(message.Body).toBe('Test msg');
    expect(message.MessageAttributes).toEqual({
      attr1: { DataType: 'Number', StringValue: '99.12' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([2, 3, 4]) },
    });
    expect(message.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });

  it('delivers nothing to a queue whose policy does not let SNS in, and says why in the live log', async () => {
    const topicArn = await topic('locked');
    const noPolicy = await queue('locked-q', null);
    const otherTopic = await queue('other-topic-q', `arn:aws:sns:us-east-1:000000000000:someone-else`);
    await subscribe(topicArn, 'sqs', noPolicy.arn);
    await subscribe(topicArn, 'sqs', otherTopic.arn);
    const failures = [
      nextEvent((e) => e.action === 'Deliver' && !!e.error && e.detail!.includes(noPolicy.arn)),
      nextEvent((e) => e.action === 'Deliver' && !!e.error && e.detail!.includes(otherTopic.arn)),
    ];
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'knock knock' }));
    const [denied] = await Promise.all(failures);
    expect(denied.error).toContain('the policy of queue locked-q does not allow sns.amazonaws.com to sqs:SendMessage from ' + topicArn);
    expect(await receive(noPolicy.url, 10, 0)).toEqual([]);
    expect(await receive(otherTopic.url, 10, 0)).toEqual([]);
  });

  it('applies filter policies (attributes and body) before delivery', async () => {
    const topicArn = await topic('filtered');
    const byAttributes = await queue('by-attributes', topicArn);
    const byBody = await queue('by-body', topicArn);
    const everything = await queue('everything', topicArn);
    await subscribe(topicArn, 'sqs', byAttributes.arn, {
      RawMessageDelivery: 'true',
      FilterPolicy: JSON.stringify({ status: [{ 'anything-but': 'cancelled' }], total: [{ numeric: ['>=', 100] }] }),
    });
    await subscribe(topicArn, 'sqs', byBody.arn, {
      RawMessageDelivery: 'true',
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: JSON.stringify({ order: { region: [{ prefix: 'eu-' }] } }),
    });
    await subscribe(topicArn, 'sqs', everything.arn, { RawMessageDelivery: 'true' });
    const publish = (id: string, status: string, total: string, region: string) =>
      sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify({ id, order: { region } }),
          MessageAttributes: { status: { DataType: 'String', StringValue: status }, total: { DataType: 'Number', StringValue: total } },
        }),
      );
    const done = settled(4, 3);
    await publish('a', 'shipped', '150', 'eu-west-1');
    await publish('b', 'cancelled', '150', 'us-east-1');
    await publish('c', 'shipped', '20', 'eu-central-1');
    await publish('d', 'delivered', '100', 'ap-south-1');
    await done;
    const ids = async (url: string) => (await receive(url, 10, 0)).map((m) => JSON.parse(m.Body!).id).sort();
    expect(await ids(byAttributes.url)).toEqual(['a', 'd']);
    expect(await ids(byBody.url)).toEqual(['a', 'c']);
    expect(await ids(everything.url)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('MessageStructure json sends each protocol its own text', async () => {
    const topicArn = await topic('structured');
    const q = await queue('structured-q', topicArn);
    await subscribe(topicArn, 'sqs', q.arn, { RawMessageDelivery: 'true' });
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, MessageStructure: 'json', Message: JSON.stringify({ default: 'for everyone', sqs: 'for queues' }) }),
    );
    expect((await receive(q.url))[0].Body).toBe('for queues');
  });

  it('a failed delivery goes to the subscription\'s dead-letter queue (RedrivePolicy)', async () => {
    const topicArn = await topic('redriven');
    const locked = await queue('redriven-locked', null);
    const dlq = await queue('redriven-dlq', topicArn);
    await subscribe(topicArn, 'sqs', locked.arn, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn }) });
    const moved = nextEvent((e) => e.action === 'DeadLetter');
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'lost?' }));
    expect((await moved).detail).toContain(dlq.arn);
    const [message] = await receive(dlq.url);
    expect(JSON.parse(message.Body!)).toMatchObject({ Type: 'Notification', MessageId, Message: 'lost?' });
    expect(await receive(locked.url, 10, 0)).toEqual([]);
  });

  it(`publish → SQS delivery latency (long-poll receive), p50 over 200`, async () => {
    const topicArn = await topic('latency');
    const q = await queue('latency-q', topicArn);
    await subscribe(topicArn, 'sqs', q.arn, { RawMessageDelivery: 'true' });
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const waiting = receive(q.url, 1, 5);
      const started = performance.now();
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: `m${i}` }));
      const [message] = await waiting;
      samples.push(performance.now() - started);
      expect(message.Body).toBe(`m${i}`);
    }
    samples.sort((a, b) => a - b);
    const p50 = samples[100];
    const p99 = samples[197];
    console.log(`publish → SQS delivery (publish call + long-poll wake-up): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
    expect(p50).toBeLessThan(50);
  });
});

describe('SNS → email (the outbox)', () => {
  const outboxOf = (topicName: string) => join(cloud.dataDir, 'outbox', topicName);
  const filesIn = (dir: string) => readdirSync(dir).sort();

  it('asks for confirmation, delivers only once confirmed (through the link), with the footer and the subject', async () => {
    const topicArn = await topic('mailing', { DisplayName: 'Order desk' });
    const confirmation = nextEvent((e) => e.action === 'Email' && e.detail!.includes('SubscriptionConfirmation'));
    const answer = await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
    expect(answer.SubscriptionArn).toBe('pending confirmation');
    expect((await confirmation).detail).toContain('to ops@example.com (outbox: ');

    const [file] = filesIn(outboxOf('mailing'));
    expect(file).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-ops@example\.com-[0-9a-f-]{36}\.eml$/);
    const eml = readFileSync(join(outboxOf('mailing'), file), 'utf8');
    expect(eml).toContain('From: "Order desk" <no-reply@sns.amazonaws.com>\r\n');
    expect(eml).toContain('To: ops@example.com\r\n');
    expect(eml).toContain('Subject: Order desk - Subscription Confirmation\r\n');
    expect(eml).toContain(`You have chosen to subscribe to the topic: \r\n${topicArn}\r\n`);
    const link = /^(http:\/\/\S+ConfirmSubscription\S+)$/m.exec(eml)![1].trim();
    expect(link).toMatch(new RegExp(`^${cloud.url}/\\?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=[0-9a-f]{288}$`));

    // Published while pending: goes nowhere.
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'too early' }));

    // The learner follows the link (an unsigned GET), as they would click it in the email.
    const confirmed = await fetch(link);
    expect(confirmed.status).toBe(200);
    const subscriptionArn = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(await confirmed.text())![1];
    expect(subscriptionArn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }))).Attributes).toMatchObject({
      PendingConfirmation: 'false',
      ConfirmationWasAuthenticated: 'false',
    });
    expect((await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes).toMatchObject({
      SubscriptionsConfirmed: '1',
      SubscriptionsPending: '0',
    });

    const notification = nextEvent((e) => e.action === 'Email' && e.detail!.includes('Notification'));
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'Order 42 has shipped.', Subject: 'Order 42' }));
    await notification;
    const files = filesIn(outboxOf('mailing'));
    expect(files).toHaveLength(2); // the confirmation and one notification: nothing for "too early"
    const mail = readFileSync(join(outboxOf('mailing'), files[1]), 'utf8');
    expect(mail).toContain('Subject: Order 42\r\n');
    expect(mail).toContain('\r\n\r\nOrder 42 has shipped.\r\n\r\n--\r\nIf you wish to stop receiving notifications from this topic');
    expect(mail).toContain(`${cloud.url}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`);
    expect(cloud.cloud.sns.outbox().filter((m) => m.topicArn === topicArn).map((m) => m.kind)).toEqual([
      'SubscriptionConfirmation',
      'Notification',
    ]);

    // The unsubscribe link works the same way.
    const unsubscribe = await fetch(`${cloud.url}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`);
    expect(unsubscribe.status).toBe(200);
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions).toEqual([]);
  });

  it('email-json gets the JSON documents; ConfirmSubscription with the token from the message confirms it', async () => {
    const topicArn = await topic('json-mailing');
    const confirmation = nextEvent((e) => e.action === 'Email' && e.detail!.includes('bots@example.com'));
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email-json', Endpoint: 'bots@example.com' }));
    await confirmation;
    const dir = outboxOf('json-mailing');
    const request = JSON.parse(readFileSync(join(dir, filesIn(dir)[0]), 'utf8'));
    expect(request).toMatchObject({
      Type: 'SubscriptionConfirmation',
      TopicArn: topicArn,
      Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: `${cloud.url}/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=${request.Token}`,
      SignatureVersion: '1',
    });
    const { SubscriptionArn } = await sns.send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: request.Token }));
    expect((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }))).Attributes).toMatchObject({
      PendingConfirmation: 'false',
      ConfirmationWasAuthenticated: 'true',
    });
    // Confirming again is harmless.
    expect((await sns.send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: request.Token }))).SubscriptionArn).toBe(SubscriptionArn);

    const delivered = nextEvent((e) => e.action === 'Email' && e.detail!.includes('Notification'));
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: 'hi', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }),
    );
    await delivered;
    const document = JSON.parse(readFileSync(join(dir, filesIn(dir)[1]), 'utf8'));
    expect(document).toMatchObject({
      Type: 'Notification',
      MessageId,
      Message: 'hi',
      UnsubscribeURL: `${cloud.url}/?Action=Unsubscribe&SubscriptionArn=${SubscriptionArn}`,
      MessageAttributes: { k: { Type: 'String', Value: 'v' } },
    });
  });
});

describe('SNS → HTTP', () => {
  it('asks the endpoint to confirm, then POSTs notifications with SNS\'s headers (envelope, or raw)', async () => {
    const waiting: Array<(r: { headers: IncomingHttpHeaders; body: string }) => void> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        res.end();
        waiting.shift()?.({ headers: req.headers, body });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const nextRequest = () => new Promise<{ headers: IncomingHttpHeaders; body: string }>((resolve) => waiting.push(resolve));
    try {
      const topicArn = await topic('webhooks');
      const confirmation = nextRequest();
      expect(await subscribe(topicArn, 'http', endpoint)).toMatch(new RegExp(`^${topicArn}:`));
      const request = await confirmation;
      expect(request.headers).toMatchObject({
        'content-type': 'text/plain; charset=UTF-8',
        'user-agent': 'Amazon Simple Notification Service Agent',
        'x-amz-sns-message-type': 'SubscriptionConfirmation',
        'x-amz-sns-topic-arn': topicArn,
      });
      const document = JSON.parse(request.body);
      expect(document).toMatchObject({ Type: 'SubscriptionConfirmation', TopicArn: topicArn, Token: expect.stringMatching(/^[0-9a-f]{288}$/) });
      expect((await fetch(document.SubscribeURL)).status).toBe(200);

      const notification = nextRequest();
      const { MessageId } = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'ping' }));
      const delivered = await notification;
      expect(delivered.headers).toMatchObject({ 'x-amz-sns-message-type': 'Notification', 'x-amz-sns-message-id': MessageId });
      expect(delivered.headers['x-amz-sns-subscription-arn']).toMatch(new RegExp(`^${topicArn}:`));
      expect(JSON.parse(delivered.body)).toMatchObject({ Type: 'Notification', MessageId, Message: 'ping' });

      const rawEndpoint = `${endpoint}?raw`;
      const rawConfirmation = nextRequest();
      await subscribe(topicArn, 'http', rawEndpoint, { RawMessageDelivery: 'true' });
      await sns.send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: JSON.parse((await rawConfirmation).body).Token }));
      const both = [nextRequest(), nextRequest()];
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'pong' }));
      const bodies = (await Promise.all(both)).map((r) => r.body);
      expect(bodies).toContain('pong');
      expect(bodies.some((b) => b.startsWith('{') && JSON.parse(b).Message === 'pong')).toBe(true);
    } finally {
      server.close();
    }
  });
});
