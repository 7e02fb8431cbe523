/**
 * The sandbox's SDK channel: an AWS API call a function's SDK makes to the local cloud, carried
 * over the worker's IPC channel instead of a loopback TCP connection. The request is the one the
 * SDK built and signed, byte for byte; the cloud answers it through the same pipeline as an HTTP
 * request (browser guard, body limit, signature, IAM, the service), so only the transport differs.
 */
import { isUtf8 } from 'node:buffer';

/** An HTTP request as the SDK made it. Header names are unique (case-insensitively). */
export interface ChannelRequest {
  method: string;
  /** Path and query, as on an HTTP request line. */
  path: string;
  headers: Array<[name: string, value: string]>;
  body: Buffer;
}

/** The answer as it would have been written on the wire. */
export interface ChannelResponse {
  status: number;
  headers: Array<[name: string, value: string]>;
  body: Buffer;
}

/** How the bytes of a body travel in a JSON IPC message. */
export type BodyEncoding = 'utf8' | 'base64';

/** Worker → cloud: one request. `id` is the worker's own, to match the answer. */
export interface SdkRequestMessage {
  type: 'sdkRequest';
  id: number;
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: string;
  encoding: BodyEncoding;
}

/** Worker → cloud: the SDK gave up on a request (its abort signal, a timeout): like closing the connection. */
export interface SdkAbortMessage {
  type: 'sdkAbort';
  id: number;
}

/** Cloud → worker: the answer, or `reset` when the cloud cut the exchange (as a dropped connection). */
export type SdkResponseMessage =
  | { type: 'sdkResponse'; id: number; status: number; headers: Array<[string, string]>; body: string; encoding: BodyEncoding }
  | { type: 'sdkResponse'; id: number; reset: true };

/** Bytes that are valid UTF-8 travel as text (JSON and XML, nearly always); any others as base64, unchanged. */
export function encodeBody(body: Uint8Array): { body: string; encoding: BodyEncoding } {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return isUtf8(bytes) ? { body: bytes.toString('utf8'), encoding: 'utf8' } : { body: bytes.toString('base64'), encoding: 'base64' };
}

export function decodeBody(body: string, encoding: BodyEncoding): Buffer {
  return Buffer.from(body, encoding);
}
