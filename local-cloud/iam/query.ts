import type { Cloud } from '../cloud.ts';
import type { QueryService } from '../protocol/awsQuery.ts';

/** IAM's query-protocol wire adapter. */
export function iamQuery(_cloud: Cloud): QueryService {
  return { xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/', actions: {} };
}
