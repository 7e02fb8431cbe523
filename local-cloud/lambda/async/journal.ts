import type { RecordLog, StateStore } from '../../state/store.ts';

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
 * server answers 202 only once the store has written): a record log, lambda/async-events.jsonl,
 * where accepting, retrying or finishing an event appends one line (state/record-log.ts).
 * Documents of segments (lambda/async/SEG.json), an older shape, are converted at start-up.
 */
const LOG = 'lambda/async-events';
const OLD_FOLDER = 'lambda/async';

export class EventJournal {
  private readonly log: RecordLog<PendingEvent>;
  private readonly saved: Map<string, unknown>;

  constructor(store: StateStore) {
    store.convertDocuments<PendingEvent>(OLD_FOLDER, LOG, (event) => event.id);
    ({ log: this.log, saved: this.saved } = store.records<PendingEvent>(LOG, (event) => event));
  }

  /** Every saved event, oldest first. */
  load(): PendingEvent[] {
    const events = [...this.saved.values()] as PendingEvent[];
    this.saved.clear();
    for (const event of events) this.log.adopt(event.id, event);
    return events.sort((a, b) => a.seq - b.seq);
  }

  added(event: PendingEvent): void {
    this.log.put(event.id, event);
  }

  changed(event: PendingEvent): void {
    this.log.put(event.id, event);
  }

  removed(event: PendingEvent): void {
    this.log.delete(event.id);
  }
}
