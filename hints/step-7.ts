import type { BlankHints } from './types.ts';

export const hints: readonly BlankHints[] = [
  {
    file: 'deploy.ts',
    marker: 'permission',
    title: 'the invoke permission for SNS',
    hints: [
      'SNS needs the function\'s permission to invoke it, as API Gateway did in step 3 — and only for messages from this topic (README.md, "The exercise").',
      'The value is an AddPermissionCommandInput: FunctionName, StatementId, Action, Principal and SourceArn. The principal is the SNS service (sns.amazonaws.com, not just sns); the action is written with its service, lambda:…; the source is the topic\'s ARN, not its name.',
      'An object: FunctionName from the names (the recorder function), StatementId the constant PERMISSION_ID, Action \'lambda:InvokeFunction\', Principal the SNS service principal, SourceArn the topicArn variable. Leaving SourceArn out lets any topic invoke it.',
    ],
  },
  {
    file: 'deploy.ts',
    marker: 'subscription',
    title: 'the subscription',
    hints: [
      'The topic delivers only to its subscribers: subscribe the function to it.',
      'The value is a SubscribeCommandInput: TopicArn, Protocol, Endpoint, and ReturnSubscriptionArn (so the answer holds the ARN even before any confirmation). For a function, the protocol is lambda (lower case) and the endpoint is the function\'s ARN, not its name.',
      'An object: TopicArn the topicArn variable, Protocol \'lambda\', Endpoint the functionArn variable, ReturnSubscriptionArn true.',
    ],
  },
  {
    file: 'handler.ts',
    title: 'the conditional write',
    hints: [
      'SNS delivers at least once: the same update can arrive twice. The second write must fail instead of storing a duplicate (README.md, "At least once, so stored once").',
      'PutItem takes a ConditionExpression, a string in DynamoDB\'s condition syntax. The function attribute_not_exists(path) is true when the stored item (the one with this key) lacks that attribute — that is, when there is no such item yet.',
      'Write the string attribute_not_exists(…) around the name of one of the table\'s key attributes (the sort key works). attribute_exists would do the opposite: refuse every new event.',
    ],
  },
];
