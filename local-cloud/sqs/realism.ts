import type { RealismProfile } from '../realism/profile.ts';
import { SERVICE_TIMING } from '../realism/service-timing.ts';
import { arrived, stage } from '../realism/staged.ts';
import { sqsErrors } from './errors.ts';
import type { Queue } from './queue.ts';

/** The counts GetQueueAttributes reports, as of one moment. */
interface CountSnapshot {
  at: number;
  visible: number;
  notVisible: number;
  delayed: number;
}

/**
 * SQS in time, as AWS behaves under the realism profile (realism/profile.ts): a queue attribute
 * change is read back, and acts, only after it has propagated; the approximate counts are a
 * snapshot that lags behind the messages; a deleted queue's name stays taken for a while. With
 * realism off every change is in force at once, counts are live and names free at once.
 */
export class SqsRealism {
  /** Queue name → when a queue of that name was deleted. */
  private readonly deletedAt = new Map<string, number>();
  private readonly counts = new WeakMap<Queue, CountSnapshot>();

  constructor(
    private readonly realism: RealismProfile,
    private readonly now: () => number = Date.now,
  ) {}

  /** Puts into force the attribute changes whose time has come; true when one did. */
  settle(queue: Queue): boolean {
    if (queue.pendingAttributes.length === 0) return false;
    const change = arrived(queue.pendingAttributes, this.now());
    if (!change) return false;
    queue.setAttributes(change.attributes, change.modifiedAt);
    return true;
  }

  /**
   * Records `attributes` as the queue's next attributes. Answers false when realism is off: the
   * caller then puts them into force at once.
   */
  stageAttributes(queue: Queue, attributes: Record<string, string>): boolean {
    const delay = this.realism.ms(SERVICE_TIMING.queueAttributes);
    if (delay <= 0) return false;
    const now = this.now();
    stage(queue.pendingAttributes, { attributes, modifiedAt: now }, delay, now);
    return true;
  }

  /** The attributes the queue will have once every change made so far is in force. */
  latestAttributes(queue: Queue): Record<string, string> {
    return queue.pendingAttributes.at(-1)?.value.attributes ?? queue.attributes;
  }

  /** The approximate counts as GetQueueAttributes reports them: live, or a snapshot up to a minute (scaled) old. */
  approximateCounts(queue: Queue): Omit<CountSnapshot, 'at'> {
    const live = () => ({
      at: this.now(),
      visible: queue.approximateNumberOfMessages,
      notVisible: queue.approximateNumberOfMessagesNotVisible,
      delayed: queue.approximateNumberOfMessagesDelayed,
    });
    const refreshMs = this.realism.ms(SERVICE_TIMING.queueCounts);
    if (refreshMs <= 0) return live();
    let snapshot = this.counts.get(queue);
    if (!snapshot || this.now() - snapshot.at >= refreshMs) {
      snapshot = live();
      this.counts.set(queue, snapshot);
    }
    return snapshot;
  }

  /** A new queue starts its counts' clock empty: a message sent right away shows up a while later. */
  created(queue: Queue): void {
    if (this.realism.enabled) this.counts.set(queue, { at: this.now(), visible: 0, notVisible: 0, delayed: 0 });
  }

  deleted(name: string): void {
    if (!this.realism.enabled) return;
    const now = this.now();
    const blockMs = this.realism.ms(SERVICE_TIMING.queueNameReuse);
    for (const [old, at] of this.deletedAt) if (now - at >= blockMs) this.deletedAt.delete(old);
    this.deletedAt.set(name, now);
  }

  /** Refuses a name whose queue was deleted too recently (QueueDeletedRecently). */
  checkNameReusable(name: string): void {
    const at = this.deletedAt.get(name);
    if (at === undefined) return;
    if (this.now() - at < this.realism.ms(SERVICE_TIMING.queueNameReuse)) throw sqsErrors.queueDeletedRecently();
    this.deletedAt.delete(name);
  }
}
