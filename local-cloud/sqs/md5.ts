import { createHash, type Hash } from 'node:crypto';
import type { MessageAttributeValue } from './message-attributes.ts';

/**
 * The digests SQS returns so clients can check what it stored (SDK v3 rejects a SendMessage
 * or ReceiveMessage answer whose MD5OfMessageBody / MD5OfBody does not match).
 */
export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * MD5OfMessageAttributes (and MD5OfMessageSystemAttributes): over the attributes sorted by name,
 * each encoded as length-prefixed name, length-prefixed data type, a transport byte (1 string,
 * 2 binary) and the length-prefixed value. Lengths are 4-byte big-endian.
 */
export function md5OfAttributes(attributes: Record<string, MessageAttributeValue>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attribute = attributes[name];
    updateWithLength(hash, Buffer.from(name, 'utf8'));
    updateWithLength(hash, Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.BinaryValue !== undefined) {
      hash.update(Buffer.of(2));
      updateWithLength(hash, attribute.BinaryValue);
    } else {
      hash.update(Buffer.of(1));
      updateWithLength(hash, Buffer.from(attribute.StringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

function updateWithLength(hash: Hash, bytes: Buffer): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  hash.update(length);
  hash.update(bytes);
}
