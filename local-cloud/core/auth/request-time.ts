import { signatureErrors, type AuthStyle } from './errors.ts';
import { basicIso, type SignatureClaim } from './parse-signature.ts';

/** The longest a presigned URL may live: a week, as SigV4 allows. */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

/**
 * How far a signature's time may be from now. Most services allow 15 minutes either way;
 * Lambda and API Gateway's control plane only 5 (their "Signature expired" says "- 5 min.").
 */
export function skewMinutes(service: string): number {
  return service === 'lambda' || service === 'apigateway' ? 5 : 15;
}

/** Parses X-Amz-Date (ISO-8601 basic: 20240501T120000Z), refusing anything else as AWS does. */
export function signedAt(claim: SignatureClaim, style: AuthStyle): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(claim.amzDate);
  const time = match ? Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6]) : NaN;
  if (!match || Number.isNaN(time) || basicIso(new Date(time)) !== claim.amzDate) {
    throw signatureErrors.incomplete(
      style,
      `Date must be in ISO-8601 'basic format'. Got '${claim.amzDate.slice(0, 64)}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  return new Date(time);
}

/**
 * Header-signed requests must be signed within the skew window of now; presigned URLs are good
 * from their date until X-Amz-Expires seconds later (and not before their date, within the skew).
 */
export function checkRequestTime(claim: SignatureClaim, signed: Date, service: string, style: AuthStyle, now = Date.now()): void {
  const minutes = skewMinutes(service);
  const skew = minutes * 60_000;
  const at = signed.getTime();
  if (at > now + skew) {
    throw signatureErrors.invalid(
      style,
      `Signature not yet current: ${claim.amzDate} is still later than ${basicIso(new Date(now + skew))} (${basicIso(new Date(now))} + ${minutes} min.)`,
    );
  }
  if (claim.form === 'header') {
    if (at < now - skew) {
      throw signatureErrors.invalid(
        style,
        `Signature expired: ${claim.amzDate} is now earlier than ${basicIso(new Date(now - skew))} (${basicIso(new Date(now))} - ${minutes} min.)`,
      );
    }
    return;
  }
  const expires = claim.expires === undefined ? NaN : Number(claim.expires);
  if (!/^\d{1,7}$/.test(claim.expires ?? '') || expires < 1 || expires > MAX_PRESIGNED_SECONDS) {
    throw signatureErrors.incomplete(
      style,
      `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_SECONDS} (a week), got '${(claim.expires ?? '').slice(0, 64)}'.`,
    );
  }
  if (at + expires * 1000 < now) {
    throw signatureErrors.invalid(
      style,
      `Signature expired: ${claim.amzDate} is now earlier than ${basicIso(new Date(now - expires * 1000))} (${basicIso(new Date(now))} - ${expires} sec.)`,
    );
  }
}
