import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueUrlCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { statusLine } from '../../scripts/status.ts';
import { runScript } from './support.ts';
import { aimAt, deploy } from './steps-2-3-support.ts';

let cloud: TestCloud;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  sqs = new SQSClient(cloud.clientConfig);
  await deploy(1);
  ({ QueueUrl: queueUrl } = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders' }))) as { QueueUrl: string });
  // Someone else's message: check:step-1 may not receive from the queue while it waits there.
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"orderId":"someone-elses"}' }));
}, 60_000);
afterAll(() => cloud.close());

const lineOf = (stdout: string, step: number) => stdout.split('\n').find((line) => new RegExp(`^. step ${step}  `).test(line)) ?? '';

describe('npm run status', () => {
  it('by default looks at the configuration only, and says how to try the behaviour', async () => {
    const result = await runScript('status', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('(configuration only)');
    expect(result.stdout).toContain('Behaviour (orders through the pipeline) was not tried: `npm run status -- --deep` does');
    // The queue's configuration is right: its behaviour (the waiting message) was not looked at.
    expect(lineOf(result.stdout, 1)).toBe('✔ step 1  The orders queue and its dead-letter queue');
  }, 60_000);

  it('--deep tries the behaviour: a step whose behaviour could not be verified is incomplete, not passed', async () => {
    const result = await runScript('status', cloud.env, '--deep');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('(configuration and behaviour)');
    const step1 = lineOf(result.stdout, 1);
    expect(step1).toMatch(/^– step 1 {2}.*: incomplete, not verified: a message sent to the orders queue can be received/);
    expect(step1).toContain('workbook-orders holds 1 message(s) the check did not send');
    expect(result.stdout).toContain('Step 1: consume them, or empty the queue');
  }, 120_000);

  it('a failing step says what is wrong, never the title of the verification as if it were true', async () => {
    const result = await runScript('status', cloud.env);
    const step6 = lineOf(result.stdout, 6);
    expect(step6).toMatch(/^✘ step 6 {2}.*: there is no table named workbook-order-events on local cloud at/);
    expect(step6).not.toContain('the table workbook-order-events exists');
  }, 60_000);

  it('statusLine: the wrong of the first ✘, the label and why of the first skip', () => {
    const step = { number: 6, title: 'The order-events table' };
    const failed = statusLine(step, {
      step: 6,
      passed: false,
      verdict: 'fail',
      behaviourTried: false,
      results: [{ label: 'the table workbook-order-events exists', outcome: 'fail', wrong: 'there is no table named workbook-order-events on AWS. More.', fix: 'create it' }],
    });
    expect(failed).toEqual({ mark: 'fail', text: 'step 6  The order-events table: there is no table named workbook-order-events on AWS' });
    const incomplete = statusLine(step, {
      step: 6,
      passed: false,
      verdict: 'incomplete',
      behaviourTried: true,
      results: [
        { label: 'the table exists', outcome: 'pass' },
        { label: 'a window read finds the probes', outcome: 'skip', wrong: 'the index above needs fixing first.', fix: 'fix it' },
      ],
    });
    expect(incomplete.mark).toBe('incomplete');
    expect(incomplete.text).toBe('step 6  The order-events table: incomplete, not verified: a window read finds the probes (the index above needs fixing first)');
  });

  it('an unknown option is refused with what to type', async () => {
    const result = await runScript('status', cloud.env, '--deeep');
    expect(result.code).toBe(1);
    expect(result.output).toContain('npm run status does not know --deeep.');
  }, 30_000);
});

