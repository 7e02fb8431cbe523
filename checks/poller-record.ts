import { createHash, randomUUID } from 'node:crypto';
import { resolveTarget } from '../lib/config.ts';

/**
 * An SQS record shaped as an event source mapping hands it to a function (aws-behaviours §B).
 * Checks invoke the monitor directly with such records to see its partial batch response
 * without touching the learner's queue. `sender` names the check in the record's SenderId.
 */
export function pollerRecord(body: string, queueArn: string, sender: string) {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: `${sender}-${randomUUID()}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: sender, ApproximateFirstReceiveTimestamp: now },
    messageAttributes: {},
    md5OfMessageAttributes: null,
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: resolveTarget().region,
  };
}
