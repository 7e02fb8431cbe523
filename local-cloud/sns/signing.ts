import { createHmac, randomBytes } from 'node:crypto';

/**
 * SNS signs what it delivers (Signature, SignatureVersion, SigningCertURL) over a canonical text
 * of the message's fields. The local cloud builds the same canonical text but signs it with an
 * HMAC under a key of its own: an RSA signature per message would cost more CPU than the rest of
 * a delivery, and no AWS certificate could verify it anyway. The field is there, stable for a
 * given message, and not verifiable (see README.md).
 */
export interface SignedFields {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string | null;
  Token?: string;
  SubscribeURL?: string;
}

export const SIGNING_CERT_FILE = 'SimpleNotificationService-local.pem';

export class MessageSigner {
  private readonly key = randomBytes(32);

  sign(fields: SignedFields, version: '1' | '2'): string {
    return createHmac(version === '2' ? 'sha512' : 'sha384', this.key).update(canonicalText(fields)).digest('base64');
  }
}

/** "Name\nvalue\n" for each signed field, in the order SNS defines (Subject only when present). */
function canonicalText(f: SignedFields): string {
  const names =
    f.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let text = '';
  for (const name of names) {
    const value = f[name as keyof SignedFields];
    if (value !== undefined && value !== null) text += `${name}\n${value}\n`;
  }
  return text;
}
