import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { AttachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import type { CloudEvent } from '../../local-cloud/cloud.ts';
import { StateStore } from '../../local-cloud/state/store.ts';
import { BASIC_EXECUTION, createLambdaRole, deployFunction, fixture } from '../fixtures/lambda/helpers.ts';

/** CloudWatch Logs over the wire (SDK v3 and the aws CLI), and the logs Lambda writes into it. */
let cloud: TestCloud;
let logs: CloudWatchLogsClient;
const ACCOUNT = '000000000000';

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  cloud = await startTestCloud();
  logs = new CloudWatchLogsClient(cloud.clientConfig);
});
afterAll(() => cloud?.close());

describe('log groups', () => {
  it('create, describe by prefix, retention, delete', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/workbook/orders' }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/workbook/payments' }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/other/thing' }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/workbook/orders', retentionInDays: 7 }));

    const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/workbook/' }));
    expect(out.logGroups!.map((g) => g.logGroupName)).toEqual(['/workbook/orders', '/workbook/payments']);
    expect(out.logGroups![0]).toEqual({
      logGroupName: '/workbook/orders',
      creationTime: expect.any(Number),
      retentionInDays: 7,
      metricFilterCount: 0,
      arn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/workbook/orders:*`,
      storedBytes: 0,
      logGroupClass: 'STANDARD',
      logGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/workbook/orders`,
    });

    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/workbook/payments' }));
    const after = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/workbook/' }));
    expect(after.logGroups!.map((g) => g.logGroupName)).toEqual(['/workbook/orders']);
  });

  it('errors as AWS words them', async () => {
    const missing = await failure(logs.send(new DeleteLogGroupCommand({ logGroupName: '/no/such/group' })));
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe('The specified log group does not exist.');
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/twice' }));
    const twice = await failure(logs.send(new CreateLogGroupCommand({ logGroupName: '/twice' })));
    expect(twice.name).toBe('ResourceAlreadyExistsException');
    expect(twice.message).toBe('The specified log group already exists');
    const retention = await failure(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/twice', retentionInDays: 2 })));
    expect(retention.name).toBe('InvalidParameterException');
    expect(retention.message).toMatch(/^1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: \[1, 3, 5, 7, 14/);
  });
});

describe('streams and events', () => {
  const group = '/workbook/events';
  const base = Date.now() - 60_000;

  beforeAll(async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'alpha' }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'beta' }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'alpha',
        logEvents: Array.from({ length: 25 }, (_, i) => ({ timestamp: base + i * 1000, message: `alpha event ${i}${i % 5 === 0 ? ' ERROR' : ''}` })),
      }),
    );
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 'beta',
        logEvents: [
          { timestamp: base + 500, message: 'beta ERROR retrying' },
          { timestamp: base + 30_000, message: JSON.stringify({ level: 'ERROR', orderId: 'o-9', attempt: 3 }) },
        ],
      }),
    );
  });

  it('DescribeLogStreams orders by name or by last event time', async () => {
    const byName = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    expect(byName.logStreams!.map((s) => s.logStreamName)).toEqual(['alpha', 'beta']);
    expect(byName.logStreams![0]).toMatchObject({
      creationTime: expect.any(Number),
      firstEventTimestamp: base,
      lastEventTimestamp: base + 24_000,
      lastIngestionTime: expect.any(Number),
      arn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${group}:log-stream:alpha`,
    });
    const latest = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group, orderBy: 'LastEventTime', descending: true }));
    expect(latest.logStreams!.map((s) => s.logStreamName)).toEqual(['beta', 'alpha']);
    const err = await failure(
      logs.send(new DescribeLogStreamsCommand({ logGroupName: group, orderBy: 'LastEventTime', logStreamNamePrefix: 'a' })),
    );
    expect(err.message).toBe('Cannot order by LastEventTime with a logStreamNamePrefix.');
  });

  it('GetLogEvents from the head or the tail, paging with tokens until the token repeats', async () => {
    const head = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'alpha', startFromHead: true, limit: 10 }));
    expect(head.events!.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => `alpha event ${i}${i % 5 === 0 ? ' ERROR' : ''}`));
    expect(head.nextForwardToken).toMatch(/^f\/\d{56}$/);
    expect(head.nextBackwardToken).toMatch(/^b\/\d{56}$/);

    const messages = head.events!.map((e) => e.message);
    let token = head.nextForwardToken;
    for (;;) {
      const page = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'alpha', nextToken: token, limit: 10 }));
      messages.push(...page.events!.map((e) => e.message));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    expect(messages).toHaveLength(25);

    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'alpha', limit: 3 }));
    expect(tail.events!.map((e) => e.message)).toEqual(['alpha event 22', 'alpha event 23', 'alpha event 24']);
    const back = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'alpha', limit: 3, nextToken: tail.nextBackwardToken }));
    expect(back.events!.map((e) => e.message)).toEqual(['alpha event 19', 'alpha event 20 ERROR', 'alpha event 21']);

    const missing = await failure(logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'gamma' })));
    expect(missing.message).toBe('The specified log stream does not exist.');
  });

  it('FilterLogEvents: terms, phrases, any-of, exclusions, JSON patterns, streams and time windows', async () => {
    const filter = async (input: Partial<ConstructorParameters<typeof FilterLogEventsCommand>[0]>) =>
      (await logs.send(new FilterLogEventsCommand({ logGroupName: group, ...input }))).events!.map((e) => e.message);

    expect(await filter({ filterPattern: 'ERROR' })).toEqual([
      'alpha event 0 ERROR',
      'beta ERROR retrying',
      'alpha event 5 ERROR',
      'alpha event 10 ERROR',
      'alpha event 15 ERROR',
      'alpha event 20 ERROR',
      JSON.stringify({ level: 'ERROR', orderId: 'o-9', attempt: 3 }),
    ]);
    expect(await filter({ filterPattern: '"ERROR retrying"' })).toEqual(['beta ERROR retrying']);
    expect(await filter({ filterPattern: 'ERROR -alpha -orderId' })).toEqual(['beta ERROR retrying']);
    expect(await filter({ filterPattern: '?retrying ?"event 24"' })).toEqual(['beta ERROR retrying', 'alpha event 24']);
    expect(await filter({ filterPattern: '{ $.level = "ERROR" && $.attempt >= 3 }' })).toEqual([
      JSON.stringify({ level: 'ERROR', orderId: 'o-9', attempt: 3 }),
    ]);
    expect(await filter({ filterPattern: 'error' })).toEqual([]);
    expect(await filter({ logStreamNames: ['beta'] })).toHaveLength(2);
    expect(await filter({ startTime: base + 20_000, endTime: base + 23_000 })).toEqual(['alpha event 20 ERROR', 'alpha event 21', 'alpha event 22']);

    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: group, limit: 20 }));
    expect(page.events).toHaveLength(20);
    expect(page.events![0]).toMatchObject({ logStreamName: 'alpha', eventId: expect.stringMatching(/^\d{56}$/), ingestionTime: expect.any(Number) });
    const rest = await logs.send(new FilterLogEventsCommand({ logGroupName: group, limit: 20, nextToken: page.nextToken }));
    expect(rest.events).toHaveLength(7);
    expect(rest.nextToken).toBeUndefined();
  });
});

describe('Lambda logs', () => {
  it('each worker writes /aws/lambda/NAME, stream YYYY/MM/DD/[$LATEST]HEX: the handler\'s lines between START and REPORT', async () => {
    const lambda = new LambdaClient(cloud.clientConfig);
    const role = await createLambdaRole(cloud, 'logs-role', { logs: true });
    await deployFunction(lambda, { FunctionName: 'logged', Role: role, Handler: 'index.log', files: { 'index.mjs': fixture('esm/index.mjs') } });
    const first = await lambda.send(new InvokeCommand({ FunctionName: 'logged', Payload: '{"orderId":"o-1"}' }));
    await lambda.send(new InvokeCommand({ FunctionName: 'logged', Payload: '{"orderId":"o-2"}' }));
    const id = first.$metadata.requestId!;

    const groupName = '/aws/lambda/logged';
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: groupName, orderBy: 'LastEventTime', descending: true }));
    expect(streams.logStreams).toHaveLength(1);
    const stream = streams.logStreams![0].logStreamName!;
    expect(stream).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);

    const events = await logs.send(new GetLogEventsCommand({ logGroupName: groupName, logStreamName: stream, startFromHead: true }));
    const messages = events.events!.map((e) => e.message!);
    const firstRun = messages.slice(0, messages.findIndex((m) => m.startsWith('REPORT')) + 1);
    expect(firstRun.map((m) => m.split('\t')[0].split(' ')[0])).toEqual([
      'INIT_START',
      'START',
      expect.stringMatching(/^\d{4}-/),
      expect.stringMatching(/^\d{4}-/),
      expect.stringMatching(/^\d{4}-/),
      expect.stringMatching(/^\d{4}-/),
      'raw',
      'END',
      'REPORT',
    ]);
    expect(firstRun[1]).toBe(`START RequestId: ${id} Version: $LATEST\n`);
    expect(firstRun[2]).toMatch(new RegExp(`^\\S+\\t${id}\\tINFO\\thello from the handler { orderId: 'o-1' }\\n$`));
    expect(messages.filter((m) => m.startsWith('REPORT'))).toHaveLength(2);

    const reports = await logs.send(new FilterLogEventsCommand({ logGroupName: groupName, filterPattern: 'REPORT' }));
    expect(reports.events).toHaveLength(2);
    expect(reports.events![0].message).toMatch(/^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\t\n$/);
    const warnings = await logs.send(new FilterLogEventsCommand({ logGroupName: groupName, filterPattern: 'WARN', logStreamNames: [stream] }));
    expect(warnings.events!.map((e) => e.message!.split('\t').slice(2).join('\t'))).toEqual(['WARN\ta warning\n', 'WARN\ta warning\n']);
  });

  it('without logs permissions on its role, a function\'s lines reach Tail but not CloudWatch Logs', async () => {
    const seen: CloudEvent[] = [];
    const listen = (event: CloudEvent) => seen.push(event);
    cloud.cloud.events.on('event', listen);
    const lambda = new LambdaClient(cloud.clientConfig);
    const iam = new IAMClient(cloud.clientConfig);
    const role = await createLambdaRole(cloud, 'no-logs-role');
    await deployFunction(lambda, { FunctionName: 'unlogged', Role: role, Handler: 'index.log', files: { 'index.mjs': fixture('esm/index.mjs') } });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'unlogged', Payload: '{}', LogType: 'Tail' }));
    expect(Buffer.from(out.LogResult!, 'base64').toString()).toContain('hello from the handler');
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/unlogged' }));
    expect(groups.logGroups).toEqual([]);
    cloud.cloud.events.off('event', listen);
    expect(seen.find((e) => e.action === 'Logs')?.error).toBe(
      `the execution role ${role} is not allowed logs:CreateLogGroup (attach AWSLambdaBasicExecutionRole, or grant logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents)`,
    );

    // The grant takes effect on the next invocation, without touching the function.
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'no-logs-role', PolicyArn: BASIC_EXECUTION }));
    await lambda.send(new InvokeCommand({ FunctionName: 'unlogged', Payload: '{}' }));
    const lines = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/unlogged', filterPattern: '"hello from the handler"' }));
    expect(lines.events).toHaveLength(1);
  });

  it('logs describe-log-groups (aws CLI)', async () => {
    const out = await cloud.aws('logs', 'describe-log-groups', '--log-group-name-prefix', '/aws/lambda/');
    expect(out.code, out.stderr).toBe(0);
    expect(out.json.logGroups.map((g: { logGroupName: string }) => g.logGroupName)).toContain('/aws/lambda/logged');
  });

  it('log events survive a restart', async () => {
    const dataDir = join(cloud.dataDir, '..', `logs-restart-${process.pid}`);
    const first = await startTestCloud({ dataDir });
    try {
      const lambda = new LambdaClient(first.clientConfig);
      const role = await createLambdaRole(first, 'restart-logs', { logs: true });
      await deployFunction(lambda, { FunctionName: 'kept', Role: role, Handler: 'index.log', files: { 'index.mjs': fixture('esm/index.mjs') } });
      await lambda.send(new InvokeCommand({ FunctionName: 'kept', Payload: '{"orderId":"o-kept"}' }));
      const client = new CloudWatchLogsClient(first.clientConfig);
      await client.send(new CreateLogGroupCommand({ logGroupName: '/api/kept' }));
      await client.send(new CreateLogStreamCommand({ logGroupName: '/api/kept', logStreamName: 's' }));
      await client.send(new PutLogEventsCommand({ logGroupName: '/api/kept', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'kept' }] }));
    } finally {
      await first.close();
    }
    const second = await startTestCloud({ dataDir });
    try {
      const client = new CloudWatchLogsClient(second.clientConfig);
      const lambdaLines = await client.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/kept', filterPattern: 'o-kept' }));
      expect(lambdaLines.events).toHaveLength(1);
      const api = await client.send(new GetLogEventsCommand({ logGroupName: '/api/kept', logStreamName: 's' }));
      expect(api.events!.map((e) => e.message)).toEqual(['kept']);
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('streams longer than a saved chunk, and streams saved with the older chunk size, read back whole after restarts', async () => {
    const dataDir = join(cloud.dataDir, '..', `logs-chunks-${process.pid}`);
    const sha1 = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 16);
    const base = Date.now() - 60_000;
    // An older data folder: chunks of 1,000 events, the stream's chunk size not recorded.
    const store = new StateStore(dataDir);
    const oldEvents = Array.from({ length: 1200 }, (_, i): [number, number, string] => [base + i, base + i, `old ${i}`]);
    const docs: Record<string, unknown> = {
      [`logs/groups/${sha1('/old')}`]: {
        name: '/old',
        creationTime: base,
        tags: {},
        streams: [{ name: 'old', hash: sha1('/old\nold'), creationTime: base, firstIndex: 0, storedBytes: 0, sequence: 1, firstEventTimestamp: base, lastEventTimestamp: base + 1199 }],
      },
      [`logs/events/${sha1('/old')}/${sha1('/old\nold')}-0`]: { firstIndex: 0, events: oldEvents.slice(0, 1000) },
      [`logs/events/${sha1('/old')}/${sha1('/old\nold')}-1`]: { firstIndex: 1000, events: oldEvents.slice(1000) },
    };
    for (const [name, value] of Object.entries(docs)) {
      store.register(name, () => value);
      store.markDirty(name);
    }
    store.flushSync();

    const allMessages = async (client: CloudWatchLogsClient, logGroupName: string, logStreamName: string) => {
      const out = await client.send(new GetLogEventsCommand({ logGroupName, logStreamName, startFromHead: true }));
      return out.events!.map((e) => e.message);
    };
    const put = (client: CloudWatchLogsClient, logGroupName: string, logStreamName: string, from: number, count: number) =>
      client.send(
        new PutLogEventsCommand({
          logGroupName,
          logStreamName,
          logEvents: Array.from({ length: count }, (_, i) => ({ timestamp: base + 5000 + from + i, message: `new ${from + i}` })),
        }),
      );
    const newMessages = (count: number) => Array.from({ length: count }, (_, i) => `new ${i}`);
    try {
      const first = await startTestCloud({ dataDir });
      try {
        const client = new CloudWatchLogsClient(first.clientConfig);
        await client.send(new CreateLogGroupCommand({ logGroupName: '/new' }));
        await client.send(new CreateLogStreamCommand({ logGroupName: '/new', logStreamName: 'new' }));
        await put(client, '/new', 'new', 0, 250);
        await put(client, '/old', 'old', 0, 1);
        expect(await allMessages(client, '/old', 'old')).toEqual([...oldEvents.map((e) => e[2]), 'new 0']);
      } finally {
        await first.close();
      }
      const second = await startTestCloud({ dataDir });
      try {
        const client = new CloudWatchLogsClient(second.clientConfig);
        expect(await allMessages(client, '/new', 'new')).toEqual(newMessages(250));
        expect(await allMessages(client, '/old', 'old')).toEqual([...oldEvents.map((e) => e[2]), 'new 0']);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
