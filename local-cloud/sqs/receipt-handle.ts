import { randomBytes } from 'node:crypto';

/**
 * Receipt handles name one receive of one message. They are opaque to clients; inside they hold
 * the queue, the message id and a receive token. The latest token of each message is saved with
 * it, so a handle stays good across a restart. Tokens start with a per-process prefix, so a new
 * run never issues a token an earlier run issued.
 */
const PROCESS_PREFIX = randomBytes(4).toString('hex');
let counter = 0;

export function nextReceiveToken(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${PROCESS_PREFIX}${counter.toString(36)}`;
}

export interface ReceiptHandle {
  queueName: string;
  messageId: string;
  token: string;
}

const DECODED = /^sqs1:([A-Za-z0-9_-]{1,80}):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([0-9a-z]{8,40})$/;

export function encodeReceiptHandle(handle: ReceiptHandle): string {
  return Buffer.from(`sqs1:${handle.queueName}:${handle.messageId}:${handle.token}`, 'utf8').toString('base64');
}

/** The handle's parts, or undefined when it is not a handle this cloud could have issued. */
export function decodeReceiptHandle(text: string): ReceiptHandle | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 1024 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    return undefined;
  }
  const match = DECODED.exec(Buffer.from(text, 'base64').toString('utf8'));
  return match ? { queueName: match[1], messageId: match[2], token: match[3] } : undefined;
}
