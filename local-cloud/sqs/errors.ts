import { AwsError } from '../protocol/errors.ts';

/**
 * SQS errors as AWS words them. The JSON protocol names the error shape (QueueDoesNotExist);
 * the query protocol, and the x-amzn-query-error header SDK v3 reads, carry the older code
 * (AWS.SimpleQueueService.NonExistentQueue). Where the two differ, both are given here.
 */
export const sqsErrors = {
  queueDoesNotExist: () =>
    new AwsError('QueueDoesNotExist', 'The specified queue does not exist.', {
      queryCode: 'AWS.SimpleQueueService.NonExistentQueue',
      queryMessage: 'The specified queue does not exist for this wsdl version.',
    }),

  queueNameExists: (attribute: string) =>
    new AwsError(
      'QueueNameExists',
      `A queue already exists with the same name and a different value for attribute ${attribute}`,
      { queryCode: 'QueueAlreadyExists' },
    ),

  /** CreateQueue with the name of a queue deleted less than 60 seconds ago (realism profile). */
  queueDeletedRecently: () =>
    new AwsError(
      'QueueDeletedRecently',
      'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      { queryCode: 'AWS.SimpleQueueService.QueueDeletedRecently' },
    ),

  invalidQueueName: () =>
    new AwsError(
      'InvalidParameterValue',
      'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    ),

  /** FIFO queues (ordering, deduplication, message groups) are not emulated. */
  fifoNotSupported: () =>
    new AwsError(
      'UnsupportedOperation',
      'FIFO queues are not supported by the local cloud: create a standard queue ' +
        '(no FifoQueue attribute and no .fifo suffix).',
      { queryCode: 'AWS.SimpleQueueService.UnsupportedOperation' },
    ),

  invalidAddress: (address: string) =>
    new AwsError('InvalidAddress', `The address ${address} is not valid for this endpoint.`, { status: 404 }),

  unknownAttribute: (name: string) => new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`),

  invalidAttributeValue: (name: string) =>
    new AwsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`),

  invalidPolicyAttribute: (name: string, value: string, reason: string) =>
    new AwsError('InvalidAttributeValue', `Value ${value} for parameter ${name} is invalid. Reason: ${reason}`),

  invalidParameterValue: (name: string, value: unknown, reason: string) =>
    new AwsError('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`),

  /** Generic "One or more parameters are invalid" family (message size, attributes). */
  invalidParameters: (reason: string) =>
    new AwsError('InvalidParameterValue', `One or more parameters are invalid. Reason: ${reason}`),

  invalidParameter: (message: string) => new AwsError('InvalidParameterValue', message),

  missingParameter: (name: string) =>
    new AwsError('MissingParameter', `The request must contain the parameter ${name}.`),

  invalidMessageContents: (codePoint: number) =>
    new AwsError(
      'InvalidMessageContents',
      `Invalid binary character '#x${codePoint.toString(16).toUpperCase()}' was found in the message body, the set of ` +
        'allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    ),

  receiptHandleIsInvalid: (handle: string) =>
    new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, {
      status: 404,
    }),

  /** ChangeMessageVisibility on a message that was deleted or is no longer in flight. */
  messageNotAvailableForVisibilityChange: (handle: string) =>
    new AwsError(
      'InvalidParameterValue',
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
    ),

  purgeQueueInProgress: (name: string) =>
    new AwsError('PurgeQueueInProgress', `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`, {
      status: 403,
      queryCode: 'AWS.SimpleQueueService.PurgeQueueInProgress',
    }),

  emptyBatchRequest: (entryShape: string) =>
    new AwsError('EmptyBatchRequest', `There should be at least one ${entryShape} in the request.`, {
      queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest',
    }),

  tooManyEntriesInBatchRequest: (count: number) =>
    new AwsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${count}.`,
      { queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest' },
    ),

  batchEntryIdsNotDistinct: (id: string) =>
    new AwsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`, {
      queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    }),

  invalidBatchEntryId: () =>
    new AwsError(
      'InvalidBatchEntryId',
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      { queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
    ),

  batchRequestTooLong: (limit: number, size: number) =>
    new AwsError('BatchRequestTooLong', `Batch requests cannot be longer than ${limit} bytes. You have sent ${size} bytes.`, {
      queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong',
    }),

  tooManyTags: (name: string) => new AwsError('InvalidParameterValue', `Too many tags added for queue ${name}.`),
};
