import { AwsError } from '../protocol/errors.ts';
import { splitArn } from './arns.ts';
import { snsErrors } from './errors.ts';
import type { Protocol } from './model.ts';

const PROTOCOLS: readonly Protocol[] = ['lambda', 'sqs', 'email', 'email-json', 'http', 'https'];
/** Real SNS protocols the local cloud has no endpoint for. */
const NOT_EMULATED = new Set(['sms', 'application', 'firehose']);

/** Subscribe's Protocol: one SNS knows, and one the local cloud delivers to. */
export function checkProtocol(value: string | undefined): Protocol {
  if ((PROTOCOLS as readonly string[]).includes(value ?? '')) return value as Protocol;
  if (value && NOT_EMULATED.has(value)) {
    throw new AwsError(
      'UnsupportedOperation',
      `The local cloud does not deliver to ${value} endpoints; it delivers to ${PROTOCOLS.join(', ')}.`,
    );
  }
  throw snsErrors.invalidParameter(`Amazon SNS does not support this protocol string: ${value ?? ''}`);
}

/** Each protocol has its own idea of an endpoint, and its own message when it is wrong. */
export function checkEndpoint(protocol: Protocol, endpoint: string | undefined): string {
  if (!endpoint) throw snsErrors.invalidParameter('Endpoint');
  switch (protocol) {
    case 'lambda':
      if (splitArn(endpoint)?.service !== 'lambda') throw snsErrors.invalidParameter('Lambda endpoint ARN');
      break;
    case 'sqs':
      if (splitArn(endpoint)?.service !== 'sqs') throw snsErrors.invalidParameter('SQS endpoint ARN');
      if (endpoint.endsWith('.fifo')) {
        throw snsErrors.invalidParameter('Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics');
      }
      break;
    case 'email':
    case 'email-json':
      if (!/^[^@\s;,]+@[^@\s;,]+$/.test(endpoint)) throw snsErrors.invalidParameter('Email address');
      break;
    case 'http':
    case 'https':
      if (!endpoint.startsWith(`${protocol}://`)) throw snsErrors.invalidParameter('Endpoint must match the specified protocol');
      break;
  }
  return endpoint;
}
