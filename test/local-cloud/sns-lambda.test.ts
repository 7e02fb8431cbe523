import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strToU8, zipSync } from 'fflate';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand, CreateFunctionCommand, InvokeCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';

/**
 * SNS → Lambda with a real function: SNS invokes asynchronously as sns.amazonaws.com with the
 * topic as SourceArn, so without a matching AddPermission grant nothing runs (and the live log
 * says why); with it, the function receives the event of aws-behaviours.md §D. The function
 * records each event by sending it to a queue, so the test waits with a long poll.
 */
let cloud: TestCloud;
let sns: SNSClient;
let sqs: SQSClient;
let lambda: LambdaClient;
let functionArn: string;
let recordsUrl: string;

const RECORDER = `
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (event) => {
  const receivedAt = Date.now();
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.RECORDS_URL, MessageBody: JSON.stringify({ receivedAt, event }) }));
};
`;

beforeAll(async () => {
  cloud = await startTestCloud();
  sns = new SNSClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  const iam = new IAMClient(cloud.clientConfig);

  recordsUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'lambda-records' }))).QueueUrl!;
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'recorder-role',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'recorder-role',
      PolicyName: 'record',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:000000000000:lambda-records' },
          { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
        ],
      }),
    }),
  );
  const fn = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'recorder',
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: role.Role!.Arn!,
      Environment: { Variables: { RECORDS_URL: recordsUrl } },
      Code: { ZipFile: zipSync({ 'index.mjs': strToU8(RECORDER) }) },
    }),
  );
  functionArn = fn.FunctionArn!;
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: 'recorder' });
});
afterAll(() => cloud.close());

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

async function nextRecord(wait = 10): Promise<{ receivedAt: number; event: any } | undefined> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: recordsUrl, WaitTimeSeconds: wait }));
  return Messages?.[0] ? JSON.parse(Messages[0].Body!) : undefined;
}

const topic = async (Name: string) => (await sns.send(new CreateTopicCommand({ Name }))).TopicArn!;
const allowSns = (sid: string, sourceArn: string) =>
  lambda.send(
    new AddPermissionCommand({
      FunctionName: 'recorder',
      StatementId: sid,
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: sourceArn,
    }),
  );

describe('SNS → Lambda', () => {
  let topicArn: string;
  let subscriptionArn: string;

  beforeAll(async () => {
    topicArn = await topic('order-updates');
    subscriptionArn = (await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'lambda', Endpoint: functionArn }))).SubscriptionArn!;
  });

  it('without a permission for sns.amazonaws.com, nothing is delivered and the live log says why', async () => {
    const refused = nextEvent((e) => e.service === 'sns' && e.action === 'Deliver' && !!e.error);
    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'nobody home' }));
    const event = await refused;
    expect(event.detail).toContain(`lambda:${functionArn}`);
    expect(event.error).toContain(`the resource policy of ${functionArn} does not allow sns.amazonaws.com to invoke it from ${topicArn}`);
    expect(await nextRecord(0)).toBeUndefined();
  });

  it('with the permission, the function receives the SNS event of §D', async () => {
    await allowSns('sns-order-updates', topicArn);
    const { MessageId } = await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: '{"orderId":"42","status":"shipped"}', MessageAttributes: { orderId: { DataType: 'String', StringValue: '42' } } }),
    );
    const record = await nextRecord();
    expect(record).toBeDefined();
    const { event } = record!;
    expect(event).toEqual({
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: subscriptionArn,
          Sns: {
            Type: 'Notification',
            MessageId,
            TopicArn: topicArn,
            Subject: null,
            Message: '{"orderId":"42","status":"shipped"}',
            Timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
            SignatureVersion: '1',
            Signature: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
            SigningCertUrl: expect.stringMatching(new RegExp(`^${cloud.url}/_localcloud/sns/SimpleNotificationService-[0-9a-f]{32}\\.pem$`)),
            UnsubscribeUrl: `${cloud.url}/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
            MessageAttributes: { orderId: { Type: 'String', Value: '42' } },
          },
        },
      ],
    });
    expect(Object.keys(event.Records[0].Sns)).toEqual([
      'Type',
      'MessageId',
      'TopicArn',
      'Subject',
      'Message',
      'Timestamp',
      'SignatureVersion',
      'Signature',
      'SigningCertUrl',
      'UnsubscribeUrl',
      'MessageAttributes',
    ]);

    await sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'with a subject', Subject: 'Order 42' }));
    const second = await nextRecord();
    expect(second!.event.Records[0].Sns).toMatchObject({ Subject: 'Order 42', Message: 'with a subject', MessageAttributes: {} });
  });

  it('a permission for another topic does not let this one in (SourceArn is checked)', async () => {
    const other = await topic('other-updates');
    await sns.send(new SubscribeCommand({ TopicArn: other, Protocol: 'lambda', Endpoint: functionArn }));
    const refused = nextEvent((e) => e.service === 'sns' && e.action === 'Deliver' && !!e.error);
    await sns.send(new PublishCommand({ TopicArn: other, Message: 'wrong door' }));
    expect((await refused).error).toContain(`does not allow sns.amazonaws.com to invoke it from ${other}`);
    expect(await nextRecord(0)).toBeUndefined();
  });

  it('publish → Lambda delivery latency, p50 over 200', async () => {
    const toHandler: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < 200; i++) {
      const startedAt = Date.now();
      const started = performance.now();
      await sns.send(new PublishCommand({ TopicArn: topicArn, Message: `m${i}` }));
      const record = await nextRecord();
      roundTrip.push(performance.now() - started);
      expect(record!.event.Records[0].Sns.Message).toBe(`m${i}`);
      toHandler.push(record!.receivedAt - startedAt);
    }
    const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
    console.log(
      `publish → Lambda handler start: p50 ${pct(toHandler, 50)} ms, p99 ${pct(toHandler, 99)} ms; ` +
        `publish → handler's record received by the test: p50 ${pct(roundTrip, 50).toFixed(2)} ms, p99 ${pct(roundTrip, 99).toFixed(2)} ms`,
    );
    expect(pct(toHandler, 50)).toBeLessThan(50);
  });
});

describe('function code publishing to a topic', () => {
  const PUBLISHER = `
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
const sns = new SNSClient({});
export const handler = async (event) => {
  try {
    const out = await sns.send(new PublishCommand({ TopicArn: event.topicArn, Message: 'from code' }));
    return { messageId: out.MessageId };
  } catch (err) {
    return { error: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
};
`;

  it('needs sns:Publish on the topic in its execution role (AuthorizationError otherwise)', async () => {
    const iam = new IAMClient(cloud.clientConfig);
    const topicArn = await topic('from-functions');
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'publisher-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'publisher',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: role.Role!.Arn!,
        Code: { ZipFile: zipSync({ 'index.mjs': strToU8(PUBLISHER) }) },
      }),
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 30 }, { FunctionName: 'publisher' });
    const invoke = async () =>
      JSON.parse(
        Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: 'publisher', Payload: JSON.stringify({ topicArn }) }))).Payload!).toString(),
      );

    expect(await invoke()).toEqual({
      error: 'AuthorizationErrorException',
      message:
        `User: arn:aws:sts::000000000000:assumed-role/publisher-role/publisher is not authorized to perform: SNS:Publish ` +
        `on resource: ${topicArn} because no identity-based policy allows the SNS:Publish action`,
      status: 403,
    });

    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'publisher-role',
        PolicyName: 'publish',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn }] }),
      }),
    );
    expect((await invoke()).messageId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
