import { envelopeAttributes, type MessageAttribute } from './message-attributes.ts';
import type { Protocol } from './model.ts';

/**
 * One published message on its way to the subscriptions, and the shapes endpoints receive it in:
 * the JSON envelope (SQS, HTTP/S, email-json: …URL fields) and the Lambda event record
 * (…Url fields, Subject null when absent).
 */
export interface Notification {
  messageId: string;
  topicArn: string;
  subject?: string;
  /** The default message. */
  message: string;
  /** MessageStructure "json": a message per protocol, falling back to the default. */
  perProtocol?: Record<string, string>;
  attributes: Record<string, MessageAttribute>;
  /** ISO 8601 with milliseconds, as SNS writes it. */
  timestamp: string;
  signatureVersion: '1' | '2';
}

/** What the subscription's endpoint receives as the message text. */
export function messageFor(n: Notification, protocol: Protocol): string {
  return n.perProtocol?.[protocol] ?? n.message;
}

export interface Signed {
  signature: string;
  signingCertUrl: string;
  unsubscribeUrl: string;
}

/** The JSON document SQS, HTTP/S and email-json endpoints receive (no Subject key when there is none). */
export function envelope(n: Notification, protocol: Protocol, s: Signed): Record<string, unknown> {
  const out: Record<string, unknown> = { Type: 'Notification', MessageId: n.messageId, TopicArn: n.topicArn };
  if (n.subject !== undefined) out.Subject = n.subject;
  Object.assign(out, {
    Message: messageFor(n, protocol),
    Timestamp: n.timestamp,
    SignatureVersion: n.signatureVersion,
    Signature: s.signature,
    SigningCertURL: s.signingCertUrl,
    UnsubscribeURL: s.unsubscribeUrl,
  });
  if (Object.keys(n.attributes).length > 0) out.MessageAttributes = envelopeAttributes(n.attributes);
  return out;
}

/** The event a subscribed function is invoked with: one record per notification. */
export function lambdaEvent(n: Notification, subscriptionArn: string, s: Signed): { Records: unknown[] } {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: n.messageId,
          TopicArn: n.topicArn,
          Subject: n.subject ?? null,
          Message: messageFor(n, 'lambda'),
          Timestamp: n.timestamp,
          SignatureVersion: n.signatureVersion,
          Signature: s.signature,
          SigningCertUrl: s.signingCertUrl,
          UnsubscribeUrl: s.unsubscribeUrl,
          MessageAttributes: envelopeAttributes(n.attributes),
        },
      },
    ],
  };
}
