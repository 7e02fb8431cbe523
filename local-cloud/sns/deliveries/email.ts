/**
 * The emails SNS sends: the subscription confirmation (a link to confirm) and notifications
 * (the message, then a footer with the unsubscribe link). email-json endpoints get the JSON
 * documents an HTTP endpoint would get instead.
 */
export interface Email {
  from: string;
  subject: string;
  body: string;
}

const SENDER = 'no-reply@sns.amazonaws.com';
const DEFAULT_SUBJECT = 'AWS Notification Message';

/** From: uses the topic's DisplayName when it has one. */
export function sender(displayName: string | undefined): string {
  return `${JSON.stringify(displayName || 'AWS Notifications')} <${SENDER}>`;
}

export function confirmationEmail(topicArn: string, displayName: string | undefined, confirmUrl: string): Email {
  return {
    from: sender(displayName),
    subject: `${displayName || 'AWS Notification'} - Subscription Confirmation`,
    body:
      `You have chosen to subscribe to the topic: \n${topicArn}\n\n` +
      `To confirm this subscription, click or visit the link below (If this was in error no action is necessary): \n` +
      `${confirmUrl}\n`,
  };
}

export function notificationEmail(
  message: string,
  subject: string | undefined,
  displayName: string | undefined,
  unsubscribeUrl: string,
): Email {
  return {
    from: sender(displayName),
    subject: subject ?? DEFAULT_SUBJECT,
    body:
      `${message}\n\n--\n` +
      `If you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n` +
      `${unsubscribeUrl}\n\n` +
      `Please do not reply directly to this email. If you have any questions or comments regarding this email, ` +
      `please contact us at https://aws.amazon.com/support\n`,
  };
}

/** The confirmation message as email-json and HTTP/S endpoints receive it. */
export function confirmationDocument(fields: {
  messageId: string;
  token: string;
  topicArn: string;
  subscribeUrl: string;
  timestamp: string;
}): { Type: string; MessageId: string; Token: string; TopicArn: string; Message: string; SubscribeURL: string; Timestamp: string } {
  return {
    Type: 'SubscriptionConfirmation',
    MessageId: fields.messageId,
    Token: fields.token,
    TopicArn: fields.topicArn,
    Message: `You have chosen to subscribe to the topic ${fields.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: fields.subscribeUrl,
    Timestamp: fields.timestamp,
  };
}
