/**
 * Settings that two steps must agree on. A step that configures one side of a pairing
 * imports the value from here, so the other side (built in a later step) cannot drift.
 */

/**
 * The monitor function's timeout (step 5), which consumes the orders queue (step 1).
 * Ten seconds is ample for a batch of ten orders, each one a quick SNS Publish.
 */
export const MONITOR_TIMEOUT_SECONDS = 10;

/**
 * AWS advises a queue visibility timeout of at least six times the timeout of the function
 * that an event source mapping feeds from it: Lambda may retry a throttled batch, and the
 * messages must stay hidden meanwhile or they are delivered twice. Lambda itself refuses a
 * mapping whose queue's visibility timeout is shorter than the function timeout.
 */
export const VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT = 6;

/**
 * What the intake function (step 2) puts on the orders queue, one message per order; the
 * monitor (step 5) reads it. Each stage adds the time the order passed it to `times`, so the
 * report can tell how long each stage takes.
 */
export interface QueuedOrder {
  orderId: string;
  customerId: string;
  items: { sku: string; quantity: number }[];
  note?: string;
  /** Epoch milliseconds. acceptedAt: intake received the order; queuedAt: intake handed it to SQS. */
  times: { acceptedAt: number; queuedAt: number } & Record<string, number>;
}

/**
 * Message attributes on every queued order (next to the body): a consumer, a filter or a person
 * looking at the queue sees which order and how old it is without parsing the body.
 */
export const ORDER_ATTRIBUTES = { orderId: 'orderId', acceptedAt: 'acceptedAt' } as const;

/**
 * The status the monitor (step 5) announces when it has taken an order from the queue: the
 * order is in the pipeline for good, and people and systems downstream may act on it.
 */
export const ORDER_CONFIRMED = 'confirmed';

/**
 * What the monitor publishes to the order-updates topic (step 4), one message per order; the
 * recorder (step 7) and email subscribers receive it. The queued order, its status, and the
 * times it passed each stage so far (the recorder adds recordedAt).
 */
export interface StatusUpdate extends Omit<QueuedOrder, 'times'> {
  status: string;
  /** Epoch milliseconds. processedAt: the monitor took the order; publishedAt: it handed the update to SNS. */
  times: QueuedOrder['times'] & { processedAt: number; publishedAt: number };
}

/**
 * Message attributes on every status update: subscribers filter on them (an SNS filter policy
 * such as {"status": ["confirmed"]}) without reading the body.
 */
export const UPDATE_ATTRIBUTES = { orderId: 'orderId', status: 'status' } as const;
