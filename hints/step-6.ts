import type { BlankHints } from './types.ts';

export const hints: readonly BlankHints[] = [
  {
    file: 'deploy.ts',
    marker: 'tableKey',
    title: "the table's key",
    hints: [
      'Start from the question the table answers: "the timeline of one order". Its events must share a partition and sort by time within it (README.md, "Design the key from the questions").',
      'A key schema is a list of KeySchemaElement: { AttributeName, KeyType }, the HASH (partition) key first, then the RANGE (sort) key; KeyType is written in capitals. The attribute names are the constants at the top of the file: ORDER_ID and EVENT_KEY (a name typed by hand must match ATTRIBUTE_DEFINITIONS exactly).',
      'Two elements: the order id attribute with KeyType \'HASH\', then the event key attribute with KeyType \'RANGE\'. Use the constants, not string literals, so the names match ATTRIBUTE_DEFINITIONS.',
    ],
  },
  {
    file: 'deploy.ts',
    marker: 'indexKey',
    title: "the time index's key",
    hints: [
      'The second question is "what happened in this time window", across all orders. The index groups events by hour (and shard), sorted by time within it.',
      'Same shape as the table\'s key, a HASH element then a RANGE element; the partition is now the time bucket, TIME_BUCKET, and the sort key is still EVENT_KEY.',
      'Two elements: TIME_BUCKET with KeyType \'HASH\', then EVENT_KEY with KeyType \'RANGE\'.',
    ],
  },
];
