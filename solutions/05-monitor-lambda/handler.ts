/**
 * The monitor function (read README.md next to this file). Its event source mapping invokes it
 * with batches of up to 10 messages from the orders queue; for each one:
 *
 *   an order → one status update published to the order-updates topic (step 4)
 *   a malformed message → a batch item failure: only that message goes back to the queue (and,
 *     after maxReceiveCount receives, to the dead-letter queue); its batch-mates are done
 *
 * Powertools for AWS Lambda does the bookkeeping: BatchProcessor calls processOrder for each
 * record and turns the ones that throw into the partial batch response Lambda expects,
 * {"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}; Logger writes JSON log lines.
 * `npm run step:5` bundles this file (and what it imports) for Lambda.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ORDER_CONFIRMED, UPDATE_ATTRIBUTES, type QueuedOrder, type StatusUpdate } from '../../lib/pipeline.ts';
import { todo } from '../../lib/todo.ts';

// Made once per execution environment, reused by every invocation it serves (warm starts skip it).
const logger = new Logger({ serviceName: 'order-monitor' });
const processor = new BatchProcessor(EventType.SQS);
const sns = new SNSClient({});

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  logger.addContext(context);
  // Runs processOrder for every record, then answers {batchItemFailures: [...]} listing the
  // records whose processOrder threw. If every record failed, it throws instead: the whole
  // batch goes back to the queue, as it would after any function error.
  return processPartialResponse(event, processOrder, processor, { context });
}

/** One record: read the order, publish its status update. Throws when that cannot be done. */
async function processOrder(record: SQSRecord): Promise<void> {
  const processedAt = Date.now();
  try {
    const order = readOrder(record.body);
    const snsMessageId = await publishUpdate(order, processedAt);
    logger.info('status update published', { orderId: order.orderId, messageId: record.messageId, snsMessageId });
  } catch (error) {
    // Exercise: the failure path. A record whose handler returns normally counts as a success,
    // and Lambda deletes it from the queue.
    logger.error('order not processed: reported as a batch item failure', {
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
      error,
    });
    throw error;
  }
}

/** A message that can never become a status update, however often it is retried. */
export class MalformedOrder extends Error {
  override name = 'MalformedOrder';
}

/** The order the intake function queued (lib/pipeline.ts QueuedOrder), or MalformedOrder. */
function readOrder(body: string): QueuedOrder {
  let order: Partial<QueuedOrder>;
  try {
    order = JSON.parse(body) as Partial<QueuedOrder>;
  } catch (err) {
    throw new MalformedOrder(`the message body is not JSON: ${(err as Error).message}`);
  }
  if (!order || typeof order !== 'object') throw new MalformedOrder('the message body is not a JSON object');
  if (typeof order.orderId !== 'string' || order.orderId === '') throw new MalformedOrder('the order has no orderId');
  if (typeof order.customerId !== 'string' || !Array.isArray(order.items)) {
    throw new MalformedOrder(`order ${order.orderId} has no customerId or items`);
  }
  if (typeof order.times?.acceptedAt !== 'number' || typeof order.times.queuedAt !== 'number') {
    throw new MalformedOrder(`order ${order.orderId} has no times.acceptedAt and times.queuedAt`);
  }
  return order as QueuedOrder;
}

/** Publishes the order's status update to the topic; returns SNS's MessageId. */
async function publishUpdate(order: QueuedOrder, processedAt: number): Promise<string> {
  const topicArn = process.env.TOPIC_ARN;
  if (!topicArn) throw new Error('TOPIC_ARN is not set in the function environment');
  const update: StatusUpdate = {
    ...order,
    status: ORDER_CONFIRMED,
    times: { ...order.times, processedAt, publishedAt: Date.now() },
  };
  const { MessageId } = await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      // Email subscribers see the subject; everyone else reads the message.
      Subject: `Order ${order.orderId} ${update.status}`,
      Message: JSON.stringify(update),
      // Subscribers filter on message attributes (an SNS filter policy) without reading the body.
      MessageAttributes: {
        [UPDATE_ATTRIBUTES.orderId]: { DataType: 'String', StringValue: order.orderId },
        [UPDATE_ATTRIBUTES.status]: { DataType: 'String', StringValue: update.status },
      },
    }),
  );
  return MessageId!;
}
