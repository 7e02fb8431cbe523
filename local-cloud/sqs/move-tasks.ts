import { randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import type { CallContext } from '../core/context.ts';
import { AwsError, commonErrors } from '../protocol/errors.ts';
import { sqsErrors } from './errors.ts';
import type { Queue, SqsMessage } from './queue.ts';

/**
 * Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask): the
 * dead-letter queue redrive. A task takes the dead-letter queue's messages oldest first and sends
 * each to the destination, or, without one, back to the queue it was dead-lettered from. A moved
 * message is a new message there (new id, new sent time, receive count 0) with the same body and
 * attributes, as on AWS. The move runs in the background on a timer paced by the rate.
 *
 * A task lives in memory only: a restart of the cloud ends it. Nothing is lost by that: each move
 * is a send to the destination followed by a delete from the dead-letter queue, both journaled,
 * so the messages not yet moved are still in the dead-letter queue; start a new task for them.
 */

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

/** What a task needs from the rest of SQS. */
export interface MoveTaskHost {
  readonly cloud: Cloud;
  /** The queue an ARN names, if it exists. */
  queueByArn(arn: string): Queue | undefined;
  /** Every queue of the account (to find out whether a queue is some queue's dead-letter queue). */
  allQueues(): Iterable<Queue>;
}

export interface MoveTaskResult {
  TaskHandle?: string;
  Status: MoveTaskStatus;
  SourceArn: string;
  DestinationArn?: string;
  MaxNumberOfMessagesPerSecond?: number;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  FailureReason?: string;
  /** Epoch milliseconds. */
  StartedTimestamp: number;
}

const MAX_RATE = 500;
/** Without MaxNumberOfMessagesPerSecond AWS picks a rate for the backlog; here, the highest. */
const DEFAULT_RATE = MAX_RATE;
/** ListMessageMoveTasks answers at most 10; older tasks of a source are forgotten. */
const TASKS_KEPT_PER_SOURCE = 10;
const MAX_HANDLE_LENGTH = 4096;
/** How long a message taken for a move stays hidden, should the move stop half-way. */
const TAKE_VISIBILITY_SECONDS = 30;

export const moveTaskErrors = {
  resourceNotFound: (parameter: 'SourceArn' | 'DestinationArn') =>
    new AwsError('ResourceNotFoundException', `The resource that you specified for the ${parameter} parameter doesn't exist.`, {
      status: 404,
    }),
  taskNotFound: () => new AwsError('ResourceNotFoundException', 'Task does not exist.', { status: 404 }),
  notDeadLetterQueue: () => sqsErrors.invalidParameter('Source queue must be configured as a Dead Letter Queue.'),
  alreadyRunning: () =>
    sqsErrors.invalidParameter(
      'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
    ),
  sameQueue: () => sqsErrors.invalidParameter('Source queue arn and destination queue arn cannot be the same.'),
  badArn: (parameter: 'SourceArn' | 'DestinationArn') =>
    sqsErrors.invalidParameter(
      `You must use this format to specify the ${parameter}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`,
    ),
  badRate: () =>
    sqsErrors.invalidParameter(
      `Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: You must enter a number that's between 1 and ${MAX_RATE}.`,
    ),
  badMaxResults: () =>
    sqsErrors.invalidParameter("Value for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10."),
  badHandle: () => sqsErrors.invalidParameter('Value for parameter TaskHandle is invalid.'),
  notRunning: () => sqsErrors.invalidParameter('Only active tasks can be cancelled.'),
};

interface MoveTask {
  id: string;
  handle: string;
  sourceArn: string;
  destinationArn: string | undefined;
  rate: number | undefined;
  status: MoveTaskStatus;
  moved: number;
  toMove: number;
  failureReason: string | undefined;
  startedAt: number;
  /** The caller who started it: each destination is authorized for them (sqs:SendMessage). */
  ctx: CallContext;
  authorizedDestinations: Set<string>;
  timer: NodeJS.Timeout | undefined;
}

export class MessageMoveTasks {
  /** Per source ARN, newest first. */
  private readonly bySource = new Map<string, MoveTask[]>();

  constructor(private readonly host: MoveTaskHost) {}

  start(ctx: CallContext, sourceArn: unknown, destinationArn: unknown, maxPerSecond: unknown): { TaskHandle: string } {
    const source = this.existingQueue(arnParameter('SourceArn', sourceArn, true)!, 'SourceArn');
    if (!this.isDeadLetterQueue(source.arn)) throw moveTaskErrors.notDeadLetterQueue();
    const destinationParameter = arnParameter('DestinationArn', destinationArn, false);
    if (destinationParameter === source.arn) throw moveTaskErrors.sameQueue();
    const destination = destinationParameter === undefined ? undefined : this.existingQueue(destinationParameter, 'DestinationArn');
    const rate = rateParameter(maxPerSecond);

    for (const action of ['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
      ctx.cloud.authorize(ctx, action, source.arn);
    }
    if (destination) ctx.cloud.authorize(ctx, 'sqs:SendMessage', destination.arn);
    const tasks = this.bySource.get(source.arn) ?? [];
    if (tasks.some((t) => t.status === 'RUNNING' || t.status === 'CANCELLING')) throw moveTaskErrors.alreadyRunning();

    const id = randomUUID();
    const task: MoveTask = {
      id,
      handle: Buffer.from(JSON.stringify({ taskId: id, sourceArn: source.arn }), 'utf8').toString('base64'),
      sourceArn: source.arn,
      destinationArn: destination?.arn,
      rate,
      status: 'RUNNING',
      moved: 0,
      toMove: source.messages.size,
      failureReason: undefined,
      startedAt: Date.now(),
      ctx,
      authorizedDestinations: new Set(destination ? [destination.arn] : []),
      timer: undefined,
    };
    tasks.unshift(task);
    if (tasks.length > TASKS_KEPT_PER_SOURCE) tasks.length = TASKS_KEPT_PER_SOURCE;
    this.bySource.set(source.arn, tasks);
    this.log(task, `started: ${task.toMove} message(s) from ${nameOf(source.arn)} to ${destination ? destination.name : 'their source queues'}` +
      (rate ? `, ${rate}/s` : ''));
    this.schedule(task, 0);
    return { TaskHandle: task.handle };
  }

  list(ctx: CallContext, sourceArn: unknown, maxResults: unknown): MoveTaskResult[] {
    const source = this.existingQueue(arnParameter('SourceArn', sourceArn, true)!, 'SourceArn');
    ctx.cloud.authorize(ctx, 'sqs:ListMessageMoveTasks', source.arn);
    ctx.cloud.authorize(ctx, 'sqs:GetQueueAttributes', source.arn);
    const limit = maxResults === undefined || maxResults === null ? 1 : integerIn(maxResults, 1, 10, moveTaskErrors.badMaxResults);
    return (this.bySource.get(source.arn) ?? []).slice(0, limit).map(render);
  }

  cancel(ctx: CallContext, taskHandle: unknown): { ApproximateNumberOfMessagesMoved: number } {
    if (taskHandle === undefined || taskHandle === null || taskHandle === '') throw sqsErrors.missingParameter('TaskHandle');
    if (typeof taskHandle !== 'string') throw commonErrors.serialization('Expected a string for TaskHandle.');
    const decoded = decodeHandle(taskHandle);
    if (!decoded) throw moveTaskErrors.badHandle();
    const source = this.existingQueue(decoded.sourceArn, 'SourceArn');
    for (const action of ['sqs:CancelMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
      ctx.cloud.authorize(ctx, action, source.arn);
    }
    const task = this.bySource.get(source.arn)?.find((t) => t.id === decoded.taskId);
    if (!task) throw moveTaskErrors.taskNotFound();
    if (task.status !== 'RUNNING') throw moveTaskErrors.notRunning();
    task.status = 'CANCELLING';
    this.schedule(task, 0); // the next step sees CANCELLING and ends the task
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  /** Stops every task's timer (shutdown): the messages not moved stay in their dead-letter queue. */
  close(): void {
    for (const tasks of this.bySource.values()) for (const task of tasks) clearTimeout(task.timer);
  }

  // ---- the move itself ----

  private schedule(task: MoveTask, delayMs: number): void {
    clearTimeout(task.timer);
    task.timer = setTimeout(() => void this.step(task), delayMs);
    task.timer.unref();
  }

  /** Moves what the rate allows by now, then sleeps until the next message is due. */
  private async step(task: MoveTask): Promise<void> {
    task.timer = undefined;
    if (task.status === 'CANCELLING') return this.finish(task, 'CANCELLED');
    if (task.status !== 'RUNNING') return;
    const source = this.host.queueByArn(task.sourceArn);
    if (!source) return this.finish(task, 'FAILED', 'AWS.SimpleQueueService.NonExistentQueue');
    const rate = task.rate ?? DEFAULT_RATE;
    // Token bucket from the start: the first message goes at once, then one every 1/rate s.
    const allowed = Math.floor(((Date.now() - task.startedAt) * rate) / 1000) + 1 - task.moved;
    for (let i = 0; i < allowed; i++) {
      if (task.moved >= task.toMove) return this.finish(task, 'COMPLETED');
      const [message] = await source.receive<SqsMessage>({
        maxNumberOfMessages: 1,
        visibilityTimeout: TAKE_VISIBILITY_SECONDS,
        waitMs: 0,
        render: (msg) => msg,
      });
      // Nothing visible is left (the rest, if any, is in flight with a consumer): done.
      if (!message) return this.finish(task, 'COMPLETED');
      const failure = this.moveOne(task, source, message);
      if (failure) {
        source.changeVisibility(message, 0); // it stays where it was
        return this.finish(task, 'FAILED', failure);
      }
      if ((task.status as MoveTaskStatus) !== 'RUNNING') break;
    }
    if (task.status !== 'RUNNING') return; // cancelled meanwhile: the cancel scheduled the last step
    if (task.moved >= task.toMove) return this.finish(task, 'COMPLETED');
    const nextDueAt = task.startedAt + (task.moved * 1000) / rate;
    this.schedule(task, Math.max(1, nextDueAt - Date.now()));
  }

  /** Sends one message on and deletes it from the dead-letter queue; the failure reason, if it cannot. */
  private moveOne(task: MoveTask, source: Queue, message: SqsMessage): string | undefined {
    const targetArn = task.destinationArn ?? message.deadLetterSourceArn;
    if (targetArn === undefined) return 'CouldNotDetermineMessageSource';
    const target = this.host.queueByArn(targetArn);
    if (!target) return 'AWS.SimpleQueueService.NonExistentQueue';
    if (!task.authorizedDestinations.has(target.arn)) {
      try {
        task.ctx.cloud.authorize(task.ctx, 'sqs:SendMessage', target.arn);
      } catch (err) {
        if (err instanceof AwsError) return err.code;
        throw err;
      }
      task.authorizedDestinations.add(target.arn);
    }
    // A new message there (as on AWS: new id and enqueue time, so retention starts again), then
    // the delete here: a stop in between leaves a duplicate, never a loss.
    target.enqueue(
      {
        id: randomUUID(),
        body: message.body,
        md5OfBody: message.md5OfBody,
        attributes: message.attributes,
        md5OfAttributes: message.md5OfAttributes,
        systemAttributes: message.systemAttributes,
        sentAt: Date.now(),
        senderId: message.senderId,
        receiveCount: 0,
        firstReceiveAt: undefined,
        deadLetterSourceArn: undefined,
      },
      0,
    );
    target.wake();
    source.delete(message);
    task.moved++;
    return undefined;
  }

  private finish(task: MoveTask, status: MoveTaskStatus, failureReason?: string): void {
    clearTimeout(task.timer);
    task.timer = undefined;
    task.status = status;
    task.failureReason = failureReason;
    this.log(task, `${status.toLowerCase()}: ${task.moved} of ${task.toMove} moved${failureReason ? ` (${failureReason})` : ''}`);
  }

  // ---- lookups ----

  private existingQueue(arn: string, parameter: 'SourceArn' | 'DestinationArn'): Queue {
    const queue = this.host.queueByArn(arn);
    if (!queue) throw moveTaskErrors.resourceNotFound(parameter);
    return queue;
  }

  private isDeadLetterQueue(arn: string): boolean {
    for (const queue of this.host.allQueues()) {
      if (queue.arn !== arn && queue.settings.redrivePolicy?.deadLetterTargetArn === arn) return true;
    }
    return false;
  }

  private log(task: MoveTask, detail: string): void {
    this.host.cloud.log({ service: 'sqs', action: 'MessageMoveTask', detail: `${nameOf(task.sourceArn)} task ${task.id.slice(0, 8)} ${detail}` });
  }
}

function render(task: MoveTask): MoveTaskResult {
  return {
    // AWS shows the handle only while the task can still be cancelled.
    ...(task.status === 'RUNNING' ? { TaskHandle: task.handle } : {}),
    Status: task.status,
    SourceArn: task.sourceArn,
    ...(task.destinationArn ? { DestinationArn: task.destinationArn } : {}),
    ...(task.rate !== undefined ? { MaxNumberOfMessagesPerSecond: task.rate } : {}),
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.toMove,
    ...(task.failureReason ? { FailureReason: task.failureReason } : {}),
    StartedTimestamp: task.startedAt,
  };
}

const nameOf = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

/** An ARN parameter: a string of six colon-separated parts; undefined when optional and absent. */
function arnParameter(name: 'SourceArn' | 'DestinationArn', value: unknown, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw sqsErrors.missingParameter(name);
    return undefined;
  }
  if (typeof value !== 'string') throw wrongType(value, 'String');
  // Six parts; the resource part may hold colons of its own (other services' ARNs).
  const parts = value.split(':', 6);
  if (parts.length < 6 || parts[0] !== 'arn' || parts.slice(1).some((p, i) => p === '' && i !== 2 && i !== 3)) {
    throw moveTaskErrors.badArn(name);
  }
  return value;
}

function rateParameter(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  return integerIn(value, 1, MAX_RATE, moveTaskErrors.badRate);
}

/** An integer in [min, max]; a number out of range is AWS's InvalidParameterValue, another type a serialization error. */
function integerIn(value: unknown, min: number, max: number, outOfRange: () => AwsError): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^-?\d{1,12}$/.test(value.trim())) n = Number(value);
  else throw wrongType(value, 'Integer');
  if (!Number.isInteger(n) || n < min || n > max) throw outOfRange();
  return n;
}

/** What AWS's JSON deserializer answers for a value of the wrong type. */
function wrongType(value: unknown, expected: 'String' | 'Integer'): AwsError {
  if (Array.isArray(value)) return commonErrors.serialization('Start of list found where not expected');
  if (typeof value === 'object' && value !== null) return commonErrors.serialization('Start of structure or map found where not expected.');
  const kind = typeof value === 'boolean' ? String(value).toUpperCase() : typeof value === 'number' ? 'NUMBER' : 'STRING';
  return commonErrors.serialization(`${kind}_VALUE can not be converted to ${expected === 'Integer' ? 'an Integer' : 'a String'}`);
}

/** A TaskHandle: base64 of {"taskId":…,"sourceArn":…}, as AWS makes them. */
function decodeHandle(handle: string): { taskId: string; sourceArn: string } | undefined {
  if (handle.length > MAX_HANDLE_LENGTH || !/^[A-Za-z0-9+/=]+$/.test(handle)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const taskId = Object.hasOwn(parsed, 'taskId') ? (parsed as Record<string, unknown>).taskId : undefined;
  const sourceArn = Object.hasOwn(parsed, 'sourceArn') ? (parsed as Record<string, unknown>).sourceArn : undefined;
  if (typeof taskId !== 'string' || typeof sourceArn !== 'string' || taskId === '' || sourceArn === '') return undefined;
  return { taskId, sourceArn };
}
