import { md5OfAttributes } from './md5.ts';
import { selectMessageAttributes, type MessageAttributeValue } from './message-attributes.ts';
import type { SqsMessage } from './queue.ts';

export interface ReceivedMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
}

/** What ReceiveMessage returns for one message, captured at the moment of the receive. */
export function renderReceived(
  msg: SqsMessage,
  receiptHandle: string,
  systemNames: ReadonlySet<string>,
  attributeNames: readonly string[],
): ReceivedMessage {
  const out: ReceivedMessage = { MessageId: msg.id, ReceiptHandle: receiptHandle, MD5OfBody: msg.md5OfBody, Body: msg.body };
  if (systemNames.size > 0) {
    const all = systemNames.has('All');
    const want = (name: string) => all || systemNames.has(name);
    const attributes: Record<string, string> = {};
    if (want('SenderId')) attributes.SenderId = msg.senderId;
    if (want('SentTimestamp')) attributes.SentTimestamp = String(msg.sentAt);
    if (want('ApproximateReceiveCount')) attributes.ApproximateReceiveCount = String(msg.receiveCount);
    if (want('ApproximateFirstReceiveTimestamp') && msg.firstReceiveAt !== undefined) {
      attributes.ApproximateFirstReceiveTimestamp = String(msg.firstReceiveAt);
    }
    const trace = msg.systemAttributes.AWSTraceHeader?.StringValue;
    if (want('AWSTraceHeader') && trace !== undefined) attributes.AWSTraceHeader = trace;
    if (want('DeadLetterQueueSourceArn') && msg.deadLetterSourceArn !== undefined) {
      attributes.DeadLetterQueueSourceArn = msg.deadLetterSourceArn;
    }
    if (Object.keys(attributes).length > 0) out.Attributes = attributes;
  }
  const selected = selectMessageAttributes(msg.attributes, attributeNames);
  if (selected) {
    const everything = Object.keys(selected).length === Object.keys(msg.attributes).length;
    out.MD5OfMessageAttributes = everything ? msg.md5OfAttributes : md5OfAttributes(selected);
    out.MessageAttributes = selected;
  }
  return out;
}
