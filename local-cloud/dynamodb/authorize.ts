import { EventEmitter } from 'node:events';
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

/**
 * A request whose body was already read, to hand to dynalite: it carries the body and emits it
 * only when DynamoDbService.handle says so, synchronously, so that whatever dynalite throws
 * while reading it is caught there instead of escaping from a stream callback.
 */
export class BufferedRequest extends EventEmitter {
  readonly headers: IncomingMessage['headers'];
  readonly method: string | undefined;
  readonly url: string | undefined;

  constructor(req: IncomingMessage, readonly body: Buffer) {
    super();
    this.headers = req.headers;
    this.method = req.method;
    this.url = req.url;
  }

  /** Delivers the body to the listeners dynalite attached, then its end. */
  deliver(): void {
    if (this.body.length) this.emit('data', this.body);
    this.emit('end');
  }
}

export function replayRequest(req: IncomingMessage, body: Buffer): BufferedRequest {
  return new BufferedRequest(req, body);
}
