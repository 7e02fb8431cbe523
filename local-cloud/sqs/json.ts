import type { Cloud } from '../cloud.ts';
import type { JsonService } from '../protocol/awsJson.ts';

/** SQS as SDK v3 speaks it: awsJson 1.0, query compatible. */
export function sqsJson(_cloud: Cloud): JsonService {
  return { targetPrefix: 'AmazonSQS', errorNamespace: 'com.amazonaws.sqs', version: '1.0', queryCompatible: true, operations: {} };
}
