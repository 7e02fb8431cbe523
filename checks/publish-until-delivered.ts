/**
 * A new SNS subscription may take a few seconds on AWS before it receives its first message.
 * A check that watches the topic through a queue of its own (checks/topic-probe.ts) therefore
 * publishes test updates, a new one every few seconds, until one arrives: only then is the
 * watcher known to see what the topic sends.
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { UPDATE_ATTRIBUTES, type StatusUpdate } from '../lib/pipeline.ts';
import { within } from './patience.ts';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { problem } from './kit.ts';
import { TemporarySubscription, type Received } from './topic-probe.ts';

/** Marks the checks' test updates: subscribers that see one know it is not a real order's update. */
export const CHECK_ATTRIBUTE = 'workbook-check';
/** The status of the checks' test updates (the email subscription's filter policy leaves them out). */
export const PROBE_STATUS = 'check-probe';

/** How long a new subscription gets to receive its first test update. */
export const deliveryDeadlineMs = (): number => within({ instant: 5_000, emulator: 15_000, aws: 30_000 });

/**
 * Publishes a test update and waits for it; publishes a new one after 1 s, 2 s, 4 s, then every
 * 5 s, until one arrives or the deadline passes. Each is shaped as a status update (lib/pipeline.ts) of a probe
 * order: id `check-…`, customer `check-…`, status `check-probe`, the same attributes as real
 * updates, and CHECK_ATTRIBUTE. Each probe order id goes to `published` as it is sent.
 */
export async function publishUntilDelivered(
  sns: SNSClient,
  topicArn: string,
  watcher: TemporarySubscription,
  published: string[],
  sender: { from: string; customerId: string },
): Promise<{ received: Received; body: string } | undefined> {
  const bodies = new Map<string, string>();
  const giveUpAt = Date.now() + deliveryDeadlineMs();
  // A delivered message arrives within a second once the subscription receives: republish soon, then less often.
  let republishAfterMs = 1_000;
  while (Date.now() < giveUpAt) {
    const probe = randomUUID();
    const orderId = `check-${probe}`;
    const now = Date.now();
    const update: StatusUpdate = {
      orderId,
      customerId: sender.customerId,
      items: [],
      note: `a test update from ${sender.from}; safe to ignore`,
      status: PROBE_STATUS,
      times: { acceptedAt: now, queuedAt: now, processedAt: now, publishedAt: now },
    };
    const body = JSON.stringify(update);
    bodies.set(probe, body);
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Workbook check: a test update (safe to ignore)',
        Message: body,
        MessageAttributes: {
          [UPDATE_ATTRIBUTES.orderId]: { DataType: 'String', StringValue: orderId },
          [UPDATE_ATTRIBUTES.status]: { DataType: 'String', StringValue: PROBE_STATUS },
          [CHECK_ATTRIBUTE]: { DataType: 'String', StringValue: probe },
        },
      }),
    );
    published.push(orderId);
    const found = await watcher.waitFor((received) => {
      const probeId = received.notification.MessageAttributes?.[CHECK_ATTRIBUTE]?.Value;
      return probeId && bodies.has(probeId) ? { received, body: bodies.get(probeId)! } : undefined;
    }, Math.max(0, Math.min(republishAfterMs, giveUpAt - Date.now())));
    if (found) return found;
    republishAfterMs = Math.min(republishAfterMs * 2, 5_000);
  }
  return undefined;
}

/**
 * Subscribes a queue of the check's own to the topic, and publishes test updates until one
 * arrives: an update published before the new subscription receives would be missed, and the
 * check would blame the function that published it. Fails (problem) when none arrives in time.
 */
export async function openTopicWatcher(p: {
  sqs: SQSClient;
  sns: SNSClient;
  topicArn: string;
  prefix: string;
  published: string[];
  from: string;
}): Promise<TemporarySubscription> {
  const watcher = await TemporarySubscription.open(p.sqs, p.sns, p.topicArn, p.prefix);
  let delivered: Awaited<ReturnType<typeof publishUntilDelivered>>;
  try {
    delivered = await publishUntilDelivered(p.sns, p.topicArn, watcher, p.published, { from: p.from, customerId: `check-${p.from.replace(/\W+/g, '-')}` });
  } catch (err) {
    await watcher.close();
    throw err;
  }
  if (!delivered) {
    await watcher.close();
    problem(
      `the check's own queue, subscribed to the topic, received none of its test updates within ${deliveryDeadlineMs() / 1000} s: it cannot watch what is published.`,
      '`npm run check:step-4` proves delivery from the topic and says what is wrong.',
    );
  }
  return watcher;
}
