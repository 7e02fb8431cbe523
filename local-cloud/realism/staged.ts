/** A value set at one moment that is in force only from `effectiveAt` (epoch ms) on. */
export interface StagedChange<T> {
  value: T;
  effectiveAt: number;
}

/**
 * Changes still on their way, oldest first. Takes out those whose time has come and answers the
 * newest of them (undefined when none has arrived): the value now in force. The later ones stay.
 */
export function arrived<T>(staged: StagedChange<T>[], now: number): T | undefined {
  let latest: T | undefined;
  let count = 0;
  while (count < staged.length && staged[count].effectiveAt <= now) latest = staged[count++].value;
  if (count > 0) staged.splice(0, count);
  return latest;
}

/** Adds a change that takes effect `delayMs` from `now`, keeping the list ordered by that time. */
export function stage<T>(staged: StagedChange<T>[], value: T, delayMs: number, now: number): void {
  const change = { value, effectiveAt: now + Math.max(0, delayMs) };
  let index = staged.length;
  while (index > 0 && staged[index - 1].effectiveAt > change.effectiveAt) index--;
  staged.splice(index, 0, change);
}
