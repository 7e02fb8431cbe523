import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Claims the data folder for this process. Two local clouds on one folder would overwrite each
 * other's state (and dynalite's LevelDB crashes outright), so the second one refuses to start.
 *
 * The lock file holds the owner's pid and, on Linux, its start time (clock ticks since boot, from
 * /proc/PID/stat): a lock whose process has ended, is a zombie (killed, not yet reaped by its
 * parent), or whose pid now belongs to a newer process is stale and taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockFile = join(dir, 'local-cloud.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      const started = startTimeOf(process.pid);
      writeFileSync(fd, started === undefined ? `${process.pid}\n` : `${process.pid}\n${started}\n`);
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(lockFile);
      if (owner && owner.pid !== process.pid && isRunning(owner)) {
        throw new DataDirInUseError(dir, owner.pid);
      }
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${dir}`);
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `Another local cloud (pid ${pid}) is already using ${dir}. ` +
        `Use that one, stop it (kill ${pid}), or give this one its own folder with LOCAL_CLOUD_DATA.`,
    );
    this.name = 'DataDirInUseError';
  }
}

interface LockOwner {
  pid: number;
  /** Start time as the lock recorded it; absent in locks written where /proc is not available. */
  started?: string;
}

function readOwner(lockFile: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch {
    return undefined; // removed meanwhile
  }
  const [pid, started] = text.trim().split(/\s+/);
  const owner = Number(pid);
  if (!Number.isSafeInteger(owner) || owner <= 0) return undefined;
  return started ? { pid: owner, started } : { pid: owner };
}

/** True when the lock's owner is still running: not ended, not a zombie, and not a newer process with its pid. */
function isRunning(owner: LockOwner): boolean {
  const stat = procStat(owner.pid);
  if (stat === null) return signalable(owner.pid); // no /proc (macOS, say)
  if (stat === undefined) return false; // no such process
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.started === undefined || owner.started === stat.started;
}

/** The process's start time in clock ticks since boot, where /proc tells it. */
function startTimeOf(pid: number): string | undefined {
  return procStat(pid)?.started;
}

/**
 * State and start time from /proc/PID/stat; undefined when the process does not exist, null when
 * this system has no /proc. The command name (field 2) may hold spaces and parentheses, so the
 * fields are counted from the last ')'.
 */
function procStat(pid: number): { state: string; started: string } | undefined | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    return procAvailable() ? undefined : null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of the file, starttime field 22.
  return { state: fields[0], started: fields[19] };
}

let hasProc: boolean | undefined;
function procAvailable(): boolean {
  if (hasProc === undefined) {
    try {
      readFileSync('/proc/self/stat');
      hasProc = true;
    } catch {
      hasProc = false;
    }
  }
  return hasProc;
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
