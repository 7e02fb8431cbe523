import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { check as check5 } from '../../checks/step-5.ts';
import { check as check6 } from '../../checks/step-6.ts';
import { check as check7 } from '../../checks/step-7.ts';
import { captureOutput } from '../../lib/output.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { failureBlock, failures, repoRoot, runScript } from './support.ts';
import { aimAt, checkInProcess, withPrefix } from './steps-2-3-support.ts';
import { deployPrerequisites, deploySolution, fastAsyncRetries } from './steps-6-7-support.ts';

/**
 * The learner's likely mistakes in the blanks of steps 5, 6 and 7, each planted in a copy of the
 * step (the solution with that one blank written wrong) and run as the learner runs it: the step
 * itself translates AWS's cryptic refusals into the blank to fix, the check catches the rest.
 * After each, the fix is applied (the step as it should be) and the command the message printed
 * next must work: the step runs, and the check passes.
 */
const scratch = join(repoRoot, 'test', 'workbook', `.planted-steps-5-7-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of solutions/FOLDER with each `from` replaced by its `to`; the path of its deploy.ts. */
function plantStep(folder: string, replacements: [from: string, to: string][]): string {
  const target = join(scratch, randomUUID(), folder);
  mkdirSync(target, { recursive: true });
  cpSync(join(repoRoot, 'solutions', folder), target, { recursive: true });
  const sources = readdirSync(target).filter((file) => file.endsWith('.ts'));
  const text = new Map(sources.map((file) => [file, readFileSync(join(target, file), 'utf8')]));
  for (const [from, to] of replacements) {
    const file = sources.find((f) => text.get(f)!.includes(from));
    expect(file, `no file of solutions/${folder} contains ${from}`).toBeDefined();
    text.set(file!, text.get(file!)!.replace(from, to));
  }
  for (const [file, source] of text) writeFileSync(join(target, file), source.replaceAll("'../../lib/", `'${repoRoot}/lib/`));
  return join(target, 'deploy.ts');
}

interface StepRun {
  output: string;
  error?: Error & { hint?: string };
}

/** Runs a planted step's deploy() in this process, as `npm run step:N` runs the learner's. */
async function runPlanted(deployFile: string, prefix?: string): Promise<StepRun> {
  const module = (await import(pathToFileURL(deployFile).href)) as { deploy: () => Promise<unknown> };
  const { error, lines } = await withPrefix(prefix, () => captureOutput(module.deploy));
  return { output: lines.join('\n'), error: error as StepRun['error'] };
}

const blocks = (stdout: string) => failures(stdout).map((line) => failureBlock(stdout, line));

/** Runs the `npm run aws -- …` command a message printed, as the learner would paste it. */
async function runPrintedAwsCommand(cloud: TestCloud, text: string): Promise<void> {
  const command = /`npm run aws -- ([^`]+)`/.exec(text)?.[1];
  expect(command, text).toBeDefined();
  const result = await runScript('aws', cloud.env, ...command!.split(/\s+/));
  expect(result.code, result.output).toBe(0);
}

async function expectCheckPasses(check: typeof check5, prefix?: string): Promise<void> {
  const { passed, stdout } = await checkInProcess(check, prefix);
  expect(failures(stdout), stdout).toEqual([]);
  expect(passed, stdout).toBe(true);
}

describe('step 5: mistakes in the mapping and the failure path', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud();
    aimAt(cloud);
    delete process.env.NOTIFY_EMAIL;
    for (const step of [1, 2, 3, 4]) await deploySolution(step);
  }, 60_000);
  afterAll(() => cloud.close());

  it("the lessons' claims about the mapping hold: batches of up to 10, no batching window (steps 5 and 8 say so)", async () => {
    await deploySolution(5);
    const lambda = new LambdaClient(cloud.clientConfig);
    const [mapping] = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'workbook-monitor' }))).EventSourceMappings!;
    expect([mapping.BatchSize, mapping.MaximumBatchingWindowInSeconds ?? 0, mapping.FunctionResponseTypes]).toEqual([10, 0, ['ReportBatchItemFailures']]);
    for (const folder of ['steps', 'solutions']) {
      const step5 = readFileSync(join(repoRoot, folder, '05-monitor-lambda/README.md'), 'utf8');
      expect(step5).toContain('`BatchSize: 10`');
      expect(step5).toContain('`MaximumBatchingWindowInSeconds: 0`, written out: no batching window.');
      const step8 = readFileSync(join(repoRoot, folder, '08-end-to-end/README.md'), 'utf8').replace(/\s+/g, ' ');
      expect(step8).toContain('(step 5: batches of up to 10 orders, and no batching window)');
      expect(step8).not.toMatch(/gathered for at most \d/);
    }
  });

  it('FunctionResponseTypes misspelt: the step names the blank and the enum, not only "failed to satisfy constraint"', async () => {
    const step = plantStep('05-monitor-lambda', [['[FunctionResponseType.ReportBatchItemFailures]', "['ReportBatchItemFailure']"]]);
    const { error } = await runPlanted(step);
    expect(error?.message).toContain("Lambda refused the mapping's FunctionResponseTypes");
    expect(error?.message).toContain("Value '[ReportBatchItemFailure]' at 'functionResponseTypes' failed to satisfy constraint");
    expect(error?.message).toContain('It takes a list, and its one value is spelt ReportBatchItemFailures.');
    expect(error?.hint).toContain('in steps/05-monitor-lambda/deploy.ts write FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures]');
    expect(error?.hint).toContain('then run `npm run step:5` again');
    // The fix, then the printed command: the step runs, and says what the mapping now applies.
    const output = await deploySolution(5);
    expect(output).toContain('mapping Enabled: batches of up to 10, batching window 0 s, with ReportBatchItemFailures');
  });

  it('FunctionResponseTypes as a string, not a list (on an existing mapping: UpdateEventSourceMapping refuses it the same way)', async () => {
    const step = plantStep('05-monitor-lambda', [['[FunctionResponseType.ReportBatchItemFailures]', 'FunctionResponseType.ReportBatchItemFailures']]);
    const { error } = await runPlanted(step);
    expect(error?.message).toContain("Value 'ReportBatchItemFailures' at 'functionResponseTypes'");
    expect(error?.hint).toContain('FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures]');
    await deploySolution(5);
  });

  it('FunctionResponseTypes left empty: the step prints what the mapping applies (no partial batch responses), the check names the fix', async () => {
    const step = plantStep('05-monitor-lambda', [['[FunctionResponseType.ReportBatchItemFailures]', '[]']]);
    const { output, error } = await runPlanted(step);
    expect(error).toBeUndefined();
    expect(output).toContain('mapping Enabled: batches of up to 10, batching window 0 s, WITHOUT partial batch responses');
    const { passed, stdout } = await checkInProcess(check5);
    expect(passed, stdout).toBe(false);
    const [found] = blocks(stdout);
    expect(found).toContain('✘ it passes on partial batch responses (FunctionResponseTypes: ReportBatchItemFailures)');
    expect(found).toContain('fix: in steps/05-monitor-lambda/deploy.ts set FunctionResponseTypes: [FunctionResponseType.ReportBatchItemFailures], then run `npm run step:5`');
    expect(await deploySolution(5)).toContain('with ReportBatchItemFailures');
    await expectCheckPasses(check5);
  });

  it('a catch block that throws but logs nothing: the check asks for the log line, with its fields', async () => {
    const solution = readFileSync(join(repoRoot, 'solutions/05-monitor-lambda/handler.ts'), 'utf8');
    const logCall = solution.slice(solution.indexOf('    logger.error('), solution.indexOf('    throw error;'));
    expect(logCall).toContain('record.messageId');
    const step = plantStep('05-monitor-lambda', [[logCall, '']]);
    const { error } = await runPlanted(step);
    expect(error).toBeUndefined();
    const { passed, stdout } = await checkInProcess(check5);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('✘ a malformed message is reported as a batch item failure');
    expect(found[0]).toContain('but no line of its log names it');
    expect(found[0]).toContain("in processOrder's catch block, first logger.error('order not processed', { messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount), error }), then throw error");
    await deploySolution(5);
    await expectCheckPasses(check5);
  });
});

describe('step 6: mistakes in the key schemas', () => {
  let cloud: TestCloud;
  let dynamodb: DynamoDBClient;
  beforeAll(async () => {
    cloud = await startTestCloud();
    aimAt(cloud);
    dynamodb = new DynamoDBClient(cloud.clientConfig);
  });
  afterAll(() => cloud.close());

  const TABLE_KEY = "{ AttributeName: ORDER_ID, KeyType: 'HASH' },\n    { AttributeName: EVENT_KEY, KeyType: 'RANGE' },";
  const INDEX_KEY = "{ AttributeName: TIME_BUCKET, KeyType: 'HASH' },\n    { AttributeName: EVENT_KEY, KeyType: 'RANGE' },";

  /** The step refuses before anything is made; the step as it should be then runs, and the check passes. */
  async function refusedThenFixed(prefix: string, replacements: [string, string][], expected: { said: string; why: string; write: string }) {
    const { error } = await runPlanted(plantStep('06-table', replacements), prefix);
    expect(error?.message).toContain(expected.said);
    expect(error?.message).toContain(expected.why);
    expect(error?.hint).toContain(`write ${expected.write}, then run \`npm run step:6\` again (nothing was created).`);
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).not.toContain(`${prefix}-order-events`);
    expect(await deploySolution(6, prefix)).toContain(`${prefix}-order-events: ACTIVE, on-demand; key orderId (HASH) + eventKey (RANGE)`);
    await expectCheckPasses(check6, prefix);
  }

  it('the sort key first: the step says HASH comes first, naming tableKey', async () => {
    await refusedThenFixed('rangefirst', [[TABLE_KEY, "{ AttributeName: EVENT_KEY, KeyType: 'RANGE' },\n    { AttributeName: ORDER_ID, KeyType: 'HASH' },"]], {
      said: 'DynamoDB refused the key schema of the table (tableKey): "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"',
      why: 'the partition key (HASH) comes first, then the sort key (RANGE)',
      write: "tableKey = [{ AttributeName: ORDER_ID, KeyType: 'HASH' }, { AttributeName: EVENT_KEY, KeyType: 'RANGE' }]",
    });
  });

  it('an attribute name typed by hand, misspelt: the step points to the declared constants', async () => {
    await refusedThenFixed('typo', [[TABLE_KEY, "{ AttributeName: 'orderID', KeyType: 'HASH' },\n    { AttributeName: EVENT_KEY, KeyType: 'RANGE' },"]], {
      said: 'Some index key attributes are not defined in AttributeDefinitions. Keys: [orderID, eventKey]',
      why: '"orderID" is not an attribute declared in ATTRIBUTE_DEFINITIONS (orderId, eventKey, timeBucket): name them by their constants (ORDER_ID, EVENT_KEY, TIME_BUCKET)',
      write: "tableKey = [{ AttributeName: ORDER_ID, KeyType: 'HASH' }, { AttributeName: EVENT_KEY, KeyType: 'RANGE' }]",
    });
  });

  it("KeyType in lower case ('hash'), in the index's key: the step names indexKey and the capitals", async () => {
    await refusedThenFixed('lower', [[INDEX_KEY, "{ AttributeName: TIME_BUCKET, KeyType: 'hash' },\n    { AttributeName: EVENT_KEY, KeyType: 'range' },"]], {
      // (AWS words it "Value 'hash' at 'globalSecondaryIndexes.1.member.keySchema.1.member.keyType' failed to satisfy constraint…".)
      said: 'DynamoDB refused the key schema of its index by-time (indexKey): "',
      why: "KeyType is 'HASH' or 'RANGE', in capitals",
      write: "indexKey = [{ AttributeName: TIME_BUCKET, KeyType: 'HASH' }, { AttributeName: EVENT_KEY, KeyType: 'RANGE' }]",
    });
  });

  it('two HASH elements: the step says one HASH, at most one RANGE', async () => {
    await refusedThenFixed('twohash', [[TABLE_KEY, "{ AttributeName: ORDER_ID, KeyType: 'HASH' },\n    { AttributeName: EVENT_KEY, KeyType: 'HASH' },"]], {
      said: 'The second KeySchemaElement is not a RANGE key type',
      why: 'a key has one HASH element (the partition key), then at most one RANGE element (the sort key)',
      write: "tableKey = [{ AttributeName: ORDER_ID, KeyType: 'HASH' }, { AttributeName: EVENT_KEY, KeyType: 'RANGE' }]",
    });
  });

  it('the keys swapped: DynamoDB takes it, the step prints the key it got, the check says why and how — and its delete-table command works', async () => {
    const step = plantStep('06-table', [[TABLE_KEY, "{ AttributeName: EVENT_KEY, KeyType: 'HASH' },\n    { AttributeName: ORDER_ID, KeyType: 'RANGE' },"]]);
    const { output, error } = await runPlanted(step, 'swapped');
    expect(error).toBeUndefined();
    // Read back from DescribeTable: the table as it is, index included.
    expect(output).toContain('swapped-order-events: ACTIVE, on-demand; key eventKey (HASH) + orderId (RANGE)');
    expect(output).toContain('index by-time: key timeBucket (HASH) + eventKey (RANGE), projects ALL, 4 shards per hour');
    const { passed, stdout } = await checkInProcess(check6, 'swapped');
    expect(passed, stdout).toBe(false);
    const [found] = blocks(stdout);
    expect(found).toContain('the table is keyed eventKey (HASH) + orderId (RANGE). With eventKey as partition key, the events of one order are spread over every partition');
    expect(found).toContain("set tableKey to [{ AttributeName: ORDER_ID, KeyType: 'HASH' }, { AttributeName: EVENT_KEY, KeyType: 'RANGE' }]");
    // The fixed step meets the table keyed otherwise, and says to delete it first, as the check did.
    const fixedTooSoon = await deploySolution(6, 'swapped').catch((err: Error & { hint?: string }) => err);
    expect((fixedTooSoon as Error).message).toContain("A table's key schema cannot be changed once it is created.");
    expect((fixedTooSoon as Error & { hint?: string }).hint).toContain('`npm run aws -- dynamodb delete-table --table-name swapped-order-events`');
    // No count of what goes with it: DynamoDB's ItemCount lags (hours on AWS), and 0 would read as "harmless".
    expect((fixedTooSoon as Error & { hint?: string }).hint).toContain('delete the table (every item in it goes with it)');
    await runPrintedAwsCommand(cloud, found);
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).not.toContain('swapped-order-events');
    await deploySolution(6, 'swapped');
    await expectCheckPasses(check6, 'swapped');
  });
});

describe('step 7: mistakes in the permission, the subscription and the condition', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud();
    aimAt(cloud);
    fastAsyncRetries(cloud);
    await deployPrerequisites();
    await deploySolution(7);
  }, 60_000);
  afterAll(() => cloud.close());

  const PERMISSION = "    Principal: 'sns.amazonaws.com',\n    SourceArn: topicArn,\n";

  it('a permission without SourceArn: SNS does invoke the function, so the check calls it too broad (confused deputy), not refused', async () => {
    // A recorder as slow as a cold start on AWS: the probe is recorded, seconds later.
    const step = plantStep('07-recorder-lambda', [
      [PERMISSION, "    Principal: 'sns.amazonaws.com',\n"],
      ['export async function handler(event: SNSEvent): Promise<void> {\n', 'export async function handler(event: SNSEvent): Promise<void> {\n  await new Promise((resolve) => setTimeout(resolve, 1500));\n'],
    ]);
    const { output, error } = await runPlanted(step);
    expect(error).toBeUndefined();
    // A warning, not a ✔: the check calls it a mistake.
    expect(output).toContain('! workbook-recorder lets sns.amazonaws.com invoke it, from ANY topic of any account (no SourceArn): `npm run check:step-7` says why that is too broad');
    const { passed, stdout } = await checkInProcess(check7);
    expect(passed, stdout).toBe(false);
    const found = blocks(stdout);
    expect(found, stdout).toHaveLength(1);
    expect(found[0]).toContain('✘ workbook-recorder lets SNS invoke it, from workbook-order-updates only (AddPermission, SourceArn)');
    expect(found[0]).toContain('SNS does invoke the function — but so would any SNS topic, in any AWS account');
    expect(found[0]).toContain('confused deputy');
    expect(found[0]).toContain('Too broad, not refused.');
    expect(found[0]).toContain("fix: scope it: in steps/07-recorder-lambda/deploy.ts the permission (AddPermission) needs Principal 'sns.amazonaws.com', Action 'lambda:InvokeFunction' and SourceArn");
    expect(stdout).not.toContain('SNS may not invoke');
    expect(stdout).toContain('✔ a probe update published to the topic is recorded, exactly once');
    expect(await deploySolution(7)).toContain('workbook-recorder lets sns.amazonaws.com invoke it, from workbook-order-updates only');
    await expectCheckPasses(check7);
  });

  it('PutItem granted on another table: the step prints the grant it made (not the one it should have), and the check names the fix', async () => {
    const step = plantStep('07-recorder-lambda', [
      ["Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn }]", "Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn.replace('workbook-', '') }]"],
    ]);
    const { output, error } = await runPlanted(step);
    expect(error).toBeUndefined();
    expect(output).toContain('record-order-events: Allow dynamodb:PutItem on arn:aws:dynamodb:us-east-1:000000000000:table/order-events;');
    expect(output).not.toContain('table/workbook-order-events');
    const { passed, stdout } = await checkInProcess(check7);
    expect(passed, stdout).toBe(false);
    expect(stdout).toContain("the inline policy needs { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn }");
    expect(await deploySolution(7)).toContain('record-order-events: Allow dynamodb:PutItem on arn:aws:dynamodb:us-east-1:000000000000:table/workbook-order-events;');
    await expectCheckPasses(check7);
  });

  it('the condition inverted (attribute_exists): the check reads "already recorded" in the log for the probe, and names the inverted condition', async () => {
    const step = plantStep('07-recorder-lambda', [["ConditionExpression: 'attribute_not_exists(eventKey)'", "ConditionExpression: 'attribute_exists(eventKey)'"]]);
    expect((await runPlanted(step)).error).toBeUndefined();
    const started = Date.now();
    const { passed, stdout } = await checkInProcess(check7);
    expect(passed, stdout).toBe(false);
    const [published, twice, ...rest] = blocks(stdout);
    expect(rest, stdout).toEqual([]);
    expect(published).toContain('✘ a probe update published to the topic is recorded, exactly once');
    expect(published).toContain('already recorded (a redelivery)');
    expect(published).toContain('yet the table holds no item for it: the PutItem\'s condition failed on the first write');
    expect(published).toContain('The condition is inverted');
    expect(published).toContain("fix: in steps/07-recorder-lambda/handler.ts write ConditionExpression: 'attribute_not_exists(eventKey)'");
    expect(published).not.toContain('says nothing about it');
    expect(twice).toContain('both deliveries succeeded, but nothing was stored');
    expect(twice).toContain('The condition is inverted');
    // It says so as soon as the log does, not at the end of its 10 s wait.
    expect(Date.now() - started).toBeLessThan(8_000);
    await deploySolution(7);
    await expectCheckPasses(check7);
  });

  /** The step refuses with the blank's fix; the step as it should be then runs, and the check passes. */
  async function refusedThenFixed(replacements: [string, string][], expected: { said: string; field: string; write: string }) {
    const { error } = await runPlanted(plantStep('07-recorder-lambda', replacements));
    expect(error?.message).toContain(expected.said);
    expect(error?.message).toContain(`In steps/07-recorder-lambda/deploy.ts, ${expected.field}`);
    expect(error?.hint).toContain(expected.write);
    expect(error?.hint).toContain('then run `npm run step:7` again');
    await deploySolution(7);
    await expectCheckPasses(check7);
  }

  it("Principal 'sns' (not the service principal): the step names sns.amazonaws.com", async () => {
    await refusedThenFixed([["    Principal: 'sns.amazonaws.com',\n    SourceArn", "    Principal: 'sns',\n    SourceArn"]], {
      said: 'Lambda refused the permission (AddPermission): "The provided principal was invalid. Please check the principal and try again."',
      field: "Principal is the SNS service's principal, 'sns.amazonaws.com'",
      write: "Principal: 'sns.amazonaws.com', SourceArn: topicArn }",
    });
  });

  it("Action without its service prefix ('InvokeFunction'): the step names lambda:InvokeFunction", async () => {
    await refusedThenFixed([["    Action: 'lambda:InvokeFunction',\n    Principal", "    Action: 'InvokeFunction',\n    Principal"]], {
      said: "Value 'InvokeFunction' at 'action' failed to satisfy constraint",
      field: "Action names the service and the action: 'lambda:InvokeFunction'",
      write: "Action: 'lambda:InvokeFunction'",
    });
  });

  it("the function's name as the subscription's Endpoint: the step asks for functionArn", async () => {
    await refusedThenFixed([['    Endpoint: functionArn,\n', '    Endpoint: n.recorderFunction,\n']], {
      said: 'SNS refused the subscription (Subscribe): "Invalid parameter: Lambda endpoint ARN"',
      field: "Endpoint is the function's ARN, functionArn",
      write: "Endpoint: functionArn, ReturnSubscriptionArn: true }",
    });
  });

  it("Protocol 'Lambda' (capitalised): the step asks for 'lambda'", async () => {
    await refusedThenFixed([["    Protocol: 'lambda',\n", "    Protocol: 'Lambda',\n"]], {
      said: 'Amazon SNS does not support this protocol string: Lambda',
      field: "Protocol is 'lambda', in lower case",
      write: "Protocol: 'lambda'",
    });
  });
});
