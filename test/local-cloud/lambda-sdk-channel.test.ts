import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateQueueCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { createLambdaRole, deployFunction, payloadOf } from '../fixtures/lambda/helpers.ts';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import { sdkChannelFromEnvironment } from '../../local-cloud/server.ts';

/**
 * Functions' SDK calls to the cloud travel over their worker's IPC channel (core/channel/): the
 * same requests, signed by the same SDK, answered by the same pipeline. Proved here against a
 * cloud whose functions use loopback HTTP: the same answers, the same errors, the same timeouts;
 * and what a function's own code could send down the channel is checked like bytes off the wire.
 */

/** Calls from inside a function, each reduced to what does not change from run to run. */
const CALLS = `
import { SQSClient, SendMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';

const sqs = new SQSClient({});
const outcome = async (promise) => {
  try {
    const out = await promise;
    delete out.$metadata;
    delete out.MessageId;
    delete out.SequenceNumber;
    return { ok: true, out };
  } catch (err) {
    return { ok: false, name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, fault: err.$fault, code: err.code };
  }
};

export async function calls(event) {
  return {
    allowed: await outcome(sqs.send(new SendMessageCommand({ QueueUrl: event.allowed, MessageBody: 'héllo ✓' }))),
    denied: await outcome(sqs.send(new SendMessageCommand({ QueueUrl: event.denied, MessageBody: 'x' }))),
    badDelay: await outcome(sqs.send(new SendMessageCommand({ QueueUrl: event.allowed, MessageBody: 'x', DelaySeconds: 901 }))),
    missing: await outcome(sqs.send(new GetQueueUrlCommand({ QueueName: 'allowed-but-missing' }))),
    otherService: await outcome(new DynamoDBClient({}).send(new DescribeTableCommand({ TableName: 'orders' }))),
  };
}

/** A long poll the SDK gives up on: by its abort signal, then by its request timeout. */
export async function giveUp(event) {
  const aborted = await outcome(
    sqs.send(new ReceiveMessageCommand({ QueueUrl: event.idle, WaitTimeSeconds: 5 }), { abortSignal: AbortSignal.timeout(100) }),
  );
  const impatient = new SQSClient({ requestHandler: { requestTimeout: 150, throwOnRequestTimeout: true } });
  const timedOut = await outcome(impatient.send(new ReceiveMessageCommand({ QueueUrl: event.idle, WaitTimeSeconds: 5 })));
  // The abandoned long polls ended with their clients: a message sent now is not swallowed by them.
  await sqs.send(new SendMessageCommand({ QueueUrl: event.idle, MessageBody: 'after' }));
  const after = await sqs.send(new ReceiveMessageCommand({ QueueUrl: event.idle, WaitTimeSeconds: 1 }));
  return { aborted, timedOut, after: (after.Messages ?? []).map((m) => m.Body) };
}

/** Answers through the callback: Lambda waits for an empty event loop, and an open call must count as work. */
export function callback(event, context, done) {
  sqs.send(new GetQueueUrlCommand({ QueueName: 'allowed' })).then((out) => done(null, { url: out.QueueUrl }), done);
}

/** More calls at once than a client has sockets: they wait their turn, none is dropped. */
export async function burst(event) {
  const sent = await Promise.allSettled(
    Array.from({ length: event.count }, (_, i) => sqs.send(new SendMessageCommand({ QueueUrl: event.idle, MessageBody: String(i) }))),
  );
  return { ok: sent.filter((s) => s.status === 'fulfilled').length, failed: [...new Set(sent.filter((s) => s.status === 'rejected').map((s) => s.reason.message))] };
}

/** Messages the runtime never sends, sent anyway: the cloud ignores them and goes on. */
export async function forgeRuntime() {
  const forged = [
    null,
    5,
    'text',
    { type: 'logs', lines: 5 },
    { type: 'logs', lines: [[1n, 'a bigint time'], 'not a pair', [Date.now(), 42], [new Date(), 'a Date time'], [Date.now(), 'kept']] },
    { type: 'result', requestId: 'someone-else', maxMemoryMb: 1n },
    { type: 'result', requestId: 7 },
    { type: 'initError', error: new Map() },
    { type: 'sdkRequest', id: 1.5 },
    { type: 'sdkAbort', id: 'x' },
    { type: 'nothing' },
    new Map([['type', 'logs']]),
  ];
  for (const message of forged) process.send(message);
  console.log('after the forged messages');
  return 'still here';
}

/** Sends messages down the channel itself, as a function's own code could, and collects the answers. */
export async function forge(event) {
  const first = 1_000_000_000;
  const answers = new Map();
  await new Promise((resolve) => {
    const listen = (message) => {
      if (message?.type !== 'sdkResponse' || message.id < first) return;
      answers.set(message.id, message);
      if (answers.size === event.messages.length) {
        process.off('message', listen);
        resolve();
      }
    };
    process.on('message', listen);
    // A body too large for the event itself is made here: { repeat: N } is N x's.
    event.messages.forEach(({ repeat, ...message }, i) =>
      process.send({ ...message, ...(repeat ? { body: 'x'.repeat(repeat) } : {}), type: 'sdkRequest', id: first + i }),
    );
  });
  return event.messages.map((_, i) => {
    const answer = answers.get(first + i);
    return { status: answer.status, reset: answer.reset, body: answer.body === undefined ? undefined : Buffer.from(answer.body, answer.encoding).toString('utf8') };
  });
}
`;

const unsignedPost = (host: [string, string]) => ({
  method: 'POST',
  path: '/',
  headers: [host, ['x-amz-target', 'AmazonSQS.ListQueues'], ['content-type', 'application/x-amz-json-1.0']],
  body: '{}',
  encoding: 'utf8',
});

interface Setup {
  cloud: TestCloud;
  lambda: LambdaClient;
  allowed: string;
  denied: string;
  /** Empty: its long polls wait. */
  idle: string;
}

async function setUp(sdkChannel: boolean): Promise<Setup> {
  const cloud = await startTestCloud({ sdkChannel });
  const sqs = new SQSClient(cloud.clientConfig);
  const allowed = (await sqs.send(new CreateQueueCommand({ QueueName: 'allowed' }))).QueueUrl!;
  const denied = (await sqs.send(new CreateQueueCommand({ QueueName: 'denied' }))).QueueUrl!;
  const idle = (await sqs.send(new CreateQueueCommand({ QueueName: 'allowed-idle' }))).QueueUrl!;
  const role = await createLambdaRole(cloud, 'channel-role', { logs: true });
  await new IAMClient(cloud.clientConfig).send(
    new PutRolePolicyCommand({
      RoleName: 'channel-role',
      PolicyName: 'allowed-queue',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:GetQueueUrl'],
            Resource: 'arn:aws:sqs:us-east-1:000000000000:allowed*',
          },
        ],
      }),
    }),
  );
  const lambda = new LambdaClient(cloud.clientConfig);
  for (const handler of ['calls', 'giveUp', 'forge', 'callback', 'burst', 'forgeRuntime']) {
    await deployFunction(lambda, { FunctionName: handler, Role: role, Handler: `index.${handler}`, Timeout: 10, files: { 'index.mjs': CALLS } });
  }
  return { cloud, lambda, allowed, denied, idle };
}

const invoke = async (s: Setup, name: string, payload: unknown) => {
  const out = await s.lambda.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(payload) }));
  expect(out.FunctionError, Buffer.from(out.Payload ?? []).toString()).toBeUndefined();
  return payloadOf(out);
};

let channel: Setup;
let http: Setup;
/** Requests that came over the channel, counted at the cloud's end. */
let overChannel = 0;

beforeAll(async () => {
  [channel, http] = await Promise.all([setUp(true), setUp(false)]);
  const answer = channel.cloud.cloud.sdkChannel!;
  channel.cloud.cloud.sdkChannel = (message, signal) => {
    overChannel++;
    return answer(message, signal);
  };
  // Pools take the channel when they start: the functions above have not run yet.
}, 60_000);
afterAll(async () => {
  await Promise.all([channel?.cloud.close(), http?.cloud.close()]);
});

describe("the SDK channel: a function's calls to the cloud", () => {
  it('go over the channel, and answer exactly as over HTTP: results, IAM denials, service errors', async () => {
    const viaChannel = await invoke(channel, 'calls', { allowed: channel.allowed, denied: channel.denied });
    const viaHttp = await invoke(http, 'calls', { allowed: http.allowed, denied: http.denied });
    expect(http.cloud.cloud.sdkChannel).toBeUndefined();
    expect(overChannel).toBe(5);
    expect(viaChannel).toEqual(viaHttp);
    expect(viaChannel.allowed).toEqual({ ok: true, out: { MD5OfMessageBody: expect.stringMatching(/^[0-9a-f]{32}$/) } });
    expect(viaChannel.denied).toMatchObject({ ok: false, name: 'AccessDenied', status: 403 });
    expect(viaChannel.denied.message).toContain('assumed-role/channel-role/calls is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:us-east-1:000000000000:denied');
    expect(viaChannel.badDelay).toMatchObject({ ok: false, name: 'InvalidParameterValue', status: 400 });
    expect(viaChannel.missing).toMatchObject({ ok: false, name: 'QueueDoesNotExist', status: 400 });
    expect(viaChannel.otherService).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 400 });
  });

  it('keep a callback handler waiting for their answer (an open call counts as work in the event loop)', async () => {
    expect(await invoke(channel, 'callback', {})).toEqual({ url: channel.allowed });
    expect(await invoke(http, 'callback', {})).toEqual({ url: http.allowed });
  });

  it("wait their turn for a client's sockets, as over HTTP: 1,200 at once all arrive", async () => {
    const viaChannel = await invoke(channel, 'burst', { idle: channel.allowed, count: 1_200 });
    expect(viaChannel).toEqual({ ok: 1_200, failed: [] });
    expect(await invoke(http, 'burst', { idle: http.allowed, count: 1_200 })).toEqual(viaChannel);
  });

  it("honour the SDK's abort signal and request timeout, and an abandoned long poll ends with its client", async () => {
    const viaChannel = await invoke(channel, 'giveUp', { idle: channel.idle });
    const viaHttp = await invoke(http, 'giveUp', { idle: http.idle });
    expect(viaChannel).toEqual(viaHttp);
    expect(viaChannel.aborted).toMatchObject({ ok: false, name: 'AbortError' });
    expect(viaChannel.timedOut).toMatchObject({ ok: false, name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(viaChannel.after).toEqual(['after']);
  });

  it('what else a function sends down the channel is checked as an HTTP parser would: 400 or 431, and a line in the live log', async () => {
    const port = channel.cloud.port;
    const host: [string, string] = ['host', `127.0.0.1:${port}`];
    const get = (over: Record<string, unknown>) => ({ method: 'GET', path: '/', headers: [host], body: '', encoding: 'utf8', ...over });
    const malformed = [
      get({ method: 'get ' }),
      get({ method: 42 }),
      get({ path: 'no-slash' }),
      get({ path: '/a b' }),
      get({ path: '/\u00e9' }),
      get({ path: `/${'a'.repeat(20_000)}` }),
      get({ headers: 'host: 127.0.0.1' }),
      get({ headers: [['bad name', 'x'], host] }),
      get({ headers: [['x-a', 'v\r\nx-b: injected'], host] }),
      get({ headers: [['Host', '127.0.0.1'], host] }),
      get({ headers: [['x-only-a-name'], host] }),
      get({ body: 5 }),
      get({ encoding: 'hex' }),
    ];
    const oversized = get({ headers: [host, ['x-big', 'a'.repeat(20_000)]] });
    // Past the body limit an HTTP client gets 413 (core/http/body.ts); so does the channel.
    const hugeBody = { ...unsignedPost(host), repeat: 17 * 1024 * 1024 };
    // Well formed, but no signature: the pipeline refuses it as it would over HTTP.
    const unsigned = unsignedPost(host);
    const proto = get({ headers: [host, ['__proto__', 'polluted'], ['constructor', 'x']] });
    // A cross-site request's marks meet the browser guard on the channel too.
    const crossSite = { ...unsignedPost(host), headers: [...unsignedPost(host).headers, ['origin', 'http://evil.example']] };

    const events: CloudEvent[] = [];
    const listen = (event: CloudEvent) => events.push(event);
    channel.cloud.cloud.events.on('event', listen);
    const answers = await invoke(channel, 'forge', { messages: [...malformed, oversized, unsigned, proto, hugeBody, crossSite] }).finally(() =>
      channel.cloud.cloud.events.off('event', listen),
    );

    expect(answers.slice(0, malformed.length).map((a: { status: number }) => a.status)).toEqual(malformed.map(() => 400));
    expect(answers[malformed.length].status).toBe(431);
    // The same refusal as for the same bytes over HTTP.
    const refusal = answers[malformed.length + 1];
    const overHttp = await fetch(channel.cloud.url, { method: 'POST', headers: Object.fromEntries(unsigned.headers.slice(1)), body: unsigned.body });
    expect(refusal.status).toBe(overHttp.status);
    expect(JSON.parse(refusal.body).__type).toBe(((await overHttp.json()) as { __type: string }).__type);
    expect(refusal.body).toContain('MissingAuthenticationToken');
    expect(answers[malformed.length + 2].status).toBeGreaterThanOrEqual(400);
    expect(answers[malformed.length + 2].status).toBeLessThan(500);
    expect(answers[malformed.length + 3].status).toBe(413);
    const refusedCrossSite = answers[malformed.length + 4];
    const crossSiteOverHttp = await fetch(channel.cloud.url, {
      method: 'POST',
      headers: Object.fromEntries(crossSite.headers.slice(1)),
      body: crossSite.body,
    });
    expect(refusedCrossSite.status).toBe(403);
    expect(refusedCrossSite.status).toBe(crossSiteOverHttp.status);
    expect(refusedCrossSite.body).toBe(await crossSiteOverHttp.text());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    const refused = events.filter((e) => e.action === 'malformed request');
    expect(refused).toHaveLength(malformed.length + 1);
    expect(refused[0].error).toContain("a function's SDK channel: invalid method");

    // And the cloud goes on answering.
    const sqs = new SQSClient(channel.cloud.clientConfig);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'allowed' }))).QueueUrl).toBe(channel.allowed);
  });
});

describe("the worker's channel", () => {
  it('ignores messages the runtime never sends (null, BigInts, Maps, Dates, wrong shapes); the function, its logs and the state go on', async () => {
    const events: CloudEvent[] = [];
    const listen = (event: CloudEvent) => events.push(event);
    channel.cloud.cloud.events.on('event', listen);
    const out = await channel.lambda
      .send(new InvokeCommand({ FunctionName: 'forgeRuntime', LogType: 'Tail' }))
      .finally(() => channel.cloud.cloud.events.off('event', listen));
    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString();
    expect(out.FunctionError, tail).toBeUndefined();
    expect(payloadOf(out)).toBe('still here');
    expect(tail).toContain('after the forged messages');
    expect(tail).toContain('kept');
    expect(tail).not.toContain('a bigint time');
    expect(events.filter((e) => (e.status ?? 0) >= 500)).toEqual([]);
    // The function's log stream reads back whole, and the cloud saves its state.
    const logs = new CloudWatchLogsClient(channel.cloud.clientConfig);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/forgeRuntime' }));
    for (const stream of streams.logStreams ?? []) {
      const read = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/forgeRuntime', logStreamName: stream.logStreamName }));
      expect(read.events?.every((e) => typeof e.timestamp === 'number' && typeof e.message === 'string')).toBe(true);
    }
    await channel.cloud.cloud.store.flushed();
  });
});

describe('LOCAL_CLOUD_SDK_CHANNEL', () => {
  it('is on unless set to off; any other value is named', () => {
    expect(sdkChannelFromEnvironment({})).toBe(true);
    expect(sdkChannelFromEnvironment({ LOCAL_CLOUD_SDK_CHANNEL: 'on' })).toBe(true);
    expect(sdkChannelFromEnvironment({ LOCAL_CLOUD_SDK_CHANNEL: 'off' })).toBe(false);
    for (const bad of ['yes', 'OFF', '__proto__', 'x'.repeat(10_000)]) {
      expect(() => sdkChannelFromEnvironment({ LOCAL_CLOUD_SDK_CHANNEL: bad })).toThrow(/^LOCAL_CLOUD_SDK_CHANNEL must be on or off; it is "/);
    }
  });
});
