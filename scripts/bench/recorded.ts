/**
 * How many status updates the table holds for orders accepted in a time window, counted by the
 * table itself (Select COUNT on the time index: no item travels back), so that watching the
 * pipeline costs the cloud as little as a watcher can.
 */
import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setTimeout as delay } from 'node:timers/promises';
import { timeWindowQueries } from '../../lib/order-events.ts';

export async function countRecorded(db: DynamoDBDocumentClient, tableName: string, from: Date, to: Date): Promise<number> {
  const counts = await Promise.all(
    timeWindowQueries(tableName, from, to).map(async (query) => {
      let count = 0;
      for await (const page of paginateQuery({ client: db }, { ...query, Select: 'COUNT' })) count += page.Count ?? 0;
      return count;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Counts until at least `expected` are recorded or `deadlineMs` passes with no new record;
 * polls fast at first and backs off while nothing changes. Returns the last count.
 */
export async function waitUntilRecorded(p: {
  db: DynamoDBDocumentClient;
  tableName: string;
  from: Date;
  expected: number;
  /** Give up once the count has not grown for this long. */
  stalledMs: number;
  onCount: (count: number) => void;
}): Promise<number> {
  let pause = 50;
  let last = -1;
  let grewAt = Date.now();
  for (;;) {
    const count = await countRecorded(p.db, p.tableName, p.from, new Date(Date.now() + 60_000));
    p.onCount(count);
    if (count >= p.expected) return count;
    if (count > last) {
      last = count;
      grewAt = Date.now();
      pause = 50;
    } else {
      pause = Math.min(pause * 2, 1_000);
    }
    if (Date.now() - grewAt > p.stalledMs) return count;
    await delay(pause);
  }
}
