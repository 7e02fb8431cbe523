/**
 * A fixed control-plane quota of the form "1 request every N seconds per account": a request
 * within N of the last one that was let through is refused; a refused request does not restart
 * the interval. An interval of 0 (realism off) lets everything through.
 */
export class IntervalQuota {
  private lastAllowedAt = -Infinity;

  constructor(
    private readonly intervalMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a turn: 0 when the request may go ahead, otherwise the milliseconds until it may. */
  take(): number {
    const interval = this.intervalMs();
    if (interval <= 0) return 0;
    const now = this.now();
    const wait = this.lastAllowedAt + interval - now;
    if (wait > 0) return wait;
    this.lastAllowedAt = now;
    return 0;
  }
}
