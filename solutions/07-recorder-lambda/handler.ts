/**
 * The recorder function (read README.md next to this file). SNS invokes it, asynchronously, with
 * each status update published to the order-updates topic; it stores the update as one item of
 * the order-events table (step 6).
 *
 *   a status update                → one item, written only if this order has no item for that status yet
 *   the same update once more      → nothing written; success (delivery is at least once: SNS and
 *                                    Lambda may deliver a message twice, the monitor may publish twice)
 *   anything else              → an error: Lambda retries twice, then sends the event to the
 *                                function's on-failure destination, where a person sees it
 *
 * `npm run step:7` bundles this file (and what it imports) for Lambda.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SNSEvent, SNSMessage } from 'aws-lambda';
import { eventKeyOf, orderTimeOf, timeBucketOf, type OrderEvent, type StageTimes } from '../../lib/order-events.ts';
import { UPDATE_ATTRIBUTES } from '../../lib/pipeline.ts';
import { todo } from '../../lib/todo.ts';

// Made once per execution environment, reused by every invocation it serves. Region, credentials
// (the execution role's) and endpoint come from the environment Lambda sets.
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** A message that is not a status update: retrying will not help, a person must look at it. */
class BadStatusUpdate extends Error {
  override name = 'BadStatusUpdate';
}

export async function handler(event: SNSEvent): Promise<void> {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) throw new Error('TABLE_NAME is not set in the function environment');
  const records = Array.isArray(event?.Records) ? event.Records : [];
  if (records.length === 0 || records.some((r) => !r?.Sns)) {
    throw new BadStatusUpdate(`the event is not an SNS notification: ${JSON.stringify(event).slice(0, 200)}`);
  }
  // SNS invokes a function with one record at a time; a loop costs nothing and assumes nothing.
  for (const record of records) await recordUpdate(tableName, record.Sns);
}

async function recordUpdate(tableName: string, message: SNSMessage): Promise<void> {
  const update = readUpdate(message);
  const recordedAt = Date.now();
  // The key: when intake accepted the order, then the status. Both come from the order itself, so
  // every publication of this update has the same key, whatever its MessageId and SNS time.
  const orderTime = orderTimeOf(update.times);
  // When SNS accepted this message (a republished update has a later one).
  const eventTime = new Date(message.Timestamp).toISOString();
  const item: OrderEvent = {
    orderId: update.orderId,
    eventKey: eventKeyOf(orderTime, update.status),
    timeBucket: timeBucketOf(orderTime, update.orderId),
    eventId: randomUUID(),
    messageId: message.MessageId,
    status: update.status,
    eventTime,
    eventEpochMs: Date.parse(eventTime),
    times: { ...update.times, recordedAt },
    ...(update.customerId ? { customerId: update.customerId } : {}),
  };

  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        // Exercise: write only if no item has this key yet. A redelivered or republished update has
        // the same key (its order's time and its status), so the second write fails its condition
        // instead of storing it twice.
        ConditionExpression: 'attribute_not_exists(eventKey)',
      }),
    );
  } catch (err) {
    const { name, message: detail } = err as Error;
    if (name === 'ConditionalCheckFailedException') {
      // Already stored by an earlier delivery of this update: done, and not an error.
      log('info', 'already recorded (a redelivery)', { orderId: item.orderId, status: item.status, messageId: item.messageId });
      return;
    }
    log('error', 'could not record the update', { orderId: item.orderId, messageId: item.messageId, error: name, detail });
    throw err; // Lambda retries; after the last attempt the event goes to the on-failure destination
  }
  log('info', 'recorded', { orderId: item.orderId, status: item.status, messageId: item.messageId, eventId: item.eventId });
}

interface Update {
  orderId: string;
  status: string;
  customerId?: string;
  times: Omit<StageTimes, 'recordedAt'>;
}

const STAGES_BEFORE_RECORDING = ['acceptedAt', 'queuedAt', 'processedAt', 'publishedAt'] as const;

/** The status update in an SNS message (lib/pipeline.ts, StatusUpdate), or BadStatusUpdate saying what is wrong. */
function readUpdate(message: SNSMessage): Update {
  const bad = (why: string): never => {
    log('error', 'not a status update', { messageId: message.MessageId, why });
    throw new BadStatusUpdate(`message ${message.MessageId} is not a status update: ${why}`);
  };
  if (Number.isNaN(Date.parse(message.Timestamp))) bad(`its Timestamp "${message.Timestamp}" is not a time`);
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(message.Message);
    body = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : bad('its body is not a JSON object');
  } catch (err) {
    if (err instanceof BadStatusUpdate) throw err;
    return bad(`its body is not JSON: ${String(message.Message).slice(0, 80)}`);
  }
  const orderId = body.orderId;
  if (typeof orderId !== 'string' || orderId.length === 0 || orderId.length > 128) bad('orderId is missing or not a string of 1–128 characters');
  const attribute = message.MessageAttributes?.[UPDATE_ATTRIBUTES.orderId]?.Value;
  if (attribute !== undefined && attribute !== orderId) bad(`its orderId attribute (${attribute}) and body (${String(orderId)}) differ`);
  // The status is part of the item's key, and a key has a size limit (1 KB for a sort key).
  if (typeof body.status !== 'string' || body.status.length === 0 || body.status.length > 100) bad('status is missing or not a string of 1–100 characters');
  const times = (body.times ?? {}) as Record<string, unknown>;
  const missing = STAGES_BEFORE_RECORDING.filter((stage) => typeof times[stage] !== 'number' || !Number.isFinite(times[stage]));
  if (missing.length > 0) bad(`times.${missing.join(', times.')} missing (epoch milliseconds expected)`);
  if (Number.isNaN(new Date(times.acceptedAt as number).getTime())) bad(`times.acceptedAt (${String(times.acceptedAt)}) is not a time`);
  return {
    orderId: orderId as string,
    status: body.status as string,
    ...(typeof body.customerId === 'string' ? { customerId: body.customerId } : {}),
    times: Object.fromEntries(STAGES_BEFORE_RECORDING.map((stage) => [stage, times[stage] as number])) as Update['times'],
  };
}

/**
 * One line per event, its fields as JSON. Lambda adds the time, the request id and the level
 * (console.error → ERROR), and sends the line to CloudWatch Logs.
 */
function log(level: 'info' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const line = `${message} ${JSON.stringify(fields)}`;
  if (level === 'error') console.error(line);
  else console.log(line);
}
