/**
 * `npm run check:step-6`: the order-events table.
 * Configuration (DescribeTable): the table and its time index keyed as the lesson designs them,
 * on-demand, tagged. Behaviour: probe events for a probe order are written out of order, read
 * back in time order with a Query on the table's key, and found again through the time index in
 * a window that leaves out a probe from outside it. The probes are deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeTableCommand,
  ListTagsOfResourceCommand,
  ResourceNotFoundException,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoDbClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import {
  EVENT_KEY,
  ORDER_ID,
  TIME_BUCKET,
  TIME_INDEX,
  eventKeyOf,
  readTimeWindow,
  readTimeline,
  timeBucketOf,
  type OrderEvent,
} from '../lib/order-events.ts';
import { waitFor } from '../lib/wait.ts';
import { defineCheck, problem, runCheckWhenExecuted, type Checker } from './kit.ts';
import { within } from './patience.ts';

const STEP_FILE = 'steps/06-table/deploy.ts';
const RERUN = 'then run `npm run step:6`';
const TABLE_KEY = `${ORDER_ID} (HASH) + ${EVENT_KEY} (RANGE)`;
const INDEX_KEY = `${TIME_BUCKET} (HASH) + ${EVENT_KEY} (RANGE)`;
const HOUR = 3_600_000;

export const check = defineCheck({
  step: 6,
  title: 'the order-events table',
  async run(t) {
    const n = names();
    const dynamodb = dynamoDbClient();

    const table = await t.exists(`the table ${n.orderEventsTable} exists`, () => describeTable(dynamodb, n.orderEventsTable));

    await t.item('it is ACTIVE', () => {
      if (table.TableStatus !== 'ACTIVE') {
        problem(`the table is ${table.TableStatus}.`, 'wait a moment and check again (a new table takes seconds on AWS).');
      }
    });

    await t.item(`it carries the tag ${TAG_KEY}=${n.prefix}`, async () => {
      const { Tags = [] } = await dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: table.TableArn }));
      if (!Tags.some((tag) => tag.Key === TAG_KEY && tag.Value === n.prefix)) {
        problem(
          `${n.orderEventsTable} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`,
          'a step tags only what it creates. If you made it (by hand, or with an older copy of the workbook), tag it: ' +
            `\`${awsCli(`dynamodb tag-resource --resource-arn ${table.TableArn} --tags Key=${TAG_KEY},Value=${n.prefix}`)}\`; if it is someone else's, set your own WORKBOOK_PREFIX in .env.`,
        );
      }
    });

    await t.item('it bills on demand (PAY_PER_REQUEST)', () => {
      const mode = table.BillingModeSummary?.BillingMode ?? 'PROVISIONED';
      if (mode !== 'PAY_PER_REQUEST') {
        problem(
          `the table is ${mode}: provisioned capacity is paid for every hour whether used or not, and throttles a burst beyond it.`,
          `in ${STEP_FILE} keep BillingMode: 'PAY_PER_REQUEST', ${RERUN} (it switches the table you have).`,
        );
      }
    });

    const keyOk = await t.item(`its key is ${TABLE_KEY}: one order's events together, in time order`, () => {
      const wrong = keyProblem(table.KeySchema, [ORDER_ID, EVENT_KEY], table);
      if (wrong) {
        problem(
          `the table is keyed ${describeKey(table.KeySchema)}. ${wrong}`,
          `a table's key cannot be changed: in ${STEP_FILE} set tableKey to [{ AttributeName: ORDER_ID, KeyType: 'HASH' }, ` +
            `{ AttributeName: EVENT_KEY, KeyType: 'RANGE' }], delete the table (\`${awsCli(`dynamodb delete-table --table-name ${n.orderEventsTable}`)}\`), ${RERUN}.`,
        );
      }
      return true;
    });

    const indexOk = await t.item(`its index ${TIME_INDEX} is keyed ${INDEX_KEY}, holds whole items, and is ACTIVE`, () => {
      const index = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === TIME_INDEX);
      const fix =
        `in ${STEP_FILE} set indexKey to [{ AttributeName: TIME_BUCKET, KeyType: 'HASH' }, { AttributeName: EVENT_KEY, KeyType: 'RANGE' }] ` +
        `with Projection ALL; an index cannot be changed in place: delete the table (\`${awsCli(`dynamodb delete-table --table-name ${n.orderEventsTable}`)}\`), ${RERUN}.`;
      if (!index) {
        problem(
          `the table has no index ${TIME_INDEX}: reading a time window across orders would need a Scan of the whole table.`,
          fix,
        );
      }
      const wrong = keyProblem(index.KeySchema, [TIME_BUCKET, EVENT_KEY], table);
      if (wrong) problem(`the index is keyed ${describeKey(index.KeySchema)}. ${wrong}`, fix);
      if (index.Projection?.ProjectionType !== 'ALL') {
        problem(
          `the index projects ${index.Projection?.ProjectionType}: a window read would return keys only, and the stage times would need one more read per event.`,
          fix,
        );
      }
      if (index.IndexStatus !== 'ACTIVE') problem(`the index is ${index.IndexStatus}.`, 'wait a moment (an index is built in the background on AWS) and check again.');
      return true;
    });

    t.behaviourFollows();
    const timelineLabel = `a probe order's events come back from one Query on ${ORDER_ID}, oldest first`;
    const windowLabel = `a time window read through ${TIME_INDEX} finds the events inside it, and not one from outside`;
    if (!keyOk) {
      t.skip(timelineLabel, 'the table key above needs fixing first.');
      t.skip(windowLabel, 'the table key above needs fixing first.');
      return;
    }
    await withProbes(documentClient(), n.orderEventsTable, async (probes) => {
      await t.item(timelineLabel, async () => {
        const timeline = await readTimeline(probes.db, n.orderEventsTable, probes.orderId, true);
        const got = timeline.map((e) => e.status);
        if (JSON.stringify(got) !== JSON.stringify(['check-earlier', 'check-first', 'check-second'])) {
          problem(
            `Query on ${ORDER_ID} = ${probes.orderId} returned ${JSON.stringify(got)}, not the three probes oldest first.`,
            `the sort key must start with the event's time: in ${STEP_FILE} use ${EVENT_KEY} as the RANGE key.`,
          );
        }
      });
      if (!indexOk) {
        t.skip(windowLabel, 'the index above needs fixing first.');
        return;
      }
      await checkTimeWindow(t, windowLabel, probes, n.orderEventsTable);
    });
  },
});

interface Probes {
  db: DynamoDBDocumentClient;
  orderId: string;
  /** The window the two "inside" probes fall in. */
  from: Date;
  to: Date;
}

/**
 * Writes three probe events for a probe order — two a second apart, one two hours earlier —
 * newest first, so that reading them in time order proves the key sorts them. Deletes them
 * however `run` ends.
 */
async function withProbes(db: DynamoDBDocumentClient, tableName: string, run: (probes: Probes) => Promise<void>): Promise<void> {
  const orderId = `check-${randomUUID()}`;
  const now = Date.now();
  const specs = [
    { status: 'check-second', at: now },
    { status: 'check-first', at: now - 1000 },
    { status: 'check-earlier', at: now - 2 * HOUR },
  ];
  const items = specs.map(({ status, at }) => probeEvent(orderId, status, at));
  try {
    for (const item of items) await db.send(new PutCommand({ TableName: tableName, Item: item }));
    await run({ db, orderId, from: new Date(now - 1000), to: new Date(now + 1) });
  } finally {
    for (const item of items) {
      await db.send(new DeleteCommand({ TableName: tableName, Key: { [ORDER_ID]: item.orderId, [EVENT_KEY]: item.eventKey } })).catch(() => {});
    }
  }
}

function probeEvent(orderId: string, status: string, epochMs: number): OrderEvent {
  const eventTime = new Date(epochMs).toISOString();
  const messageId = randomUUID();
  return {
    orderId,
    eventKey: eventKeyOf(eventTime, messageId),
    timeBucket: timeBucketOf(eventTime, orderId),
    eventId: randomUUID(),
    messageId,
    status,
    eventTime,
    eventEpochMs: epochMs,
    times: { acceptedAt: epochMs, queuedAt: epochMs, processedAt: epochMs, publishedAt: epochMs, recordedAt: epochMs },
  };
}

/** Index reads are eventually consistent (on AWS a new item reaches the index within a second or so): poll briefly. */
async function checkTimeWindow(t: Checker, label: string, probes: Probes, tableName: string): Promise<void> {
  await t.item(label, async () => {
    let seen: string[] = [];
    const found = await waitFor(
      `the probes to show in ${TIME_INDEX}`,
      async () => {
        const events = await readTimeWindow(probes.db, tableName, probes.from, probes.to);
        seen = events.filter((e) => e.orderId === probes.orderId).map((e) => e.status);
        return seen.length >= 2 ? seen : undefined;
      },
      { deadlineMs: within({ instant: 3_000, emulator: 5_000, aws: 10_000 }), initialDelayMs: 20, maxDelayMs: 500 },
    ).catch(() => undefined);
    if (!found) {
      problem(
        `a window read of ${probes.from.toISOString()} to ${probes.to.toISOString()} found ${JSON.stringify(seen)} of the probe order, not its two events.`,
        `the recorder writes ${TIME_BUCKET} as "hour#shard" and ${EVENT_KEY} starting with the ISO time: the index must be keyed ${INDEX_KEY} (${STEP_FILE}).`,
      );
    }
    if (JSON.stringify(found) !== JSON.stringify(['check-first', 'check-second'])) {
      problem(
        `the window read returned ${JSON.stringify(found)} for the probe order: expected exactly ["check-first","check-second"], oldest first.`,
        `the index must be keyed ${INDEX_KEY} (${STEP_FILE}).`,
      );
    }
  });
}

async function describeTable(dynamodb: DynamoDBClient, name: string): Promise<TableDescription> {
  try {
    return (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table!;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) {
      problem(`there is no table named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:6`.');
    }
    throw err;
  }
}

/** What is wrong with a key against [HASH, RANGE] names (string attributes), in words; undefined when right. */
function keyProblem(key: KeySchemaElement[] | undefined, [hash, range]: [string, string], table: TableDescription): string | undefined {
  const hashName = key?.find((k) => k.KeyType === 'HASH')?.AttributeName;
  const rangeName = key?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
  if (hashName !== hash) {
    return hashName === EVENT_KEY || hashName === TIME_BUCKET || hashName === 'eventId'
      ? `With ${hashName} as partition key, the events of one order are spread over every partition: reading a timeline would need a Scan.`
      : `The partition key must be ${hash}.`;
  }
  if (rangeName !== range) {
    return rangeName
      ? `The sort key must be ${range} ("ISO time#message id"), so that a Query returns events in time order.`
      : `Without a sort key, a partition holds a single item: a second event for the same ${hash} would overwrite the first.`;
  }
  const types = new Map((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  for (const name of [hash, range]) {
    if (types.get(name) !== 'S') return `${name} is declared ${types.get(name)}, not S (a string).`;
  }
  return undefined;
}

function describeKey(key: KeySchemaElement[] | undefined): string {
  return (key ?? []).map((k) => `${k.AttributeName} (${k.KeyType})`).join(' + ') || 'nothing';
}

/** The aws CLI command for a hint: `npm run aws` aims it at the current target. */
function awsCli(args: string): string {
  return `npm run aws -- ${args}`;
}

runCheckWhenExecuted(import.meta.url, check);
