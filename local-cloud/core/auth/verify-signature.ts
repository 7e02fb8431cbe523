import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { canonicalInputOf, canonicalRequest, type QueryPair } from './canonical-request.ts';
import { signatureErrors, type AuthStyle } from './errors.ts';
import type { SignatureClaim } from './parse-signature.ts';
import { hmac, sha256Hex, stringToSign, type SigningKeys } from './signing-keys.ts';

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface SignatureCheck {
  req: IncomingMessage;
  claim: SignatureClaim;
  query: QueryPair[];
  body: Buffer;
  secret: string;
  keys: SigningKeys;
  style: AuthStyle;
  /** Added to the mismatch message (which credentials the cloud takes). */
  hint?: string;
}

/**
 * Recomputes the signature with the secret the cloud holds for the claimed key and compares it
 * in constant time. The body must hash to x-amz-content-sha256 when the request declares one:
 * otherwise a body swapped after signing would still carry a valid signature.
 */
export function verifySignature(check: SignatureCheck): void {
  const { req, claim, style } = check;
  const bodyHash = sha256Hex(check.body);
  const declared = req.headers['x-amz-content-sha256'];
  if (declared !== undefined && String(declared).toLowerCase() !== bodyHash) throw signatureErrors.payloadMismatch(style);

  const attempt = (payloadHash: string) => {
    const canonical = canonicalRequest(canonicalInputOf(req, claim.signedHeaders, payloadHash), check.query);
    const toSign = stringToSign(claim.amzDate, claim.scope, canonical);
    const key = check.keys.get(claim.accessKeyId, check.secret, claim.scopeDay, claim.region, claim.service);
    return { canonical, toSign, matches: sameSecret(hmac(key, toSign).toString('hex'), claim.signature) };
  };
  const signed = attempt(bodyHash);
  if (signed.matches) return;
  // A presigned URL may leave its payload out of the signature.
  if (claim.form === 'presigned' && declared === undefined && attempt(UNSIGNED_PAYLOAD).matches) return;
  throw signatureErrors.mismatch(style, signed.canonical, signed.toSign, check.hint);
}

/** Compares what the client sent (a signature, a session token) in constant time. */
export function sameSecret(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
