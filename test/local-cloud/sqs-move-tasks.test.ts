import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
} from '@aws-sdk/client-sqs';
import { XMLParser } from 'fast-xml-parser';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { signedFetch } from '../support/signed-fetch.ts';
import { createLambdaRole } from '../fixtures/lambda/helpers.ts';

/**
 * The dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks and
 * CancelMessageMoveTask, with SDK v3's JSON and with the query protocol the aws CLI speaks (the
 * CLI 2.9 installed here predates these commands, so the query calls are signed by hand; the CLI
 * itself reads the queues). Wording and codes as AWS answers them.
 */
let cloud: TestCloud;
let sqs: SQSClient;
const ACCOUNT = '000000000000';
const arnOf = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const urlOf = (name: string) => `${cloud.url}/${ACCOUNT}/${name}`;

beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(async () => {
  sqs?.destroy();
  await cloud?.close();
});

/** A source queue that dead-letters into `dlq` after one receive. */
async function pipe(source: string, dlq: string): Promise<void> {
  await sqs.send(new CreateQueueCommand({ QueueName: dlq }));
  await sqs.send(
    new CreateQueueCommand({
      QueueName: source,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(dlq), maxReceiveCount: 1 }) },
    }),
  );
}

/** Sends `bodies` to `source` and receives until they are all in `dlq`. */
async function deadLetter(source: string, dlq: string, bodies: string[]): Promise<void> {
  for (const body of bodies) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: urlOf(source),
        MessageBody: body,
        MessageAttributes: { kind: { DataType: 'String', StringValue: `kind-of-${body}` } },
      }),
    );
  }
  // maxReceiveCount 1: the first receive hands a message out (visible again at once), the next moves it.
  while ((await count(source)) > 0) {
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: urlOf(source), MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  }
  expect(await count(dlq)).toBe(bodies.length);
}

async function count(name: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: urlOf(name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}

async function latest(dlq: string): Promise<ListMessageMoveTasksResultEntry> {
  return (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf(dlq) }))).Results![0];
}

async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  return promise.then(
    () => {
      throw new Error('expected the call to be refused; it succeeded');
    },
    (err: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => ({
      name: err.name,
      message: err.message,
      status: err.$metadata?.httpStatusCode,
    }),
  );
}

/** A raw awsJson call, for inputs the SDK's types would not let through. */
async function jsonCall(operation: string, input: unknown): Promise<{ status: number; body: any; queryError: string | null }> {
  const res = await signedFetch(cloud.url, {
    service: 'sqs',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${operation}` },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: await res.json(), queryError: res.headers.get('x-amzn-query-error') };
}

const xml = new XMLParser({ isArray: (name) => name === 'ListMessageMoveTasksResultEntry' });

/** A query-protocol call, as the aws CLI sends it (form in, XML out). */
async function queryCall(params: Record<string, string>): Promise<{ status: number; doc: any }> {
  const res = await signedFetch(cloud.url, {
    service: 'sqs',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
  });
  return { status: res.status, doc: xml.parse(await res.text()) };
}

const decodeHandle = (handle: string) => JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as Record<string, unknown>;

describe('StartMessageMoveTask', () => {
  it('without a destination moves each message back to the queue it was dead-lettered from, oldest first, as a new message', async () => {
    await pipe('home-a', 'home-dlq');
    await sqs.send(new CreateQueueCommand({ QueueName: 'home-b', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('home-dlq'), maxReceiveCount: 1 }) } }));
    await deadLetter('home-a', 'home-dlq', ['a-1', 'a-2']);
    await sqs.send(new SendMessageCommand({ QueueUrl: urlOf('home-b'), MessageBody: 'b-1' }));
    for (let i = 0; i < 2; i++) await sqs.send(new ReceiveMessageCommand({ QueueUrl: urlOf('home-b'), VisibilityTimeout: 0 }));
    expect(await count('home-dlq')).toBe(3);
    const deadIds = new Set<string>();

    const before = Date.now();
    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('home-dlq') }));
    expect(decodeHandle(TaskHandle!)).toEqual({ taskId: expect.stringMatching(/^[0-9a-f-]{36}$/), sourceArn: arnOf('home-dlq') });

    await expect.poll(async () => (await latest('home-dlq')).Status, { interval: 20, timeout: 5_000 }).toBe('COMPLETED');
    const task = await latest('home-dlq');
    expect(task).toEqual({
      Status: 'COMPLETED',
      SourceArn: arnOf('home-dlq'),
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
      StartedTimestamp: expect.any(Number),
    });
    expect(task.StartedTimestamp).toBeGreaterThanOrEqual(before);
    expect(await count('home-dlq')).toBe(0);

    const back = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: urlOf('home-a'), MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );
    expect(back.Messages!.map((m) => m.Body)).toEqual(['a-1', 'a-2']);
    for (const message of back.Messages!) {
      deadIds.add(message.MessageId!);
      expect(message.MessageAttributes!.kind.StringValue).toBe(`kind-of-${message.Body}`);
      expect(message.Attributes!.ApproximateReceiveCount).toBe('1'); // a new message: the count started again
      expect(message.Attributes!.DeadLetterQueueSourceArn).toBeUndefined();
      expect(Number(message.Attributes!.SentTimestamp)).toBeGreaterThanOrEqual(before);
    }
    const b = await sqs.send(new ReceiveMessageCommand({ QueueUrl: urlOf('home-b'), MaxNumberOfMessages: 10 }));
    expect(b.Messages!.map((m) => m.Body)).toEqual(['b-1']);
    expect(deadIds.size).toBe(2);
  });

  it('to an explicit destination, at MaxNumberOfMessagesPerSecond, one task per source at a time', async () => {
    await pipe('rate-src', 'rate-dlq');
    await sqs.send(new CreateQueueCommand({ QueueName: 'rate-dest' }));
    await deadLetter('rate-src', 'rate-dlq', ['r-1', 'r-2', 'r-3', 'r-4']);
    const started = Date.now();
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: arnOf('rate-dlq'), DestinationArn: arnOf('rate-dest'), MaxNumberOfMessagesPerSecond: 4 }),
    );
    const running = await latest('rate-dlq');
    expect(running).toMatchObject({
      Status: 'RUNNING',
      TaskHandle,
      DestinationArn: arnOf('rate-dest'),
      MaxNumberOfMessagesPerSecond: 4,
      ApproximateNumberOfMessagesToMove: 4,
    });
    const second = await refusal(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('rate-dlq'), DestinationArn: arnOf('rate-dest') })));
    expect(second).toEqual({
      name: 'InvalidParameterValue',
      message: 'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      status: 400,
    });

    await expect.poll(async () => (await latest('rate-dlq')).Status, { interval: 25, timeout: 5_000 }).toBe('COMPLETED');
    // 4 a second: the first at once, the fourth 750 ms later.
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(await count('rate-dest')).toBe(4);
    expect(await count('rate-src')).toBe(0);
    // The task is over: a new one may start.
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('rate-dlq'), DestinationArn: arnOf('rate-dest') }));
  });

  it('CancelMessageMoveTask stops a running task: CANCELLED, the rest stays in the DLQ; only a running task can be cancelled', async () => {
    await pipe('cancel-src', 'cancel-dlq');
    await sqs.send(new CreateQueueCommand({ QueueName: 'cancel-dest' }));
    await deadLetter('cancel-src', 'cancel-dlq', Array.from({ length: 6 }, (_, i) => `c-${i}`));
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: arnOf('cancel-dlq'), DestinationArn: arnOf('cancel-dest'), MaxNumberOfMessagesPerSecond: 1 }),
    );
    await expect.poll(async () => (await latest('cancel-dlq')).ApproximateNumberOfMessagesMoved, { interval: 20 }).toBe(1);
    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBe(1);
    await expect.poll(async () => (await latest('cancel-dlq')).Status, { interval: 20 }).toBe('CANCELLED');
    const task = await latest('cancel-dlq');
    expect(task.TaskHandle).toBeUndefined(); // shown only while it can be cancelled
    expect(task.ApproximateNumberOfMessagesMoved).toBe(1);
    expect(await count('cancel-dlq')).toBe(5);
    expect(await count('cancel-dest')).toBe(1);

    const again = await refusal(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })));
    expect(again).toEqual({ name: 'InvalidParameterValue', message: 'Only active tasks can be cancelled.', status: 400 });
  });

  it('fails with CouldNotDetermineMessageSource for a message sent straight to the DLQ, and leaves it there', async () => {
    await pipe('direct-src', 'direct-dlq');
    await sqs.send(new SendMessageCommand({ QueueUrl: urlOf('direct-dlq'), MessageBody: 'sent by hand' }));
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('direct-dlq') }));
    await expect.poll(async () => (await latest('direct-dlq')).Status, { interval: 20 }).toBe('FAILED');
    expect(await latest('direct-dlq')).toMatchObject({ FailureReason: 'CouldNotDetermineMessageSource', ApproximateNumberOfMessagesMoved: 0 });
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: urlOf('direct-dlq') }));
    expect(Messages!.map((m) => m.Body)).toEqual(['sent by hand']);
  });

  it('fails with AWS.SimpleQueueService.NonExistentQueue when the destination is deleted while it runs', async () => {
    await pipe('gone-src', 'gone-dlq');
    await sqs.send(new CreateQueueCommand({ QueueName: 'gone-dest' }));
    await deadLetter('gone-src', 'gone-dlq', ['g-1', 'g-2', 'g-3']);
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('gone-dlq'), DestinationArn: arnOf('gone-dest'), MaxNumberOfMessagesPerSecond: 2 }));
    await expect.poll(async () => (await latest('gone-dlq')).ApproximateNumberOfMessagesMoved, { interval: 20 }).toBe(1);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: urlOf('gone-dest') }));
    await expect.poll(async () => (await latest('gone-dlq')).Status, { interval: 20, timeout: 5_000 }).toBe('FAILED');
    expect(await latest('gone-dlq')).toMatchObject({ FailureReason: 'AWS.SimpleQueueService.NonExistentQueue', ApproximateNumberOfMessagesMoved: 1 });
    expect(await count('gone-dlq')).toBe(2);
  });
});

describe('ListMessageMoveTasks', () => {
  it('answers the most recent task by default and up to MaxResults (1–10), newest first', async () => {
    await pipe('list-src', 'list-dlq');
    await sqs.send(new CreateQueueCommand({ QueueName: 'list-dest' }));
    const handles: string[] = [];
    for (let i = 0; i < 3; i++) {
      await deadLetter('list-src', 'list-dlq', [`l-${i}`]);
      handles.push((await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arnOf('list-dlq'), DestinationArn: arnOf('list-dest') }))).TaskHandle!);
      await expect.poll(async () => (await latest('list-dlq')).Status, { interval: 20 }).toBe('COMPLETED');
    }
    const one = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('list-dlq') }));
    expect(one.Results).toHaveLength(1);
    const all = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('list-dlq'), MaxResults: 10 }));
    expect(all.Results!.map((t) => t.StartedTimestamp)).toEqual([...all.Results!.map((t) => t.StartedTimestamp!)].sort((a, b) => b - a));
    expect(all.Results).toHaveLength(3);
    const ids = handles.map((h) => decodeHandle(h).taskId);
    expect(new Set(ids).size).toBe(3);

    for (const MaxResults of [0, 11, -1]) {
      expect(await refusal(sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('list-dlq'), MaxResults })))).toEqual({
        name: 'InvalidParameterValue',
        message: "Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.",
        status: 400,
      });
    }
    // A queue with no task yet: an empty list.
    expect((await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('list-dest') }))).Results ?? []).toEqual([]);
  });
});

describe('validation, in AWS words', () => {
  const NOT_FOUND_SOURCE = { name: 'ResourceNotFoundException', message: "The resource that you specified for the SourceArn parameter doesn't exist.", status: 404 };
  const BAD_RATE = { name: 'InvalidParameterValue', message: "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and 500.", status: 400 };
  const badArn = (p: string) => ({ name: 'InvalidParameterValue', message: `You must use this format to specify the ${p}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`, status: 400 });
  beforeAll(async () => {
    await pipe('val-src', 'val-dlq');
    await sqs.send(new CreateQueueCommand({ QueueName: 'val-other' }));
  });
  const start = (input: Record<string, unknown>) => sqs.send(new StartMessageMoveTaskCommand(input as never));

  it('SourceArn: missing, malformed, huge, __proto__, unknown, not a dead-letter queue', async () => {
    expect(await refusal(start({}))).toMatchObject({ name: 'MissingParameter', message: 'The request must contain the parameter SourceArn.', status: 400 });
    for (const garbage of ['', 'garbage', '__proto__', 'arn:aws:sqs', `arn:${'x'.repeat(200_000)}`, ':::::']) {
      expect(await refusal(start({ SourceArn: garbage })), garbage.slice(0, 20)).toEqual(badArn('SourceArn'));
    }
    for (const unknown of [arnOf('__proto__'), arnOf('constructor'), arnOf('nope'), 'arn:aws:sqs:eu-west-1:000000000000:val-dlq', 'arn:aws:sns:us-east-1:000000000000:val-dlq', `${arnOf('x'.repeat(100_000))}`]) {
      expect(await refusal(start({ SourceArn: unknown })), unknown.slice(0, 60)).toEqual(NOT_FOUND_SOURCE);
    }
    expect(await refusal(start({ SourceArn: arnOf('val-other') }))).toEqual({
      name: 'InvalidParameterValue',
      message: 'Source queue must be configured as a Dead Letter Queue.',
      status: 400,
    });
    // Having a RedrivePolicy makes a queue a source, not a dead-letter queue.
    expect((await refusal(start({ SourceArn: arnOf('val-src') }))).message).toBe('Source queue must be configured as a Dead Letter Queue.');
  });

  it('DestinationArn: malformed, unknown, the source itself', async () => {
    expect(await refusal(start({ SourceArn: arnOf('val-dlq'), DestinationArn: 'nope' }))).toEqual(badArn('DestinationArn'));
    expect(await refusal(start({ SourceArn: arnOf('val-dlq'), DestinationArn: arnOf('missing') }))).toEqual({
      name: 'ResourceNotFoundException',
      message: "The resource that you specified for the DestinationArn parameter doesn't exist.",
      status: 404,
    });
    expect(await refusal(start({ SourceArn: arnOf('val-dlq'), DestinationArn: arnOf('val-dlq') }))).toEqual({
      name: 'InvalidParameterValue',
      message: 'Source queue arn and destination queue arn cannot be the same.',
      status: 400,
    });
  });

  it('MaxNumberOfMessagesPerSecond: 0, 501, -1 and 1.5 are out of range; "x", true, {} and [] are not integers', async () => {
    for (const rate of [0, 501, -1, 1.5, 1e12]) {
      expect(await refusal(start({ SourceArn: arnOf('val-dlq'), MaxNumberOfMessagesPerSecond: rate })), String(rate)).toEqual(BAD_RATE);
    }
    const cases: Array<[unknown, string]> = [
      ['x', 'STRING_VALUE can not be converted to an Integer'],
      [true, 'TRUE_VALUE can not be converted to an Integer'],
      [{}, 'Start of structure or map found where not expected.'],
      [[], 'Start of list found where not expected'],
    ];
    for (const [rate, message] of cases) {
      const answer = await jsonCall('StartMessageMoveTask', { SourceArn: arnOf('val-dlq'), MaxNumberOfMessagesPerSecond: rate });
      expect(answer.status, JSON.stringify(rate)).toBe(400);
      expect(answer.body.message).toBe(message);
      expect(answer.body.__type).toMatch(/SerializationException$/);
    }
    const wrongType = await jsonCall('StartMessageMoveTask', { SourceArn: { __proto__: { polluted: true } } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toBe('Start of structure or map found where not expected.');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Nothing started from any of these.
    expect((await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('val-dlq') }))).Results ?? []).toEqual([]);
  });

  it('TaskHandle: missing, garbage, not JSON, hostile JSON, an unknown source, an unknown task', async () => {
    const handle = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
    const cancel = (TaskHandle: string) => refusal(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })));
    const INVALID = { name: 'InvalidParameterValue', message: 'Value for parameter TaskHandle is invalid.', status: 400 };
    expect((await refusal(sqs.send(new CancelMessageMoveTaskCommand({} as never)))).name).toBe('MissingParameter');
    for (const garbage of ['foobared!', handle('not json'), handle([1, 2]), handle({ __proto__: { taskId: 'x', sourceArn: arnOf('val-dlq') } }), handle('{"__proto__":{"taskId":"x","sourceArn":"y"}}'), handle({ taskId: 1, sourceArn: arnOf('val-dlq') }), 'A'.repeat(100_000)]) {
      expect(await cancel(garbage), garbage.slice(0, 30)).toEqual(INVALID);
    }
    expect(await cancel(handle({ taskId: '10f57157-fc38-4da9-a113-4de7e12d05dd', sourceArn: arnOf('no-such-queue') }))).toEqual(NOT_FOUND_SOURCE);
    expect(await cancel(handle({ taskId: '10f57157-fc38-4da9-a113-4de7e12d05aa', sourceArn: arnOf('val-dlq') }))).toEqual({
      name: 'ResourceNotFoundException',
      message: 'Task does not exist.',
      status: 404,
    });
    expect(await refusal(sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('__proto__') })))).toEqual(NOT_FOUND_SOURCE);
  });
});

describe('the query protocol (the aws CLI)', () => {
  it('start, list and cancel answer in XML; errors in the query shape', async () => {
    await pipe('q-src', 'q-dlq');
    await deadLetter('q-src', 'q-dlq', ['q-1', 'q-2', 'q-3']);
    const started = await queryCall({ Action: 'StartMessageMoveTask', SourceArn: arnOf('q-dlq'), MaxNumberOfMessagesPerSecond: '1' });
    expect(started.status).toBe(200);
    const handle = started.doc.StartMessageMoveTaskResponse.StartMessageMoveTaskResult.TaskHandle as string;
    expect(decodeHandle(handle).sourceArn).toBe(arnOf('q-dlq'));

    const listed = await queryCall({ Action: 'ListMessageMoveTasks', SourceArn: arnOf('q-dlq'), MaxResults: '10' });
    const [entry] = listed.doc.ListMessageMoveTasksResponse.ListMessageMoveTasksResult.ListMessageMoveTasksResultEntry;
    expect(entry).toMatchObject({ Status: 'RUNNING', TaskHandle: handle, SourceArn: arnOf('q-dlq'), MaxNumberOfMessagesPerSecond: 1, ApproximateNumberOfMessagesToMove: 3 });

    const cancelled = await queryCall({ Action: 'CancelMessageMoveTask', TaskHandle: handle });
    expect(cancelled.status).toBe(200);
    expect(typeof cancelled.doc.CancelMessageMoveTaskResponse.CancelMessageMoveTaskResult.ApproximateNumberOfMessagesMoved).toBe('number');
    await expect.poll(async () => (await latest('q-dlq')).Status, { interval: 20 }).toBe('CANCELLED');

    // The aws CLI sees the queues as they are: what was not moved is still in the DLQ.
    const cli = await cloud.aws('sqs', 'get-queue-attributes', '--queue-url', urlOf('q-dlq'), '--attribute-names', 'ApproximateNumberOfMessages');
    expect(cli.code, cli.stderr).toBe(0);
    expect(Number(cli.json.Attributes.ApproximateNumberOfMessages)).toBeGreaterThanOrEqual(2);

    for (const [params, code, message] of [
      [{ Action: 'StartMessageMoveTask', SourceArn: arnOf('q-dlq'), MaxNumberOfMessagesPerSecond: 'x' }, 'InvalidParameterValue', 'Value x for parameter MaxNumberOfMessagesPerSecond is invalid.'],
      [{ Action: 'StartMessageMoveTask', SourceArn: arnOf('q-dlq'), MaxNumberOfMessagesPerSecond: '501' }, 'InvalidParameterValue', BAD_RATE_MESSAGE],
      [{ Action: 'StartMessageMoveTask', SourceArn: arnOf('q-src') }, 'InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.'],
      [{ Action: 'StartMessageMoveTask' }, 'MissingParameter', 'The request must contain the parameter SourceArn.'],
      [{ Action: 'CancelMessageMoveTask', TaskHandle: 'garbage' }, 'InvalidParameterValue', 'Value for parameter TaskHandle is invalid.'],
      [{ Action: 'ListMessageMoveTasks', SourceArn: arnOf('nope') }, 'ResourceNotFoundException', "The resource that you specified for the SourceArn parameter doesn't exist."],
    ] as const) {
      const answer = await queryCall(params);
      expect(answer.status, JSON.stringify(params)).toBe(code === 'ResourceNotFoundException' ? 404 : 400);
      expect(answer.doc.ErrorResponse.Error).toMatchObject({ Type: 'Sender', Code: code, Message: message });
    }
  });
});

const BAD_RATE_MESSAGE = "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and 500.";

describe('IAM', () => {
  it('a role needs sqs:StartMessageMoveTask and the receive, delete and read permissions on the DLQ, and SendMessage on the destination', async () => {
    await pipe('iam-src', 'iam-dlq');
    await sqs.send(new CreateQueueCommand({ QueueName: 'iam-dest' }));
    await deadLetter('iam-src', 'iam-dlq', ['i-1']);
    const roleArn = await createLambdaRole(cloud, 'redrive-role');
    const iam = new IAMClient(cloud.clientConfig);
    const allow = async (actions: string[]) =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: 'redrive-role',
          PolicyName: 'redrive',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
        }),
      );
    const session = cloud.cloud.sessions.issue(roleArn, 'redriver');
    const asRole = new SQSClient({ ...cloud.clientConfig, credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken } });
    const input = { SourceArn: arnOf('iam-dlq'), DestinationArn: arnOf('iam-dest') };

    await allow(['sqs:StartMessageMoveTask']);
    const denied = await refusal(asRole.send(new StartMessageMoveTaskCommand(input)));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.status).toBe(403);
    expect(denied.message).toContain('sqs:receivemessage');

    await allow(['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']);
    expect((await refusal(asRole.send(new StartMessageMoveTaskCommand(input)))).message).toContain('sqs:sendmessage');

    await allow(['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:SendMessage']);
    await asRole.send(new StartMessageMoveTaskCommand(input));
    expect((await refusal(asRole.send(new ListMessageMoveTasksCommand({ SourceArn: arnOf('iam-dlq') })))).message).toContain('sqs:listmessagemovetasks');
    await expect.poll(async () => (await latest('iam-dlq')).Status, { interval: 20 }).toBe('COMPLETED');
    expect(await count('iam-dest')).toBe(1);
    asRole.destroy();
  });
});
