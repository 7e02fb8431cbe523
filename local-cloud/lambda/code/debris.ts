import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Temporary names end so; function names and code hashes never contain a dot. */
const TEMPORARY = /\.tmp$/;

/**
 * Removes what an interrupted run left half-written: staging folders an unpack had not yet renamed
 * into place (tasks/NAME/HASH.ID.tmp) and zips not yet renamed (code/NAME/HASH.zip.PID.tmp). Only
 * one local cloud runs on a data folder, so at start-up nothing else is writing them.
 * Returns the paths removed.
 */
export function removeUnpackDebris(root: string): string[] {
  const removed: string[] = [];
  for (const area of ['code', 'tasks']) {
    const areaDir = join(root, area);
    for (const name of names(areaDir)) {
      const path = join(areaDir, name);
      if (TEMPORARY.test(name)) {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
        continue;
      }
      for (const entry of names(path)) {
        if (!TEMPORARY.test(entry)) continue;
        rmSync(join(path, entry), { recursive: true, force: true });
        removed.push(join(path, entry));
      }
    }
  }
  return removed;
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
