import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StateStore } from '../../local-cloud/state/store.ts';
import { EventJournal, type PendingEvent } from '../../local-cloud/lambda/async/journal.ts';
import { startTestCloud } from '../support/cloud.ts';

/**
 * Data folders written before messages and pending events moved to record logs (documents of
 * segments) still load, and are converted on the way.
 */
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'older-shapes-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes documents the way the store always has. */
function writeDocuments(dir: string, docs: Record<string, unknown>): void {
  const store = new StateStore(dir);
  for (const [name, value] of Object.entries(docs)) {
    store.register(name, () => value);
    store.markDirty(name);
  }
  store.flushSync();
}

describe('older state shapes', () => {
  it('SQS messages saved as segment documents are received after the upgrade, and the segments are gone', async () => {
    const dataDir = freshDir();
    const now = Date.now();
    writeDocuments(dataDir, {
      'sqs/queues/legacy': { name: 'legacy', attributes: {}, tags: {}, createdAt: now, lastModifiedAt: now },
      'sqs/messages/legacy/0': [
        { id: 'b0c1a3e2-0000-4000-8000-000000000001', seq: 1, body: 'first', sentAt: now, senderId: 'AIDATEST', receiveCount: 0 },
        { id: 'b0c1a3e2-0000-4000-8000-000000000002', seq: 2, body: 'second', sentAt: now, senderId: 'AIDATEST', receiveCount: 0 },
      ],
    });
    const cloud = await startTestCloud({ dataDir });
    try {
      const sqs = new SQSClient(cloud.clientConfig);
      const queueUrl = cloud.cloud.sqs.queueUrl('legacy');
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      expect(out.Messages?.map((m) => m.Body).sort()).toEqual(['first', 'second']);
      expect(existsSync(join(dataDir, 'state', 'sqs', 'messages', 'legacy.jsonl'))).toBe(true);
      expect(readdirSync(join(dataDir, 'state', 'sqs', 'messages', 'legacy'))).toEqual([]);
    } finally {
      await cloud.close();
    }
  });

  it("Lambda's pending events saved as segment documents load in order, and the segments are gone", () => {
    const dir = freshDir();
    const event = (seq: number): PendingEvent => ({
      id: `req-${seq}`,
      functionName: 'recorder',
      payload: '{}',
      acceptedAt: 1,
      attempts: 0,
      dueAt: 1,
      seq,
    });
    writeDocuments(dir, { 'lambda/async/0': [event(2), event(1)], 'lambda/async/1': [event(300)] });
    const journal = new EventJournal(new StateStore(dir));
    expect(journal.load().map((e) => e.id)).toEqual(['req-1', 'req-2', 'req-300']);
    expect(readdirSync(join(dir, 'state', 'lambda', 'async'))).toEqual([]);
    // And they are in the log now: a second start finds them there.
    expect(new EventJournal(new StateStore(dir)).load()).toHaveLength(3);
  });
});
