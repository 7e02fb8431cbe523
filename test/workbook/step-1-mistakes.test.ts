import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueUrlCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { captureOutput } from '../../lib/output.ts';
import { failureBlock, failures, runScript } from './support.ts';
import { runCheck } from '../../checks/kit.ts';
import { check } from '../../checks/step-1.ts';

/** Each planted mistake gets its own copy of the step-1 queues (its own WORKBOOK_PREFIX). */
interface Mistake {
  name: string;
  orders?: Record<string, string>;
  deadLetter?: Record<string, string>;
  /** Substrings of the one ✘ line and its hint. */
  expect: string[];
}

const mistakes: Mistake[] = [
  {
    name: 'no DLQ (RedrivePolicy removed)',
    orders: { RedrivePolicy: '' },
    expect: ['(RedrivePolicy)', 'has no RedrivePolicy', 'steps/01-queue/deploy.ts set RedrivePolicy: JSON.stringify'],
  },
  {
    name: 'maxReceiveCount 1 (too low)',
    orders: { RedrivePolicy: redrive(1) },
    expect: ['maxReceiveCount suits', 'maxReceiveCount is 1:', 'AWS advises at least 5', 'set MAX_RECEIVE_COUNT = 5'],
  },
  {
    name: 'maxReceiveCount 1000 (absurdly high)',
    orders: { RedrivePolicy: redrive(1000) },
    expect: ['maxReceiveCount suits', 'maxReceiveCount is 1000:', 'poison', 'set MAX_RECEIVE_COUNT = 5'],
  },
  {
    name: 'visibility timeout below the function timeout',
    orders: { VisibilityTimeout: '5' },
    expect: ['visibility timeout is at least 60 s', 'shorter than the monitor function', 'VisibilityTimeout: String(VISIBILITY_TIMEOUT)'],
  },
  {
    name: 'visibility timeout below 6 × the function timeout',
    orders: { VisibilityTimeout: '30' },
    expect: ['visibility timeout is at least 60 s', 'AWS advises 6 × the function timeout', 'VisibilityTimeout: String(VISIBILITY_TIMEOUT)'],
  },
  {
    name: 'long polling off',
    orders: { ReceiveMessageWaitTimeSeconds: '0' },
    expect: ['long polling is on', 'long polling is off', 'ReceiveMessageWaitTimeSeconds: String(LONG_POLL_SECONDS)'],
  },
  {
    name: 'dead letters expire no later than orders',
    deadLetter: { MessageRetentionPeriod: String(4 * 86400) },
    expect: ['dead letters are kept longer', 'keeps its original enqueue time', 'MessageRetentionPeriod: String(14 * DAY)'],
  },
];

function redrive(maxReceiveCount: number, prefix = 'PREFIX'): string {
  return JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${prefix}-orders-dlq`, maxReceiveCount });
}

let cloud: TestCloud;
let sqs: SQSClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  sqs = new SQSClient(cloud.clientConfig);
  // This process talks to the test cloud too: the solution is deployed, and most checks run,
  // in-process (a child process each would cost a second of CPU).
  for (const [key, value] of Object.entries(cloud.env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const { deploy } = await import('../../solutions/01-queue/deploy.ts');
  for (const [index, mistake] of mistakes.entries()) {
    process.env.WORKBOOK_PREFIX = `m${index}`;
    const { error } = await captureOutput(deploy);
    if (error) throw error;
    const url = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    const plant = (attrs: Record<string, string>) =>
      JSON.parse(JSON.stringify(attrs).replaceAll('PREFIX', `m${index}`)) as Record<string, string>;
    if (mistake.orders) {
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl: await url(`m${index}-orders`), Attributes: plant(mistake.orders) }));
    }
    if (mistake.deadLetter) {
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: await url(`m${index}-orders-dlq`), Attributes: plant(mistake.deadLetter) }),
      );
    }
  }
  delete process.env.WORKBOOK_PREFIX;
});
afterAll(() => cloud.close());

/** The check's output for one prefix, run in this process. */
async function checkInProcess(prefix: string): Promise<{ passed: boolean; stdout: string }> {
  process.env.WORKBOOK_PREFIX = prefix;
  try {
    const { result, error, lines } = await captureOutput(() => runCheck(check));
    if (error) throw error;
    return { passed: result!.passed, stdout: lines.join('\n') };
  } finally {
    delete process.env.WORKBOOK_PREFIX;
  }
}

function expectOneFailure(stdout: string, mistake: Mistake): void {
  const failed = failures(stdout);
  expect(failed, stdout).toHaveLength(1);
  const failure = failureBlock(stdout, failed[0]);
  for (const text of mistake.expect) expect(failure, stdout).toContain(text);
  expect(stdout).toContain('npm run check:step-1');
}

describe('check:step-1 catches planted mistakes, each with its fix', () => {
  it('npm run check:step-1 exits 1 and prints the hint (no DLQ)', async () => {
    const result = await runScript('check:step-1', { ...cloud.env, WORKBOOK_PREFIX: 'm0' });
    expect(result.code, result.output).toBe(1);
    expectOneFailure(result.stdout, mistakes[0]);
  });

  it.each(mistakes.map((m, index) => [m.name, m, `m${index}`] as const))('%s', async (_name, mistake, prefix) => {
    const { passed, stdout } = await checkInProcess(prefix);
    expect(passed, stdout).toBe(false); // what makes the script exit 1
    expectOneFailure(stdout, mistake);
  });
});
