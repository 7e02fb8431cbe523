/** What the benchmark and its load generator (a process of its own) tell each other. */

/** Send orders to `url` at `rate` a second for `seconds`, at most `concurrency` open at once. */
export interface OrdersRequest {
  kind: 'orders';
  url: string;
  rate: number;
  seconds: number;
  concurrency: number;
  /** Marks the orders' customerId, so a run's orders are told apart from another's. */
  label: string;
}

/** PutItem into `table` as fast as `concurrency` open calls allow, for `seconds`. */
export interface PutsRequest {
  kind: 'puts';
  table: string;
  seconds: number;
  concurrency: number;
}

/** How many orders a run of `seconds` at `rate` a second sends (at least one). */
export const plannedOrders = (rate: number, seconds: number): number => Math.max(1, Math.round(rate * seconds));

export type LoadRequest = OrdersRequest | PutsRequest | { kind: 'exit' };

export interface OrdersProgress {
  kind: 'progress';
  sent: number;
  accepted: number;
  answered: number;
}

export interface OrdersResult {
  kind: 'orders-done';
  sent: number;
  /** The orderId of every 202, in the order the answers came. */
  acceptedOrderIds: string[];
  /** How many answers had each status ("0": no answer at all). */
  statuses: Record<string, number>;
  /** A few of the answers that were not 202, to show. */
  refusals: string[];
  /** From the first request to the last answer. */
  seconds: number;
  /** POST → answer, ms. */
  answerP50Ms: number;
  answerP99Ms: number;
  /** Requests that left more than 100 ms after their time (the concurrency bound held them). */
  late: number;
  /** This process's CPU (user + system) from the first request to the last answer. */
  cpuMs: number;
}

export interface PutsResult {
  kind: 'puts-done';
  puts: number;
  errors: number;
  firstError?: string;
  seconds: number;
}

export type LoadReply = OrdersProgress | OrdersResult | PutsResult | { kind: 'ready' } | { kind: 'failed'; error: string };
