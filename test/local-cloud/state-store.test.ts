import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
/** The fields of /proc/PID/stat after the command name: [0] the state, [19] the start time. */
const procStat = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
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

  it.runIf(existsSync('/proc/self/stat'))('records the holder\'s start time; a lock whose pid now names a newer process is stale', () => {
    const dir = freshDir();
    const release = lockDataDir(dir);
    const [pid, started] = readFileSync(join(dir, 'local-cloud.pid'), 'utf8').trim().split('\n');
    expect(Number(pid)).toBe(process.pid);
    expect(started).toBe(procStat(process.pid)[19]);
    release();
    // The parent lives, with the start time the lock says: refused.
    writeFileSync(join(dir, 'local-cloud.pid'), `${process.ppid}\n${procStat(process.ppid)[19]}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    // Same pid, another start time: the pid was reused by a process that is not a local cloud.
    writeFileSync(join(dir, 'local-cloud.pid'), `${process.ppid}\n1\n`);
    lockDataDir(dir)();
  });

  it.runIf(existsSync('/proc/self/stat'))('a lock held by a zombie (killed, not yet reaped by its parent) is stale', async () => {
    const dir = freshDir();
    // `sleep 0` ends at once, and its parent (the shell, now `sleep 5`) never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number((await once(parent.stdout!, 'data'))[0].toString().trim());
      for (let i = 0; i < 200 && procStat(zombie)[0] !== 'Z'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(procStat(zombie)[0]).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow(); // why a signal alone cannot tell
      writeFileSync(join(dir, 'local-cloud.pid'), String(zombie));
      lockDataDir(dir)();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('removes the temp files of writes a killed process left, and nothing else', () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'state', 'sqs', 'messages', 'orders'), { recursive: true });
    const leftovers = [
      'sqs/messages/orders/3.json.4242.0.tmp',
      'sqs/messages/orders/3.json.4242.17.tmp',
      'iam/roles.json.4242.tmp',
      'sqs/messages/orders.jsonl.4242.tmp',
    ];
    const kept = ['sqs/messages/orders/3.json', 'notes.tmp', 'sqs/queues.json.tmp.json', 'sqs/messages/orders.jsonl'];
    mkdirSync(join(dir, 'state', 'iam'), { recursive: true });
    for (const file of [...leftovers, ...kept]) writeFileSync(join(dir, 'state', file), '{}');
    const store = new StateStore(dir);
    expect(store.leftoverTempFilesRemoved).toBe(4);
    for (const file of leftovers) expect(existsSync(join(dir, 'state', file)), file).toBe(false);
    for (const file of kept) expect(existsSync(join(dir, 'state', file)), file).toBe(true);
  });
});
