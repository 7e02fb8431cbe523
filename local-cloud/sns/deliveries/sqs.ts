import { randomUUID } from 'node:crypto';
import type { Cloud } from '../../cloud.ts';
import type { CallContext } from '../../core/context.ts';
import { evaluate } from '../../iam/policy/index.ts';
import { toAwsError } from '../../protocol/errors.ts';
import type { MessageAttribute } from '../message-attributes.ts';
import { DeliveryError, isServerSide } from './failure.ts';

/** The id SQS reports as SenderId for messages SNS delivers. */
const SNS_SENDER_ID = 'AIDAIT2UOQQY3AUEKVGXU';

/**
 * Sends into a queue the way SNS does: as the service principal sns.amazonaws.com, which the
 * queue's policy must allow (sqs:SendMessage, with the topic as aws:SourceArn). A queue without
 * such a policy gets nothing, as on AWS.
 */
export function sendToQueue(
  cloud: Cloud,
  queueArn: string,
  topicArn: string,
  body: string,
  attributes: Record<string, MessageAttribute>,
): void {
  const queue = cloud.sqs.queueByArn(queueArn);
  if (!queue) throw new DeliveryError(`queue ${queueArn} does not exist`);
  const policy = queue.attributes.Policy;
  const decision = policy
    ? evaluate(
        {
          action: 'sqs:SendMessage',
          resource: queue.arn,
          principal: { type: 'Service', service: 'sns.amazonaws.com' },
          context: { 'aws:SourceArn': topicArn, 'aws:SourceAccount': cloud.accountId },
        },
        [],
        policy,
      ).decision
    : 'ImplicitDeny';
  if (decision !== 'Allow') {
    throw new DeliveryError(
      `the policy of queue ${queue.name} does not allow sns.amazonaws.com to sqs:SendMessage from ${topicArn} ` +
        `(set the queue's Policy attribute: Allow, Principal {"Service":"sns.amazonaws.com"}, Action sqs:SendMessage, ` +
        `Resource ${queue.arn}, Condition {"ArnEquals":{"aws:SourceArn":"${topicArn}"}})`,
    );
  }
  try {
    cloud.sqs.sendMessage(serviceContext(cloud), cloud.sqs.queueUrl(queue.name), {
      MessageBody: body,
      MessageAttributes: Object.keys(attributes).length ? attributes : undefined,
    });
  } catch (err) {
    const error = toAwsError(err);
    throw new DeliveryError(`SQS refused the message: ${error.code}: ${error.message}`, isServerSide(error));
  }
}

/** SNS calling SQS: a service, not a caller with a role, so no identity policy applies. */
function serviceContext(cloud: Cloud): CallContext {
  return {
    requestId: randomUUID(),
    region: cloud.region,
    accountId: cloud.accountId,
    service: 'sqs',
    action: 'SendMessage',
    caller: { kind: 'admin', arn: 'sns.amazonaws.com', userId: SNS_SENDER_ID, accessKeyId: 'sns.amazonaws.com' },
    cloud,
  };
}
