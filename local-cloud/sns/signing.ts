import { createSign } from 'node:crypto';
import { loadOrCreateSigningMaterial, type SigningMaterial } from './signing/keys.ts';

/**
 * SNS signs what it delivers (Signature, SignatureVersion, SigningCertURL): an RSA signature over
 * a canonical text of the message's fields, SHA1withRSA for SignatureVersion 1 and SHA256withRSA
 * for 2 (the topic's SignatureVersion attribute), verifiable with the certificate served at
 * SigningCertURL. So an endpoint's standard verification works here as on AWS, except that the
 * certificate is the local cloud's own, served from the cloud's host (signing/keys.ts).
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

/** Where the certificate is served, under the cloud's /_localcloud/ (public, as AWS's is). */
export const SIGNING_CERT_PATH = 'sns/';

/** One signing identity per cloud, shared by deliveries and the certificate route. */
const identities = new WeakMap<object, Promise<SigningMaterial>>();

export function signingMaterialOf(cloud: { store: { dir: string | null } }): Promise<SigningMaterial> {
  let material = identities.get(cloud);
  if (!material) {
    material = loadOrCreateSigningMaterial(cloud.store.dir);
    identities.set(cloud, material);
  }
  return material;
}

export class MessageSigner {
  private material: SigningMaterial | undefined;

  constructor(private readonly cloud: { store: { dir: string | null }; baseUrl: string }) {}

  /** Loads (or makes) the key and certificate; call before sign(). */
  async ready(): Promise<void> {
    this.material ??= await signingMaterialOf(this.cloud);
  }

  sign(fields: SignedFields, version: '1' | '2'): string {
    if (!this.material) throw new Error('MessageSigner.sign() before ready()');
    return createSign(version === '2' ? 'RSA-SHA256' : 'RSA-SHA1')
      .update(canonicalText(fields), 'utf8')
      .sign(this.material.privateKey, 'base64');
  }

  certificateUrl(): string {
    if (!this.material) throw new Error('MessageSigner.certificateUrl() before ready()');
    return `${this.cloud.baseUrl}/_localcloud/${SIGNING_CERT_PATH}${this.material.certificateFile}`;
  }
}

/**
 * The string SNS signs: "Name\nvalue\n" for each field in this order. Notification: Message,
 * MessageId, Subject (only when there is one), Timestamp, TopicArn, Type. SubscriptionConfirmation
 * and UnsubscribeConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type.
 */
export function canonicalText(f: SignedFields): string {
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
