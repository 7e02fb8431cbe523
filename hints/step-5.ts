import type { BlankHints } from './types.ts';

export const hints: readonly BlankHints[] = [
  {
    file: 'deploy.ts',
    title: 'partial batch responses on the mapping',
    hints: [
      'Without it, one bad message fails its whole batch and every message in it is retried. The event source mapping has a setting that lets the function say which records failed (README.md, "Partial batch responses").',
      'The setting is FunctionResponseTypes on CreateEventSourceMapping / UpdateEventSourceMapping. It is a list (even with one value); the SDK has an enum for its values, FunctionResponseType, imported at the top of the file, so the value cannot be misspelt.',
      'Give FunctionResponseTypes a list with one element: the FunctionResponseType member whose name says the function reports batch item failures.',
    ],
  },
  {
    file: 'handler.ts',
    title: "the handler's failure path",
    hints: [
      'A record whose processOrder returns normally counts as done, and Lambda deletes it. To have it retried (and, after enough receives, moved to the dead-letter queue), processOrder must fail for it.',
      'The batch processor reports a record as a batch item failure when its handler throws. Before that, leave a trace: logger.error(message, { … }) with the record\'s messageId, its receive count (record.attributes.ApproximateReceiveCount) and the error.',
      'Two statements in the catch block: logger.error(\'order not processed…\', { messageId: …, receiveCount: Number(…), error }), then `throw` the caught error again.',
    ],
  },
];
