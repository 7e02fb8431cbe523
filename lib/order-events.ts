/**
 * The order-events table (step 6) as every part of the pipeline sees it: its key and index, the
 * item the recorder (step 7) writes, and the two ways to read it — one order's timeline, and a
 * time window across orders. steps/06-table/README.md explains the design.
 *
 * The recorder's handler imports this file, so it must stay light: nothing but the AWS SDK
 * (which the Lambda runtime provides).
 */
import { QueryCommand, paginateQuery, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/** The table's partition key: every event of one order lives together, under its id. */
export const ORDER_ID = 'orderId';
/**
 * The table's sort key: `${ISO-8601 time the order was accepted}#${status}`. The same for every
 * publication of one update (SNS redelivers, the monitor republishes after a retry), so the
 * recorder's conditional write stores each status of an order once; the time first makes the
 * index's time windows a key range. steps/07-recorder-lambda/README.md explains.
 */
export const EVENT_KEY = 'eventKey';
/** The index for time windows across orders: hour bucket (and shard) as partition, eventKey as sort key. */
export const TIME_INDEX = 'by-time';
export const TIME_BUCKET = 'timeBucket';

/**
 * Write sharding. Every event of one hour would otherwise share one index partition key, and one
 * partition takes about 1,000 writes a second: a busy hour would throttle the index (and with it
 * the table's writes). Spreading each hour over SHARDS keys multiplies that ceiling; reading a
 * window costs one Query per shard and hour instead of one per hour.
 */
export const TIME_BUCKET_SHARDS = 4;

/** Epoch milliseconds at which an order passed each stage of the pipeline. */
export interface StageTimes {
  /** The intake function received the order (step 2). */
  acceptedAt: number;
  /** The intake function handed it to the orders queue. */
  queuedAt: number;
  /** The monitor function took it from the queue (step 5). */
  processedAt: number;
  /** The monitor published the status update to the topic. */
  publishedAt: number;
  /** The recorder wrote this item (step 7). */
  recordedAt: number;
}

export const STAGES = ['acceptedAt', 'queuedAt', 'processedAt', 'publishedAt', 'recordedAt'] as const satisfies readonly (keyof StageTimes)[];

/** One item of the table: one status update of one order. */
export interface OrderEvent {
  orderId: string;
  eventKey: string;
  timeBucket: string;
  /** A unique id for this event (a random UUID). */
  eventId: string;
  /** The SNS MessageId of the delivery that was stored (a republished update has another one). */
  messageId: string;
  status: string;
  /** When the update was published to the topic, as SNS stamped it: ISO-8601 (UTC, milliseconds)… */
  eventTime: string;
  /** …and the same instant in epoch milliseconds, for arithmetic. */
  eventEpochMs: number;
  times: StageTimes;
  customerId?: string;
}

/** The sort key of an event: a time first (ISO-8601 sorts as text in time order), then what tells events of that time apart. */
export function eventKeyOf(time: string, distinction: string): string {
  return `${time}#${distinction}`;
}

/** The time an update is keyed and bucketed by: when intake accepted its order, as ISO-8601 (UTC, milliseconds). */
export function orderTimeOf(times: Pick<StageTimes, 'acceptedAt'>): string {
  return new Date(times.acceptedAt).toISOString();
}

/** The index partition an event goes to: the hour of its key's time, and a shard from its order id. */
export function timeBucketOf(time: string, orderId: string): string {
  return `${hourOf(time)}#${shardOf(orderId)}`;
}

/** "2025-06-01T14:03:22.120Z" → "2025-06-01T14". */
const hourOf = (iso: string) => iso.slice(0, 13);

/** A stable shard number for an order (FNV-1a): all of one order's events land in the same shard. */
export function shardOf(orderId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < orderId.length; i++) {
    hash ^= orderId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % TIME_BUCKET_SHARDS;
}

/** Every index partition key that can hold events from `from` (inclusive) to `to` (exclusive). */
export function timeBucketsBetween(from: Date, to: Date): string[] {
  const buckets: string[] = [];
  const hour = new Date(from);
  hour.setUTCMinutes(0, 0, 0);
  for (; hour < to; hour.setUTCHours(hour.getUTCHours() + 1)) {
    for (let shard = 0; shard < TIME_BUCKET_SHARDS; shard++) buckets.push(`${hourOf(hour.toISOString())}#${shard}`);
  }
  return buckets;
}

/** One order's events, oldest first: a single Query on the table's partition key. */
export async function readTimeline(db: DynamoDBDocumentClient, tableName: string, orderId: string, consistent = false): Promise<OrderEvent[]> {
  const events: OrderEvent[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#orderId = :orderId',
        ExpressionAttributeNames: { '#orderId': ORDER_ID },
        ExpressionAttributeValues: { ':orderId': orderId },
        ScanIndexForward: true, // ascending sort key: oldest first
        ConsistentRead: consistent,
        ExclusiveStartKey,
      }),
    );
    events.push(...((page.Items ?? []) as OrderEvent[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return events;
}

/**
 * The Queries that read a time window on the time index: one per hour and shard. The ISO times
 * bound the sort key: "…T14:00:00.000Z" < "…T14:00:00.000Z#status" < "…T15:00:00.000Z".
 */
export function timeWindowQueries(tableName: string, from: Date, to: Date): QueryCommandInput[] {
  return timeBucketsBetween(from, to).map((bucket) => ({
    TableName: tableName,
    IndexName: TIME_INDEX,
    KeyConditionExpression: '#bucket = :bucket AND #eventKey BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#bucket': TIME_BUCKET, '#eventKey': EVENT_KEY },
    ExpressionAttributeValues: { ':bucket': bucket, ':from': from.toISOString(), ':to': to.toISOString() },
  }));
}

/**
 * Every order's events from `from` (inclusive) to `to` (exclusive), oldest first: one Query per
 * hour and shard on the time index, run in parallel, merged. It reads only the window, however
 * much history the table holds. (Index reads are eventually consistent.)
 */
export async function readTimeWindow(db: DynamoDBDocumentClient, tableName: string, from: Date, to: Date): Promise<OrderEvent[]> {
  const pages = await Promise.all(
    timeWindowQueries(tableName, from, to).map(async (query) => {
      const events: OrderEvent[] = [];
      for await (const page of paginateQuery({ client: db }, query)) events.push(...((page.Items ?? []) as OrderEvent[]));
      return events;
    }),
  );
  return pages.flat().sort((a, b) => (a.eventKey < b.eventKey ? -1 : a.eventKey > b.eventKey ? 1 : 0));
}
