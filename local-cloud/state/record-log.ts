import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * A collection of keyed records that changes one record at a time (SQS messages, Lambda's
 * pending async events), kept as an append-only file of JSON lines:
 *
 *   ["p","KEY",RECORD]   the record under KEY is now RECORD
 *   ["d","KEY"]          KEY is gone
 *
 * A change costs one short line, not a rewrite of a document holding its neighbours. Lines go out
 * with the store's flush (one write per file per flush), so "acknowledged means written" holds as
 * for documents. Once the file has grown well past what it describes, a flush writes the live
 * records to a fresh file instead and renames it over the old one (compaction), so the file stays
 * about the size of the collection. A process killed mid-append leaves at most a torn last line,
 * never acknowledged, which loading skips.
 */
export class RecordLog<T> {
  private readonly live = new Map<string, T>();
  /** Keys changed since the last flush. */
  private readonly pending = new Set<string>();
  /** The file, open for appending, between compactions. */
  private fd: number | undefined;
  /** Bytes in the file now, and what the live records took at the last compaction. */
  private fileBytes = 0;
  private compactedBytes = 0;
  private compactNext = false;
  removed = false;

  constructor(
    /** null keeps the records in memory only. */
    readonly file: string | null,
    private readonly toRecord: (value: T) => unknown,
    private readonly onDirty: (log: RecordLog<T>) => void,
  ) {}

  /**
   * The saved records, in the order their keys first appeared (a torn last line is skipped), and
   * the file's size, which compaction counts from.
   */
  static read(file: string): { records: Map<string, unknown>; bytes: number } {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: new Map(), bytes: 0 };
      throw err;
    }
    const records = new Map<string, unknown>();
    const lines = text.split('\n');
    // Everything before the last newline was written whole; after it, at most a torn append.
    lines.pop();
    lines.forEach((line, index) => {
      let entry: unknown;
      try {
        entry = JSON.parse(line);
      } catch {
        throw new Error(`Cannot read local cloud state ${file}: line ${index + 1} is not JSON`);
      }
      if (!Array.isArray(entry) || typeof entry[1] !== 'string' || (entry[0] !== 'p' && entry[0] !== 'd')) {
        throw new Error(`Cannot read local cloud state ${file}: line ${index + 1} is not a record change`);
      }
      if (entry[0] === 'p') records.set(entry[1], entry[2]);
      else records.delete(entry[1]);
    });
    return { records, bytes: Buffer.byteLength(text) };
  }

  /** Records a value already on disk (loaded at start): nothing to write. */
  adopt(key: string, value: T): void {
    this.live.set(key, value);
  }

  /** The value under `key` changed (or is new); its current state is written at the next flush. */
  put(key: string, value: T): void {
    this.live.set(key, value);
    this.touch(key);
  }

  delete(key: string): void {
    if (this.live.delete(key)) this.touch(key);
  }

  /** Forgets every record (a purge): the next flush writes an empty file. */
  clear(): void {
    this.live.clear();
    this.pending.clear();
    this.compactNext = true;
    this.onDirty(this);
  }

  get size(): number {
    return this.live.size;
  }

  /** Writes what changed since the last flush (or the whole collection, when it is time to compact). */
  async flush(): Promise<void> {
    if (!this.file || this.removed) return this.pending.clear();
    const appended = this.changes();
    if (this.compactNext || this.fileBytes + Buffer.byteLength(appended) > Math.max(COMPACT_FLOOR_BYTES, 4 * this.compactedBytes)) {
      this.compactNext = false;
      const whole = this.everything();
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, whole);
      this.closeHandle();
      if (this.removed) return void (await rm(tmp, { force: true }));
      await rename(tmp, this.file);
      if (this.removed) return void (await rm(this.file, { force: true }));
      this.fileBytes = this.compactedBytes = Buffer.byteLength(whole);
      return;
    }
    this.append(appended);
  }

  /** The same, synchronously (on shutdown, and when older state is converted at start). */
  flushSync(): void {
    if (!this.file || this.removed) return this.pending.clear();
    const appended = this.changes();
    if (this.compactNext) {
      this.compactNext = false;
      const tmp = `${this.file}.${process.pid}.tmp`;
      const whole = this.everything();
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, whole);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      this.fileBytes = this.compactedBytes = Buffer.byteLength(whole);
      return;
    }
    this.append(appended);
  }

  /**
   * An append to an open file lands in the page cache in microseconds: done synchronously, it
   * costs less than the thread-pool round trip an asynchronous write would (renames, which can
   * stall on a busy disk, stay asynchronous).
   */
  private append(text: string): void {
    if (!text || !this.file) return;
    this.fd ??= openSync(this.file, 'a');
    writeSync(this.fd, text);
    this.fileBytes += Buffer.byteLength(text);
  }

  /** Deletes the file and stops writing (the queue was deleted, say); a compaction under way drops its copy. */
  remove(): void {
    this.removed = true;
    this.live.clear();
    this.pending.clear();
    if (this.file) rmSync(this.file, { force: true });
    this.closeHandle();
  }

  /** Starts counting from a file loaded at start-up (its size from read()), so compaction knows how far it has grown. */
  noteLoadedSize(bytes: number): void {
    this.fileBytes = bytes;
  }

  close(): void {
    this.closeHandle();
  }

  private touch(key: string): void {
    this.pending.add(key);
    this.onDirty(this);
  }

  /** The pending changes as lines, each record as it is now; taken now, so later changes go in the next flush. */
  private changes(): string {
    let text = '';
    for (const key of this.pending) {
      const value = this.live.get(key);
      text += value === undefined ? deleteLine(key) : putLine(key, this.toRecord(value));
    }
    this.pending.clear();
    return text;
  }

  private everything(): string {
    let text = '';
    for (const [key, value] of this.live) text += putLine(key, this.toRecord(value));
    return text;
  }

  private closeHandle(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The line that says KEY now holds RECORD. */
export function putLine(key: string, record: unknown): string {
  return `${JSON.stringify(['p', key, record])}\n`;
}

function deleteLine(key: string): string {
  return `${JSON.stringify(['d', key])}\n`;
}

/** Below this a file is never compacted: rewriting it would cost more than it saves. */
const COMPACT_FLOOR_BYTES = 1 << 20;
