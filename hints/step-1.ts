import type { BlankHints } from './types.ts';

export const hints: readonly BlankHints[] = [
  {
    file: 'deploy.ts',
    marker: 'RedrivePolicy',
    title: 'the redrive policy',
    hints: [
      'A message that fails again and again must leave the orders queue for the dead-letter queue. The redrive policy says where it goes and after how many receives (README.md, "The exercise").',
      'RedrivePolicy is a string holding JSON with two fields: deadLetterTargetArn and maxReceiveCount. Both values are already in the file: deadLetterQueueArn (from GetQueueAttributes) and MAX_RECEIVE_COUNT.',
      'Build an object { deadLetterTargetArn: <the DLQ ARN, not its URL>, maxReceiveCount: <the constant> } and turn it into a string with JSON.stringify(…). SQS refuses a plain object, a string written by hand, a misspelt field name, a count outside 1–1000, and the DLQ\'s URL ("Dead letter target does not exist"); the step then says which.',
    ],
  },
];
