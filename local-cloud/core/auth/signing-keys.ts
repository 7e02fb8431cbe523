import { createHmac, hash } from 'node:crypto';

/**
 * SigV4 signing keys: four chained HMACs per key, day, region and service. They change once a
 * day, so each is derived once and kept; a request then costs one HMAC for its signature.
 */
export class SigningKeys {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly limit = 512) {}

  /** `accessKeyId` names the secret: each key id has exactly one secret for its lifetime. */
  get(accessKeyId: string, secret: string, day: string, region: string, service: string): Buffer {
    const id = `${accessKeyId}\n${day}\n${region}\n${service}`;
    let key = this.cache.get(id);
    if (!key) {
      if (this.cache.size >= this.limit) this.cache.clear(); // old days and retired sessions go too
      key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
      this.cache.set(id, key);
    }
    return key;
  }
}

export function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** One call, no Hash object: measurably cheaper for the small bodies most requests carry. */
export function sha256Hex(data: string | Buffer): string {
  return hash('sha256', data, 'hex');
}

export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}
