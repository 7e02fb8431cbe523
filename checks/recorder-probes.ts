/**
 * Probe status updates for check:step-7 (and any later check that follows an update to the
 * table): what a probe looks like, the SNS event a delivery of it would be, and where to look
 * when it is not recorded — the function's logs, and its failures queue.
 */
import { randomUUID } from 'node:crypto';
import { FilterLogEventsCommand, ResourceNotFoundException as LogGroupNotFound, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { resolveTarget } from '../lib/config.ts';
import { partitionOfRegion } from '../lib/partition.ts';
import { UPDATE_ATTRIBUTES, type StatusUpdate } from '../lib/pipeline.ts';

/** The status a probe carries: no real order has it, and an email subscriber's filter policy can leave it out. */
export const PROBE_STATUS = 'check-probe';

/** A probe order id: recognisable in the table, the logs and the failures queue. */
export const newProbeOrderId = (): string => `check-${randomUUID()}`;

/** A status update as the monitor (step 5) publishes it, for a probe order. */
export function probeUpdate(orderId: string, now = Date.now()): StatusUpdate {
  return {
    orderId,
    customerId: 'check',
    items: [{ sku: 'check-probe', quantity: 1 }],
    note: 'a test update from npm run check:step-7; safe to delete',
    status: PROBE_STATUS,
    times: { acceptedAt: now - 30, queuedAt: now - 25, processedAt: now - 10, publishedAt: now },
  };
}

/** Publish's MessageAttributes for an update (orderId and status, as the monitor sets them). */
export function updateAttributes(update: { orderId: string; status: string }) {
  return {
    [UPDATE_ATTRIBUTES.orderId]: { DataType: 'String', StringValue: update.orderId },
    [UPDATE_ATTRIBUTES.status]: { DataType: 'String', StringValue: update.status },
  };
}

/**
 * The event SNS hands a subscribed function for one message (shape of AWS's, with the probe's
 * MessageId): invoking the function twice with it is what a redelivery looks like.
 */
export function snsEvent(p: { topicArn: string; subscriptionArn?: string; messageId: string; message: string; attributes: Record<string, string>; timestamp?: string }): SNSEvent {
  const { region } = resolveTarget();
  const { dnsSuffix } = partitionOfRegion(region);
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: p.subscriptionArn ?? `${p.topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: p.messageId,
          TopicArn: p.topicArn,
          Subject: null as unknown as undefined, // SNS sends null when there is no subject
          Message: p.message,
          Timestamp: p.timestamp ?? new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'check',
          SigningCertUrl: `https://sns.${region}.${dnsSuffix}/SimpleNotificationService-check.pem`,
          UnsubscribeUrl: `https://sns.${region}.${dnsSuffix}/?Action=Unsubscribe`,
          MessageAttributes: Object.fromEntries(Object.entries(p.attributes).map(([name, value]) => [name, { Type: 'String', Value: value }])),
        },
      },
    ],
  };
}

/** What the failures queue held about a probe. */
export interface FailureFound {
  /** undeliverable: SNS could not invoke the function (its subscription's dead-letter copy); failed: the function failed on it. */
  kind: 'undeliverable' | 'failed';
  /** For failed: the last attempt's error, e.g. "AccessDeniedException: User: … is not authorized …". */
  error?: string;
  attempts?: number;
}

/**
 * Takes the failures queue's messages about `marker` (a probe order id), deleting them; any other
 * message is made visible again at once, for whoever looks after failures.
 */
export async function takeFailures(sqs: SQSClient, queueUrl: string, marker: string): Promise<FailureFound[]> {
  const found: FailureFound[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: resolveTarget().realAws ? 1 : 0, // on AWS a receive without a wait samples only some servers
        VisibilityTimeout: 30,
      }),
    );
    if (Messages.length === 0) return found;
    let ours = 0;
    for (const message of Messages) {
      const body = message.Body ?? '';
      if (!body.includes(marker)) {
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
        continue;
      }
      ours++;
      found.push(readFailure(body));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    if (ours === 0) return found;
  }
}

function readFailure(body: string): FailureFound {
  try {
    const doc = JSON.parse(body) as {
      requestContext?: { approximateInvokeCount?: number };
      responsePayload?: { errorType?: string; errorMessage?: string };
      Type?: string;
    };
    if (doc.requestContext) {
      const error = doc.responsePayload?.errorType ? `${doc.responsePayload.errorType}: ${doc.responsePayload.errorMessage ?? ''}` : undefined;
      return { kind: 'failed', error, attempts: doc.requestContext.approximateInvokeCount };
    }
  } catch {
    // a raw message: SNS's dead-letter copy with raw delivery
  }
  return { kind: 'undeliverable' };
}

/** The function's log lines since `since` (epoch ms) that mention `marker`; [] while there is no log group. */
export async function logLinesAbout(logs: CloudWatchLogsClient, logGroupName: string, marker: string, since: number): Promise<string[]> {
  const lines: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await logs.send(
        new FilterLogEventsCommand({ logGroupName, filterPattern: `"${marker}"`, startTime: since - 5_000, nextToken }),
      );
      // Not every emulator honours the pattern (LocalStack's community Logs returns every line): filter here too.
      lines.push(...(page.events ?? []).map((e) => e.message ?? '').filter((line) => line.includes(marker)));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    if (err instanceof LogGroupNotFound) return [];
    throw err;
  }
  return lines;
}

/** A cause, in words, from an error message the function logged or returned; undefined if none is known. */
export function causeOf(text: string, table: { name: string; arn: string }): { wrong: string; grant?: boolean; tableName?: boolean } | undefined {
  const denied = /not authorized to perform: (dynamodb:\w+) on resource: (\S+?)(?: because|\s|$)/i.exec(text);
  if (denied) {
    return {
      wrong: `the function fails with AccessDeniedException: its role may not ${denied[1]} on ${denied[2]}`,
      grant: denied[2] === table.arn,
      tableName: denied[2] !== table.arn,
    };
  }
  if (/ResourceNotFoundException|Requested resource not found/.test(text)) {
    return { wrong: 'the function fails with ResourceNotFoundException: the table it writes to does not exist', tableName: true };
  }
  if (/TABLE_NAME is not set/.test(text)) return { wrong: 'the function fails: TABLE_NAME is not set in its environment', tableName: true };
  if (/ValidationException/.test(text)) return { wrong: `the function's PutItem is refused: ${clip(text.slice(text.indexOf('ValidationException')))}` };
  if (/BadStatusUpdate/.test(text)) return { wrong: `the function refuses the update: ${clip(text.slice(text.indexOf('BadStatusUpdate')))}` };
  return undefined;
}

export const clip = (text: string, max = 240): string => (text.length > max ? `${text.slice(0, max)}…` : text);
