import type { ReceivedMessage } from '../../sqs/backend.ts';

/** A message attribute in the event, in lower camel case as Lambda writes it. */
interface RecordAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

/**
 * One SQS message as a record of the event Lambda passes to the function, with AWS's keys in
 * AWS's order: messageId, receiptHandle, body, attributes, messageAttributes,
 * md5OfMessageAttributes (null when there are none), md5OfBody, eventSource, eventSourceARN, awsRegion.
 */
export function sqsRecord(message: ReceivedMessage, queueArn: string, region: string): Record<string, unknown> {
  const received = message.Attributes ?? {};
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: received.ApproximateReceiveCount,
    SentTimestamp: received.SentTimestamp,
    SenderId: received.SenderId,
    ApproximateFirstReceiveTimestamp: received.ApproximateFirstReceiveTimestamp,
  };
  if (received.AWSTraceHeader !== undefined) attributes.AWSTraceHeader = received.AWSTraceHeader;
  if (received.DeadLetterQueueSourceArn !== undefined) attributes.DeadLetterQueueSourceArn = received.DeadLetterQueueSourceArn;

  const messageAttributes: Record<string, RecordAttribute> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] =
      value.BinaryValue !== undefined
        ? { binaryValue: value.BinaryValue.toString('base64'), stringListValues: [], binaryListValues: [], dataType: value.DataType }
        : { stringValue: value.StringValue, stringListValues: [], binaryListValues: [], dataType: value.DataType };
  }

  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes,
    messageAttributes,
    md5OfMessageAttributes: message.MD5OfMessageAttributes ?? null,
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
