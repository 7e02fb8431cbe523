import { dict } from '../core/dict.ts';
import { snsErrors } from './errors.ts';
import { attributesSize, validateMessageAttributes, type MessageAttribute, type MessageAttributeInput } from './message-attributes.ts';

/** What Publish (and each PublishBatch entry) carries. */
export interface PublishInput {
  TopicArn?: string;
  TargetArn?: string;
  PhoneNumber?: string;
  Message?: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, MessageAttributeInput>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

/** A message that passed SNS's checks, ready to become a Notification. */
export interface CheckedMessage {
  message: string;
  perProtocol?: Record<string, string>;
  subject?: string;
  attributes: Record<string, MessageAttribute>;
}

/** A message, its attributes included, may be up to 256 KiB. */
export const MAX_MESSAGE_BYTES = 262_144;
const SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,99}$/;

/** The checks that concern the message itself (the topic is checked by the caller). */
export function checkMessage(input: PublishInput, attributesMember?: string): CheckedMessage {
  // Attribute problems come first: they fail a whole PublishBatch, not just one entry.
  const attributes = validateMessageAttributes(input.MessageAttributes, attributesMember);
  const message = input.Message;
  if (message === undefined || message === '') throw snsErrors.invalidParameter('Empty message');
  if (input.Subject !== undefined && !SUBJECT.test(input.Subject)) throw snsErrors.invalidParameter('Subject');
  if (Buffer.byteLength(message) + attributesSize(attributes) > MAX_MESSAGE_BYTES) throw snsErrors.invalidParameter('Message too long');
  if (input.MessageGroupId !== undefined) {
    throw snsErrors.invalidParameterReason('MessageGroupId', 'The request includes MessageGroupId parameter that is not valid for this topic type');
  }
  if (input.MessageDeduplicationId !== undefined) {
    throw snsErrors.invalidParameterReason(
      'MessageDeduplicationId',
      'The request includes MessageDeduplicationId parameter that is not valid for this topic type',
    );
  }
  const checked: CheckedMessage = { message, attributes };
  if (input.Subject !== undefined) checked.subject = input.Subject;
  if (input.MessageStructure !== undefined && input.MessageStructure !== '') {
    if (input.MessageStructure !== 'json') throw snsErrors.invalidParameter('MessageStructure');
    Object.assign(checked, perProtocolMessages(message));
  }
  return checked;
}

/** MessageStructure "json": {"default": "...", "sqs": "...", "email": "..."}; "default" is required. */
function perProtocolMessages(message: string): { message: string; perProtocol: Record<string, string> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw snsErrors.invalidParameter('Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw snsErrors.invalidParameter('Message Structure - JSON message body failed to parse');
  }
  const entries = parsed as Record<string, unknown>;
  if (typeof entries.default !== 'string') {
    throw snsErrors.invalidParameter('Message Structure - No default entry in JSON message body');
  }
  const perProtocol = dict<string>();
  for (const [protocol, text] of Object.entries(entries)) {
    if (protocol !== 'default' && typeof text === 'string') perProtocol[protocol] = text;
  }
  return { message: entries.default, perProtocol };
}
