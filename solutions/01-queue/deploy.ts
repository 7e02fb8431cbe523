/**
 * Step 1: the orders queue and its dead-letter queue (read README.md next to this file first).
 *
 * Every accepted order goes into ONE queue; the monitor function (step 5) takes orders out in
 * batches. An order that keeps failing moves to the dead-letter queue (DLQ) after a few tries,
 * where it waits for someone to look at it instead of being retried forever.
 *
 * Run it with `npm run step:1`; running it again is harmless.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeValue,
  ListQueueTagsCommand,
  QueueDeletedRecently,
  QueueDoesNotExist,
  QueueNameExists,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { sqsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { names, workbookTags } from '../../lib/names.ts';
import { refuseUnlessOurs } from '../../lib/ownership.ts';
import { cmd, detail, heading, next, ok } from '../../lib/output.ts';
import { MONITOR_TIMEOUT_SECONDS, VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT } from '../../lib/pipeline.ts';
import { runWhenExecuted } from '../../lib/steps.ts';
import { todo } from '../../lib/todo.ts';
import { retry } from '../../lib/wait.ts';

const DAY = 24 * 60 * 60; // SQS counts in seconds

/** While the monitor works on a message, it stays hidden: 6 × the monitor's timeout (AWS's advice) = 60 s. */
const VISIBILITY_TIMEOUT = VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT * MONITOR_TIMEOUT_SECONDS;
/** Long polling: a receive waits up to 20 s (the maximum) for a message rather than answering empty. */
const LONG_POLL_SECONDS = 20;
/** A message received this many times without being deleted moves to the DLQ. */
const MAX_RECEIVE_COUNT = 5;
/** Orders keep 4 days (the SQS default, written out). Dead letters keep 14 days (the maximum). */
const ORDERS_RETENTION = 4 * DAY;
const DEAD_LETTER_RETENTION = 14 * DAY;

export async function deploy() {
  const sqs = sqsClient();
  const { ordersQueue, deadLetterQueue } = names();
  heading(`Step 1: the orders queue and its dead-letter queue (${resolveTarget().label})`);

  // 1. The dead-letter queue comes first: the orders queue's redrive policy names it by ARN.
  const deadLetterAttributes = { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION) };
  const deadLetterQueueUrl = await createQueue(sqs, deadLetterQueue, deadLetterAttributes);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const deadLetterQueueArn = Attributes!.QueueArn!;
  ok(`${deadLetterQueue}: keeps dead letters ${Number(deadLetterAttributes.MessageRetentionPeriod) / DAY} days`);
  detail(deadLetterQueueArn);

  // 2. The orders queue.
  const ordersAttributes: Record<string, string> = {
    VisibilityTimeout: String(VISIBILITY_TIMEOUT),
    ReceiveMessageWaitTimeSeconds: String(LONG_POLL_SECONDS),
    MessageRetentionPeriod: String(ORDERS_RETENTION),
    // Exercise: the redrive policy. SQS takes a JSON *string* naming the DLQ by its ARN and the
    // number of receives a message gets before it moves there (README.md explains both).
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  };
  let ordersQueueUrl: string;
  try {
    ordersQueueUrl = await createQueue(sqs, ordersQueue, ordersAttributes);
  } catch (err) {
    // SQS gives only a reason ("Dead letter target does not exist."): say which part of the policy to change.
    const refused = err instanceof InvalidAttributeValue && err.message.includes('RedrivePolicy');
    if (refused || typeof ordersAttributes.RedrivePolicy !== 'string') {
      throw redrivePolicyRefused(err, ordersAttributes.RedrivePolicy, deadLetterQueueArn);
    }
    throw err;
  }
  // What was applied, as sent: on AWS, GetQueueAttributes may show a change only up to 60 s later.
  const applied = JSON.parse(ordersAttributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
  ok(
    `${ordersQueue}: visibility timeout ${ordersAttributes.VisibilityTimeout} s, long polling ${ordersAttributes.ReceiveMessageWaitTimeSeconds} s, ` +
      `to the DLQ after ${applied.maxReceiveCount} receives`,
  );
  detail(`${ordersQueueUrl} (dead letters to ${applied.deadLetterTargetArn})`);

  next(`${cmd('npm run check:step-1')} verifies both queues and sends a message through them.`);
  return { ordersQueueUrl, deadLetterQueueUrl, deadLetterQueueArn };
}

/**
 * CreateQueue, safe to repeat. For a queue that exists with the same attributes, SQS just
 * returns its URL. If an attribute differs (you changed a setting since the last run), SQS
 * refuses with QueueAlreadyExists (QueueNameExists in SDK v3); then we apply the new
 * attributes to the existing queue — only if an earlier run made it (it carries our tag).
 */
async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const tags = workbookTags(); // `npm run teardown` removes only what carries this tag
  await refuseSomeoneElsesQueue(sqs, name);
  try {
    const { QueueUrl } = await retry(
      () => sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags })),
      {
        // AWS keeps a deleted queue's name for 60 s (right after `npm run teardown`, say).
        retryable: (err) => err instanceof QueueDeletedRecently,
        waitingMessage: `${name} was deleted less than 60 s ago; AWS lets the name be reused after that. Waiting…`,
        deadlineMs: 90_000,
        initialDelayMs: 2_000,
        maxDelayMs: 10_000,
      },
    );
    return QueueUrl!;
  } catch (err) {
    if (!(err instanceof QueueNameExists)) throw err;
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    ok(`${name} existed with other settings: applied this script's attributes with SetQueueAttributes`);
    return QueueUrl!;
  }
}

/**
 * A queue of this name that the workbook did not make (it lacks our tag) is someone else's:
 * the script neither changes nor tags it, so `npm run teardown` never deletes it.
 */
async function refuseSomeoneElsesQueue(sqs: SQSClient, name: string): Promise<void> {
  let queueUrl: string | undefined;
  try {
    queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (err instanceof QueueDoesNotExist) return; // not there yet: CreateQueue makes it, with our tag
    throw err;
  }
  const { Tags } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }));
  refuseUnlessOurs('queue', name, Tags);
}

/**
 * SQS refuses a redrive policy with InvalidAttributeValue and a bare reason. This says what the
 * reason means for the RedrivePolicy line above, and what to write there instead.
 */
function redrivePolicyRefused(err: unknown, sent: unknown, deadLetterQueueArn: string): WorkbookError {
  const file = 'steps/01-queue/deploy.ts';
  const answer = 'RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: MAX_RECEIVE_COUNT })';
  const message = err instanceof Error ? err.message : String(err);
  const reason = /Reason: (.*)$/.exec(message)?.[1] ?? message;
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(String(sent)) as Record<string, unknown>;
  } catch {
    // not JSON: the reason says so
  }
  let why: string;
  if (typeof sent !== 'string') {
    why = `RedrivePolicy must be a string of JSON, not ${sent === null ? 'null' : `a value of type ${typeof sent}`}: turn the object into a string with JSON.stringify(…).`;
  } else if (/does not exist/.test(reason) && /^https?:/.test(String(parsed.deadLetterTargetArn))) {
    why = `deadLetterTargetArn is a queue URL (${String(parsed.deadLetterTargetArn)}); SQS names a dead-letter target by its ARN (${deadLetterQueueArn}), so it found no such queue.`;
  } else if (/does not exist/.test(reason)) {
    why = `deadLetterTargetArn is ${JSON.stringify(parsed.deadLetterTargetArn)}, which is not the ARN of an existing queue; the DLQ's ARN is ${deadLetterQueueArn} (deadLetterQueueArn).`;
  } else if (/not a valid JSON map/.test(reason)) {
    why = `RedrivePolicy must be a string of JSON, and ${JSON.stringify(sent.slice(0, 100))} is not JSON (a string written by hand lacks JSON's quotes; JSON.stringify writes it right).`;
  } else if (/mandatory attribute/.test(reason)) {
    why = `the JSON lacks a field SQS requires (${reason.replace(/^.*: /, '').replace(/\.$/, '')}): the two fields are spelt deadLetterTargetArn and maxReceiveCount.`;
  } else if (/Only following attributes/.test(reason)) {
    why = `the JSON holds a field SQS does not know (${Object.keys(parsed).join(', ')}): only deadLetterTargetArn and maxReceiveCount.`;
  } else if (/maxReceiveCount/.test(reason)) {
    why = `maxReceiveCount is ${JSON.stringify(parsed.maxReceiveCount)}: SQS takes a whole number from 1 to 1000, and the lesson uses ${MAX_RECEIVE_COUNT} (MAX_RECEIVE_COUNT).`;
  } else {
    why = `SQS says: ${reason}`;
  }
  return new WorkbookError(
    `SQS refused the orders queue's RedrivePolicy: ${why}`,
    `in ${file} write ${answer} (the RedrivePolicy blank), then run \`npm run step:1\` again.`,
  );
}

runWhenExecuted(import.meta.url, deploy);
