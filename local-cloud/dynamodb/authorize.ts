import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { CallContext } from '../core/context.ts';

/**
 * dynalite knows nothing of IAM, so calls made with a function's role are checked here first:
 * each table the request names is authorized as dynamodb:OPERATION on the table's ARN
 * (or its index's ARN for a Query/Scan on an index).
 */
export function authorizeDynamoDbCall(ctx: CallContext, operation: string, body: Buffer): void {
  let input: Record<string, any> = {};
  try {
    input = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    return; // dynalite answers malformed JSON with DynamoDB's own SerializationException
  }
  const tableArn = (name: string) => `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${name}`;
  const resources: string[] = [];
  if (typeof input.TableName === 'string') {
    resources.push(input.IndexName ? `${tableArn(input.TableName)}/index/${input.IndexName}` : tableArn(input.TableName));
  }
  if (input.RequestItems && typeof input.RequestItems === 'object') {
    for (const name of Object.keys(input.RequestItems)) resources.push(tableArn(name));
  }
  if (resources.length === 0) resources.push(`arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/*`);
  for (const resource of resources) ctx.cloud.authorize(ctx, `dynamodb:${operation}`, resource);
}

/** A request whose body was already read, replayed for a handler that reads the stream itself. */
export function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  const replay = Readable.from(body.length ? [body] : []) as unknown as IncomingMessage;
  return Object.assign(replay, { headers: req.headers, method: req.method, url: req.url });
}
