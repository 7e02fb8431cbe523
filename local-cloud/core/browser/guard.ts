import type { IncomingMessage } from 'node:http';
import type { AwsError } from '../../protocol/errors.ts';

/**
 * Requests a web page could make on the learner's behalf (or through DNS rebinding), refused
 * before any service sees them. Undefined: the request may go on.
 */
export function refuseBrowserAttack(_req: IncomingMessage, _port: number): AwsError | undefined {
  return undefined;
}
