/**
 * Probe orders in the order-events table. Once the recorder (step 7) is subscribed to the topic,
 * whatever a check sends into the pipeline — an order through the API, a status update on the
 * topic — ends up stored like a real order's event. The checks of the earlier steps wait for
 * those records and delete them, so that a check leaves nothing behind.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { DescribeTableCommand, ResourceNotFoundException as TableNotFound } from '@aws-sdk/client-dynamodb';
import { ListSubscriptionsByTopicCommand, NotFoundException as TopicNotFound, type SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient, dynamoDbClient, snsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { arnInAccount } from '../lib/identity.ts';
import { errorName } from '../lib/errors.ts';
import { names } from '../lib/names.ts';
import { EVENT_KEY, ORDER_ID, readTimeline } from '../lib/order-events.ts';
import type { Checker } from './kit.ts';
import { within } from './patience.ts';

/** Deletes every record of one order; how many there were. */
export async function deleteRecordsOf(db: DynamoDBDocumentClient, tableName: string, orderId: string): Promise<number> {
  const items = await readTimeline(db, tableName, orderId, true);
  for (const item of items) {
    await db.send(new DeleteCommand({ TableName: tableName, Key: { [ORDER_ID]: item.orderId, [EVENT_KEY]: item.eventKey } }));
  }
  return items.length;
}

/**
 * Waits for the records of the probe orders a check sent (each one's update went out on the
 * topic) and deletes them. Without the table or the recorder's subscription nothing can be
 * recorded: it returns at once. It says nothing unless a record could not be removed; then a
 * note (a warning, not a failure) says which, and how to remove it.
 */
export async function removeProbeRecords(t: Checker, orderIds: string[]): Promise<void> {
  if (orderIds.length === 0) return;
  const n = names();
  const pending = new Set(orderIds);
  const list = () => [...pending].join(', ');
  // Nothing better exists for DynamoDB than polling: a short interval, a short deadline.
  const deadlineMs = within({ instant: 5_000, emulator: 15_000, aws: 30_000 });
  try {
    const [table, subscribed] = await Promise.all([
      tableExists(n.orderEventsTable),
      recorderSubscribed(snsClient(), n.updatesTopic, n.recorderFunction),
    ]);
    if (!table || !subscribed) return;
    const db = documentClient();
    const giveUpAt = Date.now() + deadlineMs;
    for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
      for (const orderId of [...pending]) {
        if ((await deleteRecordsOf(db, n.orderEventsTable, orderId)) > 0) pending.delete(orderId);
      }
      if (pending.size === 0) return;
      if (Date.now() >= giveUpAt) break;
      await delay(pause);
    }
  } catch (err) {
    t.warn(
      `the check could not remove its probe orders from ${n.orderEventsTable}`,
      `${errorName(err)}: ${err instanceof Error ? err.message : String(err)}`,
      `they are test orders, safe to delete (orderId ${list()}).`,
    );
    return;
  }
  t.warn(
    `the check's probe orders were not recorded in ${n.orderEventsTable} within ${deadlineMs / 1000} s, so it could not remove them`,
    `the recorder (step 7) is subscribed to the topic but did not store ${list()}; \`npm run check:step-7\` shows why.`,
    `should they appear later, they are test orders, safe to delete (orderId ${list()}).`,
  );
}

async function tableExists(tableName: string): Promise<boolean> {
  try {
    await dynamoDbClient().send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (err) {
    if (err instanceof TableNotFound) return false;
    throw err;
  }
}

/** Whether the topic has a lambda subscription for the recorder function (any version or alias). */
async function recorderSubscribed(sns: SNSClient, topicName: string, functionName: string): Promise<boolean> {
  const topicArn = await arnInAccount('sns', topicName);
  let NextToken: string | undefined;
  try {
    do {
      const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
      const ours = (page.Subscriptions ?? []).some(
        (s) => s.Protocol === 'lambda' && s.Endpoint?.split(':')[6] === functionName,
      );
      if (ours) return true;
      NextToken = page.NextToken;
    } while (NextToken);
  } catch (err) {
    if (err instanceof TopicNotFound) return false;
    throw err;
  }
  return false;
}
