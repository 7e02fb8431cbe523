/**
 * Following orders into the order-events table (step 6): how many are recorded so far, and one
 * order's timeline, stage by stage.
 *
 * DynamoDB cannot tell anyone that an item arrived (short of a DynamoDB Stream, which this
 * pipeline does not have), so step 8 looks: a Query on the time-window index every moment —
 * 100 ms on the local cloud, 1 s on AWS — until every accepted order is there, or a deadline.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pollIntervalMs } from '../../lib/end-to-end.ts';
import { clock, ms } from '../../lib/latency-report.ts';
import { STAGES, readTimeWindow, type OrderEvent, type StageTimes } from '../../lib/order-events.ts';
import { say } from '../../lib/output.ts';

/** Clocks differ a little between machines (and Lambda hosts): windows start this much earlier. */
const CLOCK_MARGIN_MS = 60_000;

export interface Recorded {
  /** The recorded event of each order found so far, by order id (the first, if an order has several). */
  byOrder: Map<string, OrderEvent>;
  /** Every event of the window at the last look, anyone's: step 8 looks for its invalid order among them. */
  window: OrderEvent[];
  from: Date;
  to: Date;
}

/**
 * Looks at the table until every order in `accepted` (order id → acceptedAt, epoch ms, as the
 * intake's 202 said) is recorded, or until `deadline` (epoch ms) passes, or until `stop()` says
 * so. More orders may join `accepted` while it runs (the shop is still sending).
 */
export async function watchRecords(p: {
  db: DynamoDBDocumentClient;
  tableName: string;
  accepted: Map<string, number>;
  /** True once no more orders will join `accepted`. */
  allSent: () => boolean;
  deadline: () => number;
  onProgress: (recorded: number) => void;
}): Promise<Recorded> {
  const byOrder = new Map<string, OrderEvent>();
  let window: OrderEvent[] = [];
  let from = new Date();
  let to = new Date();
  for (;;) {
    if (p.accepted.size > 0) {
      // The window: from the first acceptance (by the intake's clock, minus a margin) to a little
      // after the last; the index reads only the hours and shards in between.
      const times = [...p.accepted.values()];
      from = new Date(Math.min(...times) - CLOCK_MARGIN_MS);
      to = new Date(Math.max(...times, Date.now()) + CLOCK_MARGIN_MS);
      window = await readTimeWindow(p.db, p.tableName, from, to);
      for (const event of window) {
        if (p.accepted.has(event.orderId) && !byOrder.has(event.orderId)) byOrder.set(event.orderId, event);
      }
      p.onProgress(byOrder.size);
    }
    const allRecorded = p.allSent() && [...p.accepted.keys()].every((id) => byOrder.has(id));
    if (allRecorded || Date.now() >= p.deadline()) return { byOrder, window, from, to };
    await delay(pollIntervalMs());
  }
}

const STAGE_NAMES: Record<keyof StageTimes, string> = {
  acceptedAt: 'accepted by the intake function (step 2)',
  queuedAt: 'handed to the orders queue (step 1)',
  processedAt: 'taken off the queue by the monitor (step 5)',
  publishedAt: 'published to the topic (step 4)',
  recordedAt: 'recorded in the table (step 7)',
};

/** One order's events (from readTimeline), each stage with its time and the time since the stage before. */
export function printTimeline(orderId: string, events: OrderEvent[], order?: { customerId: string; items: unknown[] }): void {
  const who = order ? ` (customer ${order.customerId}, ${order.items.length} item${order.items.length === 1 ? '' : 's'})` : '';
  say(`  order ${orderId}${who}`);
  for (const event of events) {
    if (events.length > 1) say(`    status ${event.status}, event ${event.eventId}`);
    let previous: number | undefined;
    for (const stage of STAGES) {
      const at = event.times[stage];
      const delta = previous === undefined ? '' : `${at >= previous ? '+' : ''}${ms(at - previous)}`;
      say(`    ${clock(at)}  ${delta.padStart(8)}  ${STAGE_NAMES[stage]}`);
      previous = at;
    }
    say(`    ${' '.repeat(12)}  ${ms(event.times.recordedAt - event.times.acceptedAt).padStart(8)}  end to end (UTC times; event ${event.eventKey})`);
  }
}
