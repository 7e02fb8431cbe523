import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { TEST_CREDENTIALS, TEST_REGION } from './cloud.ts';

/** SHA-256 for the signer, from node:crypto. */
export class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', bytesOf(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytesOf(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export interface SignedFetchOptions {
  /** Signing name: sqs, sns, iam, sts, lambda, apigateway, logs, dynamodb. */
  service: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  /** Signs as if at this time (a skewed clock). */
  signingDate?: Date;
}

/**
 * fetch() with a SigV4 Authorization header, for raw requests the SDK would not send
 * (malformed bodies, hostile names) that must still get past the signature check.
 */
export async function signedFetch(url: string, options: SignedFetchOptions): Promise<Response> {
  const target = new URL(url);
  const body = options.body ?? '';
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of target.searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const signer = new SignatureV4({
    service: options.service,
    region: options.region ?? TEST_REGION,
    credentials: options.credentials ?? TEST_CREDENTIALS,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: options.method ?? 'POST',
      protocol: target.protocol,
      hostname: target.hostname,
      port: Number(target.port) || undefined,
      path: target.pathname,
      query,
      headers: { host: target.host, ...options.headers },
      body,
    },
    { signingDate: options.signingDate },
  );
  const headers = { ...signed.headers };
  delete headers.host; // fetch sets it
  return fetch(url, { method: signed.method, headers, body: signed.method === 'GET' || signed.method === 'HEAD' ? undefined : body });
}
