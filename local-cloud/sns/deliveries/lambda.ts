import type { Cloud } from '../../cloud.ts';
import { AwsError } from '../../protocol/errors.ts';
import { DeliveryError, isServerSide } from './failure.ts';

/**
 * Invokes a subscribed function asynchronously (InvocationType Event) as the service principal
 * sns.amazonaws.com with the topic as aws:SourceArn: Lambda checks the function's resource
 * policy (AddPermission), and without a matching grant nothing runs.
 */
export async function invokeFunction(cloud: Cloud, functionArn: string, topicArn: string, event: unknown): Promise<void> {
  try {
    await cloud.lambda.invoke(functionArn, event, {
      invocationType: 'Event',
      principal: 'sns.amazonaws.com',
      sourceArn: topicArn,
      sourceAccount: cloud.accountId,
    });
  } catch (err) {
    if (!(err instanceof AwsError)) throw err;
    if (err.code === 'AccessDeniedException') {
      throw new DeliveryError(
        `the resource policy of ${functionArn} does not allow sns.amazonaws.com to invoke it from ${topicArn} ` +
          `(add one: lambda add-permission --principal sns.amazonaws.com --action lambda:InvokeFunction --source-arn ${topicArn})`,
      );
    }
    if (err.code === 'ResourceNotFoundException') throw new DeliveryError(`function ${functionArn} does not exist`);
    throw new DeliveryError(`Lambda refused the invocation: ${err.code}: ${err.message}`, isServerSide(err));
  }
}
