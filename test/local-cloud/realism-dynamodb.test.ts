import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { RealismProfile } from '../../local-cloud/realism/profile.ts';
import { SERVICE_TIMING } from '../../local-cloud/realism/service-timing.ts';
import { startTestCloud, type TestCloud } from '../support/cloud.ts';

/**
 * DynamoDB tables under the realism profile: CREATING, then ACTIVE (and DELETING, then gone), as
 * on AWS; reads and writes meanwhile → ResourceNotFoundException; the SDK's waiters see it
 * through. At scale 0.05 a table takes 0.5 s to create.
 */

const SCALE = 0.05;
const scaled = (awsMs: number) => Math.round(awsMs * SCALE);
const WAITER = { minDelay: 0.1, maxDelay: 0.2, maxWaitTime: 15 };

const table = (TableName: string): CreateTableCommandInput => ({
  TableName,
  AttributeDefinitions: [{ AttributeName: 'orderId', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'orderId', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
});
const item = { orderId: { S: 'order-1' }, status: { S: 'accepted' } };

describe('DynamoDB under the realism profile', () => {
  let cloud: TestCloud;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    cloud = await startTestCloud({ realism: RealismProfile.aws(SCALE) });
    dynamodb = new DynamoDBClient(cloud.clientConfig);
  });
  afterAll(async () => {
    dynamodb?.destroy();
    await cloud?.close();
  });

  it('CreateTable leaves the table CREATING; PutItem meanwhile → ResourceNotFoundException; the waiter sees it ACTIVE', async () => {
    const startedAt = Date.now();
    const created = await dynamodb.send(new CreateTableCommand(table('realism-orders')));
    expect(created.TableDescription?.TableStatus).toBe('CREATING');
    const described = await dynamodb.send(new DescribeTableCommand({ TableName: 'realism-orders' }));
    expect(described.Table?.TableStatus).toBe('CREATING');

    const refused = await dynamodb.send(new PutItemCommand({ TableName: 'realism-orders', Item: item })).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Requested resource not found',
      $metadata: { httpStatusCode: 400 },
    });

    const waited = await waitUntilTableExists({ client: dynamodb, ...WAITER }, { TableName: 'realism-orders' });
    expect(waited.state).toBe('SUCCESS');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.tableCreate));
    expect((await dynamodb.send(new DescribeTableCommand({ TableName: 'realism-orders' }))).Table?.TableStatus).toBe('ACTIVE');

    await dynamodb.send(new PutItemCommand({ TableName: 'realism-orders', Item: item }));
    const read = await dynamodb.send(new GetItemCommand({ TableName: 'realism-orders', Key: { orderId: item.orderId } }));
    expect(read.Item).toEqual(item);
  });

  it('DeleteTable leaves the table DELETING; the waiter sees it gone', async () => {
    await dynamodb.send(new CreateTableCommand(table('realism-gone')));
    await waitUntilTableExists({ client: dynamodb, ...WAITER }, { TableName: 'realism-gone' });
    const startedAt = Date.now();
    const deleted = await dynamodb.send(new DeleteTableCommand({ TableName: 'realism-gone' }));
    expect(deleted.TableDescription?.TableStatus).toBe('DELETING');
    expect((await dynamodb.send(new DescribeTableCommand({ TableName: 'realism-gone' }))).Table?.TableStatus).toBe('DELETING');

    const waited = await waitUntilTableNotExists({ client: dynamodb, ...WAITER }, { TableName: 'realism-gone' });
    expect(waited.state).toBe('SUCCESS');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(scaled(SERVICE_TIMING.tableDelete));
  });
});

describe('DynamoDB with realism off', () => {
  let cloud: TestCloud;
  let dynamodb: DynamoDBClient;

  beforeAll(async () => {
    cloud = await startTestCloud();
    dynamodb = new DynamoDBClient(cloud.clientConfig);
  });
  afterAll(async () => {
    dynamodb?.destroy();
    await cloud?.close();
  });

  it('a new table is ACTIVE by the next call and takes writes straight away', async () => {
    // CreateTable's own answer says CREATING, as AWS's does; the table is ACTIVE at once after it.
    await dynamodb.send(new CreateTableCommand(table('instant-orders')));
    await dynamodb.send(new PutItemCommand({ TableName: 'instant-orders', Item: item }));
    expect((await dynamodb.send(new DescribeTableCommand({ TableName: 'instant-orders' }))).Table?.TableStatus).toBe('ACTIVE');
  });
});
