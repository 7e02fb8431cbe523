import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  TagResourceCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';
import { check } from '../../checks/step-6.ts';
import { failureBlock, failures, lineOf, runScript } from './support.ts';
import { aimAt, checkInProcess } from './steps-2-3-support.ts';
import { allItems, deploySolution } from './steps-6-7-support.ts';

let cloud: TestCloud;
let dynamodb: DynamoDBClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  aimAt(cloud);
  dynamodb = new DynamoDBClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const TABLE = 'workbook-order-events';
const S = (AttributeName: string) => ({ AttributeName, AttributeType: 'S' as const });
const key = (hash: string, range?: string) => [
  { AttributeName: hash, KeyType: 'HASH' as const },
  ...(range ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
];
const byTime = { IndexName: 'by-time', KeySchema: key('timeBucket', 'eventKey'), Projection: { ProjectionType: 'ALL' as const } };

/** A table as a learner's mistake would have made it, under its own prefix, tagged unless said otherwise. */
async function plantTable(prefix: string, input: Omit<CreateTableCommandInput, 'TableName'>, tagged = true): Promise<void> {
  const { TableDescription } = await dynamodb.send(
    new CreateTableCommand({ BillingMode: 'PAY_PER_REQUEST', ...input, TableName: `${prefix}-order-events` }),
  );
  if (tagged) await dynamodb.send(new TagResourceCommand({ ResourceArn: TableDescription!.TableArn, Tags: [{ Key: 'workbook', Value: prefix }] }));
}

describe('step 6: the order-events table', () => {
  it('the untouched step stops at its first blank, names file:line, and creates nothing', async () => {
    const result = await runScript('step:6', cloud.env);
    expect(result.code, result.output).toBe(1);
    const line = lineOf('steps/06-table/deploy.ts', "todo('step 6: the table key");
    expect(line).toBeGreaterThan(0);
    expect(result.stdout).toContain(`steps/06-table/deploy.ts:${line}`);
    expect(result.stdout).toContain('ORDER_ID as the HASH key');
    expect(result.stdout).toContain('This step has 1 more blank(s)');
    expect(result.stdout).toContain('Nothing was created');
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  });

  it('the solution makes the table; check:step-6 passes and leaves no probe behind', async () => {
    const output = await deploySolution(6);
    expect(output).toContain(`${TABLE}: ACTIVE, on-demand; key orderId (HASH) + eventKey (RANGE)`);
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table!.KeySchema).toEqual(key('orderId', 'eventKey'));
    expect(Table!.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table!.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema, i.Projection?.ProjectionType])).toEqual([
      ['by-time', key('timeBucket', 'eventKey'), 'ALL'],
    ]);

    const { passed, stdout } = await checkInProcess(check);
    expect(passed, stdout).toBe(true);
    expect(failures(stdout)).toEqual([]);
    expect(stdout).toContain("✔ a probe order's events come back from one Query on orderId, oldest first");
    expect(stdout).toContain('✔ a time window read through by-time finds the events inside it, and not one from outside');
    expect(stdout).toContain('Step 6 passes: 8 verifications');
    expect(await allItems(dynamodb, TABLE)).toEqual([]);
  });

  it('running the solution again is harmless: the same table, found and kept', async () => {
    const before = (await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }))).Table!;
    const output = await deploySolution(6);
    expect(output).toContain(`${TABLE}: found, keyed as this script wants`);
    const after = (await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }))).Table!;
    expect(after.TableId).toBe(before.TableId);
    expect(after.CreationDateTime).toEqual(before.CreationDateTime);
  });

  it('a table keyed otherwise stops the step with exactly what to do (a key schema cannot change)', async () => {
    await plantTable('rekey', { AttributeDefinitions: [S('eventId')], KeySchema: key('eventId') });
    const error = await deploySolution(6, 'rekey').then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toBe(
      "The table rekey-order-events exists, but is keyed eventId (HASH), and this script wants orderId (HASH) + eventKey (RANGE). A table's key schema cannot be changed once it is created.",
    );
    expect((error as { hint?: string }).hint).toContain(`\`npm run aws -- dynamodb delete-table --table-name rekey-order-events\`, then run this step again`);
  });

  it('a table switched to provisioned capacity is switched back to on-demand', async () => {
    await plantTable('billing', {
      AttributeDefinitions: [S('orderId'), S('eventKey'), S('timeBucket')],
      KeySchema: key('orderId', 'eventKey'),
      GlobalSecondaryIndexes: [{ ...byTime, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }],
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    });
    const output = await deploySolution(6, 'billing');
    expect(output).toContain('billing-order-events: switched to on-demand billing (PAY_PER_REQUEST)');
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: 'billing-order-events' }));
    expect(Table!.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });
});

describe('check:step-6 catches planted mistakes, each with its fix', () => {
  const all = [S('orderId'), S('eventKey'), S('timeBucket')];
  const mistakes: { name: string; prefix: string; plant: () => Promise<void>; expect: string[] }[] = [
    {
      name: 'no sort key (orderId only)',
      prefix: 'nosort',
      plant: () => plantTable('nosort', { AttributeDefinitions: all, KeySchema: key('orderId'), GlobalSecondaryIndexes: [byTime] }),
      expect: ['✘ its key is orderId (HASH) + eventKey (RANGE)', 'Without a sort key, a partition holds a single item', "a table's key cannot be changed", 'delete-table --table-name nosort-order-events'],
    },
    {
      name: 'a random event id as the only key',
      prefix: 'randomid',
      plant: () =>
        plantTable('randomid', { AttributeDefinitions: [S('eventId'), S('eventKey'), S('timeBucket')], KeySchema: key('eventId'), GlobalSecondaryIndexes: [byTime] }),
      expect: ['keyed eventId (HASH)', 'the events of one order are spread over every partition: reading a timeline would need a Scan', "{ AttributeName: ORDER_ID, KeyType: 'HASH' }"],
    },
    {
      name: 'no time index',
      prefix: 'noindex',
      plant: () => plantTable('noindex', { AttributeDefinitions: all.slice(0, 2), KeySchema: key('orderId', 'eventKey') }),
      expect: ['✘ its index by-time', 'has no index by-time: reading a time window across orders would need a Scan of the whole table', 'indexKey'],
    },
    {
      name: 'an index that projects keys only',
      prefix: 'keysonly',
      plant: () =>
        plantTable('keysonly', { AttributeDefinitions: all, KeySchema: key('orderId', 'eventKey'), GlobalSecondaryIndexes: [{ ...byTime, Projection: { ProjectionType: 'KEYS_ONLY' } }] }),
      expect: ['the index projects KEYS_ONLY', 'Projection ALL'],
    },
    {
      name: 'provisioned capacity',
      prefix: 'provisioned',
      plant: () =>
        plantTable('provisioned', {
          AttributeDefinitions: all,
          KeySchema: key('orderId', 'eventKey'),
          GlobalSecondaryIndexes: [{ ...byTime, ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }],
          BillingMode: 'PROVISIONED',
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        }),
      expect: ['✘ it bills on demand (PAY_PER_REQUEST)', 'the table is PROVISIONED', "BillingMode: 'PAY_PER_REQUEST'"],
    },
    {
      name: 'no tag',
      prefix: 'untagged',
      plant: () => plantTable('untagged', { AttributeDefinitions: all, KeySchema: key('orderId', 'eventKey'), GlobalSecondaryIndexes: [byTime] }, false),
      expect: ['✘ it carries the tag workbook=untagged', 'will never remove it', 'a step tags only what it creates', 'dynamodb tag-resource'],
    },
  ];
  beforeAll(async () => {
    for (const mistake of mistakes) await mistake.plant();
  });

  it.each(mistakes.map((m) => [m.name, m] as const))('%s', async (_name, mistake) => {
    const { passed, stdout } = await checkInProcess(check, mistake.prefix);
    expect(passed, stdout).toBe(false);
    const failed = failures(stdout);
    expect(failed, stdout).toHaveLength(1);
    const block = failureBlock(stdout, failed[0]);
    for (const text of mistake.expect) expect(`${failed[0]}\n${block}`, stdout).toContain(text);
    // Probes are removed even when the check fails.
    expect(await allItems(dynamodb, `${mistake.prefix}-order-events`)).toEqual([]);
  });
});
