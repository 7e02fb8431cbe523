import type { IncomingMessage } from 'node:http';
import { AwsError } from '../../protocol/errors.ts';

/** Larger than any AWS API the cloud speaks accepts (Lambda's 70 MB CreateFunction request aside). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Reads a request body whole; too large is a 413, a client that hangs up ends this request only. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new AwsError('RequestEntityTooLarge', 'Request body is too large.', { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
