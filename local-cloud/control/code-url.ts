import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * GetFunction's Code.Location: on AWS a presigned S3 URL that works for ten minutes. Here a URL
 * under /_localcloud/lambda/code/ with the same two guarantees: it expires, and only the cloud
 * can make one (an HMAC over function, code hash and expiry, with a key that lives and dies with
 * this process).
 */
export const CODE_URL_LIFETIME_SECONDS = 600;
export const CODE_PATH_PREFIX = '/_localcloud/lambda/code/';

const signingKey = randomBytes(32);

/** A download URL for one function's code, valid for CODE_URL_LIFETIME_SECONDS from `now`. */
export function signedCodeUrl(baseUrl: string, functionName: string, codeHash: string, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + CODE_URL_LIFETIME_SECONDS;
  const path = `${CODE_PATH_PREFIX}${encodeURIComponent(functionName)}/${encodeURIComponent(codeHash)}.zip`;
  return `${baseUrl}${path}?Expires=${expires}&Signature=${signature(functionName, codeHash, expires)}`;
}

export type CodeUrlVerdict =
  | { ok: true }
  | { ok: false; code: 'AccessDenied' | 'SignatureDoesNotMatch'; message: string; expires?: number };

/** Checks a download request's Expires and Signature, the way S3 checks a presigned URL. */
export function verifyCodeUrl(functionName: string, codeHash: string, query: URLSearchParams, now = Date.now()): CodeUrlVerdict {
  const expiresText = query.getAll('Expires');
  const signatures = query.getAll('Signature');
  if (expiresText.length !== 1 || signatures.length !== 1 || !/^\d{1,12}$/.test(expiresText[0])) {
    return { ok: false, code: 'AccessDenied', message: 'Query-string authentication requires the Signature and Expires parameters' };
  }
  const expires = Number(expiresText[0]);
  if (expires * 1000 <= now) return { ok: false, code: 'AccessDenied', message: 'Request has expired', expires };
  const expected = Buffer.from(signature(functionName, codeHash, expires));
  const given = Buffer.from(signatures[0]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  return { ok: true };
}

function signature(functionName: string, codeHash: string, expires: number): string {
  return createHmac('sha256', signingKey).update(`${functionName}\n${codeHash}\n${expires}`).digest('base64url');
}
