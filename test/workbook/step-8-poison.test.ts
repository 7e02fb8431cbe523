import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { captureOutput } from '../../lib/output.ts';
import { run } from '../../solutions/08-end-to-end/run.ts';
import { aimAt } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * `npm run step:8 -- --wait-for-dlq`: the poison message, followed receive by receive until it is
 * in the dead-letter queue. The lesson's timings (60 s visibility, 5 receives) would take five
 * minutes; as in the step 5 poison test, the queue's visibility timeout (and with it the
 * function's timeout) is shortened to 1 s and the mapping's batching window to 0, and the
 * mapping restarted so that its pollers receive with the new timeout.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
const mappings = async () => (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'workbook-monitor' }))).EventSourceMappings ?? [];

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  for (const step of [1, 2, 3, 4, 5, 6, 7]) await deploySolution(step);
});
afterAll(() => cloud.close());

describe('step 8 --wait-for-dlq', () => {
  it('follows the poison message through maxReceiveCount failed receives into the DLQ, then removes it from there', async () => {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'workbook-monitor', Timeout: 1 }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'workbook-monitor' });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: await queueUrl('workbook-orders'), Attributes: { VisibilityTimeout: '1' } }));
    const [mapping] = await mappings();
    for (const Enabled of [false, true]) {
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled, MaximumBatchingWindowInSeconds: 0 }));
      await expect.poll(async () => (await mappings())[0].State, { interval: 20 }).toBe(Enabled ? 'Enabled' : 'Disabled');
    }

    const { result, error, lines } = await captureOutput(() => run({ orders: 4, rate: 50, waitForDlq: true }));
    const output = lines.join('\n');
    expect(error, output).toBeUndefined();
    expect(result!.recorded.size).toBe(4);

    const { poison } = result!;
    expect(poison.failedReceives.map((r) => r.receiveCount)).toEqual([1, 2, 3, 4, 5]);
    expect(poison.inDeadLetterQueue).toBe(true);
    expect(output).toMatch(/✔ receive 1 of 5: the monitor failed it and reported it as a batch item failure \(MalformedOrder: /);
    expect(output).toMatch(/✔ receive 5 of 5 at [\d:.]+ \([\d.]+ m?s after receive 4\): failed again/);
    expect(output).toContain('✔ in workbook-orders-dlq');
    expect(output).toContain('DeadLetterQueueSourceArn arn:aws:sqs:us-east-1:000000000000:workbook-orders');

    // It was deleted from the DLQ afterwards, and nothing is left there or on the queue.
    for (const name of ['workbook-orders-dlq', 'workbook-orders']) {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      expect(Attributes, name).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    }
  });
});
