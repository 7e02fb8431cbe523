import { dict } from '../core/dict.ts';
import type { RecordLog, StateStore } from '../state/store.ts';
import type { MessageAttributeValue } from './message-attributes.ts';
import { md5Hex, md5OfAttributes } from './md5.ts';
import type { MessageJournal, NewMessage, PendingAttributes, Queue, SavedVisibility, SqsMessage } from './queue.ts';

/**
 * How SQS state lies on disk, through the cloud's StateStore:
 *   sqs/queues/NAME            the queue: attributes, tags, timestamps (a document)
 *   sqs/messages/NAME.jsonl    its messages, a record log keyed by arrival number
 * A send, a receive or a delete appends one line for that message (state/record-log.ts). Delays
 * are saved, and so is each receive: the in-flight deadline and the receipt's token, so after a
 * restart, even after a SIGKILL, a message in flight stays hidden until its deadline and its
 * receipt handle still deletes it. A receive the store had not written yet when the process died
 * is lost with it: that message is visible at once after the restart, as it was before the
 * receive. Folders of segment documents (sqs/messages/NAME/SEG.json), an older shape, are
 * converted into the log at start-up.
 */

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
  /** Message logs opened while loading, handed to their queues' journals. */
  private readonly opened = new Map<string, RecordLog<SqsMessage>>();

  constructor(private readonly store: StateStore) {}

  /** Every saved queue with its messages in arrival order. */
  load(): LoadedQueue[] {
    const out: LoadedQueue[] = [];
    for (const doc of this.store.list('sqs/queues')) {
      const record = this.store.load<QueueRecord>(doc);
      if (!record) continue;
      this.store.convertDocuments<MessageRecord>(messagesName(record.name), messagesName(record.name), (saved) => String(saved.seq));
      const { log, saved } = this.store.records(messagesName(record.name), toRecord);
      this.opened.set(record.name, log);
      const messages: LoadedQueue['messages'] = [];
      for (const value of saved.values()) {
        const saved = value as MessageRecord;
        messages.push({ message: fromRecord(saved), seq: saved.seq, visibility: visibilityOf(saved) });
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

  /** Forgets a queue and its messages, including any left over from an earlier queue of that name. */
  removeQueue(name: string): void {
    this.store.remove(queueDoc(name));
    this.opened.delete(name);
    this.store.removeRecords(messagesName(name));
    for (const segment of this.store.list(messagesName(name))) this.store.remove(segment);
  }

  journal(queueName: string): MessageJournal {
    const log = this.opened.get(queueName) ?? this.store.records(messagesName(queueName), toRecord).log;
    this.opened.delete(queueName);
    return new LoggedJournal(log);
  }
}

/** A queue's messages in its record log, one line per change. */
class LoggedJournal implements MessageJournal {
  constructor(private readonly log: RecordLog<SqsMessage>) {}

  added(message: SqsMessage): void {
    this.log.put(String(message.seq), message);
  }

  restored(message: SqsMessage): void {
    this.log.adopt(String(message.seq), message);
  }

  changed(message: SqsMessage): void {
    this.log.put(String(message.seq), message);
  }

  removed(message: SqsMessage): void {
    this.log.delete(String(message.seq));
  }

  cleared(): void {
    this.log.clear();
  }
}

function queueDoc(name: string): string {
  return `sqs/queues/${name}`;
}

/** The queue's message log (sqs/messages/NAME.jsonl), and the folder of segment documents of the older shape. */
function messagesName(name: string): string {
  return `sqs/messages/${name}`;
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
