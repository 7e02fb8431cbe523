/**
 * Where a zip's entries would land once unpacked, and whether that stays inside the task folder.
 * A name that climbs out (`..`), starts at a root (`/x`, `\x`, `C:x`) or hides a NUL is refused, as
 * is a symlink whose target, followed through the archive's other symlinks, leaves the folder.
 */

/** The path segments of an entry name, or undefined when the name is not usable. */
export function entrySegments(name: string): string[] | undefined {
  if (name === '' || name.includes('\0')) return undefined;
  if (isRooted(name)) return undefined;
  const segments = splitPath(name);
  if (segments.includes('..')) return undefined;
  return segments;
}

/** Each path a file or folder is written to passes through no symlink of the archive. */
export function passesThroughSymlink(segments: readonly string[], symlinks: ReadonlyMap<string, string>): boolean {
  for (let depth = 1; depth < segments.length; depth++) {
    if (symlinks.has(segments.slice(0, depth).join('/'))) return true;
  }
  return false;
}

/**
 * True when the symlink at `linkSegments`, pointing at `target`, resolves outside the folder,
 * following the archive's own symlinks (`symlinks`: joined path → target) as the file system would.
 */
export function symlinkEscapes(linkSegments: readonly string[], target: string, symlinks: ReadonlyMap<string, string>): boolean {
  if (target === '' || target.includes('\0') || isRooted(target)) return true;
  const resolved = linkSegments.slice(0, -1);
  let pending = splitPath(target);
  // A chain longer than the kernel follows (40) is a loop: unusable either way.
  for (let hops = 0; pending.length; ) {
    const segment = pending.shift()!;
    if (segment === '..') {
      if (resolved.length === 0) return true;
      resolved.pop();
      continue;
    }
    resolved.push(segment);
    const next = symlinks.get(resolved.join('/'));
    if (next === undefined) continue;
    if (++hops > 40 || next === '' || isRooted(next)) return true;
    resolved.pop();
    pending = [...splitPath(next), ...pending];
  }
  return false;
}

function isRooted(path: string): boolean {
  return /^[\\/]/.test(path) || /^[a-zA-Z]:/.test(path);
}

/** Segments split at either separator, without empty and `.` segments. */
function splitPath(path: string): string[] {
  return path.split(/[\\/]/).filter((segment) => segment !== '' && segment !== '.');
}
