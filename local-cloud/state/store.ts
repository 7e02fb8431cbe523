import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { removeLeftoverTempFiles } from './debris.ts';

export { DataDirInUseError, lockDataDir } from './lock.ts';

/**
 * Persists each service's state as JSON documents under the data folder.
 *
 * Services call `markDirty(name)` when they change something; the store writes every dirty
 * document at most once per event-loop turn (many concurrent requests share one write), and the
 * server awaits `flushed()` before it answers, so an acknowledged change survives even a SIGKILL.
 * Writes are atomic: a temp file renamed over the old one, so a crash never leaves half a file.
 */
export class StateStore {
  private readonly sources = new Map<string, () => unknown>();
  private readonly dirty = new Set<string>();
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
    if (this.dirty.size === 0) return this.pending ?? this.writing ?? Promise.resolve();
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
    for (const [, file, text] of this.snapshotDirty()) {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file);
    }
  }

  private async writeDirty(): Promise<void> {
    const snapshots = this.snapshotDirty();
    await Promise.all(
      snapshots.map(async ([name, file, text], index) => {
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
    );
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
}
