import { settingsOf, type QueueSettings } from './attributes.ts';
import { Deque } from './deque.ts';
import { MinHeap } from './heap.ts';
import type { MessageAttributeValue } from './message-attributes.ts';
import { encodeReceiptHandle, nextReceiveToken } from './receipt-handle.ts';
import type { StagedChange } from '../realism/staged.ts';

/** Attributes set but not yet in force (realism profile): the whole new set, and when it was set. */
export type PendingAttributes = StagedChange<{ attributes: Record<string, string>; modifiedAt: number }>;

/**
 * visible: can be received; delayed: sent with DelaySeconds, not yet visible; inflight: received,
 * hidden until its visibility timeout ends; taken: between two states inside one operation.
 */
export type MessageState = 'visible' | 'delayed' | 'inflight' | 'taken';

export interface SqsMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly md5OfAttributes: string | undefined;
  /** AWSTraceHeader, when the sender set it. */
  readonly systemAttributes: Record<string, MessageAttributeValue>;
  /** Epoch ms of the original send (kept across a move to the dead-letter queue). */
  readonly sentAt: number;
  readonly senderId: string;
  receiveCount: number;
  firstReceiveAt: number | undefined;
  deadLetterSourceArn: string | undefined;
  /** Order of arrival in this queue; also decides which storage segment holds the message. */
  seq: number;
  state: MessageState;
  /** For delayed and in-flight messages: when they become visible (epoch ms). */
  visibleAt: number;
  /** Bumped on every state change, so entries left behind in the ready list or the timer heap go stale. */
  version: number;
  /** Token of the latest receive; only the latest receipt handle deletes the message. */
  receiveToken: string | undefined;
  /** When the current in-flight period started (the 12-hour visibility limit counts from it). */
  receivedAt: number;
}

/** What a message looks like before a queue takes it. */
export type NewMessage = Omit<SqsMessage, 'seq' | 'state' | 'visibleAt' | 'version' | 'receiveToken' | 'receivedAt'>;

/** Where a message stood when it was last saved (see storage.ts). */
export interface SavedVisibility {
  /** Still delayed until then (epoch ms). */
  delayedUntil?: number;
  /** In flight until then (epoch ms). */
  invisibleUntil?: number;
  /** The latest receive: its receipt's token, and when it happened. */
  lastReceive?: { token: string; at: number };
}

/** Where a queue's messages are persisted (see storage.ts). */
export interface MessageJournal {
  added(message: SqsMessage): void;
  restored(message: SqsMessage): void;
  changed(message: SqsMessage): void;
  removed(message: SqsMessage): void;
  cleared(): void;
}

/** What a queue needs from the rest of SQS. */
export interface QueueHost {
  /** The existing queue named by this queue's redrive policy, if any. */
  deadLetterTarget(queue: Queue): Queue | undefined;
  /** Told after a message moved to the dead-letter queue (for the live log). */
  movedToDeadLetter(message: SqsMessage, from: Queue, to: Queue): void;
  /** A visibility timeout that replaces the requested one for this message (a fault switch), if any. */
  visibilityOverride(message: SqsMessage): number | undefined;
}

export interface ReceiveRequest<R> {
  maxNumberOfMessages: number;
  visibilityTimeout: number;
  /** 0 answers at once; otherwise wait up to this long for a first message. */
  waitMs: number;
  /** Aborted when the caller hangs up: the wait ends and takes nothing. */
  signal?: AbortSignal;
  /** Turns a message into the caller's answer at the moment it is received. */
  render(message: SqsMessage, receiptHandle: string): R;
}

export interface QueueInit {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
  lastPurgeAt?: number;
  pendingAttributes?: PendingAttributes[];
}

interface Entry {
  msg: SqsMessage;
  version: number;
}
interface DueEntry extends Entry {
  at: number;
}
interface Waiter {
  /** Tries to answer from the visible messages; true when it did. */
  tryTake(): boolean;
  /** Ends the wait with no messages. */
  cancel(): void;
}

// setTimeout fires at once for delays past 2^31-1 ms; longer waits re-arm on the way.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One standard queue: its messages and their visibility. Receives take from a FIFO list of
 * visible messages; delayed and in-flight messages wait in a min-heap keyed by the time they
 * become visible, watched by one timer set for the earliest. Long polls are parked as waiters
 * and answered the moment a message becomes visible (sent, delay over, visibility expired).
 * Nothing scans all messages per operation.
 */
export class Queue {
  readonly name: string;
  readonly arn: string;
  attributes: Record<string, string>;
  settings: QueueSettings;
  tags: Record<string, string>;
  readonly createdAt: number;
  lastModifiedAt: number;
  lastPurgeAt: number | undefined;
  /** Attribute changes still propagating, oldest first (see realism.ts); `attributes` are those in force. */
  readonly pendingAttributes: PendingAttributes[];

  /** By message id, in order of arrival. */
  readonly messages = new Map<string, SqsMessage>();
  private readonly ready = new Deque<Entry>();
  private readonly due = new MinHeap<DueEntry>();
  /** Heap entries left behind by messages that changed state another way (deleted, re-timed). */
  private staleDue = 0;
  private readonly counts = { visible: 0, delayed: 0, inflight: 0 };
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private nextSeq = 0;
  private closed = false;

  constructor(
    init: QueueInit,
    private readonly host: QueueHost,
    private readonly journal: MessageJournal,
  ) {
    this.name = init.name;
    this.arn = init.arn;
    this.attributes = init.attributes;
    this.settings = settingsOf(init.attributes);
    this.tags = init.tags;
    this.createdAt = init.createdAt;
    this.lastModifiedAt = init.lastModifiedAt;
    this.lastPurgeAt = init.lastPurgeAt;
    this.pendingAttributes = init.pendingAttributes ? [...init.pendingAttributes] : [];
  }

  get approximateNumberOfMessages(): number {
    return this.counts.visible;
  }
  get approximateNumberOfMessagesDelayed(): number {
    return this.counts.delayed;
  }
  get approximateNumberOfMessagesNotVisible(): number {
    return this.counts.inflight;
  }
  /** Long polls currently waiting on this queue. */
  get waitingReceives(): number {
    return this.waiters.size;
  }

  setAttributes(attributes: Record<string, string>, now: number): void {
    this.attributes = attributes;
    this.settings = settingsOf(attributes);
    this.lastModifiedAt = now;
    this.armNext(); // a shorter retention period may expire messages sooner
  }

  /** Adds a message; call wake() once the operation has added all it adds. */
  enqueue(message: NewMessage, delaySeconds: number): SqsMessage {
    const msg = this.adopt(message);
    if (delaySeconds > 0) this.schedule(msg, 'delayed', Date.now() + delaySeconds * 1000);
    else this.makeVisible(msg);
    this.journal.added(msg);
    this.armRetention(msg);
    return msg;
  }

  /**
   * Puts back a message read from disk: delays continue, and an in-flight message stays hidden
   * until its saved deadline, deletable with the receipt handle it was received with.
   */
  restore(message: NewMessage, seq: number, saved: SavedVisibility): void {
    const msg = this.adopt(message, seq);
    const now = Date.now();
    msg.receiveToken = saved.lastReceive?.token;
    msg.receivedAt = saved.lastReceive?.at ?? 0;
    if (saved.delayedUntil !== undefined && saved.delayedUntil > now) {
      this.schedule(msg, 'delayed', saved.delayedUntil);
    } else if (saved.invisibleUntil !== undefined && saved.invisibleUntil > now) {
      this.schedule(msg, 'inflight', saved.invisibleUntil);
    } else {
      this.makeVisible(msg);
    }
    this.journal.restored(msg);
    this.armRetention(msg);
  }

  /** A message redriven here from `sourceArn`: same id, body, attributes and receive count. */
  acceptDeadLetter(message: SqsMessage, sourceArn: string): void {
    const msg = this.adopt({ ...message, deadLetterSourceArn: sourceArn });
    this.makeVisible(msg);
    this.journal.added(msg);
    this.armRetention(msg);
    this.wake();
  }

  receive<R>(request: ReceiveRequest<R>): Promise<R[]> {
    const first = this.closed ? [] : this.take(request);
    if (first.length > 0 && request.visibilityTimeout === 0) this.wake(); // they are visible again
    if (first.length > 0 || request.waitMs <= 0 || this.closed || request.signal?.aborted) {
      return Promise.resolve(first);
    }
    return new Promise<R[]>((resolve) => {
      const finish = (messages: R[]) => {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', cancel);
        this.waiters.delete(waiter);
        resolve(messages);
      };
      const cancel = () => finish([]);
      const waiter: Waiter = {
        tryTake: () => {
          const messages = this.take(request);
          if (messages.length === 0) return false;
          finish(messages);
          return true;
        },
        cancel,
      };
      const timer = setTimeout(cancel, request.waitMs);
      request.signal?.addEventListener('abort', cancel, { once: true });
      this.waiters.add(waiter);
    });
  }

  /**
   * Answers waiting long polls, oldest first, while there are visible messages. Never called from
   * inside take(): a waiter must not be answered twice.
   */
  wake(): void {
    for (const waiter of this.waiters) {
      if (this.counts.visible === 0 || !waiter.tryTake()) break;
    }
  }

  delete(msg: SqsMessage): void {
    this.remove(msg);
  }

  /** Hides an in-flight message for `seconds` from now; 0 makes it visible at once. */
  changeVisibility(msg: SqsMessage, seconds: number): void {
    this.leave(msg);
    if (seconds === 0) {
      this.makeVisible(msg);
      this.wake();
    } else {
      this.schedule(msg, 'inflight', Date.now() + seconds * 1000);
    }
    this.journal.changed(msg); // the new deadline holds across a restart too
  }

  purge(now: number): void {
    for (const msg of this.messages.values()) msg.version++; // outstanding entries go stale
    this.messages.clear();
    this.ready.clear();
    this.due.clear();
    this.staleDue = 0;
    this.counts.visible = this.counts.delayed = this.counts.inflight = 0;
    this.lastPurgeAt = now;
    this.journal.cleared();
  }

  /** Stops the timer and answers every waiting long poll with no messages. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of [...this.waiters]) waiter.cancel();
  }

  private adopt(message: NewMessage, seq = this.nextSeq): SqsMessage {
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
    const msg: SqsMessage = {
      ...message,
      seq,
      state: 'taken',
      visibleAt: 0,
      version: 0,
      receiveToken: undefined,
      receivedAt: 0,
    };
    this.messages.set(msg.id, msg);
    return msg;
  }

  private take<R>(request: ReceiveRequest<R>): R[] {
    const out: R[] = [];
    const visibleAgain: SqsMessage[] = [];
    const now = Date.now();
    const retentionMs = this.settings.messageRetentionPeriod * 1000;
    const redrive = this.settings.redrivePolicy;
    const deadLetterQueue = redrive ? this.host.deadLetterTarget(this) : undefined;
    while (out.length < request.maxNumberOfMessages) {
      const msg = this.popVisible();
      if (!msg) break;
      if (msg.sentAt + retentionMs <= now) {
        this.remove(msg);
        continue;
      }
      // The (maxReceiveCount+1)-th receive moves the message instead of returning it.
      if (deadLetterQueue && redrive && msg.receiveCount >= redrive.maxReceiveCount) {
        this.remove(msg);
        deadLetterQueue.acceptDeadLetter(msg, this.arn);
        this.host.movedToDeadLetter(msg, this, deadLetterQueue);
        continue;
      }
      msg.receiveCount++;
      msg.firstReceiveAt ??= now;
      msg.receiveToken = nextReceiveToken();
      msg.receivedAt = now;
      out.push(
        request.render(msg, encodeReceiptHandle({ queueName: this.name, messageId: msg.id, token: msg.receiveToken })),
      );
      // A zero visibility timeout leaves the message visible, but not twice in one answer.
      const visibilityTimeout = this.host.visibilityOverride(msg) ?? request.visibilityTimeout;
      if (visibilityTimeout > 0) this.schedule(msg, 'inflight', now + visibilityTimeout * 1000);
      else visibleAgain.push(msg);
      // Saved with the next write (never a write of its own): the receive count, so redrive stays
      // exact across a restart, and the in-flight deadline and receipt, so the message stays hidden.
      this.journal.changed(msg);
    }
    for (const msg of visibleAgain) this.makeVisible(msg);
    return out;
  }

  private popVisible(): SqsMessage | undefined {
    for (;;) {
      const entry = this.ready.shift();
      if (!entry) return undefined;
      if (entry.version !== entry.msg.version) continue; // it changed since: deleted or re-timed
      this.leave(entry.msg);
      return entry.msg;
    }
  }

  private makeVisible(msg: SqsMessage): void {
    msg.state = 'visible';
    msg.version++;
    this.counts.visible++;
    this.ready.push({ msg, version: msg.version });
  }

  private schedule(msg: SqsMessage, state: 'delayed' | 'inflight', at: number): void {
    msg.state = state;
    msg.visibleAt = at;
    msg.version++;
    this.counts[state]++;
    this.due.push({ at, msg, version: msg.version });
    this.armTimer(at);
  }

  /** Takes a message out of its current state; its ready-list or heap entry goes stale. */
  private leave(msg: SqsMessage, poppedFromHeap = false): void {
    if (msg.state === 'taken') return;
    this.counts[msg.state]--;
    if (!poppedFromHeap && msg.state !== 'visible') this.staleDue++;
    msg.state = 'taken';
    msg.version++;
    if (this.staleDue > 1024 && this.staleDue * 2 > this.due.size) {
      this.due.filter((entry) => entry.version === entry.msg.version);
      this.staleDue = 0;
    }
  }

  private remove(msg: SqsMessage): void {
    this.leave(msg);
    this.messages.delete(msg.id);
    this.journal.removed(msg);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closed) return;
    const now = Date.now();
    let becameVisible = false;
    for (let top = this.due.peek(); top && top.at <= now; top = this.due.peek()) {
      this.due.pop();
      if (top.version !== top.msg.version) {
        this.staleDue = Math.max(0, this.staleDue - 1);
        continue;
      }
      this.leave(top.msg, true);
      this.makeVisible(top.msg);
      becameVisible = true;
    }
    this.expire(now);
    this.armNext();
    if (becameVisible) this.wake();
  }

  /** Deletes messages older than the retention period (oldest first, stopping at the first young one). */
  private expire(now: number): void {
    const limit = now - this.settings.messageRetentionPeriod * 1000;
    for (const msg of this.messages.values()) {
      if (msg.sentAt > limit) break;
      this.remove(msg);
    }
  }

  private armNext(): void {
    let at = this.due.peek()?.at ?? Infinity;
    const oldest = this.messages.values().next();
    if (!oldest.done) at = Math.min(at, oldest.value.sentAt + this.settings.messageRetentionPeriod * 1000);
    if (at < Infinity) this.armTimer(at);
  }

  private armRetention(msg: SqsMessage): void {
    this.armTimer(msg.sentAt + this.settings.messageRetentionPeriod * 1000);
  }

  private armTimer(at: number): void {
    if (this.closed || (this.timer && this.timerAt <= at)) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
    this.timer.unref();
  }
}
