/**
 * The intake function (read README.md next to this file). API Gateway (step 3) calls it for
 * every POST /orders with the HTTP request as a "proxy event", and turns what it returns into
 * the HTTP response.
 *
 *   good order → puts it on the orders queue, answers 202 {orderId, status, acceptedAt}, and
 *                names where its status will be (Location: orders/ORDER_ID, step 9)
 *   bad request → answers 400 {error, message, problems?} and queues nothing
 *
 * It answers as soon as the order is safely in the queue: the rest of the pipeline works on it
 * later, at its own pace. `npm run step:2` bundles this file (and what it imports) for Lambda.
 */
import { randomUUID } from 'node:crypto';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ORDER_ATTRIBUTES, type QueuedOrder } from '../../lib/pipeline.ts';
import { LIMITS, validateOrder, type Order, type OrderProblem } from './order.ts';

// Made once per execution environment, reused by every invocation it serves (warm starts skip it).
// Region, credentials (the execution role's) and endpoint come from the environment Lambda sets.
const sqs = new SQSClient({});

export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const acceptedAt = Date.now();
  const request = readOrder(event);
  if (!request.ok) {
    log('info', 'order refused', { error: request.error, message: request.message });
    return respond(400, { error: request.error, message: request.message, ...(request.problems ? { problems: request.problems } : {}) });
  }

  const queueUrl = process.env.QUEUE_URL;
  if (!queueUrl) {
    log('error', 'QUEUE_URL is not set in the function environment');
    return notQueued(context);
  }

  const orderId = randomUUID();
  const message: QueuedOrder = { orderId, ...request.order, times: { acceptedAt, queuedAt: Date.now() } };
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(message),
        MessageAttributes: {
          [ORDER_ATTRIBUTES.orderId]: { DataType: 'String', StringValue: orderId },
          [ORDER_ATTRIBUTES.acceptedAt]: { DataType: 'Number', StringValue: String(acceptedAt) },
        },
      }),
    );
  } catch (err) {
    // The cause goes to the log (for you), not to the caller (a shop has no use for IAM details).
    const { name, message: detail } = err as Error;
    log('error', 'could not queue the order', { orderId, queueUrl, error: name, detail });
    return notQueued(context);
  }

  log('info', 'order accepted', { orderId, items: request.order.items.length });
  return respond(202, { orderId, status: 'accepted', acceptedAt: new Date(acceptedAt).toISOString() }, { Location: statusLocation(event, orderId) });
}

/**
 * Where the customer can follow the order: GET /orders/{orderId} (step 9). A reference relative to
 * this request's URL, so that it is right whatever the host and stage: "orders/ID" against
 * …/v1/orders is …/v1/orders/ID (and against …/orders/, with its trailing slash, "ID" is).
 */
function statusLocation(event: APIGatewayProxyEvent, orderId: string): string {
  return event.path?.endsWith('/') ? orderId : `orders/${orderId}`;
}

type Reading =
  | { ok: true; order: Order }
  | { ok: false; error: 'UnsupportedContentType' | 'BodyTooLarge' | 'InvalidJson' | 'InvalidOrder'; message: string; problems?: OrderProblem[] };

/** The order in the request, or what is wrong with the request: checked in the order a server would. */
function readOrder(event: APIGatewayProxyEvent): Reading {
  const contentType = header(event, 'content-type');
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) {
    return {
      ok: false,
      error: 'UnsupportedContentType',
      message: `send the order as JSON with Content-Type: application/json (got ${contentType ? `"${contentType}"` : 'no Content-Type'})`,
    };
  }
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > LIMITS.maxBodyBytes) {
    return { ok: false, error: 'BodyTooLarge', message: `the body is ${body.length} bytes; an order may be at most ${LIMITS.maxBodyBytes}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    const reason = body.length === 0 ? 'the body is empty' : (err as Error).message;
    return { ok: false, error: 'InvalidJson', message: `the body is not valid JSON: ${reason}` };
  }
  const result = validateOrder(value);
  if (!result.ok) {
    const first = result.problems[0];
    const more = result.problems.length > 1 ? ` (and ${result.problems.length - 1} more problem(s))` : '';
    return { ok: false, error: 'InvalidOrder', message: `${first.path} ${first.message}${more}`, problems: result.problems };
  }
  return { ok: true, order: result.order };
}

/** HTTP header names are case-insensitive; API Gateway passes them as the client sent them. */
function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value !== undefined) return value;
  }
  return undefined;
}

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** 500: the order was not taken. The request id finds the reason in the function's log. */
function notQueued(context: Context): APIGatewayProxyResult {
  return respond(500, {
    error: 'NotQueued',
    message: 'the order could not be accepted just now; nothing was queued, please try again',
    requestId: context.awsRequestId,
  });
}

/**
 * One line per event, its fields as JSON. Lambda adds the time, the request id and the level
 * (console.error → ERROR), and sends the line to CloudWatch Logs.
 */
function log(level: 'info' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const line = Object.keys(fields).length ? `${message} ${JSON.stringify(fields)}` : message;
  if (level === 'error') console.error(line);
  else console.log(line);
}
