import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Identifiers shaped like AWS's: API and root resource ids are 10 lowercase alphanumerics,
 * child resources and deployments 6.
 */
export function newId(length: number): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** Like x-amz-apigw-id / extendedRequestId: 16 characters, base64 style, ending in "=". */
export function newExtendedRequestId(): string {
  return randomBytes(11).toString('base64').slice(0, 15) + '=';
}
