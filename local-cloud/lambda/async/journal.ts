import type { StateStore } from '../../state/store.ts';

/** An asynchronous invocation Lambda accepted (202) and has not finished with. */
export interface PendingEvent {
  /** The invocation's request id. */
  id: string;
  functionName: string;
  /** The event, as JSON text. */
  payload: string;
  /** Epoch ms of the Invoke: MaximumEventAgeInSeconds counts from it. */
  acceptedAt: number;
  /** Attempts made so far. */
  attempts: number;
  /** Epoch ms of the next attempt. */
  dueAt: number;
  /** Order of acceptance; also decides which document holds the event. */
  seq: number;
}

/**
 * Pending events on disk, so an accepted invocation survives a restart (even a SIGKILL: the
 * server answers 202 only once the store has written). Events sit in documents of SEGMENT_SIZE
 * consecutive arrivals, lambda/async/SEG, so a change rewrites one small document; events leave
 * quickly, so documents stay small and vanish when empty.
 */
const SEGMENT_SIZE = 256;
const FOLDER = 'lambda/async';

export class EventJournal {
  private readonly segments = new Map<number, Set<PendingEvent>>();

  constructor(private readonly store: StateStore) {}

  /** Every saved event, oldest first. */
  load(): PendingEvent[] {
    const events: PendingEvent[] = [];
    for (const doc of this.store.list(FOLDER)) {
      for (const event of this.store.load<PendingEvent[]>(doc) ?? []) {
        events.push(event);
        this.segment(event).add(event);
      }
    }
    return events.sort((a, b) => a.seq - b.seq);
  }

  added(event: PendingEvent): void {
    this.segment(event).add(event);
    this.store.markDirty(doc(segmentOf(event)));
  }

  changed(event: PendingEvent): void {
    if (this.segments.get(segmentOf(event))?.has(event)) this.store.markDirty(doc(segmentOf(event)));
  }

  removed(event: PendingEvent): void {
    const number = segmentOf(event);
    const members = this.segments.get(number);
    if (!members?.delete(event)) return;
    if (members.size > 0) {
      this.store.markDirty(doc(number));
    } else {
      this.segments.delete(number);
      this.store.remove(doc(number));
    }
  }

  private segment(event: PendingEvent): Set<PendingEvent> {
    const number = segmentOf(event);
    let members = this.segments.get(number);
    if (!members) {
      const set = new Set<PendingEvent>();
      members = set;
      this.segments.set(number, set);
      this.store.register(doc(number), () => [...set]);
    }
    return members;
  }
}

function segmentOf(event: PendingEvent): number {
  return Math.floor(event.seq / SEGMENT_SIZE);
}

function doc(number: number): string {
  return `${FOLDER}/${number}`;
}
