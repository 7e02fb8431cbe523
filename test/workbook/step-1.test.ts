import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { failures, lineOf, runScript } from './support.ts';

let cloud: TestCloud;
let sqs: SQSClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
const attributes = async (name: string) =>
  (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['All'] }))).Attributes!;

describe('step 1: the orders queue', () => {
  it('the untouched step stops at its blank, names file:line, and creates nothing', async () => {
    const result = await runScript('step:1', cloud.env);
    expect(result.code, result.output).toBe(1);
    const line = lineOf('steps/01-queue/deploy.ts', "todo('step 1:");
    expect(line).toBeGreaterThan(0);
    expect(result.stdout).toContain(`steps/01-queue/deploy.ts:${line}`);
    expect(result.stdout).toContain('deadLetterTargetArn');
    expect(result.stdout).toContain('npm run step:1');
    const { QueueUrls } = await sqs.send(new ListQueuesCommand({}));
    expect(QueueUrls ?? []).toEqual([]);
  });

  it('status points at step 1 before it is done', async () => {
    const result = await runScript('status', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/✔ step 0/);
    expect(result.stdout).toMatch(/○ step 1 .*: 1 blank to fill in\n {4}blanks: 1 left, the first at steps\/01-queue\/deploy\.ts:\d+ · deployed: no · check: fails/);
    expect(result.stdout).toMatch(/Next: fill in the blank at steps\/01-queue\/deploy\.ts:\d+ .*`npm run step:1`/);
  });

  it('solution:1 builds the queues, and check:step-1 passes, leaving no probe behind', async () => {
    const deploy = await runScript('solution:1', cloud.env);
    expect(deploy.code, deploy.output).toBe(0);
    expect(deploy.stdout).toContain('npm run check:step-1');

    const orders = await attributes('workbook-orders');
    const dlq = await attributes('workbook-orders-dlq');
    expect(JSON.parse(orders.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlq.QueueArn, maxReceiveCount: 5 });
    expect(orders).toMatchObject({ VisibilityTimeout: '60', ReceiveMessageWaitTimeSeconds: '20' });
    expect(Number(dlq.MessageRetentionPeriod)).toBe(14 * 86400);

    const check = await runScript('check:step-1', cloud.env);
    expect(check.code, check.output).toBe(0);
    expect(failures(check.stdout)).toEqual([]);
    expect(check.stdout).toContain('moves to the DLQ');
    expect(check.stdout).not.toContain('skipped');

    for (const attrs of [await attributes('workbook-orders'), await attributes('workbook-orders-dlq')]) {
      expect(attrs.ApproximateNumberOfMessages).toBe('0');
      expect(attrs.ApproximateNumberOfMessagesNotVisible).toBe('0');
    }
  });

  it('running the solution again is harmless', async () => {
    const before = await queueUrl('workbook-orders');
    const again = await runScript('solution:1', cloud.env);
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).not.toContain('existed with other settings');
    expect(await queueUrl('workbook-orders')).toBe(before);
  });

  it('after a setting changed, running the step again applies its attributes (SetQueueAttributes)', async () => {
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: await queueUrl('workbook-orders'), Attributes: { VisibilityTimeout: '5' } }),
    );
    const again = await runScript('solution:1', cloud.env);
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).toContain('workbook-orders existed with other settings');
    expect((await attributes('workbook-orders')).VisibilityTimeout).toBe('60');
  });

  it("leaves other people's messages alone: with messages waiting it skips the receive tests", async () => {
    const QueueUrl = await queueUrl('workbook-orders');
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"customerId":"c-1"}' }));
    const check = await runScript('check:step-1', cloud.env);
    // Not verified is not passed: the check is incomplete (exit code 2), and says what to do.
    expect(check.code, check.output).toBe(2);
    expect(check.stdout).toContain('(skipped: not verified)');
    expect(check.stdout).toContain('Step 1 is incomplete: ');
    expect(check.stdout).toContain('holds 1 message(s) the check did not send');
    expect(check.stdout).toContain('purge-queue');
    // Never received: its receive count is still 0 (this receive makes it 1).
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
  });
});
