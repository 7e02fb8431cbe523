import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, StateStore, lockDataDir } from '../../local-cloud/state/store.ts';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-store-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('StateStore', () => {
  it('a change is on disk once flushed() resolves, and reads back after a new start', async () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    const doc = { count: 1 };
    store.register('things/a', () => doc);
    store.markDirty('things/a');
    doc.count = 2; // the write takes the state as it is when it runs
    await store.flushed();
    expect(JSON.parse(readFileSync(join(dir, 'state', 'things', 'a.json'), 'utf8'))).toEqual({ count: 2 });
    expect(new StateStore(dir).load('things/a')).toEqual({ count: 2 });
    expect(new StateStore(dir).list('things')).toEqual(['things/a']);
  });

  it('changes made while a write is under way land in the next write', async () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    let value = 0;
    store.register('counter', () => ({ value }));
    for (let i = 1; i <= 50; i++) {
      value = i;
      store.markDirty('counter');
      if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await store.flushed();
    expect(new StateStore(dir).load('counter')).toEqual({ value: 50 });
  });

  it('a document removed while its write is under way does not come back', async () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    store.register('queues/gone', () => ({ name: 'gone' }));
    store.markDirty('queues/gone');
    const writing = store.flushed();
    // Two turns: the flush takes its snapshot on the first, and its file I/O is still under way.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    store.remove('queues/gone');
    await writing;
    await store.flushed();
    expect(existsSync(join(dir, 'state', 'queues', 'gone.json'))).toBe(false);
  });

  it('a second claim on the data folder is refused while the first holder lives', () => {
    const dir = freshDir();
    const release = lockDataDir(dir);
    // Same process: simulate another live owner by writing our parent's pid into the lock.
    writeFileSync(join(dir, 'local-cloud.pid'), String(process.ppid));
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(/Another local cloud \(pid \d+\) is already using/);
    release();
    // A stale lock (its process gone) is taken over.
    writeFileSync(join(dir, 'local-cloud.pid'), '999999');
    const again = lockDataDir(dir);
    again();
  });
});
