import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { runScript } from './support.ts';

let cloud: TestCloud;
let sqs: SQSClient;
const queueNames = async () =>
  ((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).map((url) => url.slice(url.lastIndexOf('/') + 1)).sort();

/** Queues teardown must never touch: another prefix, our prefix without our tag, a look-alike prefix. */
const bystanders = ['other-orders', 'workbook-scratch', 'workbook-x-orders'];

beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
  const deploy = await runScript('solution:1', cloud.env);
  if (deploy.code !== 0) throw new Error(deploy.output);
  await sqs.send(new CreateQueueCommand({ QueueName: 'other-orders', tags: { workbook: 'other' } }));
  await sqs.send(new CreateQueueCommand({ QueueName: 'workbook-scratch' }));
  await sqs.send(new CreateQueueCommand({ QueueName: 'workbook-x-orders', tags: { workbook: 'workbook-x' } }));
});
afterAll(() => cloud.close());

describe('npm run teardown', () => {
  it('--dry-run lists what it would remove, in order, and removes nothing', async () => {
    const result = await runScript('teardown', cloud.env, '--dry-run');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/SQS queue\s+workbook-orders\n.*SQS queue\s+workbook-orders-dlq/);
    for (const name of bystanders) expect(result.stdout).not.toContain(name);
    expect(result.stdout).toContain('nothing removed');
    expect(await queueNames()).toEqual(['other-orders', 'workbook-orders', 'workbook-orders-dlq', 'workbook-scratch', 'workbook-x-orders']);
  });

  it('on real AWS without a terminal, refuses unless --yes', async () => {
    // WORKBOOK_TARGET=aws through an endpoint: AWS as far as teardown can tell.
    const awsEnv = { ...cloud.env, WORKBOOK_TARGET: 'aws', AWS_ENDPOINT_URL: cloud.url };
    const result = await runScript('teardown', awsEnv);
    expect(result.code, result.output).toBe(1);
    expect(result.stdout).toContain('Refusing to delete');
    expect(result.stdout).toContain('npm run teardown -- --yes');
    expect(await queueNames()).toContain('workbook-orders');
  });

  it('removes the workbook queues, orders queue first, and nothing else; again is a no-op', async () => {
    const result = await runScript('teardown', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/removed SQS queue workbook-orders\n.*removed SQS queue workbook-orders-dlq/);
    expect(result.stdout).toContain('Removed 2 resources');
    expect(await queueNames()).toEqual(bystanders);

    const again = await runScript('teardown', cloud.env);
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).toContain('Nothing to remove');
    expect(await queueNames()).toEqual(bystanders);
  });
});
