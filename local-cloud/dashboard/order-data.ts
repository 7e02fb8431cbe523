import type { Cloud } from '../cloud.ts';
// The table's layout is the workbook's (step 6): its key, its time index and how the index is sharded.
import { EVENT_KEY, ORDER_ID, STAGES, TIME_BUCKET, TIME_INDEX, timeBucketsBetween } from '../../lib/order-events.ts';
import { callDynamoDb } from './table-reader.ts';

type Item = Record<string, Record<string, unknown>>;

/** What the page shows of one event: its status and the times it passed each stage. */
export interface TimelineEntry {
  status: string;
  eventTime?: string;
  times: Partial<Record<(typeof STAGES)[number], number>>;
}

/** One order's events, oldest first: one Query on the table's key (never a Scan). */
export async function orderTimeline(cloud: Cloud, table: string, orderId: string): Promise<TimelineEntry[]> {
  const entries: TimelineEntry[] = [];
  let start: Item | undefined;
  do {
    const page = await callDynamoDb<{ Items?: Item[]; LastEvaluatedKey?: Item }>(cloud, 'Query', {
      TableName: table,
      KeyConditionExpression: '#id = :id',
      ExpressionAttributeNames: { '#id': ORDER_ID },
      ExpressionAttributeValues: { ':id': { S: orderId } },
      ScanIndexForward: true,
      ConsistentRead: true,
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
    entries.push(...(page.Items ?? []).map(toEntry));
    start = page.LastEvaluatedKey;
  } while (start && entries.length < 1000);
  return entries;
}

/** The spans the histogram shows: from one stage's time to the next. */
export const SPANS = [
  { label: 'intake → queue', from: 'acceptedAt', to: 'queuedAt' },
  { label: 'queue → monitor', from: 'queuedAt', to: 'processedAt' },
  { label: 'monitor → publish', from: 'processedAt', to: 'publishedAt' },
  { label: 'publish → record', from: 'publishedAt', to: 'recordedAt' },
  { label: 'end to end', from: 'acceptedAt', to: 'recordedAt' },
] as const;

/** At most this many events go into the live histogram: the newest. */
const MAX_EVENTS = 5000;

/**
 * Latency samples per span for the events of the last `minutes`, read through the time index
 * (one Query per hour and shard, as `npm run report` reads it).
 */
export async function recentLatencies(cloud: Cloud, table: string, minutes: number, now = Date.now()) {
  const from = new Date(now - minutes * 60_000);
  const to = new Date(now + 1);
  const events: TimelineEntry[] = [];
  for (const bucket of timeBucketsBetween(from, to)) {
    let start: Item | undefined;
    do {
      const page = await callDynamoDb<{ Items?: Item[]; LastEvaluatedKey?: Item }>(cloud, 'Query', {
        TableName: table,
        IndexName: TIME_INDEX,
        KeyConditionExpression: '#bucket = :bucket AND #key >= :from',
        ExpressionAttributeNames: { '#bucket': TIME_BUCKET, '#key': EVENT_KEY },
        ExpressionAttributeValues: { ':bucket': { S: bucket }, ':from': { S: from.toISOString() } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      events.push(...(page.Items ?? []).map(toEntry));
      start = page.LastEvaluatedKey;
    } while (start && events.length < MAX_EVENTS * 2);
  }
  const complete = events
    .filter((e) => STAGES.every((stage) => Number.isFinite(e.times[stage])))
    .sort((a, b) => a.times.recordedAt! - b.times.recordedAt!)
    .slice(-MAX_EVENTS);
  return {
    events: complete.length,
    spans: SPANS.map((span) => ({ label: span.label, values: complete.map((e) => e.times[span.to]! - e.times[span.from]!) })),
  };
}

function toEntry(item: Item): TimelineEntry {
  const timesMap = (item.times?.M ?? {}) as Record<string, { N?: string }>;
  const times: TimelineEntry['times'] = {};
  for (const stage of STAGES) {
    const value = Number(timesMap[stage]?.N);
    if (Number.isFinite(value)) times[stage] = value;
  }
  return {
    status: String(item.status?.S ?? '?'),
    ...(typeof item.eventTime?.S === 'string' ? { eventTime: item.eventTime.S } : {}),
    times,
  };
}
