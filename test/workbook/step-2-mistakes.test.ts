import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { bundleHandler } from '../../lib/lambda.ts';
import { check } from '../../checks/step-2.ts';
import { failureBlock, failures, repoRoot, runScript } from './support.ts';
import { aimAt, checkInProcess, deploy } from './steps-2-3-support.ts';

/**
 * Planted mistakes: each test breaks one thing in a deployed step 2 the way a learner might,
 * runs the check, expects the right ✘ lines with the right fix, and puts the solution back.
 */
let cloud: TestCloud;
let iam: IAMClient;
let lambda: LambdaClient;
let queue: { url: string; arn: string; dlqUrl: string };
const FUNCTION = 'workbook-intake';
const ROLE = 'workbook-intake-role';

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  iam = new IAMClient(cloud.clientConfig);
  lambda = new LambdaClient(cloud.clientConfig);
  const sqs = new SQSClient(cloud.clientConfig);
  await deploy(1);
  await deploy(2);
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders' }))).QueueUrl!;
  const dlqUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders-dlq' }))).QueueUrl!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  queue = { url, arn: Attributes!.QueueArn!, dlqUrl };
  const clean = await checkInProcess(check);
  if (!clean.passed) throw new Error(`the solution should pass before mistakes are planted:\n${clean.stdout}`);
});
afterAll(() => cloud.close());
// Each mistake is undone by running the solution again, as a learner would after the fix.
afterEach(async () => {
  await deploy(2);
});

const update = async (input: Omit<ConstructorParameters<typeof UpdateFunctionConfigurationCommand>[0], 'FunctionName'>) => {
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: FUNCTION, ...input }));
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: FUNCTION });
};

/** The ✘ blocks of a check's output, by the start of their label. */
function failed(stdout: string): Record<string, string> {
  return Object.fromEntries(failures(stdout).map((line) => [line.slice(2, 40), failureBlock(stdout, line)]));
}

describe('check:step-2 catches planted mistakes, each with its fix', () => {
  it('no sqs:SendMessage grant: the function gets AccessDenied, and the check names the missing grant and the file', async () => {
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: 'send-orders' }));
    const result = await runScript('check:step-2', cloud.env);
    expect(result.code, result.output).toBe(1);
    const blocks = Object.values(failed(result.stdout));
    expect(blocks, result.stdout).toHaveLength(2);
    const [config, behaviour] = blocks;
    expect(config).toContain('✘ the role allows sqs:SendMessage on workbook-orders (its ARN)');
    expect(config).toContain(`no policy of ${ROLE} allows sqs:SendMessage on ${queue.arn}`);
    expect(config).toContain("fix: in steps/02-intake-lambda/deploy.ts fill the policy statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }");
    expect(behaviour).toContain('✘ a good order gets 202');
    expect(behaviour).toContain(`its log says AccessDenied: the role may not sqs:SendMessage on ${queue.arn}`);
    expect(behaviour).toContain('grant sqs:SendMessage on the orders queue');
    expect(behaviour).toContain('steps/02-intake-lambda/deploy.ts');
  });

  it('a wrong QUEUE_URL (the dead-letter queue): both the setting and the denied send point at it', async () => {
    await update({ Environment: { Variables: { QUEUE_URL: queue.dlqUrl } } });
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const blocks = Object.values(failed(stdout));
    expect(blocks, stdout).toHaveLength(2);
    expect(blocks[0]).toContain(`QUEUE_URL is ${queue.dlqUrl}, not the orders queue (${queue.url})`);
    expect(blocks[0]).toContain('QUEUE_URL: ordersQueueUrl');
    // The scoped grant is what caught it: the function may send to the orders queue only.
    expect(blocks[1]).toContain(`AccessDenied on ${queue.arn}-dlq: the function sends to that queue, not to the orders queue`);
    expect(blocks[1]).toContain('fix: QUEUE_URL is wrong');
  });

  it('a FullAccess-style grant (sqs:* on *): the function works, and the check says it may do too much', async () => {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: ROLE,
        PolicyName: 'send-orders',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }),
      }),
    );
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const blocks = Object.values(failed(stdout));
    expect(blocks, stdout).toHaveLength(1);
    expect(blocks[0]).toContain('✘ the role allows nothing more');
    expect(blocks[0]).toContain('allows the wildcard action sqs:* (inline policy send-orders)');
    expect(blocks[0]).toContain('allows it on *, not only on the orders queue');
    expect(blocks[0]).toContain("grant exactly { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }");
    expect(stdout).toContain('✔ a good order gets 202');
  });

  it('no quantity rule in order.ts: bad quantities are accepted, and the check names the rule and its file', async () => {
    // The learner's handler with a lax quantity rule, bundled and deployed as step 2 would.
    const dir = mkdtempSync(join(workbookDir(), 'planted-'));
    try {
      cpSync(join(repoRoot, 'solutions/02-intake-lambda'), dir, { recursive: true });
      const orderFile = join(dir, 'order.ts');
      const source = readFileSync(orderFile, 'utf8');
      const lax = source.replace(/const quantity: z\.ZodType<number> = z[\s\S]*?;\n/, 'const quantity: z.ZodType<number> = z.number();\n');
      expect(lax).not.toBe(source);
      writeFileSync(orderFile, lax);
      const code = await bundleHandler(join(dir, 'handler.ts'));
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: FUNCTION, ZipFile: code.zip }));
      await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: FUNCTION });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const blocks = Object.values(failed(stdout));
    expect(blocks, stdout).toHaveLength(1);
    expect(blocks[0]).toContain('✘ bad requests get 400');
    expect(blocks[0]).toMatch(/quantity 0 with 202 \{"orderId"/);
    expect(blocks[0]).toContain('quantity -3 with 202');
    expect(blocks[0]).toContain('quantity 2.5 with 202');
    expect(blocks[0]).toContain('fix: see the quantity rule in steps/02-intake-lambda/order.ts (a whole number from 1 to LIMITS.maxQuantity)');
    // The orders it wrongly accepted were taken off the queue again.
    const sqs = new SQSClient(cloud.clientConfig);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('a handler setting Lambda cannot load: the check says so before anything else goes wrong', async () => {
    await update({ Handler: 'handler.handler' });
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const blocks = Object.values(failed(stdout));
    expect(blocks[0]).toContain('the handler is "handler.handler"');
    expect(blocks[0]).toContain('Handler: HANDLER ("index.handler")');
    expect(stdout).toMatch(/Runtime\.ImportModuleError|Runtime\.HandlerNotFound/);
  });
});

/** The repository's .workbook folder (ignored by git), made if a fresh clone has none yet. */
function workbookDir(): string {
  const dir = join(repoRoot, '.workbook');
  mkdirSync(dir, { recursive: true });
  return dir;
}
