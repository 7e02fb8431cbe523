import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { removeLeftoverTempFiles } from './debris.ts';
import { putLine, RecordLog } from './record-log.ts';

export { DataDirInUseError, lockDataDir } from './lock.ts';
export type { RecordLog } from './record-log.ts';

/**
 * Persists each service's state under the data folder, in two shapes:
 * - documents (NAME.json) for things that change as a whole (a queue's attributes, a function):
 *   services call `markDirty(name)` and the whole document is written again;
 * - record logs (NAME.jsonl, record-log.ts) for collections that change one record at a time
 *   (messages, pending events): a change appends one line.
 * The store writes everything dirty at most once per event-loop turn (many concurrent requests
 * share one write), and the server awaits `flushed()` before it answers, so an acknowledged
 * change survives even a SIGKILL. Document writes are atomic (a temp file renamed over the old
 * one); a log's torn last line is skipped when it is read.
 */
export class StateStore {
  private readonly sources = new Map<string, () => unknown>();
  private readonly dirty = new Set<string>();
  private readonly logs = new Map<string, RecordLog<any>>();
  private readonly dirtyLogs = new Set<RecordLog<any>>();
  /** The next flush, waiting for its turn. */
  private pending: Promise<void> | undefined;
  /** The flush whose writes are under way. */
  private writing: Promise<void> | undefined;
  /** Folders known to exist, so each write does not ask again. */
  private readonly folders = new Set<string>();

  /** Temp files of writes a killed process left half done, removed at start-up. */
  readonly leftoverTempFilesRemoved: number = 0;

  /**
   * `dir` null keeps everything in memory (used by a few unit tests). The caller holds the
   * data-folder lock (lockDataDir), so every temp file found here is debris of an earlier run.
   */
  constructor(readonly dir: string | null) {
    if (!dir) return;
    mkdirSync(join(dir, 'state'), { recursive: true });
    this.leftoverTempFilesRemoved = removeLeftoverTempFiles(join(dir, 'state'));
  }

  /** Reads a saved document, or undefined when there is none. */
  load<T>(name: string): T | undefined {
    if (!this.dir) return undefined;
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`Cannot read local cloud state ${this.file(name)}: ${(err as Error).message}`);
    }
  }

  /** Names of saved documents under a folder prefix, e.g. list('sqs/queues'). */
  list(prefix: string): string[] {
    if (!this.dir) return [];
    try {
      return readdirSync(join(this.dir, 'state', prefix))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `${prefix}/${f.slice(0, -'.json'.length)}`);
    } catch {
      return [];
    }
  }

  /** Registers how to snapshot a document; call markDirty(name) after each change. */
  register(name: string, snapshot: () => unknown): void {
    this.sources.set(name, snapshot);
  }

  /** Forgets a document and deletes its file (a deleted queue, say). */
  remove(name: string): void {
    this.sources.delete(name);
    this.dirty.delete(name);
    if (this.dir) rmSync(this.file(name), { force: true });
  }

  /**
   * The record log NAME (state/NAME.jsonl) and the records saved in it, once per name; call
   * `removeRecords(name)` to delete it. `toRecord` turns a live value into what is saved.
   */
  records<T>(name: string, toRecord: (value: T) => unknown): { log: RecordLog<T>; saved: Map<string, unknown> } {
    if (this.logs.has(name)) throw new Error(`the record log ${name} is open already`);
    const file = this.dir ? this.logFile(name) : null;
    let saved = new Map<string, unknown>();
    const log = new RecordLog<T>(file, toRecord, (dirty) => {
      this.dirtyLogs.add(dirty);
      void this.flushed();
    });
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      const { records, bytes } = RecordLog.read(file);
      saved = records;
      log.noteLoadedSize(bytes);
    }
    this.logs.set(name, log);
    return { log, saved };
  }

  /**
   * Moves records saved in an older shape — documents under `folder`, each an array of records —
   * into the log NAME before it is opened, keyed by `keyOf`, then deletes the documents. The log
   * is written first, so a crash in between only converts them again (same keys, same records).
   */
  convertDocuments<R>(folder: string, name: string, keyOf: (record: R) => string): void {
    const documents = this.list(folder);
    if (documents.length === 0) return;
    if (this.logs.has(name)) throw new Error(`the record log ${name} is open already`);
    let lines = '';
    for (const document of documents) for (const record of this.load<R[]>(document) ?? []) lines += putLine(keyOf(record), record);
    const file = this.logFile(name);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, lines);
    for (const document of documents) this.remove(document);
  }

  /** Deletes a record log and its file. */
  removeRecords(name: string): void {
    const log = this.logs.get(name);
    this.logs.delete(name);
    if (log) {
      this.dirtyLogs.delete(log);
      log.remove();
    } else if (this.dir) {
      rmSync(this.logFile(name), { force: true });
    }
  }

  markDirty(name: string): void {
    this.dirty.add(name);
    void this.flushed();
  }

  /**
   * Resolves once every change made so far is on disk. Writes are asynchronous so the event loop
   * keeps serving while the disk works (a rename over an existing file can take milliseconds on
   * a busy ext4 disk); one flush runs at a time, and changes made meanwhile go in the next one.
   */
  flushed(): Promise<void> {
    if (this.dirty.size === 0 && this.dirtyLogs.size === 0) return this.pending ?? this.writing ?? Promise.resolve();
    this.pending ??= (async () => {
      await this.writing;
      await new Promise((resolve) => setImmediate(resolve));
      this.pending = undefined;
      this.writing = this.writeDirty();
      try {
        await this.writing;
      } finally {
        this.writing = undefined;
      }
    })();
    return this.pending;
  }

  /** Writes everything now, synchronously (on shutdown). */
  flushSync(): void {
    for (const log of this.takeDirtyLogs()) log.flushSync();
    for (const [, file, text] of this.snapshotDirty()) {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file);
    }
  }

  /** Closes the record logs' files (the cloud is stopping; call after the last flush). */
  close(): void {
    for (const log of this.logs.values()) log.close();
  }

  private takeDirtyLogs(): Array<RecordLog<unknown>> {
    const logs = [...this.dirtyLogs];
    this.dirtyLogs.clear();
    return logs;
  }

  private async writeDirty(): Promise<void> {
    const logs = this.takeDirtyLogs();
    const snapshots = this.snapshotDirty();
    await Promise.all([
      ...logs.map((log) => log.flush()),
      ...snapshots.map(async ([name, file, text], index) => {
        const folder = dirname(file);
        if (!this.folders.has(folder)) {
          await mkdir(folder, { recursive: true });
          this.folders.add(folder);
        }
        const tmp = `${file}.${process.pid}.${index}.tmp`;
        await writeFile(tmp, text);
        await rename(tmp, file);
        // Removed while this write was under way (a queue deleted, say): do not bring it back.
        if (!this.sources.has(name)) await rm(file, { force: true });
      }),
    ]);
  }

  /** The dirty documents as [name, file, JSON text], taken now (later changes go in the next write). */
  private snapshotDirty(): Array<[string, string, string]> {
    const names = [...this.dirty];
    this.dirty.clear();
    if (!this.dir) return [];
    const out: Array<[string, string, string]> = [];
    for (const name of names) {
      const snapshot = this.sources.get(name);
      if (snapshot) out.push([name, this.file(name), JSON.stringify(snapshot())]);
    }
    return out;
  }

  private file(name: string): string {
    return join(this.dir!, 'state', `${name}.json`);
  }

  private logFile(name: string): string {
    return join(this.dir!, 'state', `${name}.jsonl`);
  }
}
