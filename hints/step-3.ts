import type { BlankHints } from './types.ts';

export const hints: readonly BlankHints[] = [
  {
    file: 'deploy.ts',
    title: "the permission's SourceArn",
    hints: [
      'The permission lets API Gateway invoke the function, but only for calls to this API\'s POST /orders. SourceArn is how it says "only those" (README.md, "Why the SourceArn matters").',
      'API Gateway presents an execute-api ARN: arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH. lib/api.ts has executeApiArn(…) that builds it from named parts; every part is a variable in deploy() already.',
      'Call executeApiArn with an object of partition, region, accountId (it may be undefined in the type: assert it), apiId (the REST API\'s id), stage "*" (any stage), method (the constant for POST) and path (a slash, then the constant for "orders"). Not the invoke URL, and not the function\'s ARN: the SourceArn names the caller.',
    ],
  },
];
