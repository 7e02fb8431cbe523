import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../local-cloud/state/store.ts';

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'record-log-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Item {
  n: number;
  note?: string;
}
const asRecord = (item: Item) => ({ n: item.n, note: item.note });
const logFile = (dir: string, name = 'things/items') => join(dir, 'state', `${name}.jsonl`);
const lines = (dir: string) => readFileSync(logFile(dir), 'utf8').trimEnd().split('\n');

describe('record logs', () => {
  it('a change appends one line, written as the value stands at the flush; a new store reads the records back', async () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    const { log, saved } = store.records<Item>('things/items', asRecord);
    expect(saved.size).toBe(0);
    const a = { n: 1 };
    log.put('a', a);
    log.put('b', { n: 2 });
    a.n = 10; // taken at the flush, not at put()
    await store.flushed();
    expect(lines(dir)).toEqual(['["p","a",{"n":10}]', '["p","b",{"n":2}]']);
    log.delete('b');
    log.delete('never-there'); // nothing to write
    log.put('a', { n: 11, note: 'second' });
    await store.flushed();
    expect(lines(dir)).toHaveLength(4);
    store.close();

    const again = new StateStore(dir).records<Item>('things/items', asRecord);
    expect([...again.saved]).toEqual([['a', { n: 11, note: 'second' }]]);
  });

  it('a torn last line (a killed append) is skipped; a broken line before it is an error naming the file', () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    store.records<Item>('things/items', asRecord).log.put('a', { n: 1 });
    store.flushSync();
    store.close();
    appendFileSync(logFile(dir), '["p","b",{"n":');
    expect([...new StateStore(dir).records('things/items', asRecord).saved.keys()]).toEqual(['a']);

    writeFileSync(logFile(dir), 'garbage\n["p","a",{"n":1}]\n');
    expect(() => new StateStore(dir).records('things/items', asRecord)).toThrow(/Cannot read local cloud state .*items\.jsonl: line 1 is not JSON/);
    writeFileSync(logFile(dir), '{"__proto__":{"polluted":true}}\n');
    expect(() => new StateStore(dir).records('things/items', asRecord)).toThrow(/line 1 is not a record change/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keys are data, never properties: "__proto__" and "constructor" are records like any other', async () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    const { log } = store.records<Item>('things/items', asRecord);
    log.put('__proto__', { n: 1 });
    log.put('constructor', { n: 2 });
    await store.flushed();
    const { saved } = new StateStore(dir).records('things/items', asRecord);
    expect(saved.get('__proto__')).toEqual({ n: 1 });
    expect(saved.get('constructor')).toEqual({ n: 2 });
    expect(({} as Record<string, unknown>).n).toBeUndefined();
  });

  it('compacts: once the file is far larger than what it holds, a flush rewrites it with the live records only', async () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    const { log } = store.records<Item>('things/items', asRecord);
    const note = 'x'.repeat(1000);
    // Churn: 3,000 records of ~1 KB come and go (about 6 MB of changes); 10 stay.
    for (let i = 0; i < 3000; i++) {
      log.put(`k${i}`, { n: i, note });
      if (i % 100 === 0) log.put(`keep${i}`, { n: i });
      await store.flushed();
      log.delete(`k${i}`);
    }
    await store.flushed();
    expect(statSync(logFile(dir)).size).toBeLessThan(1.5 * 1024 * 1024);
    store.close();
    const { saved } = new StateStore(dir).records('things/items', asRecord);
    expect([...saved.keys()].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `keep${i * 100}`).sort());
  });

  it('clear() empties the file; removeRecords deletes it, even with a write under way', async () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    const { log } = store.records<Item>('things/items', asRecord);
    log.put('a', { n: 1 });
    await store.flushed();
    log.clear();
    await store.flushed();
    expect(readFileSync(logFile(dir), 'utf8')).toBe('');

    log.put('b', { n: 2 });
    const writing = store.flushed();
    store.removeRecords('things/items');
    await writing;
    await store.flushed();
    expect(existsSync(logFile(dir))).toBe(false);
    // The name is free again, and starts empty.
    expect(store.records('things/items', asRecord).saved.size).toBe(0);
  });

  it('flushSync writes what is pending (the shutdown path)', () => {
    const dir = freshDir();
    const store = new StateStore(dir);
    const { log } = store.records<Item>('things/items', asRecord);
    log.put('a', { n: 1 });
    store.flushSync();
    expect(lines(dir)).toEqual(['["p","a",{"n":1}]']);
  });

  it('without a data folder, records stay in memory and nothing is written', async () => {
    const store = new StateStore(null);
    const { log, saved } = store.records<Item>('things/items', asRecord);
    log.put('a', { n: 1 });
    await store.flushed();
    expect(saved.size).toBe(0);
    expect(log.size).toBe(1);
  });
});
