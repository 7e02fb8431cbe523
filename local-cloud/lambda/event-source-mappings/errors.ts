import { AwsError } from '../../protocol/errors.ts';
import { lambdaErrors } from '../errors.ts';

/** The errors of CreateEventSourceMapping and its siblings, worded as AWS words them. */
export const mappingErrors = {
  visibilityTimeout: (queueSeconds: number, functionSeconds: number) =>
    lambdaErrors.invalidParameter(
      `Queue visibility timeout: ${queueSeconds} seconds is less than Function timeout: ${functionSeconds} seconds`,
    ),

  /** `call` is ReceiveMessage, DeleteMessage or GetQueueAttributes: the first the role may not make. */
  rolePermissions: (call: string) =>
    lambdaErrors.invalidParameter(`The provided execution role does not have permissions to call ${call} on SQS`),

  missingQueue: () =>
    lambdaErrors.invalidParameter(
      'Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. ' +
        'SQS Error Message: The specified queue does not exist.',
    ),

  duplicate: (queueArn: string, functionName: string, uuid: string) =>
    new AwsError(
      'ResourceConflictException',
      `An event source mapping with SQS arn (" ${queueArn} ") and function (" ${functionName} ") already exists. ` +
        `Please update or delete the existing mapping with UUID ${uuid}`,
      { status: 409 },
    ),

  batchWindowRequired: () =>
    lambdaErrors.invalidParameter('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10'),

  startingPosition: () => lambdaErrors.invalidParameter('StartingPosition is not valid for SQS event sources.'),

  eventSourceRequired: () => lambdaErrors.invalidParameter('Unrecognized event source, must be kinesis, dynamodb stream or sqs.'),

  /** Kinesis, DynamoDB streams, Kafka, MQ, DocumentDB: real AWS sources the local cloud does not poll. */
  sourceNotEmulated: (arn: string) =>
    lambdaErrors.invalidParameter(`The local cloud maps SQS queues only; ${arn} is not an SQS queue.`),

  notFound: () => lambdaErrors.resourceNotFound(),
};
