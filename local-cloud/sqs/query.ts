import type { Cloud } from '../cloud.ts';
import type { QueryService } from '../protocol/awsQuery.ts';

/** SQS as the aws CLI speaks it: the query protocol. */
export function sqsQuery(_cloud: Cloud): QueryService {
  return { xmlns: 'http://queue.amazonaws.com/doc/2012-11-05/', actions: {} };
}
