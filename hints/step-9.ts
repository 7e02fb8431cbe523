import type { BlankHints } from './types.ts';

export const hints: readonly BlankHints[] = [
  {
    file: 'deploy.ts',
    title: "the order's resource: a path parameter",
    hints: [
      'The route must match /orders/ followed by any order id, and hand that id to the function (README.md, "Path parameters").',
      'A resource\'s path part is either literal text (matches only itself) or a path parameter: a name in curly braces, which matches any one segment of the URL. The proxy event then carries the segment in event.pathParameters, under that name.',
      'A string: the name handler.ts reads from event.pathParameters, wrapped in { and }. Without the braces only the URL /orders/orderId would match; with another name the handler finds no order id.',
    ],
  },
  {
    file: 'handler.ts',
    title: 'the Query: its KeyConditionExpression',
    hints: [
      'A Query reads the items of one partition, and only those: the KeyConditionExpression says which partition (README.md, "Why a Query and not a Scan").',
      'The table\'s partition key is the order id (lib/order-events.ts, ORDER_ID). The condition compares a key attribute with a placeholder value; ExpressionAttributeValues already defines the placeholder for this order\'s id.',
      'A string of the form "attribute = :placeholder": the partition key attribute\'s name, an equals sign, and the placeholder defined below it. A FilterExpression, or a Scan, would read far more than this order and be refused by the role.',
    ],
  },
];
