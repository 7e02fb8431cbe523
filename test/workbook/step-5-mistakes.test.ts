import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionCodeCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { check } from '../../checks/step-5.ts';
import { bundleHandler } from '../../lib/lambda.ts';
import { failureBlock, failures, repoRoot, runScript } from './support.ts';
import { aimAt, checkInProcess } from './steps-2-3-support.ts';
import { deploySolution } from './steps-6-7-support.ts';

/**
 * Planted mistakes in step 5: each test breaks the monitor, its role or its mapping the way a
 * learner might, runs the check, and expects each ✘ with its hint. Afterwards the solution is
 * deployed again, as a learner's fixed step would be. The missing publish grant comes last: its
 * probe order stays in flight on the queue, retried, as it would on AWS.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let sqs: SQSClient;
let iam: IAMClient;
let ordersUrl: string;
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:workbook-orders';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:workbook-order-updates';
const ROLE = 'workbook-monitor-role';
const SQS_EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole';

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  delete process.env.NOTIFY_EMAIL;
  lambda = new LambdaClient(cloud.clientConfig);
  sqs = new SQSClient(cloud.clientConfig);
  iam = new IAMClient(cloud.clientConfig);
  for (const step of [1, 2, 3, 4, 5]) await deploySolution(step);
  ordersUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders' }))).QueueUrl!;
  const clean = await checkInProcess(check);
  if (!clean.passed) throw new Error(`the solution should pass before mistakes are planted:\n${clean.stdout}`);
});
afterAll(() => cloud.close());
afterEach(async () => {
  await deploySolution(1);
  await deploySolution(5);
});

const blocks = (stdout: string) => failures(stdout).map((line) => failureBlock(stdout, line));
const mapping = async () => (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'workbook-monitor' }))).EventSourceMappings![0];

async function updateMapping(changes: { FunctionResponseTypes?: 'ReportBatchItemFailures'[]; Enabled?: boolean }) {
  const { UUID } = await mapping();
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID, ...changes }));
  await expect.poll(async () => (await lambda.send(new GetEventSourceMappingCommand({ UUID }))).State, { interval: 20 }).toMatch(/^(Enabled|Disabled)$/);
}

async function queueCounts() {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: ordersUrl, AttributeNames: ['All'] }));
  return { visible: Attributes.ApproximateNumberOfMessages, inFlight: Attributes.ApproximateNumberOfMessagesNotVisible };
}

describe('check:step-5 catches planted mistakes, each with its fix', () => {
  it('a mapping without ReportBatchItemFailures', async () => {
    await updateMapping({ FunctionResponseTypes: [] });
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('✘ it passes on partial batch responses (FunctionResponseTypes: ReportBatchItemFailures)');
    expect(found[0]).toContain('Lambda ignores the batchItemFailures the function returns');
    expect(found[0]).toContain('never reaches the DLQ');
    expect(found[0]).toContain('fix: in steps/05-monitor-lambda/deploy.ts set FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures], then run `npm run step:5`');
    expect(stdout).toContain('not sent: the mapping does not pass batch item failures on (the ✘ above): it would be deleted as if processed.');
  });

  it('a disabled mapping: the order stays on the queue, and the check takes it back', async () => {
    await updateMapping({ Enabled: false });
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const [enabled, throughApi, ...more] = blocks(stdout);
    expect(more, stdout).toEqual([]);
    expect(enabled).toContain('✘ the mapping is Enabled');
    expect(enabled).toMatch(/the mapping [0-9a-f-]{36} is Disabled/);
    expect(enabled).toContain('fix: run `npm run step:5`: it enables the mapping');
    expect(throughApi).toContain('stayed on the queue');
    expect(throughApi).toContain('(the check removed its order)');
    expect(await queueCounts()).toEqual({ visible: '0', inFlight: '0' });
    // The poisoned batch is handed to the function directly: the handler itself is fine.
    expect(stdout).toContain('✔ a malformed message is reported as a batch item failure');
    expect(stdout).toContain('not sent: the mapping is not Enabled (the ✘ above): nothing would receive it.');
  });

  it('a queue visibility timeout below the function timeout: the check says so, and the step shows AWS\'s refusal with the fix', async () => {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: ordersUrl, Attributes: { VisibilityTimeout: '5' } }));
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain("✘ the queue's visibility timeout covers the function's timeout 6 times (10 s × 6)");
    expect(found[0]).toContain('AWS refuses to create a mapping then ("Queue visibility timeout: 5 seconds is less than Function timeout: 10 seconds")');
    expect(found[0]).toContain('fix: in steps/01-queue/deploy.ts set VisibilityTimeout: String(VISIBILITY_TIMEOUT) (60 s) and run `npm run step:1`.');
    // The poison message still goes the whole way: the local cloud's fast retry does not depend on the queue's timeout.
    expect(stdout).toContain('✔ a poison message sent to workbook-orders reaches workbook-orders-dlq after 5 failed receives (the local cloud shortened the wait: no 5 s visibility timeout between receives)');

    // Making the mapping afresh now fails, as on AWS, with Lambda's words and the fix.
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: (await mapping()).UUID }));
    await expect.poll(mapping, { interval: 20 }).toBeUndefined();
    const error = (await deploySolution(5).catch((err: Error) => err)) as Error & { hint?: string };
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      'Lambda refused the mapping: "Queue visibility timeout: 5 seconds is less than Function timeout: 10 seconds". ' +
        'A batch still being processed would become visible again and be delivered twice.',
    );
    expect(error.hint).toContain('in steps/01-queue/deploy.ts VisibilityTimeout: String(VISIBILITY_TIMEOUT), run `npm run step:1`, then `npm run step:5` again.');
  });

  it('a handler that logs a failure but does not throw it: the malformed message would be deleted', async () => {
    // The learner's catch block without its `throw error;`, in a copy of the handler.
    const folder = join(repoRoot, 'test', 'workbook', '.planted-handler');
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
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('✘ a malformed message is reported as a batch item failure, and its batch-mate still goes through');
    expect(found[0]).toContain('it reported no failure, so Lambda would delete the malformed message as if it had been processed');
    expect(found[0]).toContain("fix: in steps/05-monitor-lambda/handler.ts, in processOrder's catch block, log the error and throw it again (throw error)");
    // The poison message is not sent through the queue: it would be deleted after one receive, and never reach the DLQ.
    expect(stdout).toContain('a poison message sent to workbook-orders reaches workbook-orders-dlq after 5 failed receives');
    expect(stdout).toContain('(skipped: not verified)');
    expect(stdout).toContain('not sent: the function does not report a malformed message alone (the ✘ above).');
    expect(await queueCounts()).toEqual({ visible: '0', inFlight: '0' });
  });

  it('AWSLambdaSQSQueueExecutionRole attached: it works, but reads every queue in the account', async () => {
    await iam.send(new AttachRolePolicyCommand({ RoleName: ROLE, PolicyArn: SQS_EXECUTION_POLICY }));
    try {
      const { passed, stdout } = await checkInProcess(check);
      expect(passed, stdout).toBe(false);
      const found = blocks(stdout);
      expect(found, stdout).toHaveLength(1);
      expect(found[0]).toContain('✘ the role allows nothing more (no wildcards, no *FullAccess, no other queue or topic)');
      expect(found[0]).toContain(`has AWSLambdaSQSQueueExecutionRole attached, which lets it receive and delete messages of every queue in the account, not only ${QUEUE_ARN}`);
      expect(found[0]).toContain('detach or delete the rest');
    } finally {
      await iam.send(new DetachRolePolicyCommand({ RoleName: ROLE, PolicyArn: SQS_EXECUTION_POLICY }));
    }
  });
  it('no sns:Publish grant: the grant, and the AuthorizationError the function meets, are named; npm run check:step-5 exits 1', async () => {
    const consumeOnly = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: QUEUE_ARN }],
    };
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: 'consume-orders-publish-updates', PolicyDocument: JSON.stringify(consumeOnly) }));
    const result = await runScript('check:step-5', cloud.env);
    expect(result.code, result.output).toBe(1);
    const [grant, throughApi, poisoned, ...more] = blocks(result.stdout);
    expect(more).toEqual([]);
    expect(grant).toContain('✘ the role may publish to workbook-order-updates: sns:Publish on its ARN');
    expect(grant).toContain(`no policy of ${ROLE} allows sns:Publish on ${TOPIC_ARN}`);
    expect(grant).toContain("fix: in steps/05-monitor-lambda/deploy.ts the PublishStatusUpdates statement: { Effect: 'Allow', Action: 'sns:Publish', Resource: topicArn }");
    const denied = `is not authorized to perform: SNS:Publish on resource: ${TOPIC_ARN}`;
    expect(throughApi).toContain('✘ an order sent to POST /orders comes out of workbook-order-updates as a status update');
    expect(throughApi).toContain(`AuthorizationErrorException: User: arn:aws:sts::000000000000:assumed-role/${ROLE}/workbook-monitor ${denied}`);
    expect(throughApi).toContain('lands in the dead-letter queue');
    expect(throughApi).toContain('fix: grant sns:Publish on the topic\'s ARN');
    expect(poisoned).toContain('✘ a malformed message is reported as a batch item failure');
    expect(poisoned).toContain('the function failed the whole batch (FullBatchFailureError');
    expect(poisoned).toContain(denied);
    expect(poisoned).toContain('fix: grant sns:Publish on the topic\'s ARN');
  });
});
