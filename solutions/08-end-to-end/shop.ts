/**
 * The shop's front end, as far as the pipeline can tell (read README.md next to this file): it
 * POSTs each order as JSON to the API's /orders, at a steady rate, and reads the answer —
 * 202 {orderId} when the order is taken, 400 {error, message} when it is not.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { postOrder, type OrderAnswer } from '../../lib/end-to-end.ts';

/** What the shop sells; an order takes one to three of them. */
const CATALOG = ['tea-earl-grey', 'tea-sencha', 'tea-rooibos', 'mug-blue', 'teapot-cast-iron', 'biscuits-ginger', 'filter-paper'];

export interface Order {
  customerId: string;
  items: { sku: string; quantity: number }[];
  note?: string;
}

/** A plausible order from a random customer. */
export function someOrder(): Order {
  const skus = [...CATALOG].sort(() => Math.random() - 0.5).slice(0, randomInt(1, 4));
  return {
    customerId: `c-${randomInt(1000, 10000)}`,
    items: skus.map((sku) => ({ sku, quantity: randomInt(1, 4) })),
    note: 'sent by npm run step:8',
  };
}

export interface Sent {
  /** 0, 1, 2… in the order they were sent. */
  index: number;
  order: Order;
  /** Epoch ms, this machine's clock: when the request left, and when its answer came. */
  sentAt: number;
  answeredAt: number;
  answer: OrderAnswer;
}

/**
 * Requests the shop keeps open at once, like a web server's connection pool to an API. Each one
 * the API is still working on may need an execution environment of its own: more at once means
 * more cold starts (on AWS as on the local cloud), the first time.
 */
const MAX_IN_FLIGHT = 4;

/**
 * Sends `count` orders at `perSecond`, each at its own time (start + i / perSecond) without
 * waiting for the answer to the one before (up to MAX_IN_FLIGHT open requests): a shop's
 * visitors do not queue behind each other. Calls `onSent` and `onAnswer` as it goes; resolves
 * with every answer once all have come. `between` runs once, halfway (step 8 slips its poison
 * message in there).
 */
export async function sendAtSteadyRate(p: {
  url: string;
  count: number;
  perSecond: number;
  onSent: (index: number) => void;
  onAnswer: (sent: Sent) => void;
  between?: () => Promise<void>;
}): Promise<Sent[]> {
  const started = performance.now();
  const all: Promise<Sent>[] = [];
  const open = new Set<Promise<Sent>>();
  const halfway = Math.floor(p.count / 2);
  for (let index = 0; index < p.count; index++) {
    // Pacing: wait for this order's turn (not for a condition, so a timer is the right tool).
    const due = started + (index * 1000) / p.perSecond;
    const early = due - performance.now();
    if (early > 1) await delay(early);
    if (index === halfway && p.between) await p.between();
    while (open.size >= MAX_IN_FLIGHT) await Promise.race(open);

    const order = someOrder();
    const sentAt = Date.now();
    p.onSent(index);
    // A request that fails outright (no answer at all) counts as refused, with the error as its text.
    const answered = postOrder(p.url, order).catch((err: Error): OrderAnswer => ({ status: 0, body: undefined, text: `${err.name}: ${err.message}`, throttled: 0 }));
    const request = answered.then((answer) => {
      const sent = { index, order, sentAt, answeredAt: Date.now(), answer };
      p.onAnswer(sent);
      open.delete(request);
      return sent;
    });
    open.add(request);
    all.push(request);
  }
  return Promise.all(all);
}
