import { mkdtempSync, realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Lambda's /tmp: every execution environment has its own, empty at the cold start, kept while
 * the environment lives. Here it is a fresh folder (mode 0700) that the worker finds through
 * TMPDIR (os.tmpdir()), the only place it may write. Named by its real path: Node reads every
 * link on the way to a path it resolves, and a link above the folder (macOS's /var) is not the
 * worker's to read.
 */
export function createScratch(): string {
  return realpathSync(mkdtempSync(join(tmpdir(), 'lambda-tmp-')));
}

/**
 * Asynchronous: a function may have left many files, and the local cloud serves others meanwhile.
 * Never rejects: a folder that cannot go now is left to the OS, which cleans its temporary folder.
 */
export function removeScratch(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
