import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where email "sent" by SNS lands, since the local cloud sends no real mail: one file per
 * message under <data folder>/outbox/<topic name>/, named <time>-<recipient>-<message id>,
 * .eml for the email protocol (a plain RFC 5322 message any mail client opens) and .json for
 * email-json (the JSON document the email would carry). The most recent messages are also kept
 * in memory for the cloud's own checks.
 */
export interface OutboxMessage {
  topicArn: string;
  topicName: string;
  to: string;
  from: string;
  subject: string;
  /** The text body (email) or the JSON document (email-json). */
  body: string;
  format: 'email' | 'email-json';
  kind: 'SubscriptionConfirmation' | 'Notification';
  messageId: string;
  date: Date;
  /** The file it was written to; undefined when the cloud keeps no data folder. */
  file?: string;
}

const KEEP_IN_MEMORY = 1000;

export class Outbox {
  private readonly recent: OutboxMessage[] = [];

  /** `dir` null: messages are only kept in memory (and logged). */
  constructor(readonly dir: string | null) {}

  async deliver(message: Omit<OutboxMessage, 'file'>): Promise<OutboxMessage> {
    const stored: OutboxMessage = { ...message };
    if (this.dir) {
      const folder = join(this.dir, message.topicName);
      const stamp = message.date.toISOString().replace(/[:.]/g, '-');
      const recipient = message.to.replace(/[^A-Za-z0-9@._+-]/g, '_');
      const file = join(folder, `${stamp}-${recipient}-${message.messageId}.${message.format === 'email' ? 'eml' : 'json'}`);
      await mkdir(folder, { recursive: true });
      await writeFile(file, message.format === 'email' ? toEml(message) : message.body);
      stored.file = file;
    }
    this.recent.push(stored);
    if (this.recent.length > KEEP_IN_MEMORY) this.recent.splice(0, this.recent.length - KEEP_IN_MEMORY);
    return stored;
  }

  /** Messages delivered so far (the latest ones), oldest first. */
  messages(): readonly OutboxMessage[] {
    return this.recent;
  }
}

function toEml(m: Omit<OutboxMessage, 'file'>): string {
  const headers = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: ${encodeHeader(m.subject)}`,
    `Date: ${m.date.toUTCString()}`,
    `Message-ID: <${m.messageId}@sns.local>`,
    `X-Amz-Sns-Message-Type: ${m.kind}`,
    `X-Amz-Sns-Topic-Arn: ${m.topicArn}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${m.body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

/** Non-ASCII subjects need RFC 2047 encoding to be a valid header. */
function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`;
}
