/**
 * Changes that take a while to reach all of AWS (a role reaching Lambda, a queue attribute, a
 * new subscription): each is noted with the time it takes effect, and asked about later. With
 * realism off every change is in effect at once.
 */
export class Propagation<Key> {
  private readonly effectiveAt = new Map<Key, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The change to `key` takes effect `delayMs` from now (0: at once). */
  changed(key: Key, delayMs: number): void {
    if (delayMs <= 0) this.effectiveAt.delete(key);
    else this.effectiveAt.set(key, this.now() + delayMs);
  }

  /** True while the latest change to `key` has not taken effect yet. */
  pending(key: Key): boolean {
    const at = this.effectiveAt.get(key);
    if (at === undefined) return false;
    if (at <= this.now()) {
      this.effectiveAt.delete(key);
      return false;
    }
    return true;
  }

  /** Milliseconds until the latest change to `key` takes effect (0 when it has). */
  remainingMs(key: Key): number {
    const at = this.effectiveAt.get(key);
    return at === undefined ? 0 : Math.max(0, at - this.now());
  }

  forget(key: Key): void {
    this.effectiveAt.delete(key);
  }
}
