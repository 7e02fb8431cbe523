/**
 * The poison probe of check:step-5 and check:step-8: one malformed message, sent straight to the
 * learner's orders queue, followed by the real event source mapping and the real monitor through
 * maxReceiveCount failed receives into the dead-letter queue.
 *
 * With the lesson's settings that takes maxReceiveCount receives, one per visibility timeout
 * (5 × 60 s, about five minutes). On the local cloud a fault switch shortens the wait without
 * touching the learner's queue: messages carrying the probe's message attribute get a zero
 * visibility timeout whenever they are received (POST /_localcloud/faults, fastRetry, with the token
 * from the local cloud's data folder). Real AWS and other endpoints (LocalStack) have no such
 * switch: there the checks prove the way piecewise.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { resolveTarget } from '../lib/config.ts';
import { callLocalCloudControl } from '../lib/localCloudControl.ts';
import { problem } from './kit.ts';

/** The message attribute that marks a check's poison probe; its value is the probe's own id. */
export const PROBE_ATTRIBUTE = 'workbook-check-poison-probe';
/** How long the probe gets to reach the DLQ once sent (it takes well under a second on the local cloud). */
export const DEAD_LETTER_DEADLINE_MS = 10_000;
/** A pause before looking again when only other dead letters came back (they are visible again at once). */
const RELOOK_MS = 100;

type FastRetry = { messageAttribute: string; visibilityTimeout: number } | null;

/** True when the whole way can be shown now: the target is the embedded local cloud, with its fault switch. */
export function canFollowPoisonToDeadLetterQueue(): boolean {
  return resolveTarget().kind === 'local';
}

/** Why the other targets prove the way piecewise: the wait, in words. */
export function whyPiecewise(maxReceiveCount: number, visibilityTimeoutSeconds: number): string {
  const minutes = Math.round((maxReceiveCount * visibilityTimeoutSeconds) / 60);
  return (
    `on ${resolveTarget().label} a poison message needs ${maxReceiveCount} receives, ${visibilityTimeoutSeconds} s apart (about ${minutes} minutes), ` +
    'to reach the DLQ, and a check must not change your queue to go faster'
  );
}

export interface PoisonProbeTarget {
  sqs: SQSClient;
  queue: { name: string; url: string; arn: string; visibilityTimeoutSeconds: number };
  deadLetter: { name: string; url: string; maxReceiveCount: number };
  /** "npm run check:step-5": written into the probe, so anyone who finds it knows whose it is. */
  sender: string;
}

/** The ✔ line's label: what the probe proves, and that the local cloud shortened the wait. */
export function poisonProbeLabel(p: Pick<PoisonProbeTarget, 'queue' | 'deadLetter'>): string {
  return (
    `a poison message sent to ${p.queue.name} reaches ${p.deadLetter.name} after ${p.deadLetter.maxReceiveCount} failed receives ` +
    `(the local cloud shortened the wait: no ${p.queue.visibilityTimeoutSeconds} s visibility timeout between receives)`
  );
}

/**
 * Sends the probe and waits for it in the DLQ; verifies it there, deletes it, and returns a line
 * for under the ✔. Fails (problem) when it does not arrive, or arrives with the wrong count.
 * The fastRetry setting in force before is restored whatever happens.
 */
export async function followPoisonToDeadLetterQueue(p: PoisonProbeTarget): Promise<string> {
  const before = await fastRetry();
  await fastRetry({ messageAttribute: PROBE_ATTRIBUTE, visibilityTimeout: 0 });
  try {
    const probeId = randomUUID();
    const sentAt = Date.now();
    const { MessageId } = await p.sqs.send(
      new SendMessageCommand({
        QueueUrl: p.queue.url,
        MessageBody: JSON.stringify({ probe: probeId, note: `a poison message from ${p.sender}: not an order (no orderId); safe to delete` }),
        MessageAttributes: { [PROBE_ATTRIBUTE]: { DataType: 'String', StringValue: probeId } },
      }),
    );
    const found = await waitInDeadLetterQueue(p, probeId, sentAt + DEAD_LETTER_DEADLINE_MS);
    if (!found) {
      problem(
        `the poison message ${MessageId} (a message that is not an order) was not in ${p.deadLetter.name} within ${DEAD_LETTER_DEADLINE_MS / 1000} s, ` +
          `although every failed receive made it visible again at once: the monitor or the mapping let it go — deleted as if processed — or nothing received it. ` +
          `If it is still on ${p.queue.name}, it reaches ${p.deadLetter.name} later (it carries the message attribute ${PROBE_ATTRIBUTE}; safe to delete).`,
        'the ✘ above says which link broke; otherwise compare steps/05-monitor-lambda/handler.ts and deploy.ts with solutions/, then `npm run step:5`.',
      );
    }
    const { message, arrivedAt } = found;
    await p.sqs.send(new DeleteMessageCommand({ QueueUrl: p.deadLetter.url, ReceiptHandle: message.ReceiptHandle }));
    // The count travels with the message (on AWS as here); this receive from the DLQ adds one.
    const count = Number(message.Attributes?.ApproximateReceiveCount);
    const expected = p.deadLetter.maxReceiveCount + 1;
    if (count !== expected) {
      problem(
        `the poison message reached ${p.deadLetter.name} with ApproximateReceiveCount ${count}: ${p.queue.name} should hand it out ` +
          `${p.deadLetter.maxReceiveCount} times (maxReceiveCount) and move it on the next receive, so the DLQ's first receive shows ${expected}.`,
        'check the RedrivePolicy of the orders queue: `npm run check:step-1`.',
      );
    }
    const source = message.Attributes?.DeadLetterQueueSourceArn;
    if (source !== p.queue.arn) {
      problem(`the poison message reached ${p.deadLetter.name}, but from ${source ?? 'an unnamed queue'}, not ${p.queue.arn}.`, 'check the RedrivePolicy of the orders queue: `npm run check:step-1`.');
    }
    return (
      `in ${p.deadLetter.name} ${arrivedAt - sentAt} ms after it was sent (on AWS: about ${Math.round((p.deadLetter.maxReceiveCount * p.queue.visibilityTimeoutSeconds) / 60)} minutes), ` +
      `ApproximateReceiveCount ${count} (${p.deadLetter.maxReceiveCount} receives from ${p.queue.name}, then this one); the check deleted it`
    );
  } finally {
    await fastRetry(before);
  }
}

/**
 * Long-polls the DLQ until the probe is there, or the deadline. Other dead letters are not the
 * check's: they are made visible again at once, and never deleted.
 */
async function waitInDeadLetterQueue(p: PoisonProbeTarget, probeId: string, deadline: number): Promise<{ message: Message; arrivedAt: number } | undefined> {
  while (Date.now() < deadline) {
    const { Messages = [] } = await p.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: p.deadLetter.url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: Math.max(1, Math.min(20, Math.ceil((deadline - Date.now()) / 1000))),
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const arrivedAt = Date.now();
    const mine = Messages.find((m) => m.MessageAttributes?.[PROBE_ATTRIBUTE]?.StringValue === probeId);
    const others = Messages.filter((m) => m !== mine);
    if (others.length > 0) {
      await p.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: p.deadLetter.url,
          Entries: others.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
    if (mine) return { message: mine, arrivedAt };
    // Only others came back, and they are visible again: a long poll would return them at once.
    if (others.length > 0) await delay(RELOOK_MS);
  }
  return undefined;
}

/** Reads the local cloud's fastRetry switch, or sets it (undefined: read only). */
async function fastRetry(setting?: FastRetry): Promise<FastRetry> {
  const response =
    setting === undefined
      ? await callLocalCloudControl('faults')
      : await callLocalCloudControl('faults', { method: 'POST', body: JSON.stringify({ fastRetry: setting }) });
  if (!response.ok) throw new Error(`the local cloud's fault switch (${response.url}) answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { fastRetry?: FastRetry }).fastRetry ?? null;
}
