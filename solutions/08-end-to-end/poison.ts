/**
 * A poison message (read README.md next to this file): something on the orders queue that is
 * not an order, as a buggy producer might send it straight to SQS, past the API. The monitor
 * (step 5) fails it every time and reports it as a batch item failure; SQS hides it for the
 * visibility timeout and hands it out again; after maxReceiveCount receives (step 1) it moves it
 * to the dead-letter queue.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { FilterLogEventsCommand, ResourceNotFoundException, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { resolveTarget } from '../../lib/config.ts';

export interface PoisonSent {
  messageId: string;
  /** Epoch ms, this machine's clock. */
  sentAt: number;
  body: string;
}

/** Sends a message that is JSON but not an order (no orderId, no items) to the orders queue. */
export async function sendPoison(sqs: SQSClient, queueUrl: string, marker: string): Promise<PoisonSent> {
  const body = JSON.stringify({ customerId: marker, note: 'not an order: no orderId, no items (a poison message from npm run step:8)' });
  const sentAt = Date.now();
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  return { messageId: MessageId!, sentAt, body };
}

/** One receive of the poison message that the monitor failed, as its log tells it. */
export interface FailedReceive {
  /** ApproximateReceiveCount: 1 the first time SQS handed the message out, 2 the next… */
  receiveCount: number;
  /** When the monitor logged it (epoch ms). */
  at: number;
  /** "MalformedOrder: the order has no orderId". */
  error: string;
}

/**
 * The monitor's error lines about one message, one per failed receive, oldest first. Its handler
 * logs them as JSON (Powertools Logger) with the message's id, so a JSON filter pattern finds them.
 */
export async function failedReceives(logs: CloudWatchLogsClient, logGroupName: string, poison: PoisonSent): Promise<FailedReceive[]> {
  const found = new Map<number, FailedReceive>();
  let nextToken: string | undefined;
  try {
    do {
      const page = await logs.send(
        new FilterLogEventsCommand({
          logGroupName,
          filterPattern: `{ $.messageId = "${poison.messageId}" }`,
          startTime: poison.sentAt - 5_000,
          nextToken,
        }),
      );
      for (const event of page.events ?? []) {
        const line = parseLine(event.message ?? '');
        const receiveCount = Number(line?.receiveCount);
        if (!line || !Number.isInteger(receiveCount) || found.has(receiveCount)) continue;
        const error = line.error ? `${line.error.name}: ${line.error.message}` : String(line.message);
        found.set(receiveCount, { receiveCount, at: event.timestamp ?? Date.now(), error });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err; // no log group yet: nothing logged yet
  }
  return [...found.values()].sort((a, b) => a.receiveCount - b.receiveCount);
}

function parseLine(text: string): { receiveCount?: unknown; message?: unknown; error?: { name?: string; message?: string } } | undefined {
  try {
    return JSON.parse(text.slice(text.indexOf('{'))) as ReturnType<typeof parseLine>;
  } catch {
    return undefined;
  }
}

/** Logs reach CloudWatch Logs within milliseconds on the local cloud, within seconds on AWS. */
export const logLatencyAllowanceMs = (): number => (resolveTarget().realAws ? 90_000 : 15_000);

/** Polls the monitor's log (nothing better exists) until it reports the first failed receive, or the deadline. */
export async function firstFailure(logs: CloudWatchLogsClient, logGroupName: string, poison: PoisonSent, intervalMs: number): Promise<FailedReceive | undefined> {
  const giveUpAt = Date.now() + logLatencyAllowanceMs();
  for (;;) {
    const [first] = await failedReceives(logs, logGroupName, poison);
    if (first || Date.now() >= giveUpAt) return first;
    await delay(intervalMs);
  }
}

/**
 * Waits for the poison message in the dead-letter queue: long polls, which wake the moment a
 * message arrives. Other messages there (earlier poison messages, say) stay hidden while it looks
 * and are made visible again before it returns. Meanwhile it follows the monitor's log and calls
 * `onReceive` for each new failed receive. The message found is deleted from the DLQ.
 */
export async function followToDeadLetterQueue(p: {
  sqs: SQSClient;
  logs: CloudWatchLogsClient;
  logGroupName: string;
  deadLetterQueueUrl: string;
  poison: PoisonSent;
  deadline: number;
  onReceive: (receive: FailedReceive) => void;
}): Promise<{ message: Message; arrivedAt: number } | undefined> {
  const reported = new Set<number>();
  const reportNew = async () => {
    for (const receive of await failedReceives(p.logs, p.logGroupName, p.poison)) {
      if (!reported.has(receive.receiveCount)) {
        reported.add(receive.receiveCount);
        p.onReceive(receive);
      }
    }
  };
  let done = false;
  const follower = (async () => {
    while (!done) {
      await reportNew();
      await delay(resolveTarget().realAws ? 5_000 : 250);
    }
  })();

  const heldBack: Message[] = [];
  try {
    while (Date.now() < p.deadline) {
      const waitSeconds = Math.max(1, Math.min(20, Math.ceil((p.deadline - Date.now()) / 1000)));
      const { Messages = [] } = await p.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: p.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
          // Hidden until this wait is over, so the same strangers do not come back at every poll.
          VisibilityTimeout: Math.min(43_200, Math.ceil((p.deadline - Date.now()) / 1000) + 30),
          MessageSystemAttributeNames: ['All'],
        }),
      );
      for (const message of Messages) {
        if (message.MessageId !== p.poison.messageId) {
          heldBack.push(message);
          continue;
        }
        const arrivedAt = Date.now();
        await p.sqs.send(new DeleteMessageCommand({ QueueUrl: p.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
        return { message, arrivedAt };
      }
    }
    return undefined;
  } finally {
    done = true;
    await follower;
    await reportNew(); // the last receive's line may have come in meanwhile
    for (let i = 0; i < heldBack.length; i += 10) {
      const entries = heldBack.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
      await p.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: p.deadLetterQueueUrl, Entries: entries }));
    }
  }
}
