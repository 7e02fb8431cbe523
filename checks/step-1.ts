/**
 * `npm run check:step-1`: the orders queue and its dead-letter queue.
 * Configuration (describe calls), then behaviour: a probe message goes through the queue, and
 * another one is received until SQS moves it to the DLQ. Every probe is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { lambdaClient, sqsClient } from '../lib/clients.ts';
import { resolveTarget } from '../lib/config.ts';
import { errorName } from '../lib/errors.ts';
import { TAG_KEY, names } from '../lib/names.ts';
import { MONITOR_TIMEOUT_SECONDS, VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT } from '../lib/pipeline.ts';
import { detail } from '../lib/output.ts';
import { defineCheck, problem, runCheckWhenExecuted } from './kit.ts';
import { canFollowPoisonToDeadLetterQueue } from './poison-probe.ts';
import { settle, within } from './patience.ts';

const STEP_FILE = 'steps/01-queue/deploy.ts';
const RERUN = 'then run `npm run step:1` (it updates the existing queue)';
/**
 * What the lesson accepts for maxReceiveCount. AWS advises at least 5 for a Lambda consumer,
 * so a throttled or timed-out batch does not dead-letter good orders; beyond 10, a poison
 * message keeps being retried (10 × the 60 s visibility timeout) long after it is clearly bad.
 */
const MAX_RECEIVE_COUNT = { min: 5, max: 10, lesson: 5 };
const MIN_VISIBILITY_TIMEOUT = VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT * MONITOR_TIMEOUT_SECONDS;
/** Marks the check's own messages, so it can tell them from anyone else's. */
const PROBE_ATTRIBUTE = 'workbook-check';

export const check = defineCheck({
  step: 1,
  title: 'the orders queue and its dead-letter queue',
  async run(t) {
    const sqs = sqsClient();
    const n = names();

    // Existence first: everything else describes these two queues.
    const dlqUrl = await t.exists(`the dead-letter queue ${n.deadLetterQueue} exists`, () =>
      queueUrl(sqs, n.deadLetterQueue),
    );
    const ordersUrl = await t.exists(`the orders queue ${n.ordersQueue} exists`, () =>
      queueUrl(sqs, n.ordersQueue, { afterDeadLetterQueue: n.deadLetterQueue }),
    );
    // SetQueueAttributes takes up to 60 s to show on AWS: a queue that does not look right yet
    // is read again until it does, or the window ends, before anything is called wrong.
    const read = await settle(
      async () => ({ dlq: await attributes(sqs, dlqUrl), orders: await attributes(sqs, ordersUrl) }),
      ({ dlq, orders }) => looksConfigured(dlq, orders),
      ATTRIBUTES_SETTLE_MS(),
    );
    const { dlq, orders } = read.value;
    if (read.waitedMs >= 1000) {
      detail(
        `waited ${Math.round(read.waitedMs / 1000)} s for the queues' attributes to settle (a change takes up to 60 s to show on AWS)` +
          (read.settled ? '' : '; they still differ from the lesson, as below'),
      );
    }

    await t.item(`both queues carry the tag ${TAG_KEY}=${n.prefix}`, async () => {
      for (const [name, url] of [
        [n.deadLetterQueue, dlqUrl],
        [n.ordersQueue, ordersUrl],
      ]) {
        const { Tags } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
        if (Tags?.[TAG_KEY] !== n.prefix) {
          problem(
            `${name} has no tag ${TAG_KEY}=${n.prefix}, so \`npm run teardown\` will never remove it.`,
            `tag it: \`${awsCli(`sqs tag-queue --queue-url ${url} --tags ${TAG_KEY}=${n.prefix}`)}\` ` +
              `(CreateQueue in ${STEP_FILE} passes tags: workbookTags(), but tags only apply when a queue is created).`,
          );
        }
      }
    });

    await t.item('dead letters are kept longer than orders (MessageRetentionPeriod)', () => {
      const dlqDays = Number(dlq.MessageRetentionPeriod) / 86400;
      const ordersDays = Number(orders.MessageRetentionPeriod) / 86400;
      if (dlqDays <= ordersDays) {
        problem(
          `${n.deadLetterQueue} keeps messages ${dlqDays} days, no longer than ${n.ordersQueue} (${ordersDays} days). ` +
            'A dead letter keeps its original enqueue time, so it would expire soon after it lands, before anyone looks.',
          `in ${STEP_FILE} give the DLQ MessageRetentionPeriod: String(14 * DAY) (the maximum), ${RERUN}.`,
        );
      }
    });

    const redrive = await t.item(`${n.ordersQueue} sends failing messages to ${n.deadLetterQueue} (RedrivePolicy)`, () => {
      if (!orders.RedrivePolicy) {
        problem(
          `${n.ordersQueue} has no RedrivePolicy: an order that keeps failing is retried until it expires ` +
            `(${Number(orders.MessageRetentionPeriod) / 86400} days), then vanishes without anyone knowing.`,
          `in ${STEP_FILE} set RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }), ${RERUN}.`,
        );
      }
      const policy = JSON.parse(orders.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
      if (policy.deadLetterTargetArn !== dlq.QueueArn) {
        problem(
          `the RedrivePolicy sends dead letters to ${policy.deadLetterTargetArn}, not to ${dlq.QueueArn}.`,
          `in ${STEP_FILE} use the DLQ's ARN (from GetQueueAttributes QueueArn) as deadLetterTargetArn — an ARN, not the URL — ${RERUN}.`,
        );
      }
      return { maxReceiveCount: Number(policy.maxReceiveCount) };
    });

    const maxReceiveCountOk =
      redrive &&
      (await t.item(
        `maxReceiveCount suits a Lambda consumer (${MAX_RECEIVE_COUNT.min}–${MAX_RECEIVE_COUNT.max})`,
        () => {
          const count = redrive.maxReceiveCount;
          if (count < MAX_RECEIVE_COUNT.min) {
            problem(
              `maxReceiveCount is ${count}: an order that fails once or twice for a passing reason (the monitor ` +
                `throttled or timed out) goes to the DLQ although nothing is wrong with it. AWS advises at least ` +
                `${MAX_RECEIVE_COUNT.min} for Lambda consumers.`,
              `in ${STEP_FILE} set MAX_RECEIVE_COUNT = ${MAX_RECEIVE_COUNT.lesson} and use it in the RedrivePolicy (maxReceiveCount: MAX_RECEIVE_COUNT), ${RERUN}.`,
            );
          }
          if (count > MAX_RECEIVE_COUNT.max) {
            problem(
              `maxReceiveCount is ${count}: a poison order would be retried ${count} times, ` +
                `${Math.round((count * Number(orders.VisibilityTimeout)) / 60)} minutes or more, costing invocations and ` +
                `hiding the failure, before it reaches the DLQ.`,
              `in ${STEP_FILE} set MAX_RECEIVE_COUNT = ${MAX_RECEIVE_COUNT.lesson} and use it in the RedrivePolicy (maxReceiveCount: MAX_RECEIVE_COUNT), ${RERUN}.`,
            );
          }
          return true;
        },
      ));

    await t.item(
      `the visibility timeout is at least ${MIN_VISIBILITY_TIMEOUT} s (${VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT} × the monitor's ${MONITOR_TIMEOUT_SECONDS} s timeout)`,
      () => {
        const seconds = Number(orders.VisibilityTimeout);
        const fix = `in ${STEP_FILE} set VisibilityTimeout: String(VISIBILITY_TIMEOUT) (6 × MONITOR_TIMEOUT_SECONDS = ${MIN_VISIBILITY_TIMEOUT}), ${RERUN}.`;
        if (seconds < MONITOR_TIMEOUT_SECONDS) {
          problem(
            `the visibility timeout is ${seconds} s, shorter than the monitor function's ${MONITOR_TIMEOUT_SECONDS} s timeout: ` +
              'Lambda refuses to connect such a queue (step 5), and a batch still being worked on would be delivered again.',
            fix,
          );
        }
        if (seconds < MIN_VISIBILITY_TIMEOUT) {
          problem(
            `the visibility timeout is ${seconds} s: AWS advises ${VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT} × the function ` +
              `timeout (${MIN_VISIBILITY_TIMEOUT} s), so that messages stay hidden while Lambda retries a throttled batch ` +
              'instead of being delivered twice.',
            fix,
          );
        }
      },
    );

    await t.item('long polling is on (ReceiveMessageWaitTimeSeconds)', () => {
      if (Number(orders.ReceiveMessageWaitTimeSeconds) < 1) {
        problem(
          `long polling is off (ReceiveMessageWaitTimeSeconds ${orders.ReceiveMessageWaitTimeSeconds}): a receive that ` +
            'asks for no wait answers at once, often empty (on AWS it samples only some servers), and each empty ' +
            'receive is a request you pay for.',
          `in ${STEP_FILE} set ReceiveMessageWaitTimeSeconds: String(LONG_POLL_SECONDS) (20 s, the maximum), ${RERUN}.`,
        );
      }
    });

    // Behaviour. From step 5 on, the monitor function's event source mapping consumes this queue:
    // our probes would be taken (and processed as orders) by it, and our receives would compete
    // with it. So while a mapping is attached, the check does not receive from the live queue;
    // the step-5 check proves delivery through the mapping instead.
    const delivery = 'a message sent to the orders queue can be received (long polling) and deleted';
    const redriveLabel = `a message received ${maxReceiveCountOk ? `${redrive!.maxReceiveCount} times` : 'maxReceiveCount times'} without a delete moves to the DLQ`;
    t.behaviourFollows();
    const mappings = await eventSourceMappings(orders.QueueArn);
    if (mappings.length > 0) {
      const consumed = `the event source mapping ${mappings.join(', ')} consumes this queue (step 5), so this check leaves it alone`;
      t.deferred(delivery, `${consumed}; \`npm run check:step-5\` sends an order through it.`);
      if (canFollowPoisonToDeadLetterQueue()) {
        t.deferred(redriveLabel, `${consumed}; \`npm run check:step-5\` follows a poison message through it into ${n.deadLetterQueue}.`);
      } else {
        t.skip(
          redriveLabel,
          `${consumed}, and on ${resolveTarget().label} no check follows a poison message into ${n.deadLetterQueue} (it takes minutes).`,
          '`npm run step:8 -- --wait-for-dlq` follows one all the way; or run this check before step 5 (after `npm run teardown`).',
        );
      }
      return;
    }
    // Receiving someone else's message counts toward its maxReceiveCount: with messages
    // waiting, the check leaves the queue alone rather than push them toward the DLQ. On AWS the
    // counts lag up to a minute behind, so a count above 0 is read again before it counts.
    const waiting = await waitingMessagesSettled(sqs, ordersUrl, orders);
    if (waiting > 0) {
      const why = `${n.ordersQueue} holds ${waiting} message(s) the check did not send; receiving them would count toward their maxReceiveCount.`;
      const todo = `consume them, or empty the queue (\`${awsCli(`sqs purge-queue --queue-url ${ordersUrl}`)}\`), then run \`npm run check:step-1\` again.`;
      t.skip(delivery, why, todo);
      t.skip(redriveLabel, why, todo);
      return;
    }

    await t.item(delivery, async () => {
      const { probe } = await sendProbe(sqs, ordersUrl);
      const received = await receiveProbe(sqs, ordersUrl, probe, { visibilityTimeout: 30, deadlineMs: 10_000 });
      if (!received) {
        problem(
          `a message sent to ${n.ordersQueue} did not come back within 10 s.`,
          `look at the queue's DelaySeconds (it should be 0), rerun \`npm run step:1\`, and try again.`,
        );
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: ordersUrl, ReceiptHandle: received.ReceiptHandle }));
    });

    if (!redrive || !maxReceiveCountOk) {
      t.skip(redriveLabel, 'the RedrivePolicy above needs fixing first.');
      return;
    }
    await t.item(redriveLabel, () =>
      proveRedrive(sqs, { ordersUrl, dlqUrl, ordersArn: orders.QueueArn, maxReceiveCount: redrive.maxReceiveCount }),
    );
  },
});

/**
 * The queue's URL. The step makes the DLQ first: when the DLQ exists and the orders queue does
 * not, the step stopped at the orders queue, whose only exercise is the RedrivePolicy.
 */
async function queueUrl(sqs: SQSClient, name: string, options: { afterDeadLetterQueue?: string } = {}): Promise<string> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    return QueueUrl!;
  } catch (err) {
    if (err instanceof QueueDoesNotExist && options.afterDeadLetterQueue) {
      problem(
        `there is no queue named ${name} on ${resolveTarget().label}, though ${options.afterDeadLetterQueue} exists: ` +
          '`npm run step:1` makes the DLQ first, and stopped at the orders queue, most often because SQS refused its RedrivePolicy.',
        `in ${STEP_FILE} write RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }) ` +
          "(the DLQ's ARN, not its URL; a string, not an object), then run `npm run step:1` (its ✘ says what else SQS refused, if anything).",
      );
    }
    if (err instanceof QueueDoesNotExist) {
      problem(`there is no queue named ${name} on ${resolveTarget().label}.`, 'create it: `npm run step:1`.');
    }
    throw err;
  }
}

async function attributes(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return Attributes ?? {};
}

/** How long a queue's attributes may take to show a change: up to 60 s on AWS. */
const ATTRIBUTES_SETTLE_MS = () => within({ instant: 0, emulator: 5_000, aws: 60_000 });

/** True when the attributes are as the lesson wants them (what the items below verify). */
export function looksConfigured(dlq: Record<string, string>, orders: Record<string, string>): boolean {
  if (!(Number(dlq.MessageRetentionPeriod) > Number(orders.MessageRetentionPeriod))) return false;
  let redrive: { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
  try {
    redrive = JSON.parse(orders.RedrivePolicy ?? '') as typeof redrive;
  } catch {
    return false;
  }
  const count = Number(redrive.maxReceiveCount);
  return (
    redrive.deadLetterTargetArn === dlq.QueueArn &&
    count >= MAX_RECEIVE_COUNT.min &&
    count <= MAX_RECEIVE_COUNT.max &&
    Number(orders.VisibilityTimeout) >= MIN_VISIBILITY_TIMEOUT &&
    Number(orders.ReceiveMessageWaitTimeSeconds) >= 1
  );
}

/** The waiting messages, read again while they are above 0 for as long as the counts may lag (a minute on AWS). */
async function waitingMessagesSettled(sqs: SQSClient, url: string, first: Record<string, string>): Promise<number> {
  if (waitingMessages(first) === 0) return 0;
  const { value } = await settle(async () => waitingMessages(await attributes(sqs, url)), (n) => n === 0, COUNTS_LAG_MS());
  return value;
}

/** How long ApproximateNumberOf* may lag behind: about a minute on AWS. */
export const COUNTS_LAG_MS = () => within({ instant: 0, emulator: 2_000, aws: 60_000 });

function waitingMessages(attrs: Record<string, string>): number {
  return ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed']
    .map((name) => Number(attrs[name] ?? 0))
    .reduce((a, b) => a + b, 0);
}

/** The UUIDs of event source mappings that read from the queue. */
async function eventSourceMappings(queueArn: string): Promise<string[]> {
  try {
    const { EventSourceMappings } = await lambdaClient().send(
      new ListEventSourceMappingsCommand({ EventSourceArn: queueArn }),
    );
    return (EventSourceMappings ?? []).map((m) => m.UUID!);
  } catch (err) {
    // A local cloud without Lambda yet cannot have mappings.
    if (!resolveTarget().realAws && /UnknownOperation|NotFound|404/.test(errorName(err))) return [];
    throw err;
  }
}

async function sendProbe(sqs: SQSClient, queueUrl: string): Promise<{ probe: string; messageId: string }> {
  const probe = randomUUID();
  const { MessageId } = await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ probe, from: 'npm run check:step-1', note: 'a test message; safe to delete' }),
      MessageAttributes: { [PROBE_ATTRIBUTE]: { DataType: 'String', StringValue: probe } },
    }),
  );
  return { probe, messageId: MessageId! };
}

const isProbe = (message: Message, probe: string) => message.MessageAttributes?.[PROBE_ATTRIBUTE]?.StringValue === probe;

/**
 * Long-polls the queue for the probe (it returns the moment the probe is there). Anything
 * else received on the way is made visible again at once, for its rightful consumer.
 */
async function receiveProbe(
  sqs: SQSClient,
  queueUrl: string,
  probe: string,
  options: { visibilityTimeout: number; deadlineMs: number; waitSeconds?: number },
): Promise<Message | undefined> {
  const giveUpAt = Date.now() + options.deadlineMs;
  do {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: options.waitSeconds ?? Math.max(1, Math.min(20, Math.ceil((giveUpAt - Date.now()) / 1000))),
        VisibilityTimeout: options.visibilityTimeout,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    let found: Message | undefined;
    for (const message of Messages) {
      if (isProbe(message, probe)) found = message;
      else if (options.visibilityTimeout > 0) {
        await sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }),
        );
      }
    }
    if (found) return found;
  } while (Date.now() < giveUpAt);
  return undefined;
}

/**
 * Receives a probe again and again without deleting it (visibility timeout 0, so it is back at
 * once) and expects SQS to move it to the DLQ after exactly maxReceiveCount receives, with its
 * MessageId kept and DeadLetterQueueSourceArn naming the orders queue. Deletes it in the end.
 */
async function proveRedrive(
  sqs: SQSClient,
  q: { ordersUrl: string; dlqUrl: string; ordersArn: string; maxReceiveCount: number },
): Promise<void> {
  const { probe, messageId } = await sendProbe(sqs, q.ordersUrl);
  // On AWS a short poll (no wait) samples only some servers and may miss the probe, so each
  // receive there long-polls for 1 s. Emulators answer short polls exactly, and the receive
  // that finds the probe gone (moved to the DLQ) then costs no wait.
  const waitSeconds = resolveTarget().realAws ? 1 : 0;
  let receives = 0;
  let last: Message | undefined;
  try {
    while (receives <= q.maxReceiveCount) {
      const message = await receiveProbe(sqs, q.ordersUrl, probe, { visibilityTimeout: 0, deadlineMs: 0, waitSeconds });
      if (!message) break;
      last = message;
      receives++;
    }
    if (receives !== q.maxReceiveCount) {
      problem(
        receives > q.maxReceiveCount
          ? `the probe was received ${receives} times and is still in the orders queue; it should have moved to the DLQ after ${q.maxReceiveCount}.`
          : `the probe left the orders queue after ${receives} receives, not ${q.maxReceiveCount}.`,
        'rerun `npm run step:1` so the RedrivePolicy is applied, then check again.',
      );
    }
    const dead = await receiveProbe(sqs, q.dlqUrl, probe, { visibilityTimeout: 30, deadlineMs: 10_000 });
    if (!dead) {
      problem(
        `after ${receives} receives the probe left the orders queue but did not reach the DLQ within 10 s.`,
        'make sure RedrivePolicy.deadLetterTargetArn is the DLQ ARN, rerun `npm run step:1`, then check again.',
      );
    }
    last = undefined;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: q.dlqUrl, ReceiptHandle: dead.ReceiptHandle }));
    if (dead.MessageId !== messageId || dead.Attributes?.DeadLetterQueueSourceArn !== q.ordersArn) {
      problem(
        `the dead letter is not the message that was sent (MessageId ${dead.MessageId}, expected ${messageId}; ` +
          `DeadLetterQueueSourceArn ${dead.Attributes?.DeadLetterQueueSourceArn}, expected ${q.ordersArn}).`,
        'rerun `npm run step:1`, then check again.',
      );
    }
  } finally {
    // A probe still in the orders queue (the redrive failed) is removed, never left behind.
    if (last) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: q.ordersUrl, ReceiptHandle: last.ReceiptHandle })).catch(() => {});
    }
  }
}

/** The aws CLI command for a hint: `npm run aws` aims it at the current target. */
function awsCli(args: string): string {
  return `npm run aws -- ${args}`;
}

runCheckWhenExecuted(import.meta.url, check);
