import type { Cloud } from '../../cloud.ts';
import { toAwsError } from '../../protocol/errors.ts';
import { lambdaErrors } from '../errors.ts';
import { roleAllows, roleContext } from './execution-role.ts';

/** A string attribute the way both SQS and SNS take it. */
export interface StringAttribute {
  DataType: 'String' | 'Number';
  StringValue: string;
}

export interface OutgoingMessage {
  body: string;
  attributes?: Record<string, StringAttribute>;
}

/** The function a message is sent for: its execution role sends it. */
export interface Sender {
  name: string;
  role: string;
}

type TargetService = 'sqs' | 'sns';

/** What the role must be allowed for each target, and how AWS names the call in its errors. */
const SEND_ACTION: Record<TargetService, { action: string; call: string }> = {
  sqs: { action: 'sqs:SendMessage', call: 'SendMessage' },
  sns: { action: 'sns:Publish', call: 'Publish' },
};

/** "sqs" or "sns" for a queue or topic ARN; undefined for anything else. */
export function targetService(arn: string): TargetService | undefined {
  const service = arn.split(':')[2];
  return service === 'sqs' || service === 'sns' ? service : undefined;
}

/**
 * CreateFunction / UpdateFunctionConfiguration with a DeadLetterConfig: AWS checks at once that the
 * execution role may send to the target, and refuses the function otherwise.
 */
export function checkDeadLetterTarget(cloud: Cloud, role: string, functionName: string, targetArn: string): void {
  const service = targetService(targetArn);
  if (!service) {
    throw lambdaErrors.invalidParameter(
      `The local cloud sends dead letters to an SQS queue or an SNS topic only; ${targetArn} is neither.`,
    );
  }
  const { action, call } = SEND_ACTION[service];
  if (roleAllows(cloud, role, functionName, action, targetArn).decision !== 'Allow') {
    throw lambdaErrors.invalidParameter(
      `The provided execution role does not have permissions to call ${call} on ${service.toUpperCase()}`,
    );
  }
}

/** PutFunctionEventInvokeConfig with a destination: the role must be allowed to send there. */
export function checkDestination(cloud: Cloud, role: string, functionName: string, destinationArn: string): void {
  const service = targetService(destinationArn)!;
  const { action, call } = SEND_ACTION[service];
  if (roleAllows(cloud, role, functionName, action, destinationArn).decision !== 'Allow') {
    throw lambdaErrors.invalidParameter(
      `The function's execution role does not have permissions to call ${call} on ${destinationArn}`,
    );
  }
}

/**
 * Sends a message to a queue or topic as the function's execution role, as Lambda does for
 * destinations and dead-letter queues. A role that lost its grant, a target that is gone: nothing
 * is sent and the live log says why. Returns whether the message was sent.
 */
export function sendAsRole(cloud: Cloud, sender: Sender, targetArn: string, message: OutgoingMessage, purpose: string): boolean {
  const fail = (reason: string) => {
    cloud.log({ service: 'lambda', action: 'Invoke', detail: `${sender.name} (Event): ${purpose} not sent to ${targetArn}`, error: reason });
    return false;
  };
  const service = targetService(targetArn);
  if (!service) return fail('the local cloud sends to SQS queues and SNS topics only');
  const { action } = SEND_ACTION[service];
  if (roleAllows(cloud, sender.role, sender.name, action, targetArn).decision !== 'Allow') {
    return fail(`the execution role ${sender.role} is not allowed ${action} on ${targetArn}; grant it to the role`);
  }
  const ctx = roleContext(cloud, sender.role, sender.name, service, service === 'sqs' ? 'SendMessage' : 'Publish');
  try {
    if (service === 'sqs') {
      const queue = cloud.sqs.queueByArn(targetArn);
      if (!queue) return fail('the queue does not exist');
      cloud.sqs.sendMessage(ctx, cloud.sqs.queueUrl(queue.name), { MessageBody: message.body, MessageAttributes: message.attributes });
    } else {
      cloud.sns.publish(ctx, { TopicArn: targetArn, Message: message.body, MessageAttributes: message.attributes });
    }
  } catch (err) {
    const error = toAwsError(err);
    return fail(`${error.code}: ${error.message}`);
  }
  return true;
}
