/**
 * The finished pipeline as step 8, its check and the report see it: what steps 1–7 made, found
 * by name and tag (with the step that makes whatever is missing), and an order sent to the API
 * over HTTP the way a shop's front end sends it.
 */
import { GetRestApisCommand, GetStageCommand, NotFoundException } from '@aws-sdk/client-api-gateway';
import { DescribeTableCommand, ResourceNotFoundException as TableNotFound } from '@aws-sdk/client-dynamodb';
import { GetFunctionCommand, ListEventSourceMappingsCommand, ResourceNotFoundException as FunctionNotFound } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { invokeUrl } from './api.ts';
import { apiGatewayClient, dynamoDbClient, lambdaClient, sqsClient } from './clients.ts';
import { resolveTarget } from './config.ts';
import { WorkbookError, errorName } from './errors.ts';
import { TAG_KEY, names } from './names.ts';
import { TIME_INDEX } from './order-events.ts';
import { cmd } from './output.ts';
import { retry } from './wait.ts';

export interface Pipeline {
  /** Where shops POST orders: the stage's invoke URL of /orders. */
  ordersUrl: string;
  apiId: string;
  /** The stage's steady rate limit (requests/s), when step 3 set one… */
  stageRateLimit?: number;
  /** …and how many it lets through at once (its token bucket's size). */
  stageBurstLimit?: number;
  queue: { name: string; url: string; arn: string; visibilityTimeoutSeconds: number };
  /** The orders queue's dead-letter queue and after how many receives a message goes there (step 1). */
  deadLetter: { name: string; url: string; arn: string; maxReceiveCount: number };
  tableName: string;
  monitorLogGroup: string;
}

const missing = (what: string, step: number, detail = '') =>
  new WorkbookError(
    `There is no ${what} on ${resolveTarget().label}${detail}.`,
    `Step ${step} makes it: ${cmd(`npm run step:${step}`)} (${cmd('npm run status')} shows which steps are done).`,
  );

/** Everything steps 1–7 made that step 8 uses; a WorkbookError naming the step that makes what is missing. */
export async function findPipeline(): Promise<Pipeline> {
  const n = names();
  const sqs = sqsClient();

  const queue = await describeQueue(n.ordersQueue, 1);
  if (!queue.redrive) throw missing(`dead-letter queue for ${n.ordersQueue} (it has no RedrivePolicy)`, 1);
  const dlqName = queue.redrive.deadLetterTargetArn.slice(queue.redrive.deadLetterTargetArn.lastIndexOf(':') + 1);
  const dlq = await describeQueue(dlqName, 1);

  const apiId = await findApi(n.api, n.prefix);
  if (!apiId) throw missing(`REST API ${n.api} tagged ${TAG_KEY}=${n.prefix}`, 3);
  let stageRateLimit: number | undefined;
  let stageBurstLimit: number | undefined;
  try {
    const stage = await apiGatewayClient().send(new GetStageCommand({ restApiId: apiId, stageName: n.apiStage }));
    stageRateLimit = stage.methodSettings?.['*/*']?.throttlingRateLimit;
    stageBurstLimit = stage.methodSettings?.['*/*']?.throttlingBurstLimit;
  } catch (err) {
    if (err instanceof NotFoundException) throw missing(`stage ${n.apiStage} of the REST API ${n.api}`, 3);
    throw err;
  }

  const { EventSourceMappings = [] } = await lambdaClient().send(new ListEventSourceMappingsCommand({ EventSourceArn: queue.arn }));
  if (!EventSourceMappings.some((m) => m.FunctionArn?.endsWith(`:function:${n.monitorFunction}`))) {
    throw missing(`event source mapping from ${n.ordersQueue} to ${n.monitorFunction}`, 5);
  }

  try {
    const { Table } = await dynamoDbClient().send(new DescribeTableCommand({ TableName: n.orderEventsTable }));
    if (!Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === TIME_INDEX)) {
      throw missing(`index ${TIME_INDEX} on the table ${n.orderEventsTable}`, 6, ' (the time-window index)');
    }
  } catch (err) {
    if (err instanceof TableNotFound) throw missing(`table ${n.orderEventsTable}`, 6);
    throw err;
  }
  try {
    await lambdaClient().send(new GetFunctionCommand({ FunctionName: n.recorderFunction }));
  } catch (err) {
    if (err instanceof FunctionNotFound) throw missing(`function ${n.recorderFunction}`, 7, ': nothing would record the orders');
    throw err;
  }

  return {
    ordersUrl: invokeUrl(apiId, n.apiStage, '/orders'),
    apiId,
    stageRateLimit,
    stageBurstLimit,
    queue: { name: n.ordersQueue, url: queue.url, arn: queue.arn, visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds },
    deadLetter: { name: dlqName, url: dlq.url, arn: dlq.arn, maxReceiveCount: queue.redrive.maxReceiveCount },
    tableName: n.orderEventsTable,
    monitorLogGroup: n.monitorLogGroup,
  };

  async function describeQueue(name: string, step: number) {
    try {
      const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout', 'RedrivePolicy'] }),
      );
      const redrive = Attributes.RedrivePolicy
        ? (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string })
        : undefined;
      return {
        url: QueueUrl!,
        arn: Attributes.QueueArn!,
        visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? 30),
        redrive: redrive && { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) },
      };
    } catch (err) {
      if (err instanceof QueueDoesNotExist) throw missing(`queue ${name}`, step);
      throw err;
    }
  }
}

/** The newest REST API with this name and our tag (as step 3 picks it), or undefined. */
async function findApi(name: string, prefix: string): Promise<string | undefined> {
  const ours: { id: string; created: number }[] = [];
  let position: string | undefined;
  do {
    const page = await apiGatewayClient().send(new GetRestApisCommand({ limit: 500, position }));
    for (const api of page.items ?? []) {
      if (api.name === name && api.tags?.[TAG_KEY] === prefix) ours.push({ id: api.id!, created: api.createdDate?.getTime() ?? 0 });
    }
    position = page.position;
  } while (position);
  return ours.sort((a, b) => b.created - a.created)[0]?.id;
}

/** What the API answered to one order. */
export interface OrderAnswer {
  status: number;
  /** The JSON body: {orderId, status, acceptedAt} for 202, {error, message, problems?} for 400. */
  body: Record<string, unknown> | undefined;
  text: string;
  /** Answers 429 (throttled) that were retried before this one. */
  throttled: number;
}

/**
 * POSTs one order as a shop's front end does: JSON, and a retry with backoff when the stage
 * throttles (429 Too Many Requests: API Gateway refused it before the function saw it, so
 * sending it again cannot make a duplicate).
 */
export async function postOrder(url: string, order: unknown, contentType = 'application/json'): Promise<OrderAnswer> {
  let throttled = 0;
  const send = async (): Promise<OrderAnswer> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body: typeof order === 'string' ? order : JSON.stringify(order),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (response.status === 429) {
      throttled++;
      throw Object.assign(new Error(`429 ${text}`), { name: 'Throttled' });
    }
    let body: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text, throttled };
  };
  return retry(send, {
    // On AWS a brand-new API's host name takes a moment to resolve.
    retryable: (err) => errorName(err) === 'Throttled' || (resolveTarget().realAws && errorName(err) === 'ENOTFOUND'),
    deadlineMs: 60_000,
    initialDelayMs: 100,
    // The stage's bucket gains a token every 1/rate s (0.2 s at step 3's 5/s): a throttled order
    // need not wait longer than a second to try again.
    maxDelayMs: 1_000,
  });
}

/**
 * Whether `orders` sent evenly at `rate` a second get through a stage throttled at `limit` a
 * second with bursts of `burst`: API Gateway's token bucket holds `burst` tokens and refills at
 * `limit` a second, so by the last order, (orders − 1) / rate s after the first, it has handed
 * out at most burst + limit × that time. A short run may go faster than the limit; a long one not.
 */
export function withinThrottling(orders: number, rate: number, limit: number, burst = 0): boolean {
  if (rate <= limit) return true;
  return orders <= burst + (limit * (orders - 1)) / rate;
}

/** How often to look at the table or the logs while waiting: a local cloud answers in milliseconds, AWS in tens. */
export const pollIntervalMs = (): number => (resolveTarget().realAws ? 1_000 : 100);
