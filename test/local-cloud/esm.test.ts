import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
} from '@aws-sdk/client-lambda';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, deployFunction } from '../fixtures/lambda/helpers.ts';

/**
 * SQS event source mappings at work: real functions, real queues, the pollers of the local cloud.
 * Every function here reports what it received to a capture queue, and a test reads it from there.
 */

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/**
 * The handler: sends {at, event} to CAPTURE_URL, then answers as the first record's body asks:
 * {"throwOnFirst": true} fails its first delivery; {"respondOnFirst": X} returns X on the first
 * delivery and {} afterwards; otherwise the records whose body has "fail":true are reported as
 * batch item failures.
 */
const HANDLER = `
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const handler = async (event) => {
  const at = performance.timeOrigin + performance.now();
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.CAPTURE_URL, MessageBody: JSON.stringify({ at, event }) }));
  const first = event.Records[0];
  let order = {};
  try { order = JSON.parse(first.body); } catch {}
  const firstDelivery = first.attributes.ApproximateReceiveCount === '1';
  if (order.throwOnFirst && firstDelivery) throw new Error('the first delivery fails');
  if (order && typeof order === 'object' && 'respondOnFirst' in order) return firstDelivery ? order.respondOnFirst : {};
  return {
    batchItemFailures: event.Records.filter((r) => r.body.includes('"fail":true')).map((r) => ({ itemIdentifier: r.messageId })),
  };
};
`;

interface Captured {
  at: number;
  event: { Records: any[] };
}

/**
 * Reads the capture queue in the background and hands each invocation to whoever waits for the
 * queue it came from (its records' eventSourceARN).
 */
class Capture {
  private readonly arrived = new Map<string, Captured[]>();
  private readonly waiting = new Map<string, Array<(c: Captured) => void>>();
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(
    private readonly sqs: SQSClient,
    readonly url: string,
  ) {
    void this.loop();
  }

  /** The next invocation for a queue (in order of arrival). */
  next(sourceArn: string, timeoutMs = 10_000): Promise<Captured> {
    const queued = this.arrived.get(sourceArn);
    if (queued?.length) return Promise.resolve(queued.shift()!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no invocation for ${sourceArn} within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiting.get(sourceArn) ?? [];
      list.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
      this.waiting.set(sourceArn, list);
    });
  }

  /** Invocations received for a queue that nobody took yet. */
  pending(sourceArn: string): number {
    return this.arrived.get(sourceArn)?.length ?? 0;
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let messages: Message[];
      try {
        ({ Messages: messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: this.url, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 }),
          { abortSignal: this.abort.signal },
        ));
      } catch {
        return;
      }
      for (const message of messages) {
        const captured = JSON.parse(message.Body!) as Captured;
        const source = captured.event.Records[0].eventSourceARN as string;
        const waiter = this.waiting.get(source)?.shift();
        if (waiter) waiter(captured);
        else this.arrived.set(source, [...(this.arrived.get(source) ?? []), captured]);
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }
}

let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
let capture: Capture;
let role: string;
const FUNCTION = 'esm-kit';
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { url: QueueUrl!, arn: queueArn(name) };
}

async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** Polls (every 20 ms, with a deadline) until `check` holds; for states the cloud has no event for. */
async function until<T>(what: string, read: () => Promise<T> | T, check: (value: T) => boolean, deadlineMs = 5000): Promise<T> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function createMapping(input: Omit<CreateEventSourceMappingCommandInput, 'FunctionName'> & { FunctionName?: string }) {
  const out = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: FUNCTION, ...input }));
  return out.UUID!;
}

function stateOf(uuid: string) {
  return lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })).then((m) => m.State);
}

/** Resolves once a poller is parked in a long poll on the queue (checked once per event-loop turn). */
async function untilParked(queue: { waitingReceives: number }): Promise<void> {
  const deadline = performance.now() + 5000;
  while (queue.waitingReceives === 0) {
    if (performance.now() > deadline) throw new Error('no poller is waiting on the queue');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

beforeAll(async () => {
  cloud = await startTestCloud();
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  role = await createLambdaRole(cloud, 'esm-kit-role', { logs: true });
  await new IAMClient(cloud.clientConfig).send(
    new PutRolePolicyCommand({
      RoleName: 'esm-kit-role',
      PolicyName: 'queues',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:SendMessage'], Resource: '*' }],
      }),
    }),
  );
  const captureQueue = await createQueue('esm-capture');
  capture = new Capture(sqs, captureQueue.url);
  await deployFunction(lambda, {
    FunctionName: FUNCTION,
    Role: role,
    Handler: 'index.handler',
    Timeout: 1,
    Environment: { Variables: { CAPTURE_URL: captureQueue.url } },
    files: { 'index.mjs': HANDLER },
  });
});

afterAll(async () => {
  capture?.stop();
  lambda?.destroy();
  sqs?.destroy();
  await cloud?.close();
});

describe('a mapping at work', () => {
  it.concurrent('a batch of 10 with 2 reported failures: 8 deleted, 2 redelivered, then in the DLQ after maxReceiveCount', async () => {
    const dlq = await createQueue('partial-dlq');
    const source = await createQueue('partial', {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: source.url,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: JSON.stringify({ order: i, fail: i >= 8 }) })),
      }),
    );
    const ids = sent.Successful!.sort((a, b) => Number(a.Id!.slice(1)) - Number(b.Id!.slice(1))).map((e) => e.MessageId!);
    const lines: string[] = [];
    cloud.cloud.events.on('event', (e) => e.action === 'EventSourceMapping' && e.detail?.includes('records') && lines.push(e.detail));
    const uuid = await createMapping({ EventSourceArn: source.arn, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });

    const first = await capture.next(source.arn);
    expect(first.event.Records.map((r) => r.messageId).sort()).toEqual([...ids].sort());
    expect(first.event.Records.every((r) => r.attributes.ApproximateReceiveCount === '1')).toBe(true);

    const second = await capture.next(source.arn);
    expect(second.event.Records.map((r) => r.messageId).sort()).toEqual(ids.slice(8).sort());
    expect(second.event.Records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);

    // The poller's next receive moves them, one by one, as SQS's redrive does.
    const dead: Array<{ MessageId?: string; Attributes?: Record<string, string> }> = [];
    while (dead.length < 2) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 5, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
      );
      if (!out.Messages?.length) throw new Error('the dead-letter queue stayed empty');
      dead.push(...out.Messages);
    }
    expect(dead.map((m) => m.MessageId).sort()).toEqual(ids.slice(8).sort());
    expect(dead.map((m) => m.Attributes!.DeadLetterQueueSourceArn)).toEqual([source.arn, source.arn]);
    // The copy keeps its count: 2 receives from the source queue, plus the one that just read it here.
    expect(dead.map((m) => m.Attributes!.ApproximateReceiveCount)).toEqual(['3', '3']);
    expect(await counts(source.url)).toEqual({ visible: 0, inFlight: 0 });
    expect(capture.pending(source.arn)).toBe(0); // no third invocation: the DLQ took them
    expect(lines).toContain(`esm ${uuid} → ${FUNCTION}: 10 records, 2 failures`);
    expect(lines).toContain(`esm ${uuid} → ${FUNCTION}: 2 records, 2 failures`);
  });

  it.concurrent('a function error returns the whole batch; it is redelivered after the visibility timeout', async () => {
    const source = await createQueue('flaky', { VisibilityTimeout: '1' });
    const bodies = ['a', 'b', 'c'].map((id) => JSON.stringify({ throwOnFirst: true, id }));
    const sent = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: source.url, Entries: bodies.map((MessageBody, i) => ({ Id: `e${i}`, MessageBody })) }),
    );
    const ids = sent.Successful!.map((e) => e.MessageId!).sort();
    await createMapping({ EventSourceArn: source.arn, FunctionResponseTypes: ['ReportBatchItemFailures'] });

    const first = await capture.next(source.arn);
    expect(first.event.Records.map((r) => r.messageId).sort()).toEqual(ids);
    const second = await capture.next(source.arn);
    // It came back once the visibility timeout (1 s) of the first receive was over.
    expect(second.at - Number(second.event.Records[0].attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(950);
    expect(second.event.Records.map((r) => r.messageId).sort()).toEqual(ids);
    expect(second.event.Records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2', '2']);
    await until('the batch to be deleted', () => counts(source.url), (c) => c.visible === 0 && c.inFlight === 0);
  });

  /** ReportBatchItemFailures as AWS documents it: which responses fail the whole batch, which succeed. */
  const invalid: Array<[string, (firstId: string) => unknown]> = [
    ['an unknown itemIdentifier', () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-of-this-batch' }] })],
    ['an entry without itemIdentifier', () => ({ batchItemFailures: [{ ItemIdentifier: 'x' }] })],
    ['an empty itemIdentifier', () => ({ batchItemFailures: [{ itemIdentifier: '' }] })],
    ['batchItemFailures that is not a list', () => ({ batchItemFailures: 'all of them' })],
    ['a response that is not an object', () => 'done'],
  ];
  for (const [name, response] of invalid) {
    it.concurrent(`${name} fails the whole batch: every record is redelivered`, async () => {
      const source = await createQueue(`invalid-${name.replace(/\W+/g, '-')}`.slice(0, 80), { VisibilityTimeout: '1' });
      const body = JSON.stringify({ respondOnFirst: response('') });
      const sent = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: source.url, Entries: [0, 1].map((i) => ({ Id: `r${i}`, MessageBody: body })) }),
      );
      await createMapping({ EventSourceArn: source.arn, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      const first = await capture.next(source.arn);
      expect(first.event.Records).toHaveLength(2);
      const second = await capture.next(source.arn);
      expect(second.event.Records.map((r) => r.messageId).sort()).toEqual(sent.Successful!.map((e) => e.MessageId).sort());
      expect(second.event.Records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
    });
  }

  const success: Array<[string, unknown, boolean]> = [
    ['{}', {}, true],
    ['null', null, true],
    ['an empty batchItemFailures list', { batchItemFailures: [] }, true],
    ['a failure list while the mapping does not report batch item failures', { batchItemFailures: [{ itemIdentifier: 'x' }] }, false],
  ];
  for (const [name, response, reportFailures] of success) {
    it.concurrent(`${name} is a complete success: the batch is deleted`, async () => {
      // A long visibility timeout: a batch still in the queue afterwards would be plain to see.
      const source = await createQueue(`success-${name.replace(/\W+/g, '-')}`.slice(0, 80), { VisibilityTimeout: '30' });
      const body = JSON.stringify({ respondOnFirst: response });
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: source.url, Entries: [0, 1].map((i) => ({ Id: `s${i}`, MessageBody: body })) }));
      await createMapping({ EventSourceArn: source.arn, FunctionResponseTypes: reportFailures ? ['ReportBatchItemFailures'] : [] });
      expect((await capture.next(source.arn)).event.Records).toHaveLength(2);
      await until('the batch to be deleted', () => counts(source.url), (c) => c.visible === 0 && c.inFlight === 0);
    });
  }

  it.concurrent('the record has the shape and key order of AWS', async () => {
    const source = await createQueue('shape');
    const plain = await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: 'plain body' }));
    const withAttributes = await sqs.send(
      new SendMessageCommand({
        QueueUrl: source.url,
        MessageBody: 'with attributes',
        MessageAttributes: {
          orderId: { DataType: 'String', StringValue: 'o-1' },
          quantity: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('bytes') },
        },
      }),
    );
    await createMapping({ EventSourceArn: source.arn, BatchSize: 2, MaximumBatchingWindowInSeconds: 1 });
    const records = (await capture.next(source.arn)).event.Records;
    const byId = new Map(records.map((r) => [r.messageId, r]));
    const keys = ['messageId', 'receiptHandle', 'body', 'attributes', 'messageAttributes', 'md5OfMessageAttributes', 'md5OfBody', 'eventSource', 'eventSourceARN', 'awsRegion'];
    const attributeKeys = ['ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp'];

    const a = byId.get(plain.MessageId!);
    expect(Object.keys(a)).toEqual(keys);
    expect(Object.keys(a.attributes)).toEqual(attributeKeys);
    expect(a).toEqual({
      messageId: plain.MessageId,
      receiptHandle: expect.any(String),
      body: 'plain body',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d{13}$/),
        SenderId: ACCOUNT,
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d{13}$/),
      },
      messageAttributes: {},
      md5OfMessageAttributes: null,
      md5OfBody: createHash('md5').update('plain body').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: source.arn,
      awsRegion: REGION,
    });

    const b = byId.get(withAttributes.MessageId!);
    expect(Object.keys(b)).toEqual(keys);
    expect(b.messageAttributes).toEqual({
      orderId: { stringValue: 'o-1', stringListValues: [], binaryListValues: [], dataType: 'String' },
      quantity: { stringValue: '3', stringListValues: [], binaryListValues: [], dataType: 'Number' },
      blob: { binaryValue: Buffer.from('bytes').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
    });
    expect(Object.keys(b.messageAttributes.orderId)).toEqual(['stringValue', 'stringListValues', 'binaryListValues', 'dataType']);
    expect(b.md5OfMessageAttributes).toBe(withAttributes.MD5OfMessageAttributes);
    expect(b.md5OfBody).toBe(withAttributes.MD5OfMessageBody);
  });

  it.concurrent('a disabled mapping does not invoke; re-enabling resumes', async () => {
    const name = 'esm-disabled';
    const captureQueue = await createQueue('esm-disabled-capture');
    const own = new Capture(sqs, captureQueue.url);
    try {
      await deployFunction(lambda, {
        FunctionName: name,
        Role: role,
        Handler: 'index.handler',
        Timeout: 1,
        Environment: { Variables: { CAPTURE_URL: captureQueue.url } },
        files: { 'index.mjs': HANDLER },
      });
      const source = await createQueue('disabled');
      const uuid = await createMapping({ FunctionName: name, EventSourceArn: source.arn, Enabled: false });
      await until('Disabled', () => stateOf(uuid), (s) => s === 'Disabled');
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: source.url, Entries: [0, 1, 2].map((i) => ({ Id: `d${i}`, MessageBody: `d${i}` })) }));

      // Nothing polls the queue: no poller, no long poll parked on it; the messages sit there, visible.
      const queue = cloud.cloud.sqs.queueFromUrl(source.url);
      expect(cloud.cloud.lambda.eventSourceMappings.pollerCount(uuid)).toBe(0);
      expect(queue.waitingReceives).toBe(0);
      expect(await counts(source.url)).toEqual({ visible: 3, inFlight: 0 });
      // The function never ran: no execution environment, no log stream.
      expect(cloud.cloud.lambda.workerPids(name)).toEqual([]);
      const logs = new CloudWatchLogsClient(cloud.clientConfig);
      await expect(logs.send(new DescribeLogStreamsCommand({ logGroupName: `/aws/lambda/${name}` }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });

      const enabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
      expect(enabling.State).toBe('Enabling');
      const records: string[] = [];
      while (records.length < 3) records.push(...(await own.next(source.arn)).event.Records.map((r) => r.body));
      expect(records.sort()).toEqual(['d0', 'd1', 'd2']);
      expect(await stateOf(uuid)).toBe('Enabled');
      const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: `/aws/lambda/${name}` }));
      expect(streams.logStreams!.length).toBeGreaterThan(0);

      // Disabled again: the parked long poll is cancelled at once.
      const disabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
      expect(disabling.State).toBe('Disabling');
      await until('Disabled', () => stateOf(uuid), (s) => s === 'Disabled');
      expect(queue.waitingReceives).toBe(0);
      logs.destroy();
    } finally {
      own.stop();
    }
  });
});

describe('pollers', () => {
  it('pick up a single message within a few ms (p50 over 50, warm function)', async () => {
    const source = await createQueue('latency');
    await createMapping({ EventSourceArn: source.arn });
    const queue = cloud.cloud.sqs.queueFromUrl(source.url);
    const latencies: number[] = [];
    for (let i = 0; i <= 50; i++) {
      await untilParked(queue);
      const sentAt = performance.timeOrigin + performance.now();
      await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: `ping ${i}` }));
      const { at } = await capture.next(source.arn);
      if (i > 0) latencies.push(at - sentAt); // the first one includes a cold start
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `mapping pickup latency (send → handler start) over ${latencies.length}: ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p90 ${percentile(latencies, 90).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
    expect(percentile(latencies, 50)).toBeLessThan(50);
  });

  it('scale out on a backlog up to ScalingConfig.MaximumConcurrency, and back to one poller once it is gone', async () => {
    const source = await createQueue('backlog');
    for (let batch = 0; batch < 20; batch++) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: source.url,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `b${i}`, MessageBody: `${batch}-${i}` })),
        }),
      );
    }
    const mappings = cloud.cloud.lambda.eventSourceMappings;
    let uuid = '';
    const seen: number[] = [];
    const onEvent = (e: { action: string; detail?: string }) => {
      if (uuid && e.action === 'EventSourceMapping' && e.detail?.startsWith(`esm ${uuid}`)) seen.push(mappings.pollerCount(uuid));
    };
    cloud.cloud.events.on('event', onEvent);
    uuid = await createMapping({ EventSourceArn: source.arn, BatchSize: 10, ScalingConfig: { MaximumConcurrency: 3 } });
    let received = 0;
    while (received < 200) received += (await capture.next(source.arn)).event.Records.length;
    await until('the queue to drain', () => counts(source.url), (c) => c.visible === 0 && c.inFlight === 0);
    await until('one poller', () => mappings.pollerCount(uuid), (n) => n === 1);
    cloud.cloud.events.off('event', onEvent);
    console.log(`pollers seen while draining 200 messages: max ${Math.max(...seen)} (bound 3)`);
    expect(Math.max(...seen)).toBe(3);
    expect(received).toBe(200);
  });
});

describe('a restart', () => {
  it('stops pollers at once on close, and they resume from the persisted mapping', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'esm-restart-'));
    const first = await startTestCloud({ dataDir });
    let firstClosed = false;
    let second: TestCloud | undefined;
    try {
      const client = new LambdaClient(first.clientConfig);
      const queues = new SQSClient(first.clientConfig);
      const restartRole = await createLambdaRole(first, 'restart-role');
      await new IAMClient(first.clientConfig).send(
        new PutRolePolicyCommand({
          RoleName: 'restart-role',
          PolicyName: 'queues',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
          }),
        }),
      );
      const { QueueUrl: sourceUrl } = await queues.send(new CreateQueueCommand({ QueueName: 'restart-source' }));
      // The new cloud listens on another port, so this function reports nothing: the live log shows its batches.
      await deployFunction(client, {
        FunctionName: 'restart-fn',
        Role: restartRole,
        Handler: 'index.handler',
        Timeout: 1,
        files: { 'index.mjs': 'export const handler = async (event) => ({});' },
      });
      const { UUID } = await client.send(
        new CreateEventSourceMappingCommand({ FunctionName: 'restart-fn', EventSourceArn: queueArn('restart-source') }),
      );
      const queue = first.cloud.sqs.queueFromUrl(sourceUrl!);
      await untilParked(queue);
      client.destroy();
      queues.destroy();

      const closing = performance.now();
      firstClosed = true;
      await first.close();
      const closeMs = performance.now() - closing;
      console.log(`close with a poller parked in a long poll: ${closeMs.toFixed(0)} ms`);
      expect(closeMs).toBeLessThan(2000); // not the 20 s of the long poll

      second = await startTestCloud({ dataDir });
      const processed = new Promise<string>((resolve) =>
        second!.cloud.events.on('event', (e) => e.detail?.startsWith(`esm ${UUID} → restart-fn: 1 record`) && resolve(e.detail)),
      );
      const again = new SQSClient(second.clientConfig);
      const lambdaAgain = new LambdaClient(second.clientConfig);
      const mapping = await lambdaAgain.send(new GetEventSourceMappingCommand({ UUID }));
      expect(mapping.State).toBe('Enabled');
      const newUrl = second.cloud.sqs.queueUrl('restart-source');
      await again.send(new SendMessageCommand({ QueueUrl: newUrl, MessageBody: 'after the restart' }));
      expect(await processed).toBe(`esm ${UUID} → restart-fn: 1 record, 0 failures`);
      const { Attributes } = await again.send(
        new GetQueueAttributesCommand({ QueueUrl: newUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
      again.destroy();
      lambdaAgain.destroy();
    } finally {
      if (!firstClosed) await first.close();
      await second?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
