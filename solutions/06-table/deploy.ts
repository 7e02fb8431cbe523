/**
 * Step 6: the order-events table (read README.md next to this file first).
 *
 * One DynamoDB table keeps every status update of every order. Its key answers the question
 * asked most — "what happened to order X, in order?" — with a single Query; an index answers the
 * analyst's question — "what happened between 14:00 and 15:00?" — without reading the rest.
 *
 * Run it with `npm run step:6`; running it again is harmless (it checks the table it finds).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ListTagsOfResourceCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { WorkbookError, errorName } from '../../lib/errors.ts';
import { names, workbookTagList } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { EVENT_KEY, ORDER_ID, TIME_BUCKET, TIME_BUCKET_SHARDS, TIME_INDEX } from '../../lib/order-events.ts';
import { cmd, detail, heading, next, ok } from '../../lib/output.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { todo } from '../../lib/todo.ts';

/**
 * The attributes that take part in a key, and their types (S: string). Only key attributes are
 * declared: DynamoDB is schemaless for everything else in an item.
 */
const ATTRIBUTE_DEFINITIONS: AttributeDefinition[] = [
  { AttributeName: ORDER_ID, AttributeType: 'S' },
  { AttributeName: EVENT_KEY, AttributeType: 'S' },
  { AttributeName: TIME_BUCKET, AttributeType: 'S' },
];

export async function deploy() {
  const n = names();
  heading(`Step 6: the order-events table (${resolveTarget().label})`);
  const dynamodb = dynamoDbClient();

  // Exercise 1: the table's key. An order's events share a partition (HASH: orderId) and sort by
  // time within it (RANGE: eventKey, "ISO time#status"): one Query reads a timeline in order.
  const tableKey: KeySchemaElement[] = [
    { AttributeName: ORDER_ID, KeyType: 'HASH' },
    { AttributeName: EVENT_KEY, KeyType: 'RANGE' },
  ];
  // Exercise 2: the time index's key. Events of one hour (and shard) share a partition
  // (HASH: timeBucket, "2025-06-01T14#2") and sort by time within it (RANGE: eventKey).
  const indexKey: KeySchemaElement[] = [
    { AttributeName: TIME_BUCKET, KeyType: 'HASH' },
    { AttributeName: EVENT_KEY, KeyType: 'RANGE' },
  ];

  const existing = await describeTable(dynamodb, n.orderEventsTable);
  if (!existing) {
    try {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: n.orderEventsTable,
          AttributeDefinitions: ATTRIBUTE_DEFINITIONS,
          KeySchema: tableKey,
          GlobalSecondaryIndexes: [
            // ALL: the index holds whole items, so a window's report needs no second read per event.
            { IndexName: TIME_INDEX, KeySchema: indexKey, Projection: { ProjectionType: 'ALL' } },
          ],
          // On-demand: no capacity to plan, pay per request, nothing when idle.
          BillingMode: 'PAY_PER_REQUEST',
          Tags: workbookTagList(), // `npm run teardown` removes only what carries this tag
        }),
      );
    } catch (err) {
      // DynamoDB checks the key schemas here, and its refusals name neither blank.
      throw explainKeyRefusal(err, tableKey, indexKey);
    }
    ok(`${n.orderEventsTable}: created, waiting for it to be ACTIVE…`);
  } else {
    // A table of this name that an earlier run did not make (it lacks our tag) is someone else's.
    const { Tags } = await dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: existing.TableArn }));
    refuseUnlessOurs('table', n.orderEventsTable, Tags);
    await keepOrExplain(dynamodb, existing, tableKey, indexKey);
  }

  // CREATING → ACTIVE takes seconds on AWS. The waiter polls DescribeTable, from 0.1 s apart, backing off to 5 s.
  await waitUntilTableExists({ client: dynamodb, minDelay: 0.1, maxDelay: 5, maxWaitTime: 300 }, { TableName: n.orderEventsTable });
  // What the table is now, as DynamoDB describes it (not what this script asked for).
  const table = (await describeTable(dynamodb, n.orderEventsTable))!;
  const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === TIME_INDEX);
  const billing = table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'on-demand' : (table.BillingModeSummary?.BillingMode ?? 'PROVISIONED');
  ok(`${n.orderEventsTable}: ${table.TableStatus}, ${billing}; key ${describeKey(table.KeySchema ?? [])}`);
  ok(`index ${TIME_INDEX}: key ${describeKey(index?.KeySchema ?? [])}, projects ${index?.Projection?.ProjectionType}, ${TIME_BUCKET_SHARDS} shards per hour`);
  detail(table.TableArn!);

  next(`${cmd('npm run check:step-6')} verifies the table and reads probe events back through both keys.`);
  return { tableName: n.orderEventsTable, tableArn: table.TableArn! };
}

async function describeTable(dynamodb: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

/**
 * A table made by an earlier run. Billing mode and tags can change in place; a key schema cannot
 * (every item is stored by its key), so a table keyed otherwise has to be deleted and made again.
 */
async function keepOrExplain(
  dynamodb: DynamoDBClient,
  table: TableDescription,
  tableKey: KeySchemaElement[],
  indexKey: KeySchemaElement[],
): Promise<void> {
  const name = table.TableName!;
  const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === TIME_INDEX);
  const wrongKey = !sameKey(table.KeySchema, tableKey);
  const wrongIndex = !index || !sameKey(index.KeySchema, indexKey);
  if (wrongKey || wrongIndex) {
    const what = wrongKey
      ? `is keyed ${describeKey(table.KeySchema ?? [])}, and this script wants ${describeKey(tableKey)}`
      : index
        ? `has its index ${TIME_INDEX} keyed ${describeKey(index.KeySchema ?? [])}, and this script wants ${describeKey(indexKey)}`
        : `has no index ${TIME_INDEX}`;
    const cli = `npm run aws -- dynamodb delete-table --table-name ${name}`;
    throw new WorkbookError(
      `The table ${name} exists, but ${what}. A table's key schema cannot be changed once it is created.`,
      `delete the table (every item in it goes with it): \`${cli}\`, then run this step again. ` +
        '(On AWS an index alone can be replaced with UpdateTable: delete it, then create it again.)',
    );
  }
  if (table.BillingModeSummary?.BillingMode !== 'PAY_PER_REQUEST') {
    await dynamodb.send(new UpdateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST' }));
    ok(`${name}: switched to on-demand billing (PAY_PER_REQUEST)`);
  }
  ok(`${name}: found, keyed as this script wants`);
}

/**
 * DynamoDB checks the key schemas when the table is created, and answers a wrong one with a
 * ValidationException that names neither blank: the refusal as the blank to fix and what to
 * write there. Any other error is returned as it is.
 */
function explainKeyRefusal(err: unknown, tableKey: KeySchemaElement[], indexKey: KeySchemaElement[]): unknown {
  const name = errorName(err);
  const said = err instanceof Error ? err.message : String(err);
  const aboutKeys = name === 'SerializationException' || (name === 'ValidationException' && /keySchema|KeySchema|keyType|AttributeDefinitions/.test(said));
  if (!aboutKeys) return err;
  // The blank DynamoDB refused, and what is wrong with it: read from the value itself, since
  // AWS words the same mistake differently for a table and for an index.
  const [culprit, why] =
    (['tableKey', 'indexKey'] as const).map((blank) => [blank, keyMistake(blank === 'tableKey' ? tableKey : indexKey)] as const).find(([, wrong]) => wrong) ??
    (['tableKey', 'every attribute declared in ATTRIBUTE_DEFINITIONS is part of a key: the table is keyed ORDER_ID + EVENT_KEY, its index TIME_BUCKET + EVENT_KEY'] as const);
  const [hash, range] = culprit === 'tableKey' ? ['ORDER_ID', 'EVENT_KEY'] : ['TIME_BUCKET', 'EVENT_KEY'];
  return new WorkbookError(
    `DynamoDB refused the key schema of ${culprit === 'tableKey' ? 'the table' : `its index ${TIME_INDEX}`} (${culprit}): "${said}". In steps/06-table/deploy.ts, ${why}.`,
    `write ${culprit} = [{ AttributeName: ${hash}, KeyType: 'HASH' }, { AttributeName: ${range}, KeyType: 'RANGE' }], then run \`npm run step:6\` again (nothing was created).`,
  );
}

/** What DynamoDB cannot take in a key schema, in words; undefined when it looks right. */
function keyMistake(key: KeySchemaElement[]): string | undefined {
  const declared = ATTRIBUTE_DEFINITIONS.map((a) => a.AttributeName);
  if (!Array.isArray(key) || key.length === 0 || key.length > 2) {
    return 'a key schema is a list (an array) of one or two { AttributeName, KeyType } elements';
  }
  const types = key.map((k) => String(k?.KeyType));
  if (types.some((type) => type !== 'HASH' && type !== 'RANGE')) {
    return types.some((type) => ['HASH', 'RANGE'].includes(type.toUpperCase())) ? "KeyType is 'HASH' or 'RANGE', in capitals" : "KeyType is 'HASH' or 'RANGE'";
  }
  if (types[0] !== 'HASH') return 'the partition key (HASH) comes first, then the sort key (RANGE)';
  if (types[1] === 'HASH') return 'a key has one HASH element (the partition key), then at most one RANGE element (the sort key)';
  const unknown = key.find((k) => !declared.includes(k?.AttributeName));
  if (unknown) {
    return `"${unknown?.AttributeName}" is not an attribute declared in ATTRIBUTE_DEFINITIONS (${declared.join(', ')}): name them by their constants (ORDER_ID, EVENT_KEY, TIME_BUCKET), which cannot be misspelt`;
  }
  return undefined;
}

function sameKey(actual: KeySchemaElement[] | undefined, wanted: KeySchemaElement[]): boolean {
  return describeKey(actual ?? []) === describeKey(wanted);
}

/** "orderId (HASH) + eventKey (RANGE)". */
function describeKey(key: KeySchemaElement[]): string {
  return key.map((k) => `${k.AttributeName} (${k.KeyType})`).join(' + ') || 'nothing';
}

runWhenExecuted(import.meta.url, deploy);
