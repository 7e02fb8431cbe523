/**
 * The order-status function (read README.md next to this file). API Gateway calls it for every
 * GET /orders/{orderId} with the request as a proxy event; it reads that one order's events from
 * the order-events table (step 6) and answers with its timeline.
 *
 *   a known order id   → 200 {orderId, status, timeline: [...]}, oldest event first
 *   an unknown one     → 404 {error: "OrderNotFound", message}
 *   not an order id    → 400 {error: "InvalidOrderId", message} (order ids are UUIDs)
 *
 * Its role may do one thing to the table: Query it. `npm run step:9` bundles this file for Lambda.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { OrderEvent } from '../../lib/order-events.ts';
import { todo } from '../../lib/todo.ts';

// Made once per execution environment, reused by every invocation it serves.
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** What the intake function (step 2) gives every order: a random UUID. */
const ORDER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) {
    log('error', 'TABLE_NAME is not set in the function environment');
    return unavailable(context);
  }
  // The {orderId} of the resource path: API Gateway passes each path parameter by its name.
  const orderId = event.pathParameters?.orderId;
  if (orderId === undefined) {
    log('error', 'the route has no {orderId} path parameter', { resource: event.resource, pathParameters: event.pathParameters });
    return respond(500, {
      error: 'NoOrderIdParameter',
      message: `this route (${event.resource}) does not name the order: its path part must be {orderId}`,
      requestId: context.awsRequestId,
    });
  }
  if (!ORDER_ID.test(orderId)) {
    return respond(400, {
      error: 'InvalidOrderId',
      message: `${JSON.stringify(orderId.slice(0, 60))} is not an order id: order ids are UUIDs, as POST /orders returns them`,
    });
  }

  let events: OrderEvent[];
  try {
    events = await readTimeline(tableName, orderId.toLowerCase());
  } catch (err) {
    // The cause goes to the log (for you), not to the customer.
    const { name, message: detail } = err as Error;
    log('error', 'could not read the timeline', { orderId, requestId: context.awsRequestId, error: name, detail });
    return unavailable(context);
  }
  if (events.length === 0) {
    return respond(404, {
      error: 'OrderNotFound',
      message: `there is no order ${orderId}: unknown, or not recorded yet (an order is recorded a moment after POST /orders accepts it)`,
    });
  }
  log('info', 'timeline read', { orderId, events: events.length });
  const timeline = events.map((e) => ({ status: e.status, eventTime: e.eventTime, times: e.times }));
  return respond(200, { orderId: events[0].orderId, status: timeline.at(-1)!.status, timeline });
}

/** One order's events: a Query on the table's partition key, every page, oldest first. */
async function readTimeline(tableName: string, orderId: string): Promise<OrderEvent[]> {
  const events: OrderEvent[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: tableName,
        // Exercise: only the items whose partition key is this order's id.
        KeyConditionExpression: 'orderId = :orderId',
        ExpressionAttributeValues: { ':orderId': orderId },
        // Strongly consistent: an event recorded a moment ago is seen (twice the read units of an eventual read).
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    events.push(...((page.Items ?? []) as OrderEvent[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  // The sort key orders one order's events by its time, then by status name: put them in the
  // order they were published.
  return events.sort((a, b) => a.eventEpochMs - b.eventEpochMs);
}

function respond(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/** 500: the timeline could not be read. The request id finds the reason in the function's log. */
function unavailable(context: Context): APIGatewayProxyResult {
  return respond(500, {
    error: 'StatusUnavailable',
    message: "the order's status cannot be read just now; please try again",
    requestId: context.awsRequestId,
  });
}

/** One line per event, its fields as JSON; Lambda adds the time, the request id and the level. */
function log(level: 'info' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  const line = Object.keys(fields).length ? `${message} ${JSON.stringify(fields)}` : message;
  if (level === 'error') console.error(line);
  else console.log(line);
}
