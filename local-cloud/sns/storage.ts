import { createHash } from 'node:crypto';
import type { StateStore } from '../state/store.ts';
import type { SubscriptionRecord, TopicRecord } from './model.ts';

/** One document per topic, holding the topic and its subscriptions. */
export interface TopicDocument {
  topic: TopicRecord;
  subscriptions: SubscriptionRecord[];
}

const FOLDER = 'sns/topics';

/**
 * Keeps SNS state in the cloud's store: a topic and its subscriptions change together, so they
 * are saved together. Topic names may be 256 characters, longer than a file name may be, so
 * long names are saved under a digest (the document holds the real name).
 */
export class SnsStorage {
  constructor(private readonly store: StateStore) {}

  load(): TopicDocument[] {
    const out: TopicDocument[] = [];
    for (const doc of this.store.list(FOLDER)) {
      const saved = this.store.load<TopicDocument>(doc);
      if (saved?.topic) out.push(saved);
    }
    return out;
  }

  /** Registers how to snapshot a topic's document. */
  track(topicName: string, snapshot: () => TopicDocument): void {
    this.store.register(docName(topicName), snapshot);
  }

  save(topicName: string): void {
    this.store.markDirty(docName(topicName));
  }

  remove(topicName: string): void {
    this.store.remove(docName(topicName));
  }
}

function docName(topicName: string): string {
  const file = topicName.length <= 200 ? topicName : `digest-${createHash('sha256').update(topicName).digest('hex')}`;
  return `${FOLDER}/${file}`;
}
