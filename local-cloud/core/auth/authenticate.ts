import type { IncomingMessage } from 'node:http';
import type { Cloud } from '../../cloud.ts';
import { parseCredentialScope, type Caller } from '../context.ts';

export interface Authenticated {
  caller: Caller;
  /** The signing name of the credential scope (sqs, lambda, …), when the request was signed. */
  service?: string;
}

/** Who signed the request. */
export function authenticate(cloud: Cloud, req: IncomingMessage, _url: URL, _body: Buffer): Authenticated {
  const value = req.headers.authorization;
  const scope = parseCredentialScope(Array.isArray(value) ? value[0] : value);
  return { caller: cloud.identify(scope?.accessKeyId ?? 'anonymous'), service: scope?.service };
}
