import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionConfigurationCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, deployFunction, zipOf } from '../fixtures/lambda/helpers.ts';

/**
 * Asynchronous invocation (InvocationType Event): retries with backoff, on-success and on-failure
 * destinations (SQS, SNS), the dead-letter queue, the event invoke config API. The local cloud's
 * retry delays are AWS's scaled down: 1 s before the second attempt, 2 s before the third.
 */

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

/** Reports each attempt ({at, requestId, event}) to CAPTURE_URL, then does what its name says. */
const HANDLERS = `
// Only a function that reports loads the SDK (cold starts stay cheap for the others).
const sqs = process.env.CAPTURE_URL ? await import('@aws-sdk/client-sqs') : undefined;
const client = sqs && new sqs.SQSClient({});
const report = (event, context) => client
  ? client.send(new sqs.SendMessageCommand({ QueueUrl: process.env.CAPTURE_URL, MessageBody: JSON.stringify({ at: performance.timeOrigin + performance.now(), requestId: context.awsRequestId, event }) }))
  : undefined;
export const fails = async (event, context) => {
  await report(event, context);
  throw new Error('order ' + event.order + ' is broken');
};
export const succeeds = async (event, context) => {
  await report(event, context);
  return { accepted: event.order };
};
export const hangs = async (event, context) => {
  await report(event, context);
  await new Promise((resolve) => setTimeout(resolve, 5000));
};
`;

let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
let iam: IAMClient;
let role: string;

async function createQueue(name: string): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  return { url: QueueUrl!, arn: queueArn(name) };
}

/** The next `count` messages of a queue (long polls; fails after 10 s without one). */
async function receive(url: string, count = 1, client = sqs): Promise<Message[]> {
  const messages: Message[] = [];
  while (messages.length < count) {
    const out = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    if (!out.Messages?.length) throw new Error(`expected ${count} message(s) in ${url}, got ${messages.length}`);
    messages.push(...out.Messages);
  }
  return messages;
}

async function deploy(name: string, handler: string, extra: { timeout?: number; capture?: string; roleArn?: string } = {}) {
  await deployFunction(lambda, {
    FunctionName: name,
    Role: extra.roleArn ?? role,
    Handler: `index.${handler}`,
    Timeout: extra.timeout ?? 3,
    ...(extra.capture ? { Environment: { Variables: { CAPTURE_URL: extra.capture } } } : {}),
    files: { 'index.mjs': HANDLERS },
  });
}

function invokeEvent(name: string, payload: unknown, client = lambda) {
  return client.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: JSON.stringify(payload) }));
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/** Resolves with the first live-log line whose detail contains `text`. */
function logLine(target: TestCloud, text: string): Promise<{ detail?: string; error?: string }> {
  return new Promise((resolve) => {
    const listener = (e: { detail?: string; error?: string }) => {
      if (e.detail?.includes(text)) {
        target.cloud.events.off('event', listener);
        resolve(e);
      }
    };
    target.cloud.events.on('event', listener);
  });
}

const SEND_AND_PUBLISH = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage', 'sns:Publish'], Resource: '*' }],
});

beforeAll(async () => {
  cloud = await startTestCloud();
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  role = await createLambdaRole(cloud, 'async-role');
  await iam.send(new PutRolePolicyCommand({ RoleName: 'async-role', PolicyName: 'destinations', PolicyDocument: SEND_AND_PUBLISH }));
});

afterAll(async () => {
  lambda?.destroy();
  sqs?.destroy();
  iam?.destroy();
  await cloud?.close();
});

describe('retries and destinations', () => {
  it.concurrent('a failing event is tried 3 times (1 s, then 2 s apart), then its record goes to the on-failure destination', async () => {
    const attempts = await createQueue('fails-attempts');
    const destination = await createQueue('fails-destination');
    await deploy('always-fails', 'fails', { capture: attempts.url });
    const put = await lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'always-fails', DestinationConfig: { OnFailure: { Destination: destination.arn } } }),
    );
    expect(put.DestinationConfig).toEqual({ OnSuccess: {}, OnFailure: { Destination: destination.arn } });
    const retryLines: string[] = [];
    const onEvent = (e: { action: string; detail?: string }) =>
      e.action === 'Invoke' && e.detail?.startsWith('always-fails (Event)') && retryLines.push(e.detail);
    cloud.cloud.events.on('event', onEvent);

    const invoked = await invokeEvent('always-fails', { order: 42 });
    expect(invoked.StatusCode).toBe(202);
    const requestId = invoked.$metadata.requestId!;

    const tries = (await receive(attempts.url, 3)).map((m) => JSON.parse(m.Body!)).sort((a, b) => a.at - b.at);
    expect(tries.map((t) => t.requestId)).toEqual([requestId, requestId, requestId]);
    expect(tries.map((t) => t.event)).toEqual([{ order: 42 }, { order: 42 }, { order: 42 }]);
    const gaps = [tries[1].at - tries[0].at, tries[2].at - tries[1].at];
    console.log(`attempts of an async invocation: ${gaps.map((g) => g.toFixed(0)).join(' ms, then ')} ms apart`);
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[0]).toBeLessThan(2000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[1]).toBeLessThan(3000);

    const [message] = await receive(destination.url);
    const record = JSON.parse(message.Body!);
    expect(Object.keys(record)).toEqual(['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
    expect(record).toEqual({
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      requestContext: {
        requestId,
        functionArn: `${functionArn('always-fails')}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { order: 42 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'order 42 is broken', trace: expect.any(Array) },
    });
    cloud.cloud.events.off('event', onEvent);
    expect(retryLines).toEqual([
      `always-fails (Event) failed, attempt 1: retry 1 of 2 in 1 s (request ${requestId})`,
      `always-fails (Event) failed, attempt 2: retry 2 of 2 in 2 s (request ${requestId})`,
      `always-fails (Event) failed 3 attempts: RetriesExhausted record sent to the on-failure destination ${destination.arn} (request ${requestId})`,
    ]);
  });

  it.concurrent('a timeout is a failure too; with MaximumRetryAttempts 0 there is one attempt', async () => {
    const destination = await createQueue('hangs-destination');
    await deploy('hangs', 'hangs', { timeout: 1 });
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'hangs',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: destination.arn } },
      }),
    );
    const invoked = await invokeEvent('hangs', { order: 7 });
    const [message] = await receive(destination.url);
    const record = JSON.parse(message.Body!);
    expect(record.requestContext).toEqual({
      requestId: invoked.$metadata.requestId,
      functionArn: `${functionArn('hangs')}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    });
    expect(record.responsePayload).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${invoked.$metadata.requestId} Error: Task timed out after 1.00 seconds`,
    });
  });

  it.concurrent('a success goes to the on-success destination with the response', async () => {
    const destination = await createQueue('success-destination');
    await deploy('succeeds', 'succeeds');
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'succeeds', DestinationConfig: { OnSuccess: { Destination: destination.arn } } }),
    );
    const invoked = await invokeEvent('succeeds', { order: 9 });
    const [message] = await receive(destination.url);
    expect(JSON.parse(message.Body!)).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: {
        requestId: invoked.$metadata.requestId,
        functionArn: `${functionArn('succeeds')}:$LATEST`,
        condition: 'Success',
        approximateInvokeCount: 1,
      },
      requestPayload: { order: 9 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { accepted: 9 },
    });
  });

  it.concurrent("the DeadLetterConfig queue gets the event itself, with RequestID, ErrorCode and ErrorMessage", async () => {
    const dlq = await createQueue('dead-letters');
    await deployFunction(lambda, {
      FunctionName: 'dead-lettered',
      Role: role,
      Handler: 'index.fails',
      DeadLetterConfig: { TargetArn: dlq.arn },
      files: { 'index.mjs': HANDLERS },
    });
    await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'dead-lettered', MaximumRetryAttempts: 0 }));
    const payload = '{"order": 5, "items": ["a"]}';
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'dead-lettered', InvocationType: 'Event', Payload: payload }));
    const [message] = await receive(dlq.url);
    expect(message.Body).toBe(payload);
    expect(message.MessageAttributes).toEqual({
      RequestID: { DataType: 'String', StringValue: invoked.$metadata.requestId },
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: 'order 5 is broken' },
    });
  });

  it.concurrent('an SNS topic as on-failure destination publishes the record', async () => {
    const sns = new SNSClient(cloud.clientConfig);
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'async-failures' }));
      const inbox = await createQueue('async-failures-inbox');
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: inbox.url,
          Attributes: {
            Policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'sns.amazonaws.com' },
                  Action: 'sqs:SendMessage',
                  Resource: inbox.arn,
                  Condition: { ArnEquals: { 'aws:SourceArn': TopicArn } },
                },
              ],
            }),
          },
        }),
      );
      await sns.send(
        new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: inbox.arn, Attributes: { RawMessageDelivery: 'true' } }),
      );
      await deploy('fails-to-topic', 'fails');
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'fails-to-topic',
          MaximumRetryAttempts: 0,
          DestinationConfig: { OnFailure: { Destination: TopicArn } },
        }),
      );
      const invoked = await invokeEvent('fails-to-topic', { order: 3 });
      const [message] = await receive(inbox.url);
      const record = JSON.parse(message.Body!);
      expect(record.requestContext).toMatchObject({ requestId: invoked.$metadata.requestId, condition: 'RetriesExhausted' });
      expect(record.requestPayload).toEqual({ order: 3 });
    } finally {
      sns.destroy();
    }
  });

  it.concurrent('a destination the role may no longer send to gets nothing, and the live log says why', async () => {
    const destination = await createQueue('revoked-destination');
    const revokedRole = await createLambdaRole(cloud, 'revoked-role');
    await iam.send(new PutRolePolicyCommand({ RoleName: 'revoked-role', PolicyName: 'destinations', PolicyDocument: SEND_AND_PUBLISH }));
    await deploy('revoked', 'fails', { roleArn: revokedRole });
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'revoked',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: destination.arn } },
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'revoked-role',
        PolicyName: 'destinations',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] }),
      }),
    );
    const denied = logLine(cloud, 'revoked (Event): the on-failure record not sent');
    await invokeEvent('revoked', { order: 1 });
    const line = await denied;
    expect(line.detail).toBe(`revoked (Event): the on-failure record not sent to ${destination.arn}`);
    expect(line.error).toBe(`the execution role ${revokedRole} is not allowed sqs:SendMessage on ${destination.arn}; grant it to the role`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: destination.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Attributes!.ApproximateNumberOfMessages).toBe('0');
  });
});

describe('the event invoke config API', () => {
  it('Put replaces, Update merges, Get/List read, Delete removes; errors as AWS words them', async () => {
    const destination = await createQueue('config-destination');
    await deploy('configured', 'succeeds');
    const missing = await failure(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'configured' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(missing.message).toBe(`The function ${functionArn('configured')}:$LATEST doesn't have an EventInvokeConfig`);

    const put = await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', MaximumRetryAttempts: 1 }));
    const { $metadata, ...shape } = put;
    expect(shape).toEqual({
      LastModified: expect.any(Date),
      FunctionArn: `${functionArn('configured')}:$LATEST`,
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnSuccess: {}, OnFailure: {} },
    });
    const updated = await lambda.send(
      new UpdateFunctionEventInvokeConfigCommand({
        FunctionName: 'configured',
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: { OnSuccess: { Destination: destination.arn } },
      }),
    );
    expect(updated).toMatchObject({
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: { OnSuccess: { Destination: destination.arn }, OnFailure: {} },
    });
    const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: functionArn('configured') }));
    expect(got).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 600 });
    const listed = await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'configured' }));
    expect(listed.FunctionEventInvokeConfigs!.map((c) => c.FunctionArn)).toEqual([`${functionArn('configured')}:$LATEST`]);

    const replaced = await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', MaximumEventAgeInSeconds: 60 }));
    expect(replaced.MaximumRetryAttempts).toBeUndefined();
    expect(replaced.DestinationConfig).toEqual({ OnSuccess: {}, OnFailure: {} });

    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'configured' }));
    expect((await failure(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'configured' })))).name).toBe(
      'ResourceNotFoundException',
    );

    const tooMany = await failure(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', MaximumRetryAttempts: 3 })));
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toBe(
      "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2",
    );
    const tooYoung = await failure(
      lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured', MaximumEventAgeInSeconds: 30 })),
    );
    expect(tooYoung.message).toBe(
      "1 validation error detected: Value '30' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60",
    );
    const nothing = await failure(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'configured' })));
    expect(nothing.name).toBe('InvalidParameterValueException');
    expect(nothing.message).toBe('You must specify at least one of error handling or destination setting.');
  });

  it('a destination or dead-letter queue the execution role may not send to is refused at once', async () => {
    const target = await createQueue('not-allowed');
    const bareRole = await createLambdaRole(cloud, 'bare-role');
    await deploy('bare', 'succeeds', { roleArn: bareRole });
    const destination = await failure(
      lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'bare', DestinationConfig: { OnFailure: { Destination: target.arn } } })),
    );
    expect(destination.name).toBe('InvalidParameterValueException');
    expect(destination.message).toBe(`The function's execution role does not have permissions to call SendMessage on ${target.arn}`);

    const created = await failure(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'bare-with-dlq',
          Role: bareRole,
          Runtime: 'nodejs22.x',
          Handler: 'index.fails',
          Code: { ZipFile: zipOf({ 'index.mjs': HANDLERS }) },
          DeadLetterConfig: { TargetArn: target.arn },
        }),
      ),
    );
    expect(created.name).toBe('InvalidParameterValueException');
    expect(created.message).toBe('The provided execution role does not have permissions to call SendMessage on SQS');
    const updated = await failure(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'bare', DeadLetterConfig: { TargetArn: target.arn } })),
    );
    expect(updated.message).toBe('The provided execution role does not have permissions to call SendMessage on SQS');
  });
});

describe('event age', () => {
  it('an event that would outlive MaximumEventAgeInSeconds before its next attempt ends as EventAgeExceeded', async () => {
    const own = await startTestCloud();
    try {
      // AWS's own pace (a minute before the retry) against the shortest age AWS allows (60 s): no retry fits.
      own.cloud.lambda.asyncInvocations.retryDelaysMs = [61_000, 120_000];
      const client = new LambdaClient(own.clientConfig);
      const queues = new SQSClient(own.clientConfig);
      const ownRole = await createLambdaRole(own, 'age-role');
      await new IAMClient(own.clientConfig).send(new PutRolePolicyCommand({ RoleName: 'age-role', PolicyName: 'send', PolicyDocument: SEND_AND_PUBLISH }));
      const { QueueUrl } = await queues.send(new CreateQueueCommand({ QueueName: 'too-old' }));
      await deployFunction(client, { FunctionName: 'ages', Role: ownRole, Handler: 'index.fails', files: { 'index.mjs': HANDLERS } });
      await client.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'ages',
          MaximumEventAgeInSeconds: 60,
          DestinationConfig: { OnFailure: { Destination: queueArn('too-old') } },
        }),
      );
      const invoked = await invokeEvent('ages', { order: 60 }, client);
      const [message] = await receive(QueueUrl!, 1, queues);
      const record = JSON.parse(message.Body!);
      expect(record.requestContext).toEqual({
        requestId: invoked.$metadata.requestId,
        functionArn: `${functionArn('ages')}:$LATEST`,
        condition: 'EventAgeExceeded',
        approximateInvokeCount: 1,
      });
      expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
      client.destroy();
      queues.destroy();
    } finally {
      await own.close();
    }
  });
});

describe('a restart', () => {
  it('keeps a queued retry: it runs after the restart and its record reaches the destination', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'async-restart-'));
    const first = await startTestCloud({ dataDir });
    let second: TestCloud | undefined;
    let firstClosed = false;
    try {
      const client = new LambdaClient(first.clientConfig);
      const queues = new SQSClient(first.clientConfig);
      const restartRole = await createLambdaRole(first, 'restart-role');
      await new IAMClient(first.clientConfig).send(
        new PutRolePolicyCommand({ RoleName: 'restart-role', PolicyName: 'send', PolicyDocument: SEND_AND_PUBLISH }),
      );
      await queues.send(new CreateQueueCommand({ QueueName: 'restart-destination' }));
      await deployFunction(client, { FunctionName: 'restart-fails', Role: restartRole, Handler: 'index.fails', files: { 'index.mjs': HANDLERS } });
      await client.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'restart-fails',
          MaximumRetryAttempts: 1,
          DestinationConfig: { OnFailure: { Destination: queueArn('restart-destination') } },
        }),
      );
      const retryQueued = logLine(first, 'restart-fails (Event) failed, attempt 1');
      const invoked = await invokeEvent('restart-fails', { order: 11 }, client);
      expect((await retryQueued).detail).toContain('retry 1 of 1 in 1 s');
      client.destroy();
      queues.destroy();
      firstClosed = true;
      await first.close(); // the retry is due in 1 s: it waits on disk

      second = await startTestCloud({ dataDir });
      const again = new SQSClient(second.clientConfig);
      const [message] = await receive(second.cloud.sqs.queueUrl('restart-destination'), 1, again);
      const record = JSON.parse(message.Body!);
      expect(record.requestContext).toMatchObject({ requestId: invoked.$metadata.requestId, approximateInvokeCount: 2 });
      again.destroy();
    } finally {
      if (!firstClosed) await first.close();
      await second?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
