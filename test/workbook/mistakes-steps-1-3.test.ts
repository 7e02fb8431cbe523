import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check as check1 } from '../../checks/step-1.ts';
import { check as check2 } from '../../checks/step-2.ts';
import { check as check3 } from '../../checks/step-3.ts';
import type { CheckDefinition } from '../../checks/kit.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { failureBlock, failures, repoRoot } from './support.ts';
import { aimAt, checkInProcess, deploy } from './steps-2-3-support.ts';

/**
 * A learner's likely mistakes in the blanks of steps 1–3, planted in a copy of the repository:
 * the step's file is the solution with one mistake. `npm run step:N` (and where the step
 * succeeds, `npm run check:step-N`) must name the blank and what to write; after the planted
 * file is corrected as told, `npm run step:N` and `npm run check:step-N` pass. Each mistake
 * has its own WORKBOOK_PREFIX, so its resources start from nothing.
 */
const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const FOLDERS = { 1: '01-queue', 2: '02-intake-lambda', 3: '03-api' } as const;
const CHECKS: Record<1 | 2 | 3, CheckDefinition> = { 1: check1, 2: check2, 3: check3 };
type Step = keyof typeof FOLDERS;

let cloud: TestCloud;
let copy: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud); // the checks, and the solutions deployed beforehand, run in this process
  copy = copyRepository();
}, 60_000);
afterAll(async () => {
  await cloud?.close();
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** The repository as a learner has it (every file git tracks or would track), node_modules linked. */
function copyRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'workbook-mistakes-'));
  const listing = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot }).toString();
  for (const path of new Set(listing.split('\0').filter(Boolean))) {
    if (!existsSync(join(repoRoot, path)) || path === 'node_modules') continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(join(repoRoot, path), join(dir, path));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The learner's step folder: the solution (every blank filled), with `from` replaced by `to` in one file. */
function plant(step: Step, file: string, from: string, to: string): void {
  answerAsTheSolution(step);
  const path = join(copy, 'steps', FOLDERS[step], file);
  const source = readFileSync(path, 'utf8');
  const planted = source.replace(from, to);
  expect(planted, `${from} is not in ${file}`).not.toBe(source);
  writeFileSync(path, planted);
}

/** The learner corrects the file as told: it now reads as the solution. */
function answerAsTheSolution(step: Step): void {
  cpSync(join(repoRoot, 'solutions', FOLDERS[step]), join(copy, 'steps', FOLDERS[step]), { recursive: true });
}

interface Result {
  code: number;
  stdout: string;
  output: string;
}

/** What `npm run NAME` runs, in the copy, aimed at the test cloud with this prefix. */
function npmRun(name: string, prefix: string): Promise<Result> {
  const [program, ...args] = scripts[name].split(' ');
  expect(program).toBe('node');
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { cwd: copy, env: { ...cloud.env, WORKBOOK_PREFIX: prefix }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, output: `${stdout}${stderr}` });
      },
    );
    child.stdin?.end();
  });
}

/** The ✘ line of a failed step and its fix: line, as one text. */
function stepFailure(result: Result): string {
  expect(result.code, result.output).toBe(1);
  const [line] = failures(result.stdout);
  expect(line, result.output).toBeDefined();
  return failureBlock(result.stdout, line);
}

/** After the correction: the step and then its check pass, as the printed commands promise. */
async function followTheFix(step: Step, prefix: string): Promise<Result> {
  answerAsTheSolution(step);
  const again = await npmRun(`step:${step}`, prefix);
  expect(again.code, again.output).toBe(0);
  expect(again.stdout).toContain(`npm run check:step-${step}`);
  const checked = await checkInProcess(CHECKS[step], prefix);
  expect(checked.passed, checked.stdout).toBe(true);
  return again;
}

const blocks = (stdout: string) => failures(stdout).map((line) => failureBlock(stdout, line));

const SOLUTION_REDRIVE = 'RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),';
const STEP1_FIX = `fix: in steps/01-queue/deploy.ts write ${SOLUTION_REDRIVE.slice(0, -1)} (the RedrivePolicy blank), then run \`npm run step:1\` again.`;

describe('step 1: a redrive policy SQS refuses is translated by the step into the fix', () => {
  it.each([
    {
      name: "the DLQ's URL instead of its ARN",
      from: 'deadLetterTargetArn: deadLetterQueueArn,',
      to: 'deadLetterTargetArn: deadLetterQueueUrl,',
      says: ['deadLetterTargetArn is a queue URL (http://', 'SQS names a dead-letter target by its ARN (arn:aws:sqs:us-east-1:000000000000:s1-0-orders-dlq)'],
    },
    {
      name: 'an object, not JSON.stringify-ed',
      from: SOLUTION_REDRIVE,
      to: 'RedrivePolicy: { deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: MAX_RECEIVE_COUNT } as never,',
      says: ['RedrivePolicy must be a string of JSON, not a value of type object', 'JSON.stringify(…)'],
    },
    {
      name: 'a string written by hand, not JSON',
      from: SOLUTION_REDRIVE,
      to: 'RedrivePolicy: `{deadLetterTargetArn: ${deadLetterQueueArn}, maxReceiveCount: ${MAX_RECEIVE_COUNT}}`,',
      says: ['RedrivePolicy must be a string of JSON, and "{deadLetterTargetArn: arn:aws:sqs:', 'is not JSON'],
    },
    {
      name: 'maxReceiveCount 0 (out of range)',
      from: 'maxReceiveCount: MAX_RECEIVE_COUNT }',
      to: 'maxReceiveCount: 0 }',
      says: ['maxReceiveCount is 0: SQS takes a whole number from 1 to 1000, and the lesson uses 5 (MAX_RECEIVE_COUNT)'],
    },
    {
      name: 'a misspelt field (maxRecieveCount)',
      from: 'maxReceiveCount: MAX_RECEIVE_COUNT }',
      to: 'maxRecieveCount: MAX_RECEIVE_COUNT }',
      says: ['the JSON lacks a field SQS requires (maxReceiveCount): the two fields are spelt deadLetterTargetArn and maxReceiveCount'],
    },
  ].map((m, index) => ({ ...m, prefix: `s1-${index}` })))('$name', async ({ from, to, says, prefix }) => {
    plant(1, 'deploy.ts', from, to);
    const failed = stepFailure(await npmRun('step:1', prefix));
    expect(failed).toContain("✘ SQS refused the orders queue's RedrivePolicy: ");
    for (const text of says) expect(failed).toContain(text);
    expect(failed).toContain(STEP1_FIX);

    // The check does not send the learner back to the same wall: it names the RedrivePolicy too.
    const checked = await checkInProcess(check1, prefix);
    expect(checked.passed).toBe(false);
    const [missing] = blocks(checked.stdout);
    expect(missing).toContain(`✘ the orders queue ${prefix}-orders exists`);
    expect(missing).toContain(`though ${prefix}-orders-dlq exists`);
    expect(missing).toContain('write RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: MAX_RECEIVE_COUNT })');
    expect(missing).toContain("the DLQ's ARN, not its URL");

    const fixed = await followTheFix(1, prefix);
    expect(fixed.stdout).toContain('to the DLQ after 5 receives');
  });

  it("the DLQ's URL on a queue an earlier run made (SetQueueAttributes): the same translation", async () => {
    const prefix = 's1-existing';
    await deploy(1, prefix);
    plant(1, 'deploy.ts', 'deadLetterTargetArn: deadLetterQueueArn,', 'deadLetterTargetArn: deadLetterQueueUrl,');
    const failed = stepFailure(await npmRun('step:1', prefix));
    expect(failed).toContain('deadLetterTargetArn is a queue URL (http://');
    expect(failed).toContain(STEP1_FIX);
    await followTheFix(1, prefix);
  });

  it('maxReceiveCount 1 written in the blank: the step prints what it applied, the check names the constant to use', async () => {
    const prefix = 's1-one';
    plant(1, 'deploy.ts', 'maxReceiveCount: MAX_RECEIVE_COUNT }', 'maxReceiveCount: 1 }');
    const applied = await npmRun('step:1', prefix);
    expect(applied.code, applied.output).toBe(0);
    expect(applied.stdout).toContain(`✔ ${prefix}-orders: visibility timeout 60 s, long polling 20 s, to the DLQ after 1 receives`);
    expect(applied.stdout).toContain(`(dead letters to arn:aws:sqs:us-east-1:000000000000:${prefix}-orders-dlq)`);

    const checked = await checkInProcess(check1, prefix);
    expect(checked.passed).toBe(false);
    const [low] = blocks(checked.stdout);
    expect(low).toContain('maxReceiveCount is 1:');
    expect(low).toContain('set MAX_RECEIVE_COUNT = 5 and use it in the RedrivePolicy (maxReceiveCount: MAX_RECEIVE_COUNT)');

    const fixed = await followTheFix(1, prefix);
    expect(fixed.stdout).toContain('existed with other settings: applied this script\'s attributes with SetQueueAttributes');
    expect(fixed.stdout).toContain('to the DLQ after 5 receives');
  });
});

const SOLUTION_STATEMENT = "{ Sid: 'SendOrdersToTheQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn },";
const STEP2_FIX =
  "fix: in steps/02-intake-lambda/deploy.ts write the statement (the blank in sendOrdersPolicy) as { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }, then run `npm run step:2` again.";

describe('step 2: a policy statement IAM refuses is translated by the step; one it accepts, by the check', () => {
  it.each([
    {
      name: "the queue's URL as Resource",
      to: "{ Sid: 'SendOrdersToTheQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueUrl },",
      says: ['MalformedPolicyDocument: Partition', "its Resource is not an ARN. A policy names a queue by its ARN (arn:aws:sqs:us-east-1:000000000000:s2-0-orders, in ordersQueueArn), not by its URL (ordersQueueUrl)"],
    },
    {
      name: 'the statement as a JSON string',
      to: "JSON.stringify({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }) as never,",
      says: ['MalformedPolicyDocument: Syntax errors in policy.', "the statement must be an object with IAM's field names"],
    },
    {
      name: 'the action without its service (SendMessage)',
      to: "{ Sid: 'SendOrdersToTheQueue', Effect: 'Allow', Action: 'SendMessage', Resource: ordersQueueArn },",
      says: ["an Action is written service:Action, e.g. 'sqs:SendMessage'"],
    },
  ].map((m, index) => ({ ...m, prefix: `s2-${index}` })))('$name', async ({ to, says, prefix }) => {
    await deploy(1, prefix);
    plant(2, 'deploy.ts', SOLUTION_STATEMENT, to);
    const failed = stepFailure(await npmRun('step:2', prefix));
    expect(failed).toContain('✘ IAM refused the policy send-orders (MalformedPolicyDocument');
    for (const text of says) expect(failed).toContain(text);
    expect(failed).toContain(STEP2_FIX);
    await followTheFix(2, prefix);
  });

  it('a misspelt action (sqs:Send): the step prints what it granted, the check names the action to write', async () => {
    const prefix = 's2-typo';
    await deploy(1, prefix);
    plant(2, 'deploy.ts', SOLUTION_STATEMENT, "{ Sid: 'SendOrdersToTheQueue', Effect: 'Allow', Action: 'sqs:Send', Resource: ordersQueueArn },");
    const applied = await npmRun('step:2', prefix);
    expect(applied.code, applied.output).toBe(0);
    expect(applied.stdout).toContain(`may write logs; policy send-orders: Allow sqs:Send on arn:aws:sqs:us-east-1:000000000000:${prefix}-orders`);

    const checked = await checkInProcess(check2, prefix);
    expect(checked.passed).toBe(false);
    const grant = blocks(checked.stdout).find((b) => b.includes('✘ the role allows sqs:SendMessage'))!;
    expect(grant, checked.stdout).toContain('The statement on the queue allows sqs:Send, which is not sqs:SendMessage');
    expect(grant).toContain("fill the policy statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ordersQueueArn }");

    const fixed = await followTheFix(2, prefix);
    expect(fixed.stdout).toContain(`Allow sqs:SendMessage on arn:aws:sqs:us-east-1:000000000000:${prefix}-orders`);
  });
});

const SOLUTION_SOURCE_ARN =
  "executeApiArn({ partition, region, accountId: accountId!, apiId: restApiId, stage: '*', method: HTTP_METHOD, path: `/${PATH_PART}` })";

describe('step 3: a SourceArn Lambda refuses is translated by the step; one that matches nothing, by the check', () => {
  it('the invoke URL as SourceArn: Lambda refuses it, and the step says to build the execute-api ARN', async () => {
    const prefix = 's3-url';
    await deploy(1, prefix);
    await deploy(2, prefix);
    plant(3, 'deploy.ts', SOLUTION_SOURCE_ARN, 'invokeUrl(restApiId, n.apiStage, `/${PATH_PART}`)');
    const failed = stepFailure(await npmRun('step:3', prefix));
    expect(failed).toContain('✘ Lambda refused the SourceArn "http://127.0.0.1:');
    expect(failed).toContain('it is not an ARN');
    expect(failed).toContain('arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH');
    expect(failed).toContain(`fix: in steps/03-api/deploy.ts write the SourceArn blank as ${SOLUTION_SOURCE_ARN.replace("accountId!", 'accountId!')}, then run \`npm run step:3\` again.`);
    await followTheFix(3, prefix);
  });

  it.each([
    { name: "the function's own ARN", to: 'functionArn', says: "It names the service lambda (it is a function's ARN" },
    {
      name: 'no stage part',
      to: '`arn:${partition}:execute-api:${region}:${accountId}:${restApiId}/${HTTP_METHOD}/${PATH_PART}`',
      says: 'It has no stage part: after the API id come the stage (* for any stage), the method, then the path.',
    },
    {
      name: 'a path without its slash',
      to: "executeApiArn({ partition, region, accountId: accountId!, apiId: restApiId, stage: '*', method: HTTP_METHOD, path: PATH_PART })",
      says: 'Its method part is POSTorders: the path needs its leading slash (/orders).',
    },
  ].map((m, index) => ({ ...m, prefix: `s3-${index}` })))('$name: the check says which part is wrong', async ({ to, says, prefix }) => {
    await deploy(1, prefix);
    await deploy(2, prefix);
    plant(3, 'deploy.ts', SOLUTION_SOURCE_ARN, to);
    const applied = await npmRun('step:3', prefix);
    expect(applied.code, applied.output).toBe(0);
    const checked = await checkInProcess(check3, prefix);
    expect(checked.passed).toBe(false);
    const [permission] = blocks(checked.stdout);
    expect(permission).toContain("the permission's SourceArn ");
    expect(permission).toContain(says);
    expect(permission).toMatch(/needs SourceArn arn:aws:execute-api:us-east-1:000000000000:\w+\/\*\/POST\/orders/);
    await followTheFix(3, prefix);
  });
});
