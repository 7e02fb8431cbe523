import { dict } from '../core/dict.ts';
import type { StateStore } from '../state/store.ts';
import type { MessageAttributeValue } from './message-attributes.ts';
import { md5Hex, md5OfAttributes } from './md5.ts';
import type { MessageJournal, NewMessage, PendingAttributes, Queue, SavedVisibility, SqsMessage } from './queue.ts';

/**
 * How SQS state lies on disk, through the cloud's StateStore:
 *   sqs/queues/NAME           the queue: attributes, tags, timestamps
 *   sqs/messages/NAME/SEG     its messages, SEGMENT_SIZE consecutive arrivals per document
 * Messages are split in segments so a change rewrites one small document, not the whole backlog:
 * sends touch the newest segment, receives and deletes mostly the oldest. Delays are saved, and so
 * is each receive: the in-flight deadline and the receipt's token ride along in the segment write
 * the receive makes anyway (for its receive count), so after a restart, even after a SIGKILL, a
 * message in flight stays hidden until its deadline and its receipt handle still deletes it.
 * A receive the store had not written yet when the process died is lost with it: that message
 * is visible at once after the restart, as it was before the receive.
 */
// Small enough that rewriting a segment on every send, receive or delete stays cheap (an order
// message is ~1 KB), large enough that a backlog of thousands is tens of files, not thousands.
const SEGMENT_SIZE = 32;

export interface QueueRecord {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
  lastPurgeAt?: number;
  /** Attribute changes not yet in force (realism profile); they take effect on time after a restart too. */
  pendingAttributes?: PendingAttributes[];
}

interface AttributeRecord {
  DataType: string;
  StringValue?: string;
  /** base64 */
  BinaryValue?: string;
}

interface MessageRecord {
  id: string;
  seq: number;
  body: string;
  attributes?: Record<string, AttributeRecord>;
  systemAttributes?: Record<string, AttributeRecord>;
  sentAt: number;
  senderId: string;
  receiveCount: number;
  firstReceiveAt?: number;
  deadLetterSourceArn?: string;
  /** Set while the message is still delayed. */
  delayedUntil?: number;
  /** Set while the message is in flight: the end of its visibility timeout (epoch ms). */
  invisibleUntil?: number;
  /** The latest receive: the token of the receipt handle that may delete the message… */
  receiveToken?: string;
  /** …and when it happened (the 12-hour visibility limit counts from it). */
  receivedAt?: number;
}

export interface LoadedQueue {
  record: QueueRecord;
  messages: Array<{ message: NewMessage; seq: number; visibility: SavedVisibility }>;
}

export class SqsStorage {
  constructor(private readonly store: StateStore) {}

  /** Every saved queue with its messages in arrival order. */
  load(): LoadedQueue[] {
    const out: LoadedQueue[] = [];
    for (const doc of this.store.list('sqs/queues')) {
      const record = this.store.load<QueueRecord>(doc);
      if (!record) continue;
      const messages: LoadedQueue['messages'] = [];
      for (const segment of this.store.list(messagesFolder(record.name))) {
        for (const saved of this.store.load<MessageRecord[]>(segment) ?? []) {
          messages.push({ message: fromRecord(saved), seq: saved.seq, visibility: visibilityOf(saved) });
        }
      }
      messages.sort((a, b) => a.seq - b.seq);
      out.push({ record, messages });
    }
    return out;
  }

  /** Registers the queue's document; call saveQueue after each change of its attributes or tags. */
  track(queue: Queue): void {
    this.store.register(queueDoc(queue.name), () => queueRecord(queue));
  }

  saveQueue(queue: Queue): void {
    this.store.markDirty(queueDoc(queue.name));
  }

  /** Forgets a queue and its messages, including any segment left over from an earlier queue of that name. */
  removeQueue(name: string): void {
    this.store.remove(queueDoc(name));
    for (const segment of this.store.list(messagesFolder(name))) this.store.remove(segment);
  }

  journal(queueName: string): MessageJournal {
    return new SegmentJournal(this.store, queueName);
  }
}

class SegmentJournal implements MessageJournal {
  private readonly segments = new Map<number, Set<SqsMessage>>();

  constructor(
    private readonly store: StateStore,
    private readonly queueName: string,
  ) {}

  added(message: SqsMessage): void {
    this.segmentOf(message).add(message);
    this.store.markDirty(this.doc(segmentNumber(message)));
  }

  restored(message: SqsMessage): void {
    this.segmentOf(message).add(message);
  }

  changed(message: SqsMessage): void {
    this.store.markDirty(this.doc(segmentNumber(message)));
  }

  removed(message: SqsMessage): void {
    const number = segmentNumber(message);
    const segment = this.segments.get(number);
    if (!segment) return;
    segment.delete(message);
    if (segment.size > 0) {
      this.store.markDirty(this.doc(number));
    } else {
      this.segments.delete(number);
      this.store.remove(this.doc(number));
    }
  }

  cleared(): void {
    for (const number of this.segments.keys()) this.store.remove(this.doc(number));
    this.segments.clear();
  }

  private segmentOf(message: SqsMessage): Set<SqsMessage> {
    const number = segmentNumber(message);
    let segment = this.segments.get(number);
    if (!segment) {
      const members = new Set<SqsMessage>();
      segment = members;
      this.segments.set(number, members);
      this.store.register(this.doc(number), () => [...members].map(toRecord));
    }
    return segment;
  }

  private doc(number: number): string {
    return `${messagesFolder(this.queueName)}/${number}`;
  }
}

function queueDoc(name: string): string {
  return `sqs/queues/${name}`;
}

function messagesFolder(name: string): string {
  return `sqs/messages/${name}`;
}

function segmentNumber(message: SqsMessage): number {
  return Math.floor(message.seq / SEGMENT_SIZE);
}

function queueRecord(queue: Queue): QueueRecord {
  return {
    name: queue.name,
    attributes: queue.attributes,
    tags: queue.tags,
    createdAt: queue.createdAt,
    lastModifiedAt: queue.lastModifiedAt,
    lastPurgeAt: queue.lastPurgeAt,
    ...(queue.pendingAttributes.length > 0 ? { pendingAttributes: queue.pendingAttributes } : {}),
  };
}

function toRecord(message: SqsMessage): MessageRecord {
  const record: MessageRecord = {
    id: message.id,
    seq: message.seq,
    body: message.body,
    sentAt: message.sentAt,
    senderId: message.senderId,
    receiveCount: message.receiveCount,
  };
  if (Object.keys(message.attributes).length > 0) record.attributes = attributesToRecord(message.attributes);
  if (Object.keys(message.systemAttributes).length > 0) {
    record.systemAttributes = attributesToRecord(message.systemAttributes);
  }
  if (message.firstReceiveAt !== undefined) record.firstReceiveAt = message.firstReceiveAt;
  if (message.deadLetterSourceArn !== undefined) record.deadLetterSourceArn = message.deadLetterSourceArn;
  if (message.state === 'delayed') record.delayedUntil = message.visibleAt;
  if (message.state === 'inflight') record.invisibleUntil = message.visibleAt;
  if (message.receiveToken !== undefined) {
    record.receiveToken = message.receiveToken;
    record.receivedAt = message.receivedAt;
  }
  return record;
}

function visibilityOf(record: MessageRecord): SavedVisibility {
  const saved: SavedVisibility = {};
  if (record.delayedUntil !== undefined) saved.delayedUntil = record.delayedUntil;
  if (record.invisibleUntil !== undefined) saved.invisibleUntil = record.invisibleUntil;
  if (record.receiveToken !== undefined) {
    saved.lastReceive = { token: record.receiveToken, at: record.receivedAt ?? record.firstReceiveAt ?? 0 };
  }
  return saved;
}

function fromRecord(record: MessageRecord): NewMessage {
  const attributes = attributesFromRecord(record.attributes);
  return {
    id: record.id,
    body: record.body,
    md5OfBody: md5Hex(record.body),
    attributes,
    md5OfAttributes: md5OfAttributes(attributes),
    systemAttributes: attributesFromRecord(record.systemAttributes),
    sentAt: record.sentAt,
    senderId: record.senderId,
    receiveCount: record.receiveCount,
    firstReceiveAt: record.firstReceiveAt,
    deadLetterSourceArn: record.deadLetterSourceArn,
  };
}

function attributesToRecord(attributes: Record<string, MessageAttributeValue>): Record<string, AttributeRecord> {
  const out = dict<AttributeRecord>();
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = value.BinaryValue
      ? { DataType: value.DataType, BinaryValue: value.BinaryValue.toString('base64') }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return out;
}

function attributesFromRecord(record: Record<string, AttributeRecord> | undefined): Record<string, MessageAttributeValue> {
  const out = dict<MessageAttributeValue>();
  for (const [name, value] of Object.entries(record ?? {})) {
    out[name] =
      value.BinaryValue !== undefined
        ? { DataType: value.DataType, BinaryValue: Buffer.from(value.BinaryValue, 'base64') }
        : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return out;
}
