import type { StateStore } from '../state/store.ts';
import type { MessageAttributeValue } from './message-attributes.ts';
import { md5Hex, md5OfAttributes } from './md5.ts';
import type { MessageJournal, NewMessage, Queue, SqsMessage } from './queue.ts';

/**
 * How SQS state lies on disk, through the cloud's StateStore:
 *   sqs/queues/NAME           the queue: attributes, tags, timestamps
 *   sqs/messages/NAME/SEG     its messages, SEGMENT_SIZE consecutive arrivals per document
 * Messages are split in segments so a change rewrites one small document, not the whole backlog:
 * sends touch the newest segment, receives and deletes mostly the oldest. In-flight state is not
 * saved (after a restart those messages are visible again); delays are.
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
}

export interface LoadedQueue {
  record: QueueRecord;
  messages: Array<{ message: NewMessage; seq: number; delayedUntil: number | undefined }>;
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
          messages.push({ message: fromRecord(saved), seq: saved.seq, delayedUntil: saved.delayedUntil });
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
  return record;
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
  const out: Record<string, AttributeRecord> = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = value.BinaryValue
      ? { DataType: value.DataType, BinaryValue: value.BinaryValue.toString('base64') }
      : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return out;
}

function attributesFromRecord(record: Record<string, AttributeRecord> | undefined): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record ?? {})) {
    out[name] =
      value.BinaryValue !== undefined
        ? { DataType: value.DataType, BinaryValue: Buffer.from(value.BinaryValue, 'base64') }
        : { DataType: value.DataType, StringValue: value.StringValue };
  }
  return out;
}
