import { request } from 'node:http';
import { connect } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { TEST_CREDENTIALS, TEST_REGION } from './cloud.ts';
import { Sha256 } from './signed-fetch.ts';

/**
 * Requests as browsers (and attackers) send them, where fetch() cannot: a chosen Host header,
 * repeated headers, no Host at all, a request target in absolute form.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface RawRequest {
  method?: string;
  /** Path and query, e.g. "/?Action=ListQueues". */
  path: string;
  /** An object, or [name, value, name, value, …] to repeat a header. Host defaults to the cloud's. */
  headers?: Record<string, string> | string[];
  body?: string | Buffer;
}

/** node:http, so Host is whatever `headers` says (fetch() always sets its own). */
export function rawRequest(baseUrl: string, options: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Bytes straight onto a socket (HTTP/1.0 without Host, absolute-form targets); the whole answer as text. */
export function rawSocket(baseUrl: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.end(bytes, 'latin1');
  });
}

/**
 * SigV4 headers for a request to `host` with the test credentials: a web page knows the default
 * test/test keys as well as anyone, so a refusal must not depend on the signature.
 */
export async function signedHeaders(options: {
  service: string;
  host: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<Record<string, string>> {
  const url = new URL(`http://local${options.path}`);
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  const signer = new SignatureV4({ service: options.service, region: TEST_REGION, credentials: TEST_CREDENTIALS, sha256: Sha256 });
  const signed = await signer.sign({
    method: options.method,
    protocol: 'http:',
    hostname: options.host.replace(/:\d+$/, ''),
    path: url.pathname,
    query,
    headers: { host: options.host, ...options.headers },
    body: options.body ?? '',
  });
  return signed.headers;
}
