/**
 * What an order is, as the intake function accepts it (read README.md next to this file).
 *
 *   { "customerId": "c-1042", "items": [{ "sku": "tea-earl-grey", "quantity": 2 }], "note": "gift wrap" }
 *
 * Everything the shop sends is checked here, before anything is queued: a bad order is refused
 * with 400 and a reason the shop's developers can act on, and never reaches the queue.
 */
import { z } from 'zod';
import { todo } from '../../lib/todo.ts';

/** Sizes that keep one order sane (and its message far below SQS's 256 KB limit). */
export const LIMITS = {
  /** The request body, in bytes. An order of 50 items with long ids fits in about 5 KB. */
  maxBodyBytes: 16 * 1024,
  maxItems: 50,
  maxQuantity: 1000,
  maxIdLength: 64,
  maxNoteLength: 500,
} as const;

/** For a value of the wrong type: "is required" when it is missing, else what it must be. */
const required = (what: string) => (issue: { code?: string; input?: unknown }) =>
  issue.code !== 'invalid_type' ? undefined : issue.input === undefined ? 'is required' : what;

/** Ids as shops send them: 1–64 letters, digits and . _ : - (no spaces, nothing invisible). */
const id = z
  .string({ error: required('must be a string') })
  .min(1, 'must not be empty')
  .max(LIMITS.maxIdLength, `must be at most ${LIMITS.maxIdLength} characters`)
  .regex(/^[A-Za-z0-9._:-]*$/, 'may hold only letters, digits and . _ : -');

/**
 * A note is text, in the characters an SQS message may hold: tab, line breaks, and everything from
 * U+0020 up except U+FFFE, U+FFFF and unpaired surrogates. JSON escapes the other control
 * characters, but not U+FFFE or U+FFFF: SQS would refuse the message, and a good-looking order
 * would get a 500 instead of the 400 it deserves.
 */
const QUEUEABLE_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

// Exercise: the quantity rule. Without it, 0, -3 or 2.5 would pass as quantities (and -3 would
// credit the customer).
const quantity: z.ZodType<number> = todo('step 2: a zod rule: a whole number (z.int) from 1 to LIMITS.maxQuantity, each limit with its own message');

/** One line of the order. Unknown fields are refused: a typo such as "quantiy" must not pass silently. */
const item = z.strictObject({ sku: id, quantity }, { error: required('must be an object with sku and quantity') });

export const orderSchema = z.strictObject(
  {
    customerId: id,
    items: z
      .array(item, { error: required('must be a list of items') })
      .min(1, 'must hold at least one item')
      .max(LIMITS.maxItems, `must hold at most ${LIMITS.maxItems} items`)
      .refine((items) => new Set(items.map((i) => i.sku)).size === items.length, 'must name each sku once (add up the quantities)'),
    note: z
      .string('must be a string')
      .max(LIMITS.maxNoteLength, `must be at most ${LIMITS.maxNoteLength} characters`)
      .regex(QUEUEABLE_TEXT, 'may hold only text: no control characters but tab and line breaks, no U+FFFE, U+FFFF or unpaired surrogates')
      .optional(),
  },
  { error: required('must be a JSON object') },
);

export type Order = z.infer<typeof orderSchema>;

/** One thing wrong with an order: where (e.g. "items[0].quantity") and what. */
export interface OrderProblem {
  path: string;
  message: string;
}

/** Validates a parsed JSON value as an order. */
export function validateOrder(value: unknown): { ok: true; order: Order } | { ok: false; problems: OrderProblem[] } {
  const result = orderSchema.safeParse(value);
  if (result.success) return { ok: true, order: result.data };
  return {
    ok: false,
    problems: result.error.issues.flatMap((issue) =>
      // One problem per unknown field, named by its own path.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'is not a field of an order' }))
        : [{ path: pathOf(issue.path), message: issue.message }],
    ),
  };
}

/** ["items", 0, "quantity"] → "items[0].quantity"; [] → "(the order)". */
function pathOf(path: PropertyKey[]): string {
  if (path.length === 0) return '(the order)';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}
