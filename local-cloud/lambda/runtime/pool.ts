import { Sandbox, type FunctionSnapshot, type InvocationRequest, type InvocationResult, type RuntimeHost } from './sandbox.ts';
import type { SandboxSizing } from './sizing.ts';

/** Concurrent executions per function a mapping's pollers may ask for. */
export const MAX_CONCURRENCY = 10;
/**
 * When every sandbox is busy, an invocation waits this long for one to come free before a new
 * one starts, and new sandboxes initialise one at a time. AWS has spare machines for cold
 * starts; here they share the machine's cores with the warm sandboxes, and a burst of
 * simultaneous cold starts (each ~0.2–0.5 s of CPU) would slow every warm invocation and cause
 * yet more overlap. Short invocations reuse a warm sandbox instead; long ones still fan out.
 */
const SCALE_OUT_DELAY_MS = 20;

/**
 * The execution environments of one version of a function's code and configuration. Warm
 * sandboxes are reused most-recently-used first, so under a steady load the same few stay hot
 * and the others fall idle; a new one starts only when none is free and the machine's bound
 * allows (sizing.ts). Idle spares are reclaimed soon, a function's last one after some minutes.
 * An update retires the pool: it takes no new work, finishes what it has, and its sandboxes end.
 */
export class FunctionPool {
  private readonly idle: Sandbox[] = [];
  private readonly all = new Set<Sandbox>();
  private readonly waiting: Waiter[] = [];
  private readonly idleTimers = new Map<Sandbox, NodeJS.Timeout>();
  /** Sandboxes being ended (still in `all` until their process is gone). */
  private readonly ending = new Set<Sandbox>();
  private retired = false;
  private drained: (() => void) | undefined;

  constructor(
    readonly fn: FunctionSnapshot,
    private readonly host: RuntimeHost,
    private readonly sizing: SandboxSizing,
  ) {}

  async invoke(request: InvocationRequest): Promise<InvocationResult> {
    const sandbox = await this.acquire();
    try {
      return await sandbox.run(request);
    } finally {
      this.release(sandbox);
    }
  }

  /** Worker pids, for tests and the live log. */
  get pids(): number[] {
    return [...this.all].map((s) => s.pid).filter((pid): pid is number => pid !== undefined);
  }

  /**
   * No new sandboxes; idle ones end now, busy ones when their work is done. Resolves once every
   * sandbox is gone (then the old code can be deleted).
   */
  retire(): Promise<void> {
    this.retired = true;
    for (const sandbox of this.idle.splice(0)) void this.end(sandbox);
    if (this.all.size === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.drained = resolve));
  }

  /** Ends everything now (the local cloud is stopping). */
  async close(): Promise<void> {
    this.retired = true;
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.scaleOut);
      waiter.reject(new Error('The local cloud is shutting down.'));
    }
    await Promise.all([...this.all].map((sandbox) => this.end(sandbox)));
  }

  private acquire(): Promise<Sandbox> {
    const warm = this.idle.pop();
    if (warm) {
      clearTimeout(this.idleTimers.get(warm));
      this.idleTimers.delete(warm);
      return Promise.resolve(warm);
    }
    if (this.all.size === 0) return Promise.resolve(this.create());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (this.all.size < this.sizing.perFunction) {
        const scaleOut = () => {
          const index = this.waiting.indexOf(waiter);
          if (index === -1 || this.retired || this.all.size >= this.sizing.perFunction) return;
          if ([...this.all].some((sandbox) => sandbox.initializing)) {
            waiter.scaleOut = setTimeout(scaleOut, SCALE_OUT_DELAY_MS); // one cold start at a time
            return;
          }
          this.waiting.splice(index, 1);
          resolve(this.create());
        };
        waiter.scaleOut = setTimeout(scaleOut, SCALE_OUT_DELAY_MS);
      }
      this.waiting.push(waiter);
    });
  }

  /** The next waiting invocation, with its scale-out timer stopped. */
  private nextWaiter(): Waiter | undefined {
    const waiter = this.waiting.shift();
    if (waiter?.scaleOut) clearTimeout(waiter.scaleOut);
    return waiter;
  }

  private release(sandbox: Sandbox): void {
    if (!sandbox.alive) {
      // It died (timeout, crash): the next waiter gets a fresh one.
      this.all.delete(sandbox);
      const waiter = this.nextWaiter();
      if (waiter) waiter.resolve(this.create());
      this.checkDrained();
      return;
    }
    const waiter = this.nextWaiter();
    if (waiter) return waiter.resolve(sandbox);
    if (this.retired) {
      void this.end(sandbox);
      return;
    }
    this.idle.push(sandbox);
    this.scheduleReclaim(sandbox);
  }

  /**
   * An idle sandbox ends after the spare idle time while others of the function remain, after the
   * longer one when it is (or, meanwhile, became) the function's last.
   */
  private scheduleReclaim(sandbox: Sandbox, idleSince = performance.now()): void {
    const alone = () => this.all.size - this.ending.size <= 1;
    const wait = (alone() ? this.sizing.lastIdleMs : this.sizing.spareIdleMs) - (performance.now() - idleSince);
    const timer = setTimeout(() => {
      this.idleTimers.delete(sandbox);
      const index = this.idle.indexOf(sandbox);
      if (index === -1) return;
      if (alone() && performance.now() - idleSince < this.sizing.lastIdleMs) return this.scheduleReclaim(sandbox, idleSince);
      this.idle.splice(index, 1);
      const pid = sandbox.pid;
      void this.end(sandbox).then(() => this.host.reclaimed?.(this.fn, pid, performance.now() - idleSince));
    }, Math.max(wait, 0));
    timer.unref();
    this.idleTimers.set(sandbox, timer);
  }

  private create(): Sandbox {
    const sandbox = new Sandbox(this.fn, this.host, (gone) => this.forget(gone));
    this.all.add(sandbox);
    return sandbox;
  }

  /** A sandbox ended on its own (or was ended): drop it wherever it is. */
  private forget(sandbox: Sandbox): void {
    const index = this.idle.indexOf(sandbox);
    if (index !== -1) {
      this.idle.splice(index, 1);
      this.all.delete(sandbox);
    }
    clearTimeout(this.idleTimers.get(sandbox));
    this.idleTimers.delete(sandbox);
    this.checkDrained();
  }

  private async end(sandbox: Sandbox): Promise<void> {
    this.ending.add(sandbox);
    await sandbox.kill();
    this.ending.delete(sandbox);
    this.all.delete(sandbox);
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.retired && this.all.size === 0 && this.waiting.length === 0 && this.drained) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }
}

interface Waiter {
  resolve: (sandbox: Sandbox) => void;
  reject: (err: Error) => void;
  /** Starts a new sandbox if none comes free in time. */
  scaleOut?: NodeJS.Timeout;
}
