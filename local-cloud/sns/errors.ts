import { AwsError } from '../protocol/errors.ts';

/**
 * SNS's errors, with the query codes, statuses and messages SNS itself uses. The SDK maps the
 * code to its exception: InvalidParameter → InvalidParameterException, NotFound →
 * NotFoundException, ParameterValueInvalid → InvalidParameterValueException, and so on.
 */
const invalidParameter = (message: string) => new AwsError('InvalidParameter', message);

export const snsErrors = {
  /** "Invalid parameter: TopicArn", "Invalid parameter: Topic Name"… */
  invalidParameter: (what: string) => invalidParameter(`Invalid parameter: ${what}`),
  /** The full message, for the few that do not start with "Invalid parameter: ". */
  invalidParameterMessage: invalidParameter,
  /** "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1" */
  invalidParameterReason: (what: string, reason: string) => invalidParameter(`Invalid parameter: ${what} Reason: ${reason}`),
  /** Message attribute problems use another code (InvalidParameterValueException in the SDK). */
  parameterValueInvalid: (message: string) => new AwsError('ParameterValueInvalid', message),
  /** Smithy constraint failures: "1 validation error detected: Value null at 'x' failed to satisfy constraint: …" */
  validation: (member: string, constraint: string) =>
    new AwsError('ValidationError', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: ${constraint}`),

  topicNotFound: () => new AwsError('NotFound', 'Topic does not exist', { status: 404 }),
  subscriptionNotFound: () => new AwsError('NotFound', 'Subscription does not exist', { status: 404 }),
  resourceNotFound: () => new AwsError('ResourceNotFound', 'Resource does not exist', { status: 404 }),

  invalidToken: () => invalidParameter('Invalid token'),

  tagLimitExceeded: () =>
    new AwsError('TagLimitExceeded', 'Could not complete request: tag quota of per resource exceeded'),

  // ---- PublishBatch ----
  emptyBatch: () => new AwsError('EmptyBatchRequest', 'The batch request doesn\'t contain any entries.'),
  tooManyEntries: () => new AwsError('TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible.'),
  batchIdsNotDistinct: () => new AwsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.'),
  batchIdTooLong: (id: string) =>
    new AwsError('InvalidBatchEntryId', `The Id of a batch entry in the batch request is too long: ${id}`),
  batchIdInvalid: (id: string) =>
    new AwsError('InvalidBatchEntryId', `The Id of a batch entry in the batch request contains an impermissible character: ${id}`),
  batchTooLong: () => new AwsError('BatchRequestTooLong', 'The length of all the messages put together is more than the limit.'),
};
