/**
 * The way back from the dead-letter queue (read "Redrive" in README.md next to this file first).
 * Once the cause of the failures is fixed, one StartMessageMoveTask moves the DLQ's messages back
 * to the queue each came from; ListMessageMoveTasks shows the task's progress until it is over.
 *
 *   npm run redrive                  every message in the DLQ, at the rate SQS chooses
 *   npm run redrive -- --rate 10     at most 10 messages a second (1–500)
 *
 * Redrive only after fixing what made them fail: a message whose cause is still there fails
 * maxReceiveCount more times and lands in the DLQ again.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
} from '@aws-sdk/client-sqs';
import { sqsClient } from '../../lib/clients.ts';
import { resolveTarget } from '../../lib/config.ts';
import { findPipeline } from '../../lib/end-to-end.ts';
import { WorkbookError } from '../../lib/errors.ts';
import { LiveLine } from '../../lib/live-line.ts';
import { names } from '../../lib/names.ts';
import { bold, cmd, detail, fail, heading, next, ok, say, warn } from '../../lib/output.ts';
import { runWhenExecuted } from '../../lib/steps.ts';

export interface RedriveOptions {
  /** MaxNumberOfMessagesPerSecond (1–500); undefined lets SQS choose. */
  rate?: number;
}

export interface RedriveResult {
  /** How many messages the DLQ held when the task started (0: nothing to redrive, no task). */
  toMove: number;
  moved: number;
  status: string;
  failureReason?: string;
}

export async function redrive(options: RedriveOptions = optionsFromCommandLine()): Promise<RedriveResult> {
  const target = resolveTarget();
  const sqs = sqsClient();
  heading(`Step 8: redrive the dead-letter queue (${target.label})`);
  const pipeline = await findPipeline();
  const { deadLetter, queue } = pipeline;

  // 1. What is in the DLQ.
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetter.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  const waiting = Number(Attributes.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  if (waiting === 0) {
    ok(`${deadLetter.name} is empty: nothing to redrive${inFlight ? ` (${inFlight} message(s) in flight: someone is reading them)` : ''}`);
    return { toMove: 0, moved: 0, status: 'NONE' };
  }
  say(`${bold(String(waiting))} message(s) in ${deadLetter.name}. They go back to the queue each came from (${queue.name} for the pipeline's).`);
  warn(`redrive only after fixing what made them fail: otherwise each fails ${deadLetter.maxReceiveCount} more times and comes straight back here.`);

  // 2. One call starts the task; SQS moves the messages in the background. No DestinationArn:
  //    each message goes back to its own source queue (the DeadLetterQueueSourceArn SQS kept).
  let taskHandle: string | undefined;
  try {
    ({ TaskHandle: taskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: deadLetter.arn, MaxNumberOfMessagesPerSecond: options.rate }),
    ));
    ok(`StartMessageMoveTask: task started${options.rate ? ` at ${options.rate} messages/s` : ''}`);
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('There is already a task running'))) throw err;
    warn('a redrive of this DLQ is already running (one at a time per queue): following that one');
  }
  if (taskHandle) detail(`TaskHandle ${taskHandle.slice(0, 24)}… (CancelMessageMoveTask stops it with that)`);

  // 3. Its progress: ListMessageMoveTasks answers the most recent task of the DLQ. Nothing tells
  //    us when it is over, so look, less and less often, under a deadline.
  const line = new LiveLine();
  const expectedMs = (waiting / (options.rate ?? 500)) * 1000;
  const deadline = Date.now() + expectedMs + (target.realAws ? 300_000 : 30_000);
  let waitMs = target.realAws ? 1_000 : 50;
  const maxWaitMs = target.realAws ? 10_000 : 1_000;
  let task: ListMessageMoveTasksResultEntry | undefined;
  for (;;) {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: deadLetter.arn, MaxResults: 1 }));
    task = Results[0];
    if (task) line.update(`${task.Status}: moved ${task.ApproximateNumberOfMessagesMoved ?? 0}/${task.ApproximateNumberOfMessagesToMove ?? '?'}`);
    if (task && task.Status !== 'RUNNING' && task.Status !== 'CANCELLING') break;
    if (Date.now() >= deadline) {
      line.done(`still ${task?.Status ?? 'not listed'} after ${Math.round((Date.now() - deadline + expectedMs) / 1000)} s`);
      throw new WorkbookError(
        `The redrive of ${deadLetter.name} has not finished yet.`,
        `It goes on without this script: ${cmd('npm run redrive')} again follows it (it starts no second task while one runs).`,
      );
    }
    await delay(waitMs);
    waitMs = Math.min(maxWaitMs, waitMs * 2);
  }
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const toMove = task.ApproximateNumberOfMessagesToMove ?? 0;
  line.done(`${task.Status}: moved ${moved}/${toMove}`);

  // 4. What came back, and what happens to it now.
  const result: RedriveResult = { toMove, moved, status: task.Status!, failureReason: task.FailureReason };
  if (task.Status === 'COMPLETED') {
    ok(`${moved} message(s) moved from ${deadLetter.name} back to their source queue`);
    detail(
      `each is a new message there (new MessageId, receive count 0, its retention period starts again) with the same body and attributes; ` +
        `${names().monitorFunction} takes them like any other order`,
    );
    if (moved < toMove) detail(`${toMove - moved} stayed: they were in flight (being read) while the task ran; run it again for them`);
    say();
    next(
      `watch ${deadLetter.name}: if its count grows back (${cmd(`npm run aws -- sqs get-queue-attributes --queue-url ${deadLetter.url} --attribute-names ApproximateNumberOfMessages`)}), ` +
        `the cause is not fixed. ${cmd('npm run check:step-8')} verifies the pipeline.`,
    );
  } else if (task.Status === 'CANCELLED') {
    warn(`the task was cancelled after ${moved} of ${toMove} message(s); the rest is still in ${deadLetter.name}`);
  } else {
    fail(`the task ${task.Status} after ${moved} of ${toMove} message(s): ${task.FailureReason ?? 'no reason given'}`);
    throw new WorkbookError(`The redrive of ${deadLetter.name} failed: ${task.FailureReason}.`, failureHint(task.FailureReason));
  }
  return result;
}

function failureHint(reason: string | undefined): string {
  switch (reason) {
    case 'CouldNotDetermineMessageSource':
      return 'a message was sent to the DLQ directly (SendMessage), so SQS does not know where it came from: move it with a DestinationArn (any queue of the same type), or delete it.';
    case 'AWS.SimpleQueueService.NonExistentQueue':
      return `the queue a message came from no longer exists: recreate it (${cmd('npm run step:1')}) and run the redrive again.`;
    default:
      return 'the messages not moved are still in the DLQ; fix the reason above and run the redrive again.';
  }
}

/** --rate N (1–500). */
export function optionsFromCommandLine(argv = process.argv.slice(2)): RedriveOptions {
  const at = argv.findIndex((a) => a === '--rate' || a.startsWith('--rate='));
  if (at < 0) return {};
  const text = argv[at].includes('=') ? argv[at].slice('--rate='.length) : argv[at + 1];
  const rate = Number(text);
  if (!Number.isInteger(rate) || rate < 1 || rate > 500) {
    throw new WorkbookError(`--rate is "${text}": give the messages per second, a whole number from 1 to 500.`, 'e.g. npm run redrive -- --rate 10');
  }
  return { rate };
}

runWhenExecuted(import.meta.url, redrive);
