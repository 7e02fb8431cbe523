import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

let cloud: TestCloud;
let ddb: DynamoDBClient;
beforeAll(async () => {
  cloud = await startTestCloud();
  ddb = new DynamoDBClient(cloud.clientConfig);
});
afterAll(() => cloud.close());

const table = (name: string) => ({
  TableName: name,
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  BillingMode: 'PAY_PER_REQUEST' as const,
});

describe('dynamodb (dynalite mounted in the local cloud)', () => {
  it('keeps the tags CreateTable was given, readable at once', async () => {
    const created = await ddb.send(
      new CreateTableCommand({ ...table('tagged-table'), Tags: [{ Key: 'workbook', Value: 'workbook' }, { Key: 'team', Value: '' }] }),
    );
    const { Tags } = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: created.TableDescription!.TableArn }));
    expect(Tags).toEqual(expect.arrayContaining([{ Key: 'workbook', Value: 'workbook' }, { Key: 'team', Value: '' }]));
    expect(Tags).toHaveLength(2);
    // A create that fails (the name is taken) stores no tags.
    await expect(
      ddb.send(new CreateTableCommand({ ...table('tagged-table'), Tags: [{ Key: 'other', Value: 'x' }] })),
    ).rejects.toMatchObject({ name: 'ResourceInUseException' });
    const after = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: created.TableDescription!.TableArn }));
    expect(after.Tags).toHaveLength(2);
  });

  it('creates a table that is ACTIVE at once, stores and reads items (SDK)', async () => {
    const created = await ddb.send(new CreateTableCommand(table('sdk-table')));
    await waitUntilTableExists({ client: ddb, minDelay: 1, maxWaitTime: 10 }, { TableName: 'sdk-table' });
    expect(created.TableDescription?.TableArn).toMatch(/^arn:aws:dynamodb:us-east-1:\d{12}:table\/sdk-table$/);
    const described = await ddb.send(new DescribeTableCommand({ TableName: 'sdk-table' }));
    expect(described.Table?.TableStatus).toBe('ACTIVE');
    expect(described.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    await ddb.send(new PutItemCommand({ TableName: 'sdk-table', Item: { pk: { S: 'a' }, n: { N: '1' } } }));
    const got = await ddb.send(new GetItemCommand({ TableName: 'sdk-table', Key: { pk: { S: 'a' } } }));
    expect(got.Item).toEqual({ pk: { S: 'a' }, n: { N: '1' } });
  });

  it('fails a conditional put with ConditionalCheckFailedException', async () => {
    const put = new PutItemCommand({
      TableName: 'sdk-table',
      Item: { pk: { S: 'a' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await expect(ddb.send(put)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
    });
  });

  it('names a missing table the AWS way', async () => {
    await expect(ddb.send(new DeleteTableCommand({ TableName: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('create-table and list-tables (aws CLI)', async () => {
    const created = await cloud.aws(
      'dynamodb',
      'create-table',
      '--table-name',
      'cli-table',
      '--attribute-definitions',
      'AttributeName=pk,AttributeType=S',
      '--key-schema',
      'AttributeName=pk,KeyType=HASH',
      '--billing-mode',
      'PAY_PER_REQUEST',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.json.TableDescription.TableName).toBe('cli-table');
    const listed = await cloud.aws('dynamodb', 'list-tables');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.TableNames).toEqual(expect.arrayContaining(['cli-table', 'sdk-table']));
    const sdkList = await ddb.send(new ListTablesCommand({}));
    expect(sdkList.TableNames).toEqual(expect.arrayContaining(['cli-table', 'sdk-table']));
  });
});

describe('dynamodb persistence', () => {
  it('keeps tables and items across a restart on the same data folder', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = mkdtempSync(join(tmpdir(), 'local-cloud-ddb-'));
    try {
      const first = await startTestCloud({ dataDir });
      const client = new DynamoDBClient(first.clientConfig);
      await client.send(new CreateTableCommand(table('kept')));
      // As on AWS, a table takes writes once ACTIVE (here: at once, but CreateTable still answers CREATING).
      await waitUntilTableExists({ client, minDelay: 1, maxWaitTime: 10 }, { TableName: 'kept' });
      await client.send(new PutItemCommand({ TableName: 'kept', Item: { pk: { S: 'order-1' } } }));
      await first.close();

      const second = await startTestCloud({ dataDir });
      const again = new DynamoDBClient(second.clientConfig);
      const got = await again.send(new GetItemCommand({ TableName: 'kept', Key: { pk: { S: 'order-1' } } }));
      expect(got.Item).toEqual({ pk: { S: 'order-1' } });
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
