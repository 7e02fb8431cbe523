/**
 * A process's own CPU and memory accounting, as Linux keeps it in /proc: what `ps` and `top`
 * show. The benchmark needs it for the Lambda sandboxes, which are processes of their own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { WorkbookError } from '../../lib/errors.ts';

/** The kernel's clock ticks per second, which /proc/PID/stat counts CPU time in (100 nearly everywhere). */
const ticksPerSecond = (() => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/** The benchmark reads other processes' accounting from /proc: Linux only. */
export function requireProc(): void {
  if (process.platform !== 'linux' || !existsSync('/proc/self/stat')) {
    throw new WorkbookError(
      `npm run bench reads the Lambda sandboxes' CPU and memory from /proc, which ${process.platform} does not have.`,
      'Run it on Linux (a container or a VM will do).',
    );
  }
}

/**
 * CPU time a process has used so far, user + system, in ms (to the kernel's tick, usually 10 ms);
 * undefined once the process is gone.
 */
export function cpuMsOf(pid: number): number | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // "PID (COMMAND) STATE PPID …": COMMAND may hold spaces and parentheses, so count from the last ")".
  // After it, utime and stime are the 12th and 13th fields (fields 14 and 15 of the whole line).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / ticksPerSecond : undefined;
}

/** Resident memory of a process (VmRSS), in bytes; undefined once the process is gone. */
export function rssBytesOf(pid: number): number | undefined {
  return kilobytesField(`/proc/${pid}/status`, 'VmRSS');
}

/**
 * A process's proportional share of resident memory (Pss, /proc/PID/smaps_rollup), in bytes:
 * pages it shares with others (Node's own code, mapped once for every worker) count divided
 * among them, so the sum over processes is the memory they really hold together, which a sum
 * of RSS overstates. Undefined once the process is gone (or where the kernel does not say).
 */
export function pssBytesOf(pid: number): number | undefined {
  return kilobytesField(`/proc/${pid}/smaps_rollup`, 'Pss');
}

/** A "Name:   1234 kB" line of a /proc file, in bytes. */
function kilobytesField(path: string, name: string): number | undefined {
  const text = readOrUndefined(path);
  const kb = text && new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process ended between listing it and reading it
  }
}
