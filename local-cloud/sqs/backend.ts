import { dict } from '../core/dict.ts';
import { randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud.ts';
import type { CallContext } from '../core/context.ts';
import {
  READABLE_ATTRIBUTES,
  applyAttributes,
  effectiveAttributes,
  isFifoOnly,
  validateQueueAttributes,
  type RedriveCheck,
} from './attributes.ts';
import { runBatch, validateBatch, type BatchResult } from './batch.ts';
import { sqsErrors } from './errors.ts';
import { md5Hex, md5OfAttributes } from './md5.ts';
import {
  attributesSize,
  validateMessageAttributes,
  validateSystemAttributes,
  type MessageAttributeInput,
} from './message-attributes.ts';
import { validateBody } from './message-body.ts';
import { integerParameter, optionalInteger, validateTags } from './parameters.ts';
import { Queue, type QueueHost, type SqsMessage } from './queue.ts';
import { decodeReceiptHandle } from './receipt-handle.ts';
import { renderReceived, type ReceivedMessage } from './received.ts';
import { SqsRealism } from './realism.ts';
import { SqsStorage } from './storage.ts';
import { MessageMoveTasks } from './move-tasks.ts';

export type { BatchResult } from './batch.ts';
export type { ReceivedMessage } from './received.ts';

export interface SendMessageInput {
  MessageBody?: unknown;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, MessageAttributeInput>;
  MessageSystemAttributes?: Record<string, MessageAttributeInput>;
  MessageDeduplicationId?: string;
  MessageGroupId?: string;
}

export interface SendMessageOutput {
  MessageId: string;
  MD5OfMessageBody: string;
  MD5OfMessageAttributes?: string;
  MD5OfMessageSystemAttributes?: string;
}

export interface ReceiveMessageInput {
  MaxNumberOfMessages?: number;
  VisibilityTimeout?: number;
  WaitTimeSeconds?: number;
  /** AttributeNames and MessageSystemAttributeNames together. */
  SystemAttributeNames?: string[];
  MessageAttributeNames?: string[];
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_BATCH_BYTES = 1_048_576;
const PURGE_INTERVAL_MS = 60_000;

/**
 * SQS state and behaviour: queues, messages, visibility, redrive. Both wire adapters (json.ts
 * for SDK v3, query.ts for the aws CLI) call these methods and only translate shapes.
 */
export class SqsBackend implements QueueHost {
  private readonly queues = new Map<string, Queue>();
  private readonly storage: SqsStorage;
  private readonly realism: SqsRealism;
  /** Dead-letter queue redrives (StartMessageMoveTask and friends). */
  readonly moveTasks = new MessageMoveTasks(this);

  constructor(readonly cloud: Cloud) {
    this.storage = new SqsStorage(cloud.store);
    this.realism = new SqsRealism(cloud.realism);
    for (const { record, messages } of this.storage.load()) {
      const queue = this.track(
        new Queue(
          { ...record, arn: this.queueArn(record.name) },
          this,
          this.storage.journal(record.name),
        ),
      );
      for (const saved of messages) queue.restore(saved.message, saved.seq, saved.visibility);
    }
  }

  // ---- lookups other services use too ----

  queueUrl(name: string): string {
    return `${this.cloud.baseUrl}/${this.cloud.accountId}/${name}`;
  }

  /** A redrive policy of queue `name` must be allowed by its dead-letter queue's RedriveAllowPolicy. */
  private redriveCheck(name: string): RedriveCheck {
    return {
      sourceArn: this.queueArn(name),
      redriveAllowPolicyOf: (arn) => this.queueByArn(arn)?.attributes.RedriveAllowPolicy,
    };
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.cloud.region}:${this.cloud.accountId}:${name}`;
  }

  /** The queue an ARN names, if it exists in this account and region. */
  queueByArn(arn: string): Queue | undefined {
    const parts = arn.split(':');
    if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs') return undefined;
    if (parts[3] !== this.cloud.region || parts[4] !== this.cloud.accountId) return undefined;
    const queue = this.queues.get(parts[5]);
    if (queue) this.settle(queue);
    return queue;
  }

  /** The queue a QueueUrl names. Any host is accepted: queues are found by the path. */
  queueFromUrl(url: unknown): Queue {
    if (typeof url !== 'string' || url === '') throw sqsErrors.missingParameter('QueueUrl');
    let path: string[];
    try {
      path = new URL(url).pathname.split('/').filter(Boolean);
    } catch {
      throw sqsErrors.invalidAddress(url);
    }
    const name = path.at(-1);
    const account = path.length >= 2 ? path.at(-2) : this.cloud.accountId;
    const queue = name !== undefined && account === this.cloud.accountId ? this.queues.get(name) : undefined;
    if (!queue) throw sqsErrors.queueDoesNotExist();
    this.settle(queue);
    return queue;
  }

  /** Every queue of the account. */
  allQueues(): Iterable<Queue> {
    return this.queues.values();
  }

  // ---- QueueHost ----

  deadLetterTarget(queue: Queue): Queue | undefined {
    const policy = queue.settings.redrivePolicy;
    const target = policy ? this.queueByArn(policy.deadLetterTargetArn) : undefined;
    return target === queue ? undefined : target;
  }

  visibilityOverride(message: SqsMessage): number | undefined {
    const fast = this.cloud.faults.fastRetry();
    return fast && Object.hasOwn(message.attributes, fast.messageAttribute) ? fast.visibilityTimeout : undefined;
  }

  movedToDeadLetter(message: SqsMessage, from: Queue, to: Queue): void {
    this.cloud.log({
      service: 'sqs',
      action: 'Redrive',
      detail: `message ${message.id} moved from ${from.name} to ${to.name} after ${message.receiveCount} receives`,
    });
  }

  // ---- queues ----

  createQueue(
    ctx: CallContext,
    name: unknown,
    attributes: Record<string, unknown> | undefined,
    tags: Record<string, unknown> | undefined,
  ): string {
    if (typeof name !== 'string' || name === '') throw sqsErrors.missingParameter('QueueName');
    if (name.endsWith('.fifo') && QUEUE_NAME.test(name.slice(0, -5))) throw sqsErrors.fifoNotSupported();
    if (!QUEUE_NAME.test(name)) throw sqsErrors.invalidQueueName();
    ctx.cloud.authorize(ctx, 'sqs:CreateQueue', this.queueArn(name));
    const requested = validateQueueAttributes(attributes, (arn) => this.queueByArn(arn) !== undefined, this.redriveCheck(name));

    const existing = this.queues.get(name);
    if (existing) {
      // Same name and same values for the attributes given: the existing queue is the answer.
      // Compared with its latest attributes, propagated or not: the control plane knows them.
      const current = effectiveAttributes(this.realism.latestAttributes(existing));
      for (const [attribute, value] of Object.entries(requested)) {
        if ((current[attribute] ?? '') !== value) throw sqsErrors.queueNameExists(attribute);
      }
      return this.queueUrl(name);
    }

    this.realism.checkNameReusable(name);
    const validTags = validateTags(name, {}, tags);
    const now = Date.now();
    this.storage.removeQueue(name); // leftovers of an earlier queue with this name, if any
    const queue = this.track(
      new Queue(
        {
          name,
          arn: this.queueArn(name),
          attributes: applyAttributes({}, requested),
          tags: validTags,
          createdAt: now,
          lastModifiedAt: now,
        },
        this,
        this.storage.journal(name),
      ),
    );
    this.realism.created(queue);
    this.storage.saveQueue(queue);
    return this.queueUrl(name);
  }

  getQueueUrl(ctx: CallContext, name: unknown, ownerAccountId?: unknown): string {
    if (typeof name !== 'string' || name === '') throw sqsErrors.missingParameter('QueueName');
    ctx.cloud.authorize(ctx, 'sqs:GetQueueUrl', this.queueArn(name));
    const account = ownerAccountId === undefined || ownerAccountId === '' ? this.cloud.accountId : ownerAccountId;
    if (account !== this.cloud.accountId || !this.queues.has(name)) throw sqsErrors.queueDoesNotExist();
    return this.queueUrl(name);
  }

  listQueues(
    ctx: CallContext,
    prefix: unknown,
    maxResults: unknown,
    nextToken: unknown,
  ): { QueueUrls: string[]; NextToken?: string } {
    ctx.cloud.authorize(ctx, 'sqs:ListQueues', this.queueArn('*'));
    if (maxResults !== undefined) {
      integerParameter('MaxResults', maxResults, 1, 1000, 'MaxResults must be an integer between 1 and 1000.');
    }
    let names = [...this.queues.keys()].sort();
    if (typeof prefix === 'string' && prefix !== '') names = names.filter((n) => n.startsWith(prefix));
    if (typeof nextToken === 'string' && nextToken !== '') {
      const after = Buffer.from(nextToken, 'base64').toString('utf8');
      if (!QUEUE_NAME.test(after)) throw sqsErrors.invalidParameter('Invalid NextToken value.');
      names = names.filter((n) => n > after);
    }
    const limit = maxResults === undefined ? 1000 : Number(maxResults);
    const page = names.slice(0, limit);
    const more = maxResults !== undefined && names.length > limit;
    return {
      QueueUrls: page.map((n) => this.queueUrl(n)),
      ...(more ? { NextToken: Buffer.from(page.at(-1)!, 'utf8').toString('base64') } : {}),
    };
  }

  getQueueAttributes(ctx: CallContext, url: unknown, names: readonly string[] | undefined): Record<string, string> {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:GetQueueAttributes', queue.arn);
    for (const name of names ?? []) {
      if (name !== 'All' && !READABLE_ATTRIBUTES.has(name)) throw sqsErrors.unknownAttribute(name);
    }
    const wanted = new Set(names ?? []);
    const all = wanted.has('All');
    const counts = this.realism.approximateCounts(queue);
    const values: Record<string, string> = {
      ...effectiveAttributes(queue.attributes),
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
      QueueArn: queue.arn,
    };
    const out = dict<string>();
    for (const name of Object.keys(values).sort()) {
      if ((all || wanted.has(name)) && !isFifoOnly(name)) out[name] = values[name];
    }
    return out;
  }

  setQueueAttributes(ctx: CallContext, url: unknown, attributes: Record<string, unknown> | undefined): void {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:SetQueueAttributes', queue.arn);
    const changes = validateQueueAttributes(attributes, (arn) => this.queueByArn(arn) !== undefined, this.redriveCheck(queue.name));
    if (Object.keys(changes).length === 0) return;
    const next = applyAttributes(this.realism.latestAttributes(queue), changes);
    // Under realism the change propagates first: reads and behaviour follow the old values meanwhile.
    if (!this.realism.stageAttributes(queue, next)) queue.setAttributes(next, Date.now());
    this.storage.saveQueue(queue);
  }

  purgeQueue(ctx: CallContext, url: unknown): void {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:PurgeQueue', queue.arn);
    const now = Date.now();
    if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < PURGE_INTERVAL_MS) {
      throw sqsErrors.purgeQueueInProgress(queue.name);
    }
    queue.purge(now);
    this.storage.saveQueue(queue);
  }

  deleteQueue(ctx: CallContext, url: unknown): void {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:DeleteQueue', queue.arn);
    queue.close();
    queue.purge(Date.now());
    this.queues.delete(queue.name);
    this.storage.removeQueue(queue.name);
    this.realism.deleted(queue.name);
  }

  // ---- tags ----

  tagQueue(ctx: CallContext, url: unknown, tags: Record<string, unknown> | undefined): void {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:TagQueue', queue.arn);
    if (!tags || Object.keys(tags).length === 0) throw sqsErrors.missingParameter('Tags');
    queue.tags = validateTags(queue.name, queue.tags, tags);
    this.storage.saveQueue(queue);
  }

  untagQueue(ctx: CallContext, url: unknown, keys: readonly string[] | undefined): void {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:UntagQueue', queue.arn);
    if (!keys || keys.length === 0) throw sqsErrors.missingParameter('TagKeys');
    const next = dict(queue.tags);
    for (const key of keys) delete next[key];
    queue.tags = next;
    this.storage.saveQueue(queue);
  }

  listQueueTags(ctx: CallContext, url: unknown): Record<string, string> {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:ListQueueTags', queue.arn);
    return { ...queue.tags };
  }

  // ---- messages ----

  sendMessage(ctx: CallContext, url: unknown, input: SendMessageInput): SendMessageOutput {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:SendMessage', queue.arn);
    const out = this.send(ctx, queue, input);
    queue.wake();
    return out;
  }

  sendMessageBatch(
    ctx: CallContext,
    url: unknown,
    entries: ReadonlyArray<SendMessageInput & { Id?: unknown }> | undefined,
  ): BatchResult<SendMessageOutput & { Id: string }> {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:SendMessage', queue.arn);
    const list = validateBatch(entries, 'SendMessageBatchRequestEntry');
    let total = 0;
    for (const entry of list) {
      total += typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody) : 0;
      for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
        total += Buffer.byteLength(name) + Buffer.byteLength(value?.DataType ?? '');
        total += value?.BinaryValue ? value.BinaryValue.length : Buffer.byteLength(value?.StringValue ?? '');
      }
    }
    if (total > MAX_BATCH_BYTES) throw sqsErrors.batchRequestTooLong(MAX_BATCH_BYTES, total);
    const result = runBatch(list, (entry) => this.send(ctx, queue, entry));
    queue.wake();
    return result;
  }

  async receiveMessage(
    ctx: CallContext,
    url: unknown,
    input: ReceiveMessageInput,
    signal?: AbortSignal,
  ): Promise<ReceivedMessage[]> {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:ReceiveMessage', queue.arn);
    const max =
      optionalInteger('MaxNumberOfMessages', input.MaxNumberOfMessages, 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
    const visibilityTimeout =
      optionalInteger('VisibilityTimeout', input.VisibilityTimeout, 0, 43_200, 'Must be >= 0 and <= 43200, if provided.') ??
      queue.settings.visibilityTimeout;
    const waitSeconds =
      optionalInteger('WaitTimeSeconds', input.WaitTimeSeconds, 0, 20, 'Must be >= 0 and <= 20, if provided.') ??
      queue.settings.receiveMessageWaitTimeSeconds;
    const systemNames = new Set(input.SystemAttributeNames ?? []);
    const attributeNames = input.MessageAttributeNames ?? [];
    return queue.receive({
      maxNumberOfMessages: max,
      visibilityTimeout,
      waitMs: waitSeconds * 1000,
      signal,
      render: (msg, receiptHandle) => renderReceived(msg, receiptHandle, systemNames, attributeNames),
    });
  }

  deleteMessage(ctx: CallContext, url: unknown, receiptHandle: unknown): void {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:DeleteMessage', queue.arn);
    this.delete(queue, receiptHandle);
  }

  deleteMessageBatch(
    ctx: CallContext,
    url: unknown,
    entries: ReadonlyArray<{ Id?: unknown; ReceiptHandle?: unknown }> | undefined,
  ): BatchResult<{ Id: string }> {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:DeleteMessage', queue.arn);
    const list = validateBatch(entries, 'DeleteMessageBatchRequestEntry');
    return runBatch(list, (entry) => {
      this.delete(queue, entry.ReceiptHandle);
      return {};
    });
  }

  changeMessageVisibility(ctx: CallContext, url: unknown, receiptHandle: unknown, visibilityTimeout: unknown): void {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:ChangeMessageVisibility', queue.arn);
    this.changeVisibility(queue, receiptHandle, visibilityTimeout);
  }

  changeMessageVisibilityBatch(
    ctx: CallContext,
    url: unknown,
    entries: ReadonlyArray<{ Id?: unknown; ReceiptHandle?: unknown; VisibilityTimeout?: unknown }> | undefined,
  ): BatchResult<{ Id: string }> {
    const queue = this.queueFromUrl(url);
    ctx.cloud.authorize(ctx, 'sqs:ChangeMessageVisibility', queue.arn);
    const list = validateBatch(entries, 'ChangeMessageVisibilityBatchRequestEntry');
    return runBatch(list, (entry) => {
      this.changeVisibility(queue, entry.ReceiptHandle, entry.VisibilityTimeout);
      return {};
    });
  }

  /** Stops every queue's timer and answers waiting long polls (empty), so shutdown is immediate. */
  close(): void {
    this.moveTasks.close();
    for (const queue of this.queues.values()) queue.close();
  }

  // ---- internals ----

  /** Puts into force the queue's attribute changes that have propagated by now. */
  private settle(queue: Queue): void {
    if (this.realism.settle(queue)) this.storage.saveQueue(queue);
  }

  private track(queue: Queue): Queue {
    this.queues.set(queue.name, queue);
    this.storage.track(queue);
    return queue;
  }

  private send(ctx: CallContext, queue: Queue, input: SendMessageInput): SendMessageOutput {
    const body = validateBody(input.MessageBody);
    const delay =
      optionalInteger('DelaySeconds', input.DelaySeconds, 0, 900, 'DelaySeconds must be >= 0 and <= 900.') ??
      queue.settings.delaySeconds;
    if (input.MessageDeduplicationId !== undefined) {
      throw sqsErrors.invalidParameter('The request include parameter that is not valid for this queue type');
    }
    const attributes = validateMessageAttributes(input.MessageAttributes);
    const systemAttributes = validateSystemAttributes(input.MessageSystemAttributes);
    const size = Buffer.byteLength(body) + attributesSize(attributes);
    if (size > queue.settings.maximumMessageSize) {
      throw sqsErrors.invalidParameters(`Message must be shorter than ${queue.settings.maximumMessageSize} bytes.`);
    }
    const md5OfMessageAttributes = md5OfAttributes(attributes);
    const msg = queue.enqueue(
      {
        id: randomUUID(),
        body,
        md5OfBody: md5Hex(body),
        attributes,
        md5OfAttributes: md5OfMessageAttributes,
        systemAttributes,
        sentAt: Date.now(),
        senderId: ctx.caller.userId,
        receiveCount: 0,
        firstReceiveAt: undefined,
        deadLetterSourceArn: undefined,
      },
      delay,
    );
    const out: SendMessageOutput = { MessageId: msg.id, MD5OfMessageBody: msg.md5OfBody };
    if (md5OfMessageAttributes) out.MD5OfMessageAttributes = md5OfMessageAttributes;
    const md5OfSystem = md5OfAttributes(systemAttributes);
    if (md5OfSystem) out.MD5OfMessageSystemAttributes = md5OfSystem;
    return out;
  }

  /**
   * Only the latest receipt handle deletes; an older handle, or one of a message already gone,
   * succeeds without effect, as on AWS. A handle this cloud never issued is rejected.
   */
  private delete(queue: Queue, receiptHandle: unknown): void {
    const handle = this.parseHandle(queue, receiptHandle);
    const msg = queue.messages.get(handle.messageId);
    if (msg && msg.receiveToken === handle.token) queue.delete(msg);
  }

  private changeVisibility(queue: Queue, receiptHandle: unknown, visibilityTimeout: unknown): void {
    const handle = this.parseHandle(queue, receiptHandle);
    if (visibilityTimeout === undefined || visibilityTimeout === null || visibilityTimeout === '') {
      throw sqsErrors.missingParameter('VisibilityTimeout');
    }
    const seconds = integerParameter(
      'VisibilityTimeout',
      visibilityTimeout,
      0,
      43_200,
      'Must be between 0 and 43200, if provided.',
    );
    const msg = queue.messages.get(handle.messageId);
    if (!msg || msg.receiveToken !== handle.token || msg.state !== 'inflight') {
      throw sqsErrors.messageNotAvailableForVisibilityChange(String(receiptHandle));
    }
    const elapsed = Math.floor((Date.now() - msg.receivedAt) / 1000);
    if (elapsed + seconds > 43_200) {
      throw sqsErrors.invalidParameterValue(
        'VisibilityTimeout',
        seconds,
        'Total VisibilityTimeout for the message is beyond the limit [43200 seconds]',
      );
    }
    queue.changeVisibility(msg, seconds);
  }

  private parseHandle(queue: Queue, receiptHandle: unknown) {
    if (typeof receiptHandle !== 'string' || receiptHandle === '') throw sqsErrors.missingParameter('ReceiptHandle');
    const handle = decodeReceiptHandle(receiptHandle);
    if (!handle || handle.queueName !== queue.name) throw sqsErrors.receiptHandleIsInvalid(receiptHandle);
    return handle;
  }
}

