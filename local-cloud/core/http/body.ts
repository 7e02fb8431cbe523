import type { IncomingMessage } from 'node:http';
import { AwsError } from '../../protocol/errors.ts';

/** Larger than any AWS API the cloud speaks accepts (Lambda's 70 MB CreateFunction request aside). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * After a body passes the limit, the rest is read and dropped (so the client, still sending, can
 * read the 413 instead of a reset) for at most this long or this many more bytes.
 */
const DRAIN_MS = 5_000;
const DRAIN_BYTES = 64 * 1024 * 1024;

export function bodyTooLarge(): AwsError {
  return new AwsError('RequestEntityTooLarge', 'Request body is too large.', { status: 413 });
}

/**
 * The client hung up before the whole body arrived. There is rarely anyone left to answer, but
 * it is the client's doing (a 400, logged as such), never the cloud's.
 */
export class ClientGone extends AwsError {
  constructor() {
    super('IncompleteBody', 'The client closed the connection before sending the whole request body.');
  }
}

/**
 * Reads a request body whole. Over `limit` it rejects with a 413 once the client has finished
 * sending (or DRAIN_MS/DRAIN_BYTES later); a client that hangs up rejects with ClientGone,
 * which ends this request only.
 */
export function readBody(
  req: IncomingMessage,
  limit = MAX_BODY_BYTES,
  refusal: () => AwsError = bodyTooLarge,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(drainTimer);
      outcome();
    };
    const tooLarge = () => settle(() => reject(refusal()));

    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (overflow) {
        if (size > limit + DRAIN_BYTES) tooLarge();
        return;
      }
      if (size > limit) {
        overflow = true;
        chunks.length = 0;
        drainTimer = setTimeout(tooLarge, DRAIN_MS);
        drainTimer.unref();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle(() => (overflow ? reject(refusal()) : resolve(Buffer.concat(chunks)))));
    req.on('error', () => settle(() => reject(new ClientGone())));
    req.on('close', () => {
      if (!req.complete) settle(() => reject(new ClientGone()));
    });
  });
}
