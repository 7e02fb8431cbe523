import type { Protocol } from '../model.ts';

/**
 * SNS's delivery policy for AWS-managed endpoints (Lambda, SQS), which no one can change:
 * 3 immediate retries, 2 more 1 s apart, 10 with exponential backoff from 1 s to 20 s, then
 * 100,000 20 s apart (100,015 retries over about 23 days). Only server-side failures (the
 * endpoint's service unavailable or throttling) are retried; a client-side one (no permission,
 * the function or queue gone) goes straight to the dead-letter queue. AWS adds jitter; these
 * delays are the policy's nominal ones.
 */
const IMMEDIATE = 3;
const PRE_BACKOFF = 2;
const PRE_BACKOFF_DELAY_S = 1;
const BACKOFF = 10;
const BACKOFF_MIN_S = 1;
const BACKOFF_MAX_S = 20;
const POST_BACKOFF = 100_000;
const POST_BACKOFF_DELAY_S = 20;

/** The policy's attempts as AWS counts them ("100,015 times, over 23 days"), after the first delivery. */
export const AWS_MANAGED_RETRIES = IMMEDIATE + PRE_BACKOFF + BACKOFF + POST_BACKOFF;

export function hasManagedRetries(protocol: Protocol): boolean {
  return protocol === 'lambda' || protocol === 'sqs';
}

/**
 * The wait before retry number `retry` (1 = the first retry) in ms, or undefined when the policy
 * is spent. `scale` shrinks every delay (1 = AWS's pace).
 */
export function retryDelayMs(retry: number, scale = 1): number | undefined {
  if (!Number.isInteger(retry) || retry < 1) return undefined;
  let seconds: number;
  if (retry <= IMMEDIATE) seconds = 0;
  else if (retry <= IMMEDIATE + PRE_BACKOFF) seconds = PRE_BACKOFF_DELAY_S;
  else if (retry <= IMMEDIATE + PRE_BACKOFF + BACKOFF) {
    const step = retry - IMMEDIATE - PRE_BACKOFF - 1; // 0 … BACKOFF-1
    seconds = BACKOFF_MIN_S * (BACKOFF_MAX_S / BACKOFF_MIN_S) ** (step / (BACKOFF - 1));
  } else if (retry <= AWS_MANAGED_RETRIES) seconds = POST_BACKOFF_DELAY_S;
  else return undefined;
  return Math.round(seconds * 1000 * scale);
}

/** Which phase a retry belongs to, for the live log. */
export function retryPhase(retry: number): string {
  if (retry <= IMMEDIATE) return 'immediate retry';
  if (retry <= IMMEDIATE + PRE_BACKOFF) return 'pre-backoff';
  if (retry <= IMMEDIATE + PRE_BACKOFF + BACKOFF) return 'backoff';
  return 'post-backoff';
}
