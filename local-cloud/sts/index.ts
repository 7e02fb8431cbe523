import type { QueryService } from '../protocol/awsQuery.ts';

/** STS: who am I. The learner is the account's admin; function code is its assumed role. */
export const stsQuery: QueryService = {
  xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
  actions: {
    GetCallerIdentity: (_params, ctx) => ({
      Arn: ctx.caller.arn,
      UserId: ctx.caller.userId,
      Account: ctx.accountId,
    }),
  },
};
