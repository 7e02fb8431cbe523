import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { bundleHandler } from '../../lib/lambda.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { PROBES, check } from '../../checks/step-8.ts';
import { STAGES, type OrderEvent } from '../../lib/order-events.ts';
import { findBlanks } from '../../lib/todo.ts';
import { optionsFromCommandLine, run } from '../../solutions/08-end-to-end/run.ts';
import { captureOutput } from '../../lib/output.ts';
import { failures, repoRoot, runScript } from './support.ts';
import { aimAt, checkInProcess } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * Step 8 on the pipeline of steps 1–7 (deployed in this process): orders through the API over
 * HTTP, every one recorded with every stage time; the invalid order recorded nowhere; the
 * poison message reported by the monitor; check:step-8 passes and leaves no probe behind.
 */
let cloud: TestCloud;
let dynamodb: DynamoDBClient;
const TABLE = 'workbook-order-events';
/** Every item of the table (a Scan: fine for a test's small table, never for a report). */
const events = async () =>
  ((await DynamoDBDocumentClient.from(dynamodb).send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? []) as OrderEvent[];

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
  for (const step of [1, 2, 3, 4, 5, 6]) await deploySolution(step);
});
afterAll(() => cloud.close());

const faults = async () => (await (await cloud.control('faults')).json()) as Record<string, unknown>;
async function queueCounts(name: string) {
  const sqs = new SQSClient(cloud.clientConfig);
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  return { visible: Attributes.ApproximateNumberOfMessages, inFlight: Attributes.ApproximateNumberOfMessagesNotVisible };
}

describe('step 8: orders end to end', () => {
  it('has no blanks: the learner runs it as it is', () => {
    expect(findBlanks(`${repoRoot}/steps/08-end-to-end`)).toEqual([]);
  });

  it('before step 7, the check stops at once and names the step that is missing', async () => {
    const { passed, stdout } = await checkInProcess(check);
    expect(passed).toBe(false);
    expect(stdout).toContain('✘ the pipeline of steps 1–7 is in place');
    expect(stdout).toContain('There is no function workbook-recorder');
    expect(stdout).toContain('npm run step:7');
  });

  it('N orders through the API → N records, each with every stage time in order; the invalid order nowhere; the poison reported', async () => {
    await deploySolution(7);
    const { result, error, lines } = await captureOutput(() => run({ orders: 6, rate: 10 }));
    const output = lines.join('\n');
    expect(error, output).toBeUndefined();

    expect(result!.sent).toHaveLength(6);
    expect(result!.sent.every((s) => s.answer.status === 202)).toBe(true);
    const orderIds = result!.sent.map((s) => String(s.answer.body!.orderId));
    const stored = await events();
    expect(stored.map((e) => e.orderId).sort()).toEqual([...orderIds].sort());
    for (const event of stored) {
      const times = STAGES.map((stage) => event.times[stage]);
      expect(times.every((t) => typeof t === 'number'), JSON.stringify(event.times)).toBe(true);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    }

    // The invalid order: 400 with its reason, and nothing in the table for its customer.
    expect(result!.invalid).toMatchObject({ status: 400, error: 'InvalidOrder', recordedEvents: 0 });
    expect(result!.invalid.message).toContain('items[0].quantity');
    expect(stored.some((e) => e.customerId === result!.invalid.customerId)).toBe(false);
    expect(output).toContain(`✔ no event for customer ${result!.invalid.customerId} in the table`);

    // The poison message: the monitor failed its first receive and said so; it is on its way to the DLQ.
    expect(result!.poison.failedReceives.map((r) => r.receiveCount)).toEqual([1]);
    expect(result!.poison.failedReceives[0].error).toMatch(/^MalformedOrder: /);
    expect(result!.poison.inDeadLetterQueue).toBe(false);
    expect(output).toContain('npm run step:8 -- --wait-for-dlq');

    // What the learner reads: progress, timelines, the report.
    expect(output).toMatch(/sent 6\/6 · accepted 6 · recorded 6\/6/);
    expect(output).toContain('recorded in the table (step 7)');
    expect(output).toMatch(/end to end +\d+ ms|end to end +[\d.]+ s/);
    expect(result!.report).toMatchObject({ orders: 6, events: 6, incomplete: 0 });
  });

  it('npm run step:8 -- --orders 3 (a child process, as a learner runs it) sends 3 orders and ends with what to do next', async () => {
    const before = (await events()).length;
    const result = await runScript('step:8', cloud.env, '--orders', '3');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('2. 3 orders through the API at 5 a second, and a poison message halfway');
    expect(result.stdout).toContain('✔ 3 orders accepted (202) and recorded in the table');
    expect(result.stdout).toContain('Next: `npm run check:step-8`');
    expect((await events()).length).toBe(before + 3);
  });

  it('check:step-8 passes, and leaves no probe in the table, and other dead letters where they were', async () => {
    const before = await events();
    // Someone else's dead letter: the check must neither delete it nor keep it hidden.
    const sqs = new SQSClient(cloud.clientConfig);
    const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders-dlq' }))).QueueUrl!;
    const { MessageId: strangerId } = await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'an earlier poison message' }));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(true);
    expect(stdout).toContain(`✔ ${PROBES} probe orders sent to POST /orders over HTTP are accepted`);
    expect(stdout).toContain('✔ the invalid order is recorded nowhere');
    expect(stdout).toContain('✔ a poison message in a batch is reported as a batch item failure');
    // The whole way, for real: the mapping and the monitor fail a poison message 5 times, and it lands in the DLQ.
    expect(stdout).toContain('✔ a poison message sent to workbook-orders reaches workbook-orders-dlq after 5 failed receives (the local cloud shortened the wait: no 60 s visibility timeout between receives)');
    expect(stdout).toMatch(/\n {2}in workbook-orders-dlq \d+ ms after it was sent \(on AWS: about 5 minutes\), ApproximateReceiveCount 6 \(5 receives from workbook-orders, then this one\); the check deleted it\n/);
    expect(stdout).not.toContain('skipped');
    expect(await faults()).toMatchObject({ fastRetry: null });
    expect(await queueCounts('workbook-orders-dlq')).toEqual({ visible: '1', inFlight: '0' });
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 0 }));
    expect(Messages.map((m) => m.MessageId)).toEqual([strangerId]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
    const after = await events();
    expect(after.filter((e) => e.customerId?.startsWith('check-'))).toEqual([]);
    expect(after.map((e) => e.eventKey).sort()).toEqual(before.map((e) => e.eventKey).sort());
  });

  it('a mapping that does not pass batch item failures on fails the check, with the fix', async () => {
    const lambda = new LambdaClient(cloud.clientConfig);
    const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'workbook-monitor' }))).EventSourceMappings!;
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, FunctionResponseTypes: [] }));
    try {
      const { passed, stdout } = await checkInProcess(check);
      expect(passed).toBe(false);
      expect(failures(stdout)).toEqual(['✘ a poison message sent to workbook-orders reaches workbook-orders-dlq after 5 failed receives (the local cloud shortened the wait: no 60 s visibility timeout between receives)']);
      expect(stdout).toContain('the mapping has no ReportBatchItemFailures: Lambda ignores the failures the monitor reports');
      expect(stdout).toContain('set FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures], then `npm run step:5`');
    } finally {
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, FunctionResponseTypes: ['ReportBatchItemFailures'] }));
    }
  });

  it('a monitor that logs a failure but does not throw it fails the check; no poison message is sent to the queue', async () => {
    // The learner's catch block without its `throw error;`, in a copy of the handler.
    const lambda = new LambdaClient(cloud.clientConfig);
    const folder = join(repoRoot, 'test', 'workbook', '.planted-handler-8');
    mkdirSync(folder, { recursive: true });
    try {
      const source = readFileSync(join(repoRoot, 'solutions', '05-monitor-lambda', 'handler.ts'), 'utf8')
        .replaceAll("'../../lib/", `'${join(repoRoot, 'lib')}/`)
        .replace('    throw error;\n', '');
      expect(source).not.toContain('throw error;');
      writeFileSync(join(folder, 'handler.ts'), source);
      const code = await bundleHandler(join(folder, 'handler.ts'));
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'workbook-monitor', ZipFile: code.zip }));
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'workbook-monitor' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    try {
      const { passed, stdout } = await checkInProcess(check);
      expect(passed, stdout).toBe(false);
      expect(failures(stdout)).toEqual(['✘ a poison message in a batch is reported as a batch item failure, and its batch-mate reaches the table']);
      expect(stdout).toMatch(/it should list the malformed message \([0-9a-f-]{36}\), and only it, in batchItemFailures\./);
      expect(stdout).toContain('– a poison message sent to workbook-orders reaches workbook-orders-dlq after 5 failed receives (the local cloud shortened the wait: no 60 s visibility timeout between receives) (skipped: not verified)');
      expect(stdout).toContain('not sent: the monitor does not report a malformed message alone (the ✘ above).');
      expect(await faults()).toMatchObject({ fastRetry: null }); // never turned on
    } finally {
      await deploySolution(5);
    }
  });

  it('reads --orders, --rate and --wait-for-dlq, and WORKBOOK_ORDERS as the default', () => {
    expect(optionsFromCommandLine(['8', '--orders', '40', '--rate=25', '--wait-for-dlq'], {})).toEqual({ orders: 40, rate: 25, waitForDlq: true });
    expect(optionsFromCommandLine(['8'], { WORKBOOK_ORDERS: '7' })).toEqual({ orders: 7 });
    expect(() => optionsFromCommandLine(['--orders', '0'], {})).toThrow('--orders is "0"');
    expect(() => optionsFromCommandLine(['--rate', 'fast'], {})).toThrow('--rate is "fast"');
  });
});
