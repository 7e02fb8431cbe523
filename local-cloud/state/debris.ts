import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A temp file of the store's atomic writes: `NAME.json.PID.tmp` (a synchronous write on
 * shutdown), `NAME.json.PID.N.tmp` (the N-th document of an asynchronous flush) or
 * `NAME.jsonl.PID.tmp` (a record log being compacted).
 */
const STORE_TEMP_FILE = /\.jsonl?\.\d+(?:\.\d+)?\.tmp$/;

/**
 * Deletes the temp files a killed local cloud left under the state folder: a write cut short
 * before its rename. The document it was replacing is whole (the rename never happened), so the
 * temp file is only debris. Call it while holding the data-folder lock, before any write.
 * Returns how many files were removed.
 */
export function removeLeftoverTempFiles(stateDir: string): number {
  let removed = 0;
  const visit = (folder: string) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return; // no folder yet
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (STORE_TEMP_FILE.test(entry.name)) {
        rmSync(path, { force: true });
        removed++;
      }
    }
  };
  visit(stateDir);
  return removed;
}
