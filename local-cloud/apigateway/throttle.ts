/**
 * Stage throttling: one token bucket per (API, stage, method), sized by the method's
 * effective settings: `burstLimit` tokens at most, refilled at `rateLimit` per second.
 */
export class Throttles {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes a token; false means the call is throttled (429). */
  take(key: string, rateLimit: number, burstLimit: number, now = performance.now()): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.rate !== rateLimit || bucket.burst !== burstLimit) {
      // New or re-configured limits start with a full bucket, as a fresh deployment does.
      bucket = { rate: rateLimit, burst: burstLimit, tokens: burstLimit, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.at) / 1000) * bucket.rate);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

interface Bucket {
  rate: number;
  burst: number;
  tokens: number;
  at: number;
}
