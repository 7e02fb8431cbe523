import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueUrlCommand, SQSClient, SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { deployedOf, describeStep, nextStep, statusLine, type StepStatus } from '../../scripts/status.ts';
import type { CheckOutcome } from '../../checks/kit.ts';
import { repoRoot, runScript } from './support.ts';
import { copyOfRepository } from '../support/committed-steps.ts';
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
/** The line under a step's: blanks · deployed · check. */
const detailOf = (stdout: string, step: number) => {
  const lines = stdout.split('\n');
  return lines[lines.indexOf(lineOf(stdout, step)) + 1]?.trim() ?? '';
};
const nextOf = (stdout: string) => /^Next: (.*)$/m.exec(stdout)?.[1] ?? '';

describe('npm run status', () => {
  it('by default looks at the configuration only, and says how to try the behaviour', async () => {
    const result = await runScript('status', cloud.env);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('(configuration only)');
    expect(result.stdout).toContain('Behaviour (orders through the pipeline) was not tried: `npm run status -- --deep` does');
    // The queue's configuration is right: its behaviour (the waiting message) was not looked at. Deployed from
    // the solution, while the learner's copy still has its blank: not done.
    expect(lineOf(result.stdout, 1)).toBe('○ step 1  The orders queue and its dead-letter queue: 1 blank to fill in');
    expect(detailOf(result.stdout, 1)).toMatch(/^blanks: 1 left, the first at steps\/01-queue\/deploy\.ts:\d+ · deployed: yes · check: passes$/);
  }, 60_000);

  it('--deep tries the behaviour: a step whose behaviour could not be verified is incomplete, not passed', async () => {
    const result = await runScript('status', cloud.env, '--deep');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('(configuration and behaviour)');
    expect(detailOf(result.stdout, 1)).toMatch(/· deployed: yes · check: incomplete$/);
  }, 120_000);

  it('a failing step says what is wrong, never the title of the verification as if it were true', async () => {
    const result = await runScript('status', cloud.env);
    // Its blank is left, so the line says so; the check's title is quoted nowhere.
    expect(lineOf(result.stdout, 6)).toMatch(/^○ step 6 {2}The order-events table: \d+ blanks? to fill in/);
    // A step without blanks whose resource is missing says so, in the check's words.
    expect(lineOf(result.stdout, 4)).toMatch(/^✘ step 4 {2}The order-updates topic: there is no topic named workbook-order-updates/);
    expect(result.stdout).not.toContain('the topic workbook-order-updates exists');
    expect(detailOf(result.stdout, 6)).toMatch(/· deployed: no · check: fails$/);
    expect(result.stdout).not.toContain('the table workbook-order-events exists');
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


/** Runs what `npm run NAME -- ARGS` runs (package.json's command) in `cwd`; never rejects. */
function runScriptIn(cwd: string, name: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; output: string }> {
  const scripts = (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [, ...rest] = scripts[name].split(' ');
  return new Promise((resolve) => {
    execFile(process.execPath, [...rest, ...args], { cwd, env, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}

/** A copy of the repository as a learner has it, with the blanks as committed (test/support/committed-steps.ts). */
const copyRepository = (): string => copyOfRepository(repoRoot, 'workbook-status-copy-');

describe('npm run status on a copy of the repository, as a learner goes', () => {
  let fresh: TestCloud;
  let copy: string;
  const blankAt = (file: string, marker: string) => readFileSync(join(copy, file), 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;

  beforeAll(async () => {
    fresh = await startTestCloud();
    copy = copyRepository();
  }, 60_000);
  afterAll(async () => {
    await fresh?.close();
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('fresh: every blank left, nothing deployed; the next thing is step 1\'s blank', async () => {
    const result = await runScriptIn(copy, 'status', fresh.env);
    expect(result.code, result.output).toBe(0);
    const line = blankAt('steps/01-queue/deploy.ts', 'RedrivePolicy: todo(');
    expect(lineOf(result.stdout, 0)).toBe('✔ step 0  Set up: target, identity, region');
    expect(detailOf(result.stdout, 0)).toBe('blanks: none left · deployed: nothing to deploy · check: passes');
    expect(lineOf(result.stdout, 1)).toBe('○ step 1  The orders queue and its dead-letter queue: 1 blank to fill in');
    expect(detailOf(result.stdout, 1)).toBe(`blanks: 1 left, the first at steps/01-queue/deploy.ts:${line} · deployed: no · check: fails`);
    // A step whose check stops at an earlier step's missing resource cannot tell whether its own exist.
    expect(detailOf(result.stdout, 2)).toMatch(/^blanks: \d+ left, the first at steps\/02-intake-lambda\/\S+:\d+ · deployed: not checked \(an earlier step is missing\) · check: fails$/);
    expect(lineOf(result.stdout, 4)).toMatch(/^✘ step 4 {2}The order-updates topic: there is no topic named workbook-order-updates/);
    expect(detailOf(result.stdout, 4)).toBe('blanks: none left · deployed: no · check: fails');
    // Step 8 has no blanks and nothing of its own: its check stops at the pipeline steps 1–7 make, so it waits.
    expect(lineOf(result.stdout, 8)).toBe('○ step 8  Orders end to end, traced to the table: waits for step 1, not done yet');
    expect(detailOf(result.stdout, 8)).toBe('blanks: none left · deployed: not checked (an earlier step is missing) · check: fails');
    expect(nextOf(result.stdout)).toMatch(new RegExp(`^fill in the blank at steps/01-queue/deploy\\.ts:${line} \\(step 1: .+\\), then run \`npm run step:1\`\\.$`));

    // The check says "create it: npm run step:1", which would stop at the blank: it says to fill that in first.
    const check = await runScriptIn(copy, 'check:step-1', fresh.env);
    expect(check.stdout).toContain(`first: fill in the blank at steps/01-queue/deploy.ts:${line} (step 1: `);
    expect(check.stdout).toContain('`npm run step:1` stops there until it is.');
  }, 90_000);

  it('step 1 filled in and deployed: ✔, and the next thing is step 2\'s blank; a wrong setting then is step 1\'s fix', async () => {
    cpSync(join(copy, 'solutions/01-queue/deploy.ts'), join(copy, 'steps/01-queue/deploy.ts'));
    const deployed = await runScriptIn(copy, 'step:1', fresh.env);
    expect(deployed.code, deployed.output).toBe(0);

    const result = await runScriptIn(copy, 'status', fresh.env);
    expect(lineOf(result.stdout, 1)).toBe('✔ step 1  The orders queue and its dead-letter queue');
    expect(detailOf(result.stdout, 1)).toBe('blanks: none left · deployed: yes · check: passes');
    const next = nextOf(result.stdout);
    expect(next).toMatch(/^fill in the blank at steps\/02-intake-lambda\/\S+:\d+ \(step 2: .+\), then run `npm run step:2`\.$/);

    // The queue changed behind the lesson's back: the check's own words say what is wrong and what to run.
    const sqs = new SQSClient(fresh.clientConfig);
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'workbook-orders' }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { ReceiveMessageWaitTimeSeconds: '0' } }));
    const check = await runScriptIn(copy, 'check:step-1', fresh.env);
    const wrong = /^ {4}wrong: (.*)$/m.exec(check.stdout)?.[1] ?? '';
    const fix = /^ {4}fix: (.*)$/m.exec(check.stdout)?.[1] ?? '';
    expect(wrong).not.toBe('');
    const failing = await runScriptIn(copy, 'status', fresh.env);
    const step1 = lineOf(failing.stdout, 1);
    expect(step1.startsWith('✘ step 1  The orders queue and its dead-letter queue: ')).toBe(true);
    expect(wrong.startsWith(step1.slice('✘ step 1  The orders queue and its dead-letter queue: '.length))).toBe(true);
    expect(detailOf(failing.stdout, 1)).toBe('blanks: none left · deployed: yes · check: fails');
    expect(nextOf(failing.stdout)).toBe(`step 1: ${fix.replace(/[.\s]+$/, '')}${/npm run /.test(fix) ? '.' : ', then run `npm run check:step-1`.'}`);
    expect(nextOf(failing.stdout)).toMatch(/npm run (step:1|check:step-1)/);
  }, 120_000);
});

describe('deployedOf and nextStep', () => {
  const outcome = (verdict: CheckOutcome['verdict'], results: CheckOutcome['results']): CheckOutcome => ({ step: 1, passed: verdict === 'pass', verdict, behaviourTried: false, results });
  const step = { number: 3, title: 'The REST API: POST /orders', folder: '03-api' };

  it('deployed: the step\'s own resources (exists()), not its prerequisites', () => {
    expect(deployedOf(outcome('pass', [{ label: 'a', outcome: 'pass' }]))).toBe('nothing to deploy');
    expect(deployedOf(outcome('fail', [{ label: 'the function exists (step 2)', outcome: 'fail', wrong: 'x' }]))).toBe('not checked');
    expect(deployedOf(undefined)).toBe('not checked');
    expect(deployedOf(outcome('fail', [{ label: 'api', outcome: 'fail', resource: true, wrong: 'x' }]))).toBe('no');
    expect(deployedOf(outcome('fail', [{ label: 'dlq', outcome: 'pass', resource: true }, { label: 'q', outcome: 'fail', resource: true, wrong: 'x' }]))).toBe('partly');
    expect(deployedOf(outcome('fail', [{ label: 'api', outcome: 'pass', resource: true }, { label: 'stage', outcome: 'fail', wrong: 'x' }]))).toBe('yes');
  });

  it('next: the first step not done; its blank, its deployment, its fix, or the check', () => {
    const done: StepStatus = { step: { number: 1, title: 't', folder: '01-queue' }, blanks: [], outcome: outcome('pass', [{ label: 'q', outcome: 'pass', resource: true }]) };
    expect(nextStep([done])).toBeUndefined();
    const notDeployed: StepStatus = { step, blanks: [], outcome: outcome('fail', [{ label: 'api', outcome: 'fail', resource: true, wrong: 'no API', fix: 'create it: `npm run step:3`' }]) };
    expect(nextStep([done, notDeployed])).toEqual({ step: 3, text: 'step 3 is not deployed yet: run `npm run step:3`.' });
    const wrong: StepStatus = { step, blanks: [], outcome: outcome('fail', [{ label: 'api', outcome: 'pass', resource: true }, { label: 'p', outcome: 'fail', wrong: 'no permission', fix: 'add it in steps/03-api/deploy.ts' }]) };
    expect(nextStep([done, wrong])?.text).toBe('step 3: add it in steps/03-api/deploy.ts, then run `npm run check:step-3`.');
    const stopped: StepStatus = { step, blanks: [], error: new Error('boom') };
    expect(nextStep([stopped])?.text).toBe('`npm run check:step-3` shows why the check stopped.');
    expect(describeStep(stopped)).toEqual({ mark: 'fail', text: 'step 3  The REST API: POST /orders: the check stopped: boom', detail: 'blanks: none left · deployed: not checked (an earlier step is missing) · check: stopped' });
    // Stopped at an earlier step's resource: waits for the first step not done; with none, what is wrong is said.
    const prerequisite: StepStatus = { step, blanks: [], outcome: outcome('fail', [{ label: 'the function exists (step 2)', outcome: 'fail', wrong: 'there is no function workbook-intake.' }]) };
    expect(describeStep(prerequisite, 2)).toEqual({
      mark: 'todo',
      text: 'step 3  The REST API: POST /orders: waits for step 2, not done yet',
      detail: 'blanks: none left · deployed: not checked (an earlier step is missing) · check: fails',
    });
    expect(describeStep(prerequisite)).toMatchObject({ mark: 'fail', text: 'step 3  The REST API: POST /orders: there is no function workbook-intake' });
    // Its own resource missing is its own failure, whatever comes before.
    expect(describeStep(notDeployed, 1).mark).toBe('fail');
    const missing: StepStatus = { step, blanks: undefined, outcome: outcome('pass', []) };
    expect(nextStep([missing])?.text).toBe('steps/03-api is missing or unreadable: `npm run reset 3` brings its committed version back.');
    // Passed, deployed from solutions/, but the learner's blank is left: not done.
    const solutionOnly: StepStatus = { ...done, blanks: [{ file: 'steps/01-queue/deploy.ts', line: 41, whatToWrite: 'step 1: the redrive policy' }] };
    expect(nextStep([solutionOnly])?.text).toBe('fill in the blank at steps/01-queue/deploy.ts:41 (step 1: the redrive policy), then run `npm run step:1`.');
  });
});
