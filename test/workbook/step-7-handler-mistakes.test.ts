import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient, UpdateFunctionCodeCommand, waitUntilFunctionUpdatedV2 } from '@aws-sdk/client-lambda';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { check } from '../../checks/step-7.ts';
import { bundleHandler } from '../../lib/lambda.ts';
import { failureBlock, failures, repoRoot } from './support.ts';
import { aimAt, checkInProcess } from './steps-2-3-support.ts';
import { allItems, deployPrerequisites, deploySolution } from './steps-6-7-support.ts';

/**
 * Planted mistakes in the recorder's handler: each test deploys the solution's handler with one
 * piece changed, as a learner's might be, runs the check, and the next starts from the solution.
 */
let cloud: TestCloud;
let lambda: LambdaClient;
let dynamodb: DynamoDBClient;
let scratch: string;
const FUNCTION = 'workbook-recorder';

beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  lambda = new LambdaClient(cloud.clientConfig);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
  scratch = mkdtempSync(join(tmpdir(), 'recorder-handler-'));
  await deployPrerequisites();
  await deploySolution(7);
});
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await cloud.close();
});
afterEach(async () => {
  await deploySolution(7); // the solution's code again (its SHA-256 differs from the planted one)
});

const blocks = (stdout: string) => failures(stdout).map((line) => failureBlock(stdout, line));

/** Deploys the solution's handler with one piece of code replaced. */
async function plantHandler(replace: string, by: string): Promise<void> {
  const source = readFileSync(join(repoRoot, 'solutions/07-recorder-lambda/handler.ts'), 'utf8');
  expect(source).toContain(replace);
  const file = join(scratch, `handler-${Date.now()}.ts`);
  writeFileSync(file, source.replace(replace, by).replaceAll("'../../lib/", `'${repoRoot}/lib/`));
  const code = await bundleHandler(file);
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: FUNCTION, ZipFile: code.zip }));
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: FUNCTION });
}

describe("check:step-7 catches mistakes in the recorder's handler, each with its fix", () => {
  it('a write without its condition: a redelivery overwrites the stored update', async () => {
    await plantHandler("        ConditionExpression: 'attribute_not_exists(eventKey)',\n", '');
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('✘ the same update delivered twice is stored once');
    expect(found[0]).toContain('the second delivery replaced the stored item');
    expect(found[0]).toContain("make the PutItem conditional: ConditionExpression: 'attribute_not_exists(eventKey)'");
    expect(await allItems(dynamodb, 'workbook-order-events')).toEqual([]);
  });

  it('a key derived from the SNS message (its time and MessageId): one update delivered twice makes two items', async () => {
    await plantHandler('eventKey: eventKeyOf(orderTime, update.status),', 'eventKey: eventKeyOf(eventTime, message.MessageId),');
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(2);
    expect(found[0]).toContain('✘ a probe update published to the topic is recorded');
    expect(found[0]).toContain('eventKey is');
    expect(found[1]).toContain('one update delivered twice made 2 items');
    expect(found[1]).toContain('on a key that is the same for every delivery of an update (its order\'s time and its status, not the MessageId)');
    expect(await allItems(dynamodb, 'workbook-order-events')).toEqual([]);
  });

  it('a failed condition treated as an error: the redelivery fails, though the update is stored', async () => {
    await plantHandler("if (name === 'ConditionalCheckFailedException') {", "if (name === 'ConditionalCheckFailed') {");
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('the second delivery failed (ConditionalCheckFailedException');
    expect(found[0]).toContain('catch the error named ConditionalCheckFailedException and return');
  });

  it('errors swallowed: a malformed update vanishes without a trace', async () => {
    await plantHandler('for (const record of records) await recordUpdate(tableName, record.Sns);', 'for (const record of records) await recordUpdate(tableName, record.Sns).catch(() => {});');
    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('the function returned normally for a message that is not a status update');
    expect(found[0]).toContain('throw an error for a message that cannot be recorded');
  });
});
