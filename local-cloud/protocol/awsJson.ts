import type { ServerResponse } from 'node:http';
import { AwsError, commonErrors } from './errors.ts';
import type { CallContext } from '../core/context.ts';
import { jsonDepthExceeds } from './json-depth.ts';

/**
 * awsJson 1.0/1.1 (SQS as SDK v3 speaks it, CloudWatch Logs): POST / with
 * `X-Amz-Target: Prefix.Operation` and a JSON body; errors name their shape in `__type`.
 */
export type JsonOperation = (input: any, ctx: CallContext) => unknown | Promise<unknown>;

export interface JsonService {
  /** X-Amz-Target prefix, e.g. "AmazonSQS" or "Logs_20140328". */
  targetPrefix: string;
  /** Shape namespace for `__type`, e.g. "com.amazonaws.sqs". */
  errorNamespace: string;
  /** "1.0" or "1.1": the content type the answers carry. */
  version: '1.0' | '1.1';
  /**
   * SQS is "query compatible": its JSON errors also carry the old query error code in
   * `x-amzn-query-error: CODE;Sender`, which SDK v3 turns back into the familiar error code.
   */
  queryCompatible?: boolean;
  operations: Record<string, JsonOperation>;
}

/** Deeper than any request shape of the JSON services needs; deeper input is refused unread. */
export const MAX_JSON_DEPTH = 64;

export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw commonErrors.serialization(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    const parsed = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('not an object');
    }
    return parsed as Record<string, unknown>;
  } catch {
    throw commonErrors.serialization('Start of structure or map found where not expected.');
  }
}

export async function callJsonOperation(
  service: JsonService,
  operation: string,
  body: Buffer,
  ctx: CallContext,
): Promise<unknown> {
  const handler = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
  if (!handler) throw commonErrors.unknownOperation(operation);
  const input = parseJsonBody(body);
  return (await handler(input, ctx)) ?? {};
}

export function writeJson(
  res: ServerResponse,
  service: Pick<JsonService, 'version'>,
  requestId: string,
  output: unknown,
): void {
  const payload = JSON.stringify(output ?? {});
  res.writeHead(200, {
    'content-type': `application/x-amz-json-${service.version}`,
    'x-amzn-requestid': requestId,
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function writeJsonError(
  res: ServerResponse,
  service: Pick<JsonService, 'version' | 'errorNamespace' | 'queryCompatible'> | undefined,
  requestId: string,
  err: AwsError,
): void {
  const type = service ? `${service.errorNamespace}#${err.code}` : err.code;
  const payload = JSON.stringify({ __type: type, message: err.message, ...err.extra });
  const headers: Record<string, string | number> = {
    'content-type': `application/x-amz-json-${service?.version ?? '1.0'}`,
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': err.code,
    'content-length': Buffer.byteLength(payload),
  };
  if (service?.queryCompatible) headers['x-amzn-query-error'] = `${err.queryCode};${err.fault}`;
  res.writeHead(err.status, headers);
  res.end(payload);
}
