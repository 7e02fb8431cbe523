import type { BlankHints } from './types.ts';

export const hints: readonly BlankHints[] = [
  {
    file: 'deploy.ts',
    title: 'the role policy statement',
    hints: [
      'The intake function needs to do exactly one thing besides logging: put an order on the orders queue. Grant that, on that queue only (README.md, "Why one action on one ARN").',
      'An IAM policy statement is an object with Effect, Action and Resource (and optionally a Sid naming it). The action is sqs:SendMessage; the resource is the queue\'s ARN, ordersQueueArn — not its URL, and not "*".',
      'Write one object in the Statement list: a Sid of your choosing, Effect \'Allow\', Action \'sqs:SendMessage\', Resource set to the variable that holds the queue\'s ARN. Spell the action exactly: IAM accepts an action name it does not know (sqs:Send) without a word, and it grants nothing.',
    ],
  },
  {
    file: 'order.ts',
    title: 'the quantity rule',
    hints: [
      'A quantity of 0, -3 or 2.5 must be refused with a 400 that says why. Look at how the `id` rule above chains its limits, each with its own message.',
      'zod 4 has z.int() for whole numbers, and .min(n, message) / .max(n, message) for the limits. The upper limit is LIMITS.maxQuantity; the `required(…)` helper above gives the message for a missing or non-number value.',
      'Chain it like the `id` rule: start from z.int({ error: required(\'…whole number…\') }), then .min(1, \'…\'), then .max(LIMITS.maxQuantity, `…${LIMITS.maxQuantity}`), each message saying what the quantity must be.',
    ],
  },
];
